import { createHash } from 'node:crypto';

/**
 * The benchmark's data, made deterministic so that the SQL preload, the
 * server phases and the baseline phases agree on every token, and so that
 * the number of alerts each phase must produce is known in advance.
 *
 * Members 0..submitters-1 submit; the others ("passive" members) only hold
 * preloaded indicators, so that a submission can hit a token another lab
 * already holds. Preloaded row i (0-based) has token sha256(0x01 || i as
 * int64), owner member i % members and type TYPES[floor(i / members) % 4];
 * bench/database.ts generates exactly that in SQL.
 */

export const INDICATOR_TYPES = ['PAYMENT_FINGERPRINT', 'IP_RANGE', 'PROMPT_TEMPLATE', 'ACCOUNT_SIGNAL'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/** The key epoch of every bench token. */
export const BENCH_EPOCH = 'bench-1';

/** The server's default lifetimes (TTL_DAYS_*), which the baseline applies the same way. */
export const DEFAULT_TTL_DAYS: Record<IndicatorType, number> = {
  PAYMENT_FINGERPRINT: 180,
  IP_RANGE: 30,
  PROMPT_TEMPLATE: 90,
  ACCOUNT_SIGNAL: 90,
};

/** What an item is for; decides which alerts it must cause. */
export type ItemKind = 'new' | 'shared' | 'hit' | 'refresh';

/**
 * Per 100 items of a batch: how many every submitter sends in the same
 * phase (each such token ends with one alert per submitter), how many hit a
 * token a passive member holds (two alerts each), and how many re-send the
 * member's own stored tokens (no alert; counted as duplicates). The rest are
 * new tokens nobody else holds.
 */
export interface Mix {
  shared: number;
  hit: number;
  refresh: number;
}

/** 1% shared, 1% hits on stored tokens, 5% refreshes, 93% new. */
export const INGEST_MIX: Mix = { shared: 1, hit: 1, refresh: 5 };
/** For latency, every alert must come from exactly one submission: no shared tokens. */
export const LATENCY_MIX: Mix = { shared: 0, hit: 1, refresh: 5 };

/** One indicator as the benchmark sends it (GraphQL IndicatorInput fields). */
export interface WorkItem {
  kind: ItemKind;
  type: IndicatorType;
  /** 64 lowercase hex characters. */
  token: string;
  observedAt: string;
  confidence: number;
  externalRef?: string;
}

/** One submitIndicators call. */
export interface Batch {
  member: number;
  index: number;
  idempotencyKey: string;
  items: WorkItem[];
}

/** What a phase must produce once correlation has caught up. */
export interface Expected {
  items: number;
  /** accepted + duplicates = items; refreshes are duplicates, everything else is accepted. */
  accepted: number;
  duplicates: number;
  matches: number;
  alerts: number;
}

/** One measured phase: each submitter's batches, in order. */
export interface Workload {
  phase: number;
  label: string;
  batchSize: number;
  /** batches[m] are submitter m's batches. */
  batches: Batch[][];
  expected: Expected;
}

/** Options of one phase. */
export interface PhasePlan {
  label: string;
  batchSize: number;
  batchesPerMember: number;
  mix: Mix;
  /** Preloaded rows that exist (indices 0..preloaded-1). */
  preloaded: number;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Token of preloaded row i, as the SQL preload computes it: sha256('\x01' || int8send(i)). */
export function preloadToken(i: number): string {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(i));
  return sha256(Buffer.from([1]), b).toString('hex');
}

/** Type of preloaded row i. */
export function preloadType(i: number, members: number): IndicatorType {
  return INDICATOR_TYPES[Math.floor(i / members) % INDICATOR_TYPES.length];
}

/** Owner (member index) of preloaded row i. */
export function preloadOwner(i: number, members: number): number {
  return i % members;
}

/** A cheap deterministic spread over [0, n): which stored token a refresh re-sends. */
function spread(n: number, ...keys: number[]): number {
  return sha256(...keys.map(int32)).readUInt32BE(0) % n;
}

/**
 * Plans phases. Hits use each passive member's stored tokens at most once in
 * the whole run (a counter shared by every phase), so every hit makes a new
 * match; a server phase and its baseline twin use the same plan.
 */
export class WorkloadPlanner {
  private phase = 0;
  private nextHit = 0;
  private readonly observedAt = new Date(Date.now() - 3_600_000).toISOString();

  constructor(
    readonly submitters: number,
    readonly members: number,
  ) {
    if (submitters < 2 || submitters >= members) throw new Error('need at least 2 submitters and 1 passive member');
  }

  plan(options: PhasePlan): Workload {
    const phase = ++this.phase;
    const { batchSize, batchesPerMember, mix, preloaded } = options;
    const passive = this.members - this.submitters;
    const storedPerMember = Math.floor(preloaded / this.members);
    if (storedPerMember < 2) throw new Error('preload too small for refreshes');
    const batches: Batch[][] = [];
    const expected: Expected = { items: 0, accepted: 0, duplicates: 0, matches: 0, alerts: 0 };

    for (let m = 0; m < this.submitters; m++) {
      const own: Batch[] = [];
      for (let b = 0; b < batchesPerMember; b++) {
        const items: WorkItem[] = new Array(batchSize);
        for (let j = 0; j < batchSize; j++) {
          const slot = j % 100;
          let item: WorkItem;
          if (slot < mix.shared) {
            const token = sha256(Buffer.from([3]), int32(phase), int32(b), int32(j)).toString('hex');
            item = this.item('shared', INDICATOR_TYPES[j % 4], token, j);
            if (m === 0) {
              expected.matches += 1;
              expected.alerts += this.submitters;
            }
          } else if (slot < mix.shared + mix.hit) {
            const h = this.nextHit++;
            const owner = this.submitters + (h % passive);
            const i = h * this.members + owner;
            if (i >= preloaded) throw new Error(`not enough preloaded rows for ${h + 1} hits`);
            item = this.item('hit', preloadType(i, this.members), preloadToken(i), j);
            expected.matches += 1;
            expected.alerts += 2;
          } else if (slot < mix.shared + mix.hit + mix.refresh) {
            const i = spread(storedPerMember - 1, phase, m, b, j) * this.members + m;
            item = this.item('refresh', preloadType(i, this.members), preloadToken(i), j);
          } else {
            const token = sha256(Buffer.from([2]), int32(phase), int32(m), int32(b), int32(j)).toString('hex');
            item = this.item('new', INDICATOR_TYPES[j % 4], token, j);
          }
          items[j] = item;
          expected.items += 1;
          if (item.kind === 'refresh') expected.duplicates += 1;
          else expected.accepted += 1;
        }
        own.push({ member: m, index: b, idempotencyKey: `bench-${phase}-${m}-${b}`, items });
      }
      batches.push(own);
    }
    return { phase, label: options.label, batchSize, batches, expected };
  }

  private item(kind: ItemKind, type: IndicatorType, token: string, j: number): WorkItem {
    const item: WorkItem = { kind, type, token, observedAt: this.observedAt, confidence: 50 + (j % 50) };
    // One in ten carries the member's own case reference, as integrations do.
    if (j % 10 === 0) item.externalRef = `case-${j}`;
    return item;
  }
}

/** One IndicatorInput as sent in GraphQL variables. */
export type IndicatorVariables = Omit<WorkItem, 'kind'> & { keyEpoch: string };

/** The GraphQL variables of one batch: the items without the bench's bookkeeping. */
export function submitVariables(batch: Batch): { input: { idempotencyKey: string; indicators: IndicatorVariables[] } } {
  return {
    input: {
      idempotencyKey: batch.idempotencyKey,
      indicators: batch.items.map((item) => {
        const out: IndicatorVariables = {
          type: item.type,
          token: item.token,
          keyEpoch: BENCH_EPOCH,
          observedAt: item.observedAt,
          confidence: item.confidence,
        };
        if (item.externalRef !== undefined) out.externalRef = item.externalRef;
        return out;
      }),
    },
  };
}
