import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditAction, AuditService, SYSTEM_ACTOR } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService, pgRows, type SqlClient } from '@app/database';
import { ConsumesEvent, EventConsumers, OutboxService, type EventPayloads } from '@app/outbox';
import * as correlationSql from './correlation.sql.js';
import { decideMatch, type MatchPlan } from './decide.js';
import type { AlertEvent, TokenKey } from './correlation.types.js';

type KeyArrays = { types: string[]; epochs: string[]; tokens: string[] };
type Published = { id: bigint; payload: EventPayloads['alerts.changed'] };
/** A correlation transaction: its connection, and the events it wrote for its consumers to run after commit. */
type Pass = { client: SqlClient; published: Published[] };

/** Keys per transaction: bounds lock time and statement size. */
const CHUNK = 5_000;
/** Bound of each statement of a pass (a big chunk's locks can wait for another pass's). */
const PASS_TIMEOUT_MS = 60_000;

function arrays(keys: TokenKey[]): KeyArrays {
  return { types: keys.map((k) => k.type), epochs: keys.map((k) => k.keyEpoch), tokens: keys.map((k) => k.token) };
}

/**
 * Turns the current holders of each token into matches and per-member alerts.
 * Every pass recomputes from the database, so running it twice, late, or
 * concurrently for the same keys gives the same result: that is what makes
 * the outbox's at-least-once delivery exactly-once in effect.
 */
@Injectable()
export class CorrelationService {
  private readonly logger = new Logger(CorrelationService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly outbox: OutboxService,
    private readonly consumers: EventConsumers,
    private readonly audit: AuditService,
  ) {}

  /** `indicators.submitted`: correlates the submission's tokens. */
  @ConsumesEvent('indicators.submitted')
  async onIndicatorsSubmitted(payload: EventPayloads['indicators.submitted']): Promise<AlertEvent[]> {
    return this.correlateSubmission(payload.submissionId);
  }

  /** `indicators.removed` (retraction, expiry): re-evaluates the keys. */
  @ConsumesEvent('indicators.removed')
  async onIndicatorsRemoved(payload: EventPayloads['indicators.removed']): Promise<AlertEvent[]> {
    return this.correlate(payload.keys);
  }

  /** `suppression.changed`: re-evaluates the keys. */
  @ConsumesEvent('suppression.changed')
  async onSuppressionChanged(payload: EventPayloads['suppression.changed']): Promise<AlertEvent[]> {
    return this.correlate(payload.keys);
  }

  /** `quarantine.changed` (an admin released a quarantined token): re-evaluates the keys. */
  @ConsumesEvent('quarantine.changed')
  async onQuarantineChanged(payload: EventPayloads['quarantine.changed']): Promise<AlertEvent[]> {
    return this.correlate(payload.keys);
  }

  /** `key_epoch.retired`: closes the alerts under the epoch. */
  @ConsumesEvent('key_epoch.retired')
  async onKeyEpochRetired(payload: EventPayloads['key_epoch.retired']): Promise<AlertEvent[]> {
    return this.correlateEpoch(payload.label);
  }

  /** `member.state_changed` (suspension, reinstatement): re-evaluates the member's keys. */
  @ConsumesEvent('member.state_changed')
  async onMemberStateChanged(payload: EventPayloads['member.state_changed']): Promise<AlertEvent[]> {
    return this.correlateMember(payload.memberId);
  }

  /** `alert.verdict_changed`: tells the match's other holders. */
  @ConsumesEvent('alert.verdict_changed')
  async onVerdictChanged(payload: EventPayloads['alert.verdict_changed']): Promise<AlertEvent[]> {
    return this.announceVerdict(payload.alertId);
  }

  /**
   * Correlates every token a submission stored or refreshed (and that no
   * later submission took over). The candidate filter runs in the database
   * inside the pass's own transaction, so only keys that may change a match
   * leave it, and a submission costs one transaction; one with more
   * candidates than a transaction takes is correlated in chunks.
   */
  async correlateSubmission(submissionId: string): Promise<AlertEvent[]> {
    const first = await this.inTransaction((pass) => this.correlateChunk(pass, { submissionId }));
    const events = Array.isArray(first) ? first : await this.correlate(first.overflow);
    if (events.length) this.logger.log(`correlation changed ${events.length} alert(s) after submission ${submissionId}`);
    return events;
  }

  /**
   * Re-evaluates every key a member's live records hold, after its
   * suspension or reinstatement: holder counts read the members' status, so
   * the same pass that follows a submission closes or reopens the other
   * holders' alerts, with the same events.
   */
  async correlateMember(memberId: string): Promise<AlertEvent[]> {
    return this.correlate(await pgRows(this.prisma, correlationSql.memberKeys, [memberId]));
  }

  /**
   * Re-evaluates every match under a key epoch an operator retired: records
   * under a retired epoch match nothing, so its open alerts close
   * (KEY_EPOCH_RETIRED) with the same events as any other change. Only keys
   * that have a match can change: nothing new matches under the epoch.
   */
  async correlateEpoch(label: string): Promise<AlertEvent[]> {
    return this.correlate(await pgRows(this.prisma, correlationSql.epochKeys, [label]));
  }

  /**
   * Tells the other holders of an alert's match that its member's verdict
   * changed (their verdict counts did): each of their alerts gets a new
   * version and one `alert.updated`. Announces only while the verdict differs
   * from the one last announced, under the match's lock, so a replayed or
   * concurrent event for the same verdict announces nothing a second time.
   * When the verdicts now quarantine the token (quarantine), its alerts close
   * instead, each with one `alert.closed`.
   */
  async announceVerdict(alertId: string): Promise<AlertEvent[]> {
    return this.inTransaction(async (pass) => {
      const [match] = await pgRows(pass.client, correlationSql.lockMatchOfAlert, [alertId]);
      if (!match) return [];
      if (await this.quarantine(pass, match)) {
        await pgRows(pass.client, correlationSql.markAnnounced, [alertId]);
        const closed = await this.correlateChunk(pass, { keys: [{ type: match.type, keyEpoch: match.keyEpoch, token: match.token }] });
        return Array.isArray(closed) ? closed : [];
      }
      const announced = await pgRows(pass.client, correlationSql.markVerdictAnnounced, [alertId]);
      if (announced.length === 0) return [];
      const rows = await pgRows(pass.client, correlationSql.bumpOtherAlerts, [match.id, alertId]);
      await pgRows(pass.client, correlationSql.refreshPriority, [[match.id]]);
      const events = rows.map((r): AlertEvent => ({ alertId: r.id, memberId: r.memberId, type: 'alert.updated', version: r.version }));
      await this.announce(pass, events);
      return events;
    });
  }

  /** Quarantines the match's token when its verdicts say so (correlationSql.quarantine), under the match's lock; audited. */
  private async quarantine(pass: Pass, match: TokenKey & { id: string }): Promise<boolean> {
    const rows = await pgRows(pass.client, correlationSql.quarantine, [match.id, this.config.correlation.quarantineMinFalsePositives]);
    if (rows.length === 0) return false;
    await this.audit.recordSql(pass.client, {
      actor: SYSTEM_ACTOR,
      action: AuditAction.TokenQuarantined,
      target: { type: 'quarantined_token', id: `${match.type}:${match.keyEpoch}:${match.token}` },
      details: { falsePositives: rows[0].falsePositives, confirmations: rows[0].confirmations },
    });
    return true;
  }

  /** Re-evaluates the given keys; returns the alert changes it made. */
  async correlate(keys: TokenKey[]): Promise<AlertEvent[]> {
    const events: AlertEvent[] = [];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const chunk = keys.slice(i, i + CHUNK);
      events.push(...((await this.inTransaction((pass) => this.correlateChunk(pass, { keys: chunk }))) as AlertEvent[]));
    }
    if (events.length) this.logger.log(`correlation changed ${events.length} alert(s) over ${keys.length} key(s)`);
    return events;
  }

  /**
   * One transaction of correlation; once it has committed, the
   * `alerts.changed` events it wrote are handed to their consumers at once,
   * in this job, instead of through the relay and a queue hop (the outbox
   * row stays the backstop: EventConsumers.runNow).
   */
  private async inTransaction<T>(fn: (pass: Pass) => Promise<T>): Promise<T> {
    const published: Published[] = [];
    const result = await this.prisma.sqlTransaction((client) => fn({ client, published }), { statementTimeoutMs: PASS_TIMEOUT_MS });
    for (const event of published) await this.consumers.runNow(event.id, 'alerts.changed', event.payload);
    return result;
  }

  /**
   * One pass in one transaction over the candidates among the given keys, or
   * among a submission's tokens; a submission with more than CHUNK
   * candidates is handed back (`overflow`) to be correlated in chunks.
   */
  private async correlateChunk(
    pass: Pass,
    source: { keys: TokenKey[] } | { submissionId: string },
  ): Promise<AlertEvent[] | { overflow: TokenKey[] }> {
    const k = 'keys' in source ? arrays(source.keys) : arrays([]);
    const submissionId = 'submissionId' in source ? source.submissionId : null;
    const candidates = await pgRows(pass.client, correlationSql.candidates, [
      k.types,
      k.epochs,
      k.tokens,
      submissionId,
      this.config.correlation.minMembers,
    ]);
    if (candidates.length === 0) return [];
    if (candidates.length > CHUNK) return { overflow: candidates };
    const c = arrays(candidates);
    // One round trip (sqlTransaction pipelines them), run in this order: the facts are read after the locks are held.
    const [, matches, factRows] = await Promise.all([
      pgRows(pass.client, correlationSql.createMatches, [c.types, c.epochs, c.tokens]),
      pgRows(pass.client, correlationSql.lockMatches, [c.types, c.epochs, c.tokens]),
      pgRows(pass.client, correlationSql.matchFacts, [c.types, c.epochs, c.tokens]),
    ]);
    const facts = new Map(factRows.map((f) => [f.matchId, f]));
    const active = facts.size > 0 ? facts.values().next().value!.active : 0;
    const plans = matches.map((m) => {
      const f = facts.get(m.id);
      return decideMatch(m, f?.holders ?? [], f?.alerts ?? [], f?.reason ?? null, active, this.config.correlation);
    });
    return this.apply(pass, plans);
  }

  /**
   * Writes the plans: the matches, the new alerts and the changed ones, then
   * the priorities, sent together (one round trip: sqlTransaction pipelines
   * them) and run in that order, so the refresh sees the alerts written.
   */
  private async apply(pass: Pass, plans: MatchPlan[]): Promise<AlertEvent[]> {
    const changed = plans.filter((p) => p.match.changed);
    const creates = plans.flatMap((p) => p.create.map((memberId) => ({ matchId: p.match.id, memberId, others: p.match.holderCount - 1 })));
    const updates = plans.flatMap((p) => p.update);
    const [, created] = await Promise.all([
      changed.length
        ? pgRows(pass.client, correlationSql.updateMatches, [
            changed.map((p) => p.match.id),
            changed.map((p) => p.match.status),
            changed.map((p) => p.match.holderCount),
            changed.map((p) => p.match.version),
          ])
        : undefined,
      creates.length
        ? pgRows(pass.client, correlationSql.createAlerts, [
            creates.map((c) => c.matchId),
            creates.map((c) => c.memberId),
            creates.map((c) => c.others),
          ])
        : [],
      updates.length
        ? pgRows(pass.client, correlationSql.updateAlerts, [
            updates.map((u) => u.id),
            updates.map((u) => u.status),
            updates.map((u) => u.otherHolders),
            updates.map((u) => u.version),
            updates.map((u) => u.closeReason),
          ])
        : undefined,
      // Every pass, changed or not: a refresh moves lastObservedOn (and with it the priority) without changing the match.
      plans.length ? pgRows(pass.client, correlationSql.refreshPriority, [plans.map((p) => p.match.id)]) : undefined,
    ]);

    const events: AlertEvent[] = [];
    for (const row of created) events.push({ alertId: row.id, memberId: row.memberId, type: 'alert.created', version: 1 });
    for (const u of updates) events.push({ alertId: u.id, memberId: u.memberId, type: u.type, version: u.version });
    await this.announce(pass, events);
    return events;
  }

  /** In the caller's transaction: the changes are recorded and announced (webhooks, live subscriptions) if and only if they commit. */
  private async announce(pass: Pass, events: AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = await pgRows(pass.client, correlationSql.recordEvents, [
      events.map((e) => e.memberId),
      events.map((e) => e.alertId),
      events.map((e) => e.type),
      events.map((e) => e.version),
    ]);
    for (const row of rows) events[row.ord - 1].seq = row.seq;
    const payload = { events, occurredAt: new Date().toISOString() };
    pass.published.push({ id: await this.outbox.publishSql(pass.client, 'alerts.changed', payload, { inline: true }), payload });
  }
}
