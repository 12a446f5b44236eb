import { createHash } from 'node:crypto';
import { SigfedApiError, SigfedNetworkError, SUBMIT_INDICATORS, type IndicatorInput, type SubmissionResult } from '@app/sdk';
import type { Acknowledged } from './invariants.js';
import type { RunMember } from './members.js';

/** Shape of the load: per member, one batch every `intervalMs`. */
export interface LoadOptions {
  /** Distinguishes this run's tokens and idempotency keys from any other run's. */
  runId: string;
  batchSize: number;
  /** Items per batch drawn from tokens that 2 or 3 members share (the rest are the member's own). */
  sharedPerBatch: number;
  intervalMs: number;
  /** Every this many batches, the member retracts two of its shared tokens (0: never). */
  retractEvery?: number;
}

/** What the submitting side counted. */
export interface LoadStats {
  batches: number;
  items: number;
  retracted: number;
  /** Whole calls repeated (same idempotency key, same items) after the SDK's own retries gave up. */
  callRetries: number;
  /** Failed calls by cause (HTTP status or GraphQL code, or `network`). */
  failures: Record<string, number>;
  /** Answers that must never happen to a well-formed batch (refused input, idempotency conflict). */
  refused: string[];
}

const RETRACT = `mutation Retract($input: RetractIndicatorsInput!) { retractIndicators(input: $input) { retracted } }`;
const TYPES = ['ACCOUNT_SIGNAL', 'IP_RANGE'] as const;
/** Refusals that a retry cannot fix: a bug in the run or in the server. */
const FINAL_CODES = new Set(['BAD_USER_INPUT', 'CONFLICT', 'FORBIDDEN', 'NOT_FOUND', 'GRAPHQL_VALIDATION_FAILED']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A cheap deterministic integer hash, for spreading shared tokens over members. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h, 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Members submitting through the real API, each in its own loop, as labs
 * would: batches with a unique idempotency key, retried with the same key
 * and the same items until the API acknowledges them. Shared token j is
 * held by 2 or 3 members (chosen from j), so matches open, grow (alert
 * updates) and, with retractions, close.
 */
export class SubmissionLoad {
  readonly acknowledged = new Map<string, Acknowledged>();
  readonly stats: LoadStats = { batches: 0, items: 0, retracted: 0, callRetries: 0, failures: {}, refused: [] };
  private stopping = false;
  private loops: Promise<void>[] = [];
  private giveUpAt = Infinity;

  constructor(
    private readonly members: RunMember[],
    private readonly options: LoadOptions,
  ) {
    for (const m of members) this.acknowledged.set(m.id, { keys: new Set(), submissionIds: new Set(), accepted: 0, retracted: 0 });
  }

  /** Starts every member's loop. */
  start(): void {
    this.loops = this.members.map((m) => this.loop(m));
  }

  /**
   * Stops starting batches and waits for the ones in flight to be
   * acknowledged (retrying through whatever fault is still going on), for at
   * most `timeoutMs`; throws if one never was.
   */
  async stop(timeoutMs = 120_000): Promise<void> {
    this.stopping = true;
    this.giveUpAt = Date.now() + timeoutMs;
    await Promise.all(this.loops);
  }

  private holders(j: number): number[] {
    const n = this.members.length;
    const count = Math.min(n, 2 + (j % 2));
    return [...Array(n).keys()].sort((a, b) => mix(j, a) - mix(j, b)).slice(0, count);
  }

  private async loop(member: RunMember): Promise<void> {
    const o = this.options;
    let cursor = 0;
    const held: { j: number }[] = [];
    for (let batch = 0; !this.stopping; batch++) {
      const started = Date.now();
      const items: IndicatorInput[] = [];
      while (items.length < o.sharedPerBatch) {
        const j = cursor++;
        if (!this.holders(j).includes(member.index)) continue;
        items.push({ type: TYPES[j % 2], token: hex(`${o.runId}:shared:${j}`), keyEpoch: 'soak' });
        held.push({ j });
      }
      for (let i = items.length; i < o.batchSize; i++) {
        items.push({ type: TYPES[i % 2], token: hex(`${o.runId}:m${member.index}:b${batch}:${i}`), keyEpoch: 'soak' });
      }
      const key = `soak-${o.runId}-m${member.index}-b${batch}`;
      const result = await this.call<{ submitIndicators: SubmissionResult }>(member, SUBMIT_INDICATORS, {
        input: { idempotencyKey: key, indicators: items },
      });
      if (!result) return;
      const ack = this.acknowledged.get(member.id)!;
      ack.keys.add(key);
      ack.submissionIds.add(result.submitIndicators.submissionId);
      ack.accepted += result.submitIndicators.accepted;
      this.stats.batches++;
      this.stats.items += items.length;

      if (o.retractEvery && batch % o.retractEvery === o.retractEvery - 1 && held.length > 2) {
        for (const { j } of held.splice(0, 2)) {
          const answer = await this.call<{ retractIndicators: { retracted: number } }>(member, RETRACT, {
            input: { type: TYPES[j % 2], keyEpoch: 'soak', tokens: [hex(`${o.runId}:shared:${j}`)] },
          });
          if (!answer) return;
          ack.retracted = (ack.retracted ?? 0) + answer.retractIndicators.retracted;
          this.stats.retracted += answer.retractIndicators.retracted;
        }
      }
      const rest = o.intervalMs - (Date.now() - started);
      if (rest > 0 && !this.stopping) await sleep(rest);
    }
  }

  /** One mutation, repeated with the same variables until acknowledged; undefined if it was refused for good. */
  private async call<T>(member: RunMember, query: string, variables: Record<string, unknown>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await member.client.graphql<T>(query, variables);
      } catch (error) {
        const cause =
          error instanceof SigfedApiError
            ? (error.code ?? `HTTP ${error.status}`)
            : error instanceof SigfedNetworkError
              ? 'network'
              : 'other';
        this.stats.failures[cause] = (this.stats.failures[cause] ?? 0) + 1;
        if (FINAL_CODES.has(cause) || cause === 'other') {
          this.stats.refused.push(`${member.clientId}: ${(error as Error).message}`);
          return undefined;
        }
        if (Date.now() > this.giveUpAt)
          throw new Error(`a batch of member ${member.index + 1} was never acknowledged: ${(error as Error).message}`);
        this.stats.callRetries++;
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
