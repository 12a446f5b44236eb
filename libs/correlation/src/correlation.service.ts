import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditAction, AuditService, SYSTEM_ACTOR } from '@app/audit';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { PrismaService, type Prisma } from '@app/database';
import { OutboxService } from '@app/outbox';
import { JobName } from '@app/queue';
import { decideMatch, type AlertBefore, type MatchBefore, type MatchPlan } from './decide.js';
import type { AlertEvent, BlockReason, TokenKey } from './correlation.types.js';

type Tx = Prisma.TransactionClient;
type KeyArrays = { types: string[]; epochs: string[]; tokens: string[] };

/** Keys per transaction: bounds lock time and statement size. */
const CHUNK = 5_000;

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
    private readonly audit: AuditService,
  ) {}

  /**
   * Correlates every token a submission stored or refreshed (and that no
   * later submission took over). The read applies the candidate filter
   * itself, so only keys that may change a match leave the database: a
   * 10,000-item batch with a few dozen matches no longer ships 10,000 keys
   * to the worker and back. Each transaction re-checks its keys (candidates).
   * A submission's rows are one member's, so (type, epoch, token) is unique.
   */
  async correlateSubmission(submissionId: string): Promise<AlertEvent[]> {
    const k = this.config.correlation.minMembers;
    const keys = await this.prisma.$queryRaw<TokenKey[]>`
      SELECT s.type, s.key_epoch AS "keyEpoch", encode(s.token, 'hex') AS token
        FROM indicators s
       WHERE s.submission_id = ${submissionId}::uuid
         AND (EXISTS (SELECT 1 FROM matches m WHERE m.type = s.type AND m.key_epoch = s.key_epoch AND m.token = s.token)
              OR (SELECT count(*) FROM (
                    SELECT 1 FROM indicators i
                     WHERE i.type = s.type AND i.key_epoch = s.key_epoch AND i.token = s.token AND i.expires_at > now()
                     LIMIT ${k}) AS held) >= ${k})`;
    return this.correlate(keys);
  }

  /**
   * Re-evaluates every key a member's live records hold, after its
   * suspension or reinstatement: holder counts read the members' status, so
   * the same pass that follows a submission closes or reopens the other
   * holders' alerts, with the same events.
   */
  async correlateMember(memberId: string): Promise<AlertEvent[]> {
    const keys = await this.prisma.$queryRaw<TokenKey[]>`
      SELECT DISTINCT type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token
        FROM indicators
       WHERE member_id = ${memberId}::uuid AND expires_at > now()`;
    return this.correlate(keys);
  }

  /**
   * Re-evaluates every match under a key epoch an operator retired: records
   * under a retired epoch match nothing, so its open alerts close
   * (KEY_EPOCH_RETIRED) with the same events as any other change. Only keys
   * that have a match can change: nothing new matches under the epoch.
   */
  async correlateEpoch(label: string): Promise<AlertEvent[]> {
    const keys = await this.prisma.$queryRaw<TokenKey[]>`
      SELECT type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token
        FROM matches WHERE key_epoch = ${label} ORDER BY type, token`;
    return this.correlate(keys);
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
    return this.prisma.$transaction(async (tx) => {
      const [match] = await tx.$queryRaw<(TokenKey & { id: string })[]>`
        SELECT m.id, m.type, m.key_epoch AS "keyEpoch", encode(m.token, 'hex') AS token
          FROM matches m JOIN alerts a ON a.match_id = m.id WHERE a.id = ${alertId}::uuid FOR UPDATE OF m`;
      if (!match) return [];
      if (await this.quarantine(tx, match)) {
        await tx.$executeRaw`UPDATE alerts SET announced_verdict = verdict WHERE id = ${alertId}::uuid`;
        return this.correlateChunk(tx, [{ type: match.type, keyEpoch: match.keyEpoch, token: match.token }]);
      }
      const announced = await tx.$executeRaw`
        UPDATE alerts SET announced_verdict = verdict
         WHERE id = ${alertId}::uuid AND announced_verdict IS DISTINCT FROM verdict`;
      if (announced === 0) return [];
      const rows = await tx.$queryRaw<{ id: string; memberId: string; version: number }[]>`
        UPDATE alerts SET version = version + 1, updated_at = now()
         WHERE match_id = ${match.id}::uuid AND id <> ${alertId}::uuid
        RETURNING id, member_id AS "memberId", version`;
      const events = rows.map((r): AlertEvent => ({ alertId: r.id, memberId: r.memberId, type: 'alert.updated', version: r.version }));
      await tx.$executeRaw`SELECT refresh_alert_priority(ARRAY[${match.id}::uuid])`;
      await this.announce(tx, events);
      return events;
    });
  }

  /**
   * Quarantines the match's token when at least QUARANTINE_MIN_FALSE_POSITIVES
   * distinct active members say FALSE_POSITIVE and they outnumber the active
   * members that say CONFIRMED_ABUSE. After a release only false positives
   * given (acknowledged) after it count; confirmations count whenever given.
   * A suppressed token, or one quarantined already, is left alone. Under the
   * match's lock, so concurrent verdicts quarantine once.
   */
  private async quarantine(tx: Tx, match: TokenKey & { id: string }): Promise<boolean> {
    const rows = await tx.$queryRaw<{ falsePositives: number; confirmations: number }[]>`
      WITH counts AS (
        SELECT count(*) FILTER (WHERE a.verdict = 'FALSE_POSITIVE'
                                  AND (r.released_at IS NULL OR a.acknowledged_at > r.released_at))::int AS fp,
               count(*) FILTER (WHERE a.verdict = 'CONFIRMED_ABUSE')::int AS confirmed
          FROM alerts a
          JOIN members mb ON mb.id = a.member_id AND mb.status = 'ACTIVE'
          JOIN matches m ON m.id = a.match_id
          LEFT JOIN quarantine_releases r ON r.type = m.type AND r.key_epoch = m.key_epoch AND r.token = m.token
         WHERE a.match_id = ${match.id}::uuid
      )
      INSERT INTO quarantined_tokens (type, key_epoch, token, false_positives, confirmations)
      SELECT m.type, m.key_epoch, m.token, c.fp, c.confirmed
        FROM matches m, counts c
       WHERE m.id = ${match.id}::uuid AND c.fp >= ${this.config.correlation.quarantineMinFalsePositives} AND c.fp > c.confirmed
         AND NOT EXISTS (SELECT 1 FROM suppressed_tokens s WHERE s.type = m.type AND s.key_epoch = m.key_epoch AND s.token = m.token)
      ON CONFLICT DO NOTHING
      RETURNING false_positives AS "falsePositives", confirmations`;
    if (rows.length === 0) return false;
    await this.audit.record(tx, {
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
      events.push(...(await this.prisma.$transaction((tx) => this.correlateChunk(tx, chunk), { timeout: 60_000, maxWait: 60_000 })));
    }
    if (events.length) this.logger.log(`correlation changed ${events.length} alert(s) over ${keys.length} key(s)`);
    return events;
  }

  private async correlateChunk(tx: Tx, keys: TokenKey[]): Promise<AlertEvent[]> {
    const candidates = await this.candidates(tx, arrays(keys));
    if (candidates.length === 0) return [];
    const matches = await this.lockMatches(tx, arrays(candidates));
    const ids = matches.map((m) => m.id);

    const [holderRows, alertRows, blockedRows, [{ active }]] = await Promise.all([
      tx.$queryRaw<{ matchId: string; memberId: string }[]>`
        SELECT m.id AS "matchId", i.member_id AS "memberId"
          FROM matches m
          JOIN indicators i ON i.type = m.type AND i.key_epoch = m.key_epoch AND i.token = m.token
          JOIN members mb ON mb.id = i.member_id
         WHERE m.id = ANY(${ids}::uuid[]) AND i.expires_at > now() AND mb.status = 'ACTIVE'
         ORDER BY i.member_id`,
      tx.$queryRaw<(AlertBefore & { matchId: string })[]>`
        SELECT id, match_id AS "matchId", member_id AS "memberId", status::text AS status,
               other_holders AS "otherHolders", version
          FROM alerts WHERE match_id = ANY(${ids}::uuid[])`,
      // Why a token may not match at all: a retired key epoch, the suppression list, quarantine.
      tx.$queryRaw<{ matchId: string; reason: BlockReason }[]>`
        SELECT * FROM (
          SELECT m.id AS "matchId",
                 CASE WHEN EXISTS (SELECT 1 FROM key_epochs e WHERE e.label = m.key_epoch AND e.retired_at IS NOT NULL) THEN 'KEY_EPOCH_RETIRED'
                      WHEN EXISTS (SELECT 1 FROM suppressed_tokens s
                                    WHERE s.type = m.type AND s.key_epoch = m.key_epoch AND s.token = m.token) THEN 'SUPPRESSED'
                      WHEN EXISTS (SELECT 1 FROM quarantined_tokens q
                                    WHERE q.type = m.type AND q.key_epoch = m.key_epoch AND q.token = m.token) THEN 'QUARANTINED'
                 END AS reason
            FROM matches m WHERE m.id = ANY(${ids}::uuid[])) b
         WHERE reason IS NOT NULL`,
      tx.$queryRaw<{ active: number }[]>`SELECT count(*)::int AS active FROM members WHERE status = 'ACTIVE'`,
    ]);

    const holders = groupBy(holderRows, (r) => r.matchId);
    const alerts = groupBy(alertRows, (r) => r.matchId);
    const blocked = new Map(blockedRows.map((r) => [r.matchId, r.reason]));
    const plans = matches.map((m) =>
      decideMatch(
        m,
        (holders.get(m.id) ?? []).map((h) => h.memberId),
        alerts.get(m.id) ?? [],
        blocked.get(m.id) ?? null,
        active,
        this.config.correlation,
      ),
    );
    return this.apply(tx, plans);
  }

  /** Keys that already have a match, or that k active records hold: the only ones worth locking. */
  private async candidates(tx: Tx, k: KeyArrays): Promise<TokenKey[]> {
    return tx.$queryRaw<TokenKey[]>`
      WITH keys AS (
        SELECT DISTINCT type, key_epoch, decode(token_hex, 'hex') AS token
          FROM unnest(${k.types}::"IndicatorType"[], ${k.epochs}::text[], ${k.tokens}::text[]) AS u(type, key_epoch, token_hex)
      )
      SELECT type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token
        FROM keys
       WHERE EXISTS (SELECT 1 FROM matches m
                      WHERE m.type = keys.type AND m.key_epoch = keys.key_epoch AND m.token = keys.token)
          OR (SELECT count(*) FROM (
                SELECT 1 FROM indicators i
                 WHERE i.type = keys.type AND i.key_epoch = keys.key_epoch AND i.token = keys.token
                   AND i.expires_at > now()
                 LIMIT ${this.config.correlation.minMembers}) AS held) >= ${this.config.correlation.minMembers}
       ORDER BY 1, 2, 3`;
  }

  /**
   * Creates missing match rows and locks all of them, always in (type, epoch,
   * token) order, so concurrent passes over overlapping keys queue up instead
   * of deadlocking, and each recomputes after the previous one committed.
   */
  private async lockMatches(tx: Tx, k: KeyArrays): Promise<MatchBefore[]> {
    await tx.$executeRaw`
      INSERT INTO matches (type, key_epoch, token, status, holder_count, version, first_seen_at, last_seen_at)
      SELECT type, key_epoch, decode(token_hex, 'hex'), 'CLOSED', 0, 0, now(), now()
        FROM unnest(${k.types}::"IndicatorType"[], ${k.epochs}::text[], ${k.tokens}::text[]) AS u(type, key_epoch, token_hex)
       ORDER BY 1, 2, 3
      ON CONFLICT (type, key_epoch, token) DO NOTHING`;
    return tx.$queryRaw<MatchBefore[]>`
      SELECT m.id, m.status::text AS status, m.holder_count AS "holderCount", m.version
        FROM matches m
        JOIN unnest(${k.types}::"IndicatorType"[], ${k.epochs}::text[], ${k.tokens}::text[]) AS u(type, key_epoch, token_hex)
          ON m.type = u.type AND m.key_epoch = u.key_epoch AND m.token = decode(u.token_hex, 'hex')
       ORDER BY m.type, m.key_epoch, m.token
       FOR UPDATE OF m`;
  }

  private async apply(tx: Tx, plans: MatchPlan[]): Promise<AlertEvent[]> {
    const changed = plans.filter((p) => p.match.changed);
    if (changed.length) {
      await tx.$executeRaw`
        UPDATE matches m SET status = u.status::"MatchStatus", holder_count = u.holders, version = u.version,
               first_seen_at = COALESCE(seen.first, m.first_seen_at),
               last_seen_at = COALESCE(seen.last, m.last_seen_at), updated_at = now()
          FROM unnest(${changed.map((p) => p.match.id)}::uuid[], ${changed.map((p) => p.match.status)}::text[],
                      ${changed.map((p) => p.match.holderCount)}::int[], ${changed.map((p) => p.match.version)}::int[])
               AS u(id, status, holders, version)
          LEFT JOIN LATERAL (
            SELECT min(i.first_seen_at) AS first, max(i.last_seen_at) AS last
              FROM matches mm JOIN indicators i ON i.type = mm.type AND i.key_epoch = mm.key_epoch AND i.token = mm.token
             WHERE mm.id = u.id AND i.expires_at > now()
          ) seen ON true
         WHERE m.id = u.id`;
    }

    const events: AlertEvent[] = [];
    const creates = plans.flatMap((p) => p.create.map((memberId) => ({ matchId: p.match.id, memberId, others: p.match.holderCount - 1 })));
    if (creates.length) {
      const created = await tx.$queryRaw<{ id: string; memberId: string }[]>`
        INSERT INTO alerts (match_id, member_id, other_holders)
        SELECT * FROM unnest(${creates.map((c) => c.matchId)}::uuid[], ${creates.map((c) => c.memberId)}::uuid[],
                             ${creates.map((c) => c.others)}::int[])
        RETURNING id, member_id AS "memberId"`;
      for (const row of created) events.push({ alertId: row.id, memberId: row.memberId, type: 'alert.created', version: 1 });
    }

    const updates = plans.flatMap((p) => p.update);
    if (updates.length) {
      await tx.$executeRaw`
        UPDATE alerts a SET status = u.status::"AlertStatus", other_holders = u.others, version = u.version,
               updated_at = now(), closed_at = CASE WHEN u.status = 'CLOSED' THEN now() ELSE NULL END,
               close_reason = u.reason::"AlertCloseReason"
          FROM unnest(${updates.map((u) => u.id)}::uuid[], ${updates.map((u) => u.status)}::text[],
                      ${updates.map((u) => u.otherHolders)}::int[], ${updates.map((u) => u.version)}::int[],
                      ${updates.map((u) => u.closeReason)}::text[])
               AS u(id, status, others, version, reason)
         WHERE a.id = u.id`;
      for (const u of updates) events.push({ alertId: u.id, memberId: u.memberId, type: u.type, version: u.version });
    }
    // Every pass, changed or not: a refresh moves lastObservedOn (and with it the priority) without changing the match.
    if (plans.length) await tx.$executeRaw`SELECT refresh_alert_priority(${plans.map((p) => p.match.id)}::uuid[])`;
    await this.announce(tx, events);
    return events;
  }

  /** In the caller's transaction: the changes are recorded and announced (webhooks, live subscriptions) if and only if they commit. */
  private async announce(tx: Tx, events: AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.record(tx, events);
    await this.outbox.publish(tx, JobName.events.AlertsChanged, { events, occurredAt: new Date().toISOString() });
  }

  /**
   * Numbers the events per member and stores them for resuming
   * subscriptions. The members' sequence rows are taken in member order and
   * stay locked until commit, after every match lock, so passes never
   * deadlock over them and a member's numbers commit in order.
   */
  private async record(tx: Tx, events: AlertEvent[]): Promise<void> {
    const rows = await tx.$queryRaw<{ ord: number; seq: string }[]>`
      WITH ev AS (
        SELECT * FROM unnest(${events.map((e) => e.memberId)}::uuid[], ${events.map((e) => e.alertId)}::uuid[],
                             ${events.map((e) => e.type)}::text[], ${events.map((e) => e.version)}::int[])
                 WITH ORDINALITY AS u(member_id, alert_id, type, version, ord)
      ), counts AS (
        SELECT member_id, count(*) AS n FROM ev GROUP BY member_id ORDER BY member_id
      ), taken AS (
        INSERT INTO alert_event_sequences AS s (member_id, last_seq)
        SELECT member_id, n FROM counts ORDER BY member_id
        ON CONFLICT (member_id) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
        RETURNING s.member_id, s.last_seq
      ), numbered AS (
        SELECT ev.*, t.last_seq - c.n + row_number() OVER (PARTITION BY ev.member_id ORDER BY ev.ord) AS seq
          FROM ev JOIN counts c USING (member_id) JOIN taken t USING (member_id)
      ), stored AS (
        INSERT INTO alert_events (member_id, seq, alert_id, type, version, occurred_at)
        SELECT member_id, seq, alert_id, type, version, clock_timestamp() FROM numbered
        RETURNING seq
      )
      SELECT ord::int, seq::text FROM numbered`;
    for (const row of rows) events[row.ord - 1].seq = row.seq;
  }
}

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = map.get(k);
    if (list) list.push(row);
    else map.set(k, [row]);
  }
  return map;
}
