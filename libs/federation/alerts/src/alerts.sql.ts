import { statement, type Statement, type AlertStatus, type IndicatorType, type Verdict } from '@app/database';
import { outboxEventSql } from '@app/outbox';
import type { Alert } from './models/alert.model.js';
import type { QuarantinedToken } from './models/quarantined-token.model.js';
import type { SuppressedToken } from './models/suppressed-token.model.js';

/** An alert as `view` returns it: the verdict counts still flat. */
export type AlertRow = Omit<Alert, 'verdictCounts'> & {
  confirmedAbuse: number;
  falsePositive: number;
  underReview: number;
  /** The PRIORITY order's key (alerts.priority_rank): constant while the alert's facts are, whatever the day. */
  priorityRank: number;
};

/** The columns of an alert that `view` reads: a page is chosen from `alerts` alone, in the order of its index. */
const ALERT_ROW = `
  a.id, a.member_id, a.match_id, a.similar_match_id, a.status, a.version, a.other_holders, a.verdict, a.verdict_note,
  a.acknowledged_at, a.created_at, a.updated_at, a.closed_at, a.close_reason, a.last_observed_on, a.priority_rank,
  a.match_kind, a.similarity`;

/** The two orders of the list: the SQL ORDER BY of a page and of its view. */
const NEWEST = 'a.created_at DESC, a.id DESC';
const BY_PRIORITY = 'a.priority_rank DESC, a.id DESC';

/**
 * `column` truncated to the hour, UTC: a time set by other members' activity
 * (their submissions, retractions, verdicts), which another member may learn
 * only that coarsely.
 */
const hourOf = (column: string) => `date_trunc('hour', ${column}, 'UTC')`;

/**
 * An alert as its member may see it, and nothing more: the member's own token
 * and reference; about other holders only counts, verdict counts, and the
 * names of those who chose to disclose them. Every statement is scoped by
 * member id in SQL, and runs in the member's transaction (`sqlAsMember`), so
 * row-level security hides every other member's rows too: another member's
 * alert is indistinguishable from none.
 *
 * `rows` selects the alerts to show (ALERT_ROW from `alerts` alone, already
 * limited to the page: an index range in the list's order, stopped after
 * the page); everything else is joined to those rows only, so a page costs
 * the same whatever the member's history. An EXACT alert is on a match;
 * a SIMILAR one on a similar match, whose token is the member's own
 * signature digest (SHA-256 over its band tokens) and whose type is
 * PROMPT_TEMPLATE: never a band token, let alone another member's. The
 * match's facts and what is read from indicators by token (the member's own
 * reference, and the facts about other holders, which cross members) come
 * from `alert_view_facts` (`similar_alert_view_facts`), one call per page:
 * it returns only those, for the calling member's own alerts, and, run as
 * the tables' owner, reads the match by key without its row-security
 * subplan and looks indicators up by their key, which row-level security
 * would keep the API's role from using (see the row_level_security and
 * alert_view_facts_match migrations). Both lookups are PL/pgSQL, planned
 * once per connection (the alert_view_facts_plpgsql migration).
 */
function view(rows: string, order: string = NEWEST): string {
  return `
  WITH page AS (${rows})
  SELECT a.id, a.status, a.version, COALESCE(f.type, 'PROMPT_TEMPLATE'::"IndicatorType") AS type,
         COALESCE(f.key_epoch, sf.key_epoch) AS "keyEpoch", encode(COALESCE(f.token, sf.digest), 'hex') AS token,
         COALESCE(f.external_ref, sf.external_ref) AS "externalRef", a.other_holders AS "otherHolderCount",
         a.match_kind AS "matchKind", a.similarity,
         ${hourOf('COALESCE(f.first_seen_at, sf.first_seen_at)')} AS "firstSeenAt",
         ${hourOf('COALESCE(f.last_seen_at, sf.last_seen_at)')} AS "lastSeenAt",
         COALESCE(f.disclosed_holders, sf.disclosed_holders, '{}') AS "disclosedHolders",
         COALESCE(f.confirmed_abuse, sf.confirmed_abuse, 0) AS "confirmedAbuse",
         COALESCE(f.false_positive, sf.false_positive, 0) AS "falsePositive",
         COALESCE(f.under_review, sf.under_review, 0) AS "underReview",
         a.verdict, a.verdict_note AS "verdictNote", a.acknowledged_at AS "acknowledgedAt",
         ${hourOf('a.created_at')} AS "createdAt", ${hourOf('a.updated_at')} AS "updatedAt", ${hourOf('a.closed_at')} AS "closedAt",
         a.close_reason AS "closeReason", to_char(a.last_observed_on, 'YYYY-MM-DD') AS "lastObservedOn",
         a.priority_rank - ((now() AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS priority, a.priority_rank AS "priorityRank"
    FROM page a
    LEFT JOIN alert_view_facts(ARRAY(SELECT id FROM page WHERE match_kind = 'EXACT')) f ON f.alert_id = a.id
    LEFT JOIN similar_alert_view_facts(ARRAY(SELECT id FROM page WHERE match_kind = 'SIMILAR')) sf ON sf.alert_id = a.id
   ORDER BY ${order}`;
}

/**
 * The alert's token type is $3 (alerts.type_code: the match's type,
 * PROMPT_TEMPLATE's for a SIMILAR alert). The code is computed in a
 * subquery, a value of its own: inlined into the condition, the function's
 * CASE over the enum counts as leaky, and row-level security would then keep
 * the condition out of the index scan.
 */
const OF_TYPE = `a.type_code = (SELECT indicator_type_code($3::"IndicatorType"))`;

/**
 * The list's filters, each off when its parameter is null: $2 status, $3
 * token type, $4 since (at the hour, as updatedAt is shown: a finer `since`
 * would find the exact time by bisection). `ofType`: $3 is given, and the
 * range is the member's alerts of that type (the member-and-type-code
 * indexes; a smallint, whose equality is leakproof, so row-level security
 * lets the index scan use it), so a member with few alerts of the type
 * reads only those.
 */
const listFilters = (ofType: boolean) => `a.member_id = $1::uuid
   AND ($2::"AlertStatus" IS NULL OR a.status = $2::"AlertStatus")
   AND ${ofType ? OF_TYPE : `($3::"IndicatorType" IS NULL OR ${OF_TYPE})`}
   AND ($4::timestamptz IS NULL OR a.updated_at >= ${hourOf('$4::timestamptz')})`;

type ListParams = [memberId: string, status: AlertStatus | null, type: IndicatorType | null, since: Date | null, limit: number];

/** The four page statements of the list: two orders, each a first and a later page. */
interface ListPages {
  /** The first page, newest first ($5 rows). */
  readonly first: Statement<ListParams, AlertRow>;
  /** A later page: the alerts after alert $6. The cursor names the last alert only; its exact created_at (another member's doing) stays here. */
  readonly after: Statement<[...ListParams, afterId: string], AlertRow>;
  /** The first page, highest priority first ($5 rows). */
  readonly byPriority: Statement<ListParams, AlertRow>;
  /**
   * A later page by priority: after rank $6 and alert $7. The rank, not the
   * shown priority: the rank does not move with the day, so a page read
   * tomorrow continues where today's ended.
   */
  readonly byPriorityAfter: Statement<[...ListParams, afterRank: number, afterId: string], AlertRow>;
}

/** The list's statements, named `alerts.page<suffix>` and so on; `ofType` as in listFilters. */
function listPages(suffix: string, ofType: boolean): ListPages {
  const where = listFilters(ofType);
  return {
    first: statement(
      `alerts.page${suffix}`,
      view(`
    SELECT ${ALERT_ROW} FROM alerts a
     WHERE ${where}
     ORDER BY ${NEWEST}
     LIMIT $5`),
    ),
    after: statement(
      `alerts.page${suffix}After`,
      view(`
    SELECT ${ALERT_ROW} FROM alerts a
     WHERE ${where}
       AND (a.created_at, a.id) < (SELECT c.created_at, c.id FROM alerts c WHERE c.id = $6::uuid AND c.member_id = $1::uuid)
     ORDER BY ${NEWEST}
     LIMIT $5`),
    ),
    byPriority: statement(
      `alerts.page${suffix}ByPriority`,
      view(
        `
    SELECT ${ALERT_ROW} FROM alerts a
     WHERE ${where}
     ORDER BY ${BY_PRIORITY}
     LIMIT $5`,
        BY_PRIORITY,
      ),
    ),
    byPriorityAfter: statement(
      `alerts.page${suffix}ByPriorityAfter`,
      view(
        `
    SELECT ${ALERT_ROW} FROM alerts a
     WHERE ${where}
       AND (a.priority_rank, a.id) < ($6::int, $7::uuid)
     ORDER BY ${BY_PRIORITY}
     LIMIT $5`,
        BY_PRIORITY,
      ),
    ),
  };
}

const allTypes = listPages('', false);
const ofType = listPages('OfType', true);

/** The first page of the member's alerts, newest first ($5 rows). */
export const alertsPage = allTypes.first;
/** A later page: the alerts after alert $6. */
export const alertsPageAfter = allTypes.after;
/** The first page of the member's alerts, highest priority first ($5 rows). */
export const alertsPageByPriority = allTypes.byPriority;
/** A later page by priority: after rank $6 and alert $7. */
export const alertsPageByPriorityAfter = allTypes.byPriorityAfter;
/** alertsPage of the alerts of type $3 (not null). */
export const alertsPageOfType = ofType.first;
/** alertsPageAfter of the alerts of type $3 (not null). */
export const alertsPageOfTypeAfter = ofType.after;
/** alertsPageByPriority of the alerts of type $3 (not null). */
export const alertsPageOfTypeByPriority = ofType.byPriority;
/** alertsPageByPriorityAfter of the alerts of type $3 (not null). */
export const alertsPageOfTypeByPriorityAfter = ofType.byPriorityAfter;

/** One alert of the member, by id ($1 member, $2 alert). */
export const alertById = statement<[memberId: string, id: string], AlertRow>(
  'alerts.byId',
  view(`SELECT ${ALERT_ROW} FROM alerts a WHERE a.id = $2::uuid AND a.member_id = $1::uuid`),
);

/** Several alerts of the member, by id ($1 member, $2 alert ids): one call of alert_view_facts for all of them. */
export const alertsByIds = statement<[memberId: string, ids: string[]], AlertRow>(
  'alerts.byIds',
  view(`SELECT ${ALERT_ROW} FROM alerts a WHERE a.id = ANY($2::uuid[]) AND a.member_id = $1::uuid`),
);

/** Records the member's verdict ($3) and note ($4) on its alert $2. */
export const recordVerdict = statement<[memberId: string, id: string, verdict: Verdict, note: string | null]>(
  'alerts.recordVerdict',
  `UPDATE alerts SET verdict = $3::"Verdict", verdict_note = $4, acknowledged_at = now()
    WHERE id = $2::uuid AND member_id = $1::uuid`,
);

/** The `alert.verdict_changed` event that announceVerdict writes at $1 and $2. */
export const verdictEvent = outboxEventSql('alert.verdict_changed', '$1', '$2');
/** Asks the worker to tell the match's other holders (AlertVerdictChanged); it announces nothing when the verdict is the one last announced. */
export const announceVerdict = statement<[topic: 'alert.verdict_changed', payload: string], { id: string }>(
  'alerts.announceVerdict',
  `WITH event AS (${verdictEvent.insert}) SELECT event.id FROM event, ${verdictEvent.notify}`,
);

/** A suppressed token as the list shows it, with its exact created_at as text for the cursor. */
/**
 * The keyset page of a token list (suppressions, quarantine), newest first:
 * `first` takes the first $1 rows, `after` the $1 rows after the cursor's
 * ($2 the instant as text, $3 type, $4 key epoch, $5 token hex).
 */
export interface TokenListPages<R> {
  readonly first: Statement<[limit: number], R>;
  readonly after: Statement<[limit: number, at: string, type: string, keyEpoch: string, tokenHex: string], R>;
}

/** A row of a token list with its instant's exact text (`cursorKey`) for the cursor. */
export type TokenListRow<T> = T & { cursorKey: string };

/** Both statements of a token list of `table` (`columns` selected), ordered by `instant` then the token's key. */
function tokenListPages<R>(name: string, table: string, columns: string, instant: string): TokenListPages<R> {
  const select = `SELECT type, key_epoch AS "keyEpoch", encode(token, 'hex') AS token, ${columns}, ${instant}::text AS "cursorKey"
    FROM ${table}`;
  const order = `ORDER BY ${instant} DESC, type::text DESC, key_epoch DESC, token DESC`;
  return {
    first: statement(`alerts.${name}Page`, `${select}\n   ${order}\n   LIMIT $1`),
    after: statement(
      `alerts.${name}PageAfter`,
      `${select}\n   WHERE (${instant}, type::text, key_epoch, token) < ($2::timestamptz, $3, $4, decode($5, 'hex'))\n   ${order}\n   LIMIT $1`,
    ),
  };
}

const suppressedTokens = tokenListPages<TokenListRow<SuppressedToken>>(
  'suppressedTokens',
  'suppressed_tokens',
  `reason, created_at AS "createdAt"`,
  'created_at',
);
/** The first $1 suppressed tokens, newest first. */
export const suppressedTokensPage = suppressedTokens.first;
/** The $1 suppressed tokens after the cursor's ($2 created_at as text, $3 type, $4 key epoch, $5 token hex). */
export const suppressedTokensPageAfter = suppressedTokens.after;

/** Takes token ($1 type, $2 key epoch, $3 token bytes) out of quarantine; returns the counts it was quarantined with. */
export const releaseQuarantined = statement<
  [type: IndicatorType, keyEpoch: string, token: Uint8Array],
  { falsePositives: number; confirmations: number }
>(
  'alerts.releaseQuarantined',
  `DELETE FROM quarantined_tokens WHERE type = $1::"IndicatorType" AND key_epoch = $2 AND token = $3
   RETURNING false_positives AS "falsePositives", confirmations`,
);

const quarantinedTokens = tokenListPages<TokenListRow<QuarantinedToken>>(
  'quarantinedTokens',
  'quarantined_tokens',
  `false_positives AS "falsePositives", confirmations, quarantined_at AS "quarantinedAt"`,
  'quarantined_at',
);
/** The first $1 quarantined tokens, newest first. */
export const quarantinedTokensPage = quarantinedTokens.first;
/** The $1 quarantined tokens after the cursor's ($2 quarantined_at as text, $3 type, $4 key epoch, $5 token hex). */
export const quarantinedTokensPageAfter = quarantinedTokens.after;
