import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditAction, AuditService, SYSTEM_ACTOR } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService, queryRows, type Prisma } from '@app/database';
import { ConsumesEvent, OutboxService, type AlertEvent, type EventPayloads } from '@app/outbox';
import { recordEvents } from '@app/correlation';
import { decideSimilar, type SimilarCloseReason, type SimilarOther, type SimilarPlan } from './decide-similar.js';
import {
  BOUNDARY_HOLDERS,
  BUMP_SIMILAR_ALERTS,
  CREATE_ALERTS,
  DELETE_EXPIRED,
  ENSURE_MATCHES,
  EXPIRED,
  HOLDERS_OF_BANDS,
  LOCK_MATCH_OF_ALERT,
  LOCK_MATCHES,
  MARK_VERDICT_ANNOUNCED,
  QUARANTINE_SHARED_BANDS,
  SIGNATURES,
  SIGNATURES_OF_EPOCH,
  SIGNATURES_OF_MEMBER,
  SIGNATURES_OF_SUBMISSION,
  SIMILAR_SIGNATURES,
  UPDATE_ALERTS,
  UPDATE_MATCHES,
  WITH_MATCH,
  type SimilarPairRow,
} from './similarity.sql.js';

type Tx = Prisma.TransactionClient;
type Db = PrismaService | Tx;

/** Signatures judged per transaction: bounds lock time and statement size. */
const CHUNK = 500;
/** Expired signatures removed per pass of the sweep. */
const SWEEP_BATCH = 500;

/**
 * Judges template signatures against the other members' into similar
 * matches and SIMILAR alerts. Like correlation, every pass recomputes from
 * the database under the similar matches' row locks, so a replayed, late or
 * concurrent event for the same signatures gives the same result.
 */
@Injectable()
export class SimilarityService {
  private readonly logger = new Logger(SimilarityService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
  ) {}

  /** `template_signatures.submitted`: judges the submission's signatures. */
  @ConsumesEvent('template_signatures.submitted')
  async onSubmitted(payload: EventPayloads['template_signatures.submitted']): Promise<void> {
    await this.correlateSubmission(payload.submissionId);
  }

  /** `template_signatures.removed`: re-judges the retracted signatures' neighbours, then deletes them. */
  @ConsumesEvent('template_signatures.removed')
  async onRemoved(payload: EventPayloads['template_signatures.removed']): Promise<void> {
    await this.remove(payload.signatureIds);
  }

  /** `member.state_changed` (a second consumer, beside correlation's): re-judges the member's signatures. */
  @ConsumesEvent('member.state_changed')
  async onMemberStateChanged(payload: EventPayloads['member.state_changed']): Promise<void> {
    await this.correlateMember(payload.memberId);
  }

  /** `suppression.changed` (a second consumer): PROMPT_TEMPLATE tokens may be band tokens; their signatures are judged again. */
  @ConsumesEvent('suppression.changed')
  async onSuppressionChanged(payload: EventPayloads['suppression.changed']): Promise<void> {
    for (const [keyEpoch, tokens] of templateTokensByEpoch(payload.keys)) await this.correlateBands(keyEpoch, tokens, 'SUPPRESSED');
  }

  /** `quarantine.changed` (an admin released a quarantined token; a second consumer): band tokens among them are usable again. */
  @ConsumesEvent('quarantine.changed')
  async onQuarantineChanged(payload: EventPayloads['quarantine.changed']): Promise<void> {
    for (const [keyEpoch, tokens] of templateTokensByEpoch(payload.keys)) await this.correlateBands(keyEpoch, tokens);
  }

  /** `key_epoch.retired` (a second consumer): signatures under a retired epoch count nowhere, so their alerts close. */
  @ConsumesEvent('key_epoch.retired')
  async onKeyEpochRetired(payload: EventPayloads['key_epoch.retired']): Promise<void> {
    const ids = (await queryRows(this.prisma, SIGNATURES_OF_EPOCH, [payload.label])).map((r) => r.id);
    await this.judge(ids, 'KEY_EPOCH_RETIRED');
  }

  /** `alert.verdict_changed` (a second consumer; correlation's handles EXACT alerts): the same for a SIMILAR alert. */
  @ConsumesEvent('alert.verdict_changed')
  async onVerdictChanged(payload: EventPayloads['alert.verdict_changed']): Promise<void> {
    await this.announceVerdict(payload.alertId);
  }

  /**
   * A member's verdict on its SIMILAR alert, as for an EXACT one: the other
   * members' alerts whose verdict counts include it get a new version and one
   * `alert.updated` each, once per verdict (under the similar match's lock, so
   * a replayed event announces nothing). When the group's verdicts meet the
   * quarantine rule (QUARANTINE_MIN_FALSE_POSITIVES), the band tokens the
   * signatures share are quarantined instead, and every alert they held up
   * closes QUARANTINED. Nothing for an EXACT alert.
   */
  async announceVerdict(alertId: string): Promise<AlertEvent[]> {
    const quarantined = await this.prisma.$transaction(
      async (tx) => {
        const [match] = await queryRows(tx, LOCK_MATCH_OF_ALERT, [alertId]);
        if (!match) return { events: [] as AlertEvent[], tokens: [] as string[], keyEpoch: '' };
        const tokens = await queryRows(tx, QUARANTINE_SHARED_BANDS, [match.matchId, this.config.correlation.quarantineMinFalsePositives]);
        if (tokens.length > 0) {
          for (const t of tokens) {
            await this.audit.record(tx, {
              actor: SYSTEM_ACTOR,
              action: AuditAction.TokenQuarantined,
              target: { type: 'quarantined_token', id: `PROMPT_TEMPLATE:${t.keyEpoch}:${t.token}` },
              details: { falsePositives: t.falsePositives, confirmations: t.confirmations },
            });
          }
          await queryRows(tx, MARK_VERDICT_ANNOUNCED, [alertId]);
          return { events: [], tokens: tokens.map((t) => t.token), keyEpoch: match.keyEpoch };
        }
        if ((await queryRows(tx, MARK_VERDICT_ANNOUNCED, [alertId])).length === 0) return { events: [], tokens: [], keyEpoch: '' };
        const rows = await queryRows(tx, BUMP_SIMILAR_ALERTS, [match.matchId]);
        const events = rows.map((r): AlertEvent => ({ alertId: r.id, memberId: r.memberId, type: 'alert.updated', version: r.version }));
        await this.announce(tx, events);
        return { events, tokens: [], keyEpoch: '' };
      },
      { timeout: 60_000, maxWait: 60_000 },
    );
    if (quarantined.tokens.length === 0) return quarantined.events;
    // After the quarantine committed: every signature holding a quarantined band is judged without it.
    return this.correlateBands(quarantined.keyEpoch, quarantined.tokens, 'QUARANTINED');
  }

  /** After submitTemplateSignatures: the submission's signatures, the signatures similar to them, and those a tipped boilerplate band touches. */
  async correlateSubmission(submissionId: string): Promise<AlertEvent[]> {
    const ids = (await queryRows(this.prisma, SIGNATURES_OF_SUBMISSION, [submissionId])).map((r) => r.id);
    return this.judge(await this.affected(ids));
  }

  /**
   * Removes retracted or expired signatures: first re-judges them and every
   * signature that shares bands with them (closing the alerts they held up),
   * then deletes those still expired. Recomputed each time, so a replay is harmless.
   */
  async remove(signatureIds: string[]): Promise<{ events: AlertEvent[]; deleted: number }> {
    if (signatureIds.length === 0) return { events: [], deleted: 0 };
    const events = await this.judge(await this.affected(signatureIds));
    const deleted = await queryRows(this.prisma, DELETE_EXPIRED, [signatureIds]);
    return { events, deleted: deleted.length };
  }

  /**
   * After a member's suspension or reinstatement: its signatures and their
   * neighbours, since every judgement counts only active members' signatures.
   */
  async correlateMember(memberId: string): Promise<AlertEvent[]> {
    const ids = (await queryRows(this.prisma, SIGNATURES_OF_MEMBER, [memberId])).map((r) => r.id);
    return this.judge(await this.affected(ids));
  }

  /** After a PROMPT_TEMPLATE token's suppression changed: re-judges every live signature holding it as a band token. */
  async correlateBands(keyEpoch: string, tokens: string[], closeReason?: SimilarCloseReason): Promise<AlertEvent[]> {
    const ids = (await queryRows(this.prisma, HOLDERS_OF_BANDS, [keyEpoch, tokens])).map((r) => r.id);
    return this.judge(ids, closeReason);
  }

  /** Deletes every expired signature, a batch at a time, after re-judging what it held up; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = (await queryRows(this.prisma, EXPIRED, [SWEEP_BATCH])).map((r) => r.id);
      if (ids.length === 0) return total;
      const { deleted } = await this.remove(ids);
      total += deleted;
      // A batch whose rows were all renewed meanwhile deletes nothing; the next pass finds the rest.
      if (ids.length < SWEEP_BATCH || deleted === 0) return total;
    }
  }

  /** The signatures whose judgement `ids` can change: themselves, their neighbours, and the holders of their boundary bands. */
  private async affected(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { maxBandHolders, minSharedBands } = this.config.similarity;
    const out = new Set(ids);
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const [pairs, boundary] = await Promise.all([
        queryRows(this.prisma, SIMILAR_SIGNATURES, [chunk, maxBandHolders, minSharedBands]),
        queryRows(this.prisma, BOUNDARY_HOLDERS, [chunk, maxBandHolders]),
      ]);
      for (const p of pairs) out.add(p.otherId);
      for (const b of boundary) out.add(b.id);
    }
    return [...out].sort();
  }

  /** Judges the given signatures; returns the alert changes it made. An alert that closes takes `closeReason` (NOT_MATCHED when not given). */
  async judge(ids: string[], closeReason?: SimilarCloseReason): Promise<AlertEvent[]> {
    const events: AlertEvent[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      events.push(
        ...(await this.prisma.$transaction((tx) => this.judgeChunk(tx, chunk, closeReason), { timeout: 60_000, maxWait: 60_000 })),
      );
    }
    if (events.length) this.logger.log(`similarity changed ${events.length} alert(s) over ${ids.length} signature(s)`);
    return events;
  }

  private async judgeChunk(tx: Tx, ids: string[], closeReason?: SimilarCloseReason): Promise<AlertEvent[]> {
    const { maxBandHolders, minSharedBands } = this.config.similarity;
    // Only signatures with a similar one or a match already are worth a match row and a lock.
    const [pairs, matched] = await Promise.all([
      queryRows(tx, SIMILAR_SIGNATURES, [ids, maxBandHolders, minSharedBands]),
      queryRows(tx, WITH_MATCH, [ids]),
    ]);
    const candidates = [...new Set([...pairs.map((p) => p.signatureId), ...matched.map((m) => m.id)])].sort();
    if (candidates.length === 0) return [];
    await queryRows(tx, ENSURE_MATCHES, [candidates]);
    const locked = await queryRows(tx, LOCK_MATCHES, [candidates]);
    // Judged again after the locks: a pass that waited sees what the one before it committed.
    const [now, signatures] = await Promise.all([
      queryRows(tx, SIMILAR_SIGNATURES, [candidates, maxBandHolders, minSharedBands]),
      queryRows(tx, SIGNATURES, [candidates]),
    ]);
    const bySignature = new Map(signatures.map((s) => [s.id, s]));
    const others = groupOthers(now);
    const plans: (SimilarPlan & { firstSeenAt: Date; lastSeenAt: Date; memberId: string })[] = [];
    for (const m of locked) {
      const sig = bySignature.get(m.signatureId);
      if (!sig) continue;
      const plan = decideSimilar(
        {
          matchId: m.id,
          memberId: sig.memberId,
          live: sig.live,
          status: m.status,
          holderCount: m.holderCount,
          bestShared: m.bestShared,
          version: m.version,
          alert:
            m.alertId === null
              ? null
              : {
                  id: m.alertId,
                  status: m.alertStatus!,
                  otherHolders: m.alertOtherHolders!,
                  similarity: m.alertSimilarity,
                  version: m.alertVersion!,
                },
        },
        others.get(m.signatureId) ?? [],
        this.config.correlation.minMembers,
        closeReason,
      );
      plans.push({ ...plan, firstSeenAt: sig.firstSeenAt, lastSeenAt: sig.lastSeenAt, memberId: sig.memberId });
    }
    return this.apply(tx, plans);
  }

  private async apply(tx: Tx, plans: (SimilarPlan & { firstSeenAt: Date; lastSeenAt: Date; memberId: string })[]): Promise<AlertEvent[]> {
    const changed = plans.filter((p) => p.match.changed);
    if (changed.length) {
      await queryRows(tx, UPDATE_MATCHES, [
        changed.map((p) => p.match.id),
        changed.map((p) => p.match.status),
        changed.map((p) => p.match.holderCount),
        changed.map((p) => p.match.bestShared),
        changed.map((p) => p.match.similarIds.join(',')),
        changed.map((p) => p.match.version),
        changed.map((p) => p.firstSeenAt.toISOString()),
        changed.map((p) => p.lastSeenAt.toISOString()),
      ]);
    }
    const events: AlertEvent[] = [];
    const creates = plans.filter((p) => p.create !== null);
    if (creates.length) {
      const created = await queryRows(tx, CREATE_ALERTS, [
        creates.map((p) => p.match.id),
        creates.map((p) => p.create!.memberId),
        creates.map((p) => p.create!.otherHolders),
        creates.map((p) => p.create!.similarity),
      ]);
      for (const row of created) events.push({ alertId: row.id, memberId: row.memberId, type: 'alert.created', version: 1 });
    }
    const updates = plans.filter((p) => p.update !== null);
    if (updates.length) {
      await queryRows(tx, UPDATE_ALERTS, [
        updates.map((p) => p.update!.id),
        updates.map((p) => p.update!.status),
        updates.map((p) => p.update!.otherHolders),
        updates.map((p) => p.update!.similarity ?? 0),
        updates.map((p) => p.update!.version),
        updates.map((p) => p.update!.closeReason),
      ]);
      for (const p of updates)
        events.push({ alertId: p.update!.id, memberId: p.memberId, type: p.update!.type, version: p.update!.version });
    }
    await this.announce(tx, events);
    return events;
  }

  /** Numbers the alert events, records them for resuming subscriptions and publishes `alerts.changed`, in the pass's transaction. */
  private async announce(tx: Tx, events: AlertEvent[]): Promise<void> {
    if (events.length) {
      const rows = await queryRows(tx, recordEvents, [
        events.map((e) => e.memberId),
        events.map((e) => e.alertId),
        events.map((e) => e.type),
        events.map((e) => e.version),
      ]);
      for (const row of rows) events[row.ord - 1].seq = row.seq;
      // Numbered and published as correlation's own (its statement, so the two cannot drift apart): webhooks and live subscriptions fan it out, iff this commits.
      await this.outbox.publish(tx, 'alerts.changed', { events, occurredAt: new Date().toISOString() });
    }
  }
}

function groupOthers(pairs: SimilarPairRow[]): Map<string, SimilarOther[]> {
  const map = new Map<string, SimilarOther[]>();
  for (const p of pairs) {
    const list = map.get(p.signatureId) ?? [];
    list.push({ signatureId: p.otherId, memberId: p.otherMemberId, shared: p.shared });
    map.set(p.signatureId, list);
  }
  return map;
}

/** The PROMPT_TEMPLATE tokens among `keys` (band tokens, perhaps), by key epoch. */
function templateTokensByEpoch(keys: readonly { type: string; keyEpoch: string; token: string }[]): Map<string, string[]> {
  const byEpoch = new Map<string, string[]>();
  for (const key of keys) {
    if (key.type !== 'PROMPT_TEMPLATE') continue;
    byEpoch.set(key.keyEpoch, [...(byEpoch.get(key.keyEpoch) ?? []), key.token]);
  }
  return byEpoch;
}
