import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { pgRows, PrismaService, type SqlClient } from '@app/database';
import { IndicatorsService, type SubmissionResult } from '@app/indicators';
import {
  CLEAR_BUNDLE_TOKENS,
  INSERT_BUNDLE_TOKENS,
  LOCK_OWN_BUNDLES,
  OWN_BUNDLE_KEYS,
  QUEUE_LINKING,
  RELINK_EVENT,
  RETRACT_BUNDLES,
  RETRACT_EVENT,
  UPSERT_BUNDLES,
} from './campaigns.sql.js';
import type { SubmitBundlesInput } from './dto/submit-bundles.input.js';
import type { BundleRetractionResult } from './models/campaign.model.js';
import { bundlesHashMaterial, validateBundles, type CheckedBundle } from './validate-bundles.js';

const DAY_MS = 86_400_000;

/**
 * Stores and retracts a member's bundles. A bundle's tokens go through the
 * indicator submission (IndicatorsService.submit, with this service's work in
 * its transaction), so budgets, quotas, probing detection, key-epoch checks
 * and correlation apply to them exactly as to submitIndicators.
 */
@Injectable()
export class BundlesService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly indicators: IndicatorsService,
  ) {}

  /**
   * Stores a batch of bundles for `memberId`, all or nothing; a bundleRef the
   * member already has gets the new token set. `accepted` counts bundles new
   * or changed, `duplicates` those stored exactly as they were.
   */
  async submit(memberId: string, input: SubmitBundlesInput): Promise<SubmissionResult> {
    const { maxBundlesPerRequest, maxIndicatorsPerBundle } = this.config.campaigns;
    const flat = validateBundles(input.bundles, { maxBundles: maxBundlesPerRequest, maxIndicators: maxIndicatorsPerBundle });
    return this.indicators.submit(
      memberId,
      { idempotencyKey: input.idempotencyKey, indicators: flat.items },
      {
        hashMaterial: bundlesHashMaterial(flat.bundles),
        maxItems: maxBundlesPerRequest * maxIndicatorsPerBundle,
        fieldOf: (i) => flat.paths[i],
        within: (db, submissionId) => this.store(db, memberId, submissionId, flat.bundles),
      },
    );
  }

  /** Removes the member's bundles by ref; their campaigns are linked again (split or closed) by the worker. */
  async retract(memberId: string, bundleRefs: string[]): Promise<BundleRetractionResult> {
    const refs = [...new Set(bundleRefs)];
    return this.prisma.sqlAsMember(memberId, async (db) => {
      // The queue names the work; memberId in a payload would re-link all of the member's bundles (suspension).
      const [row] = await pgRows(db, RETRACT_BUNDLES, [memberId, refs, ...RETRACT_EVENT.values({})]);
      return { retracted: row.retracted };
    });
  }

  /**
   * In the submission's transaction: replaces the token sets of bundles that
   * changed, and queues for the linker the bundles stored, the campaigns they
   * were in, and the tokens they no longer hold.
   */
  private async store(
    db: SqlClient,
    memberId: string,
    submissionId: string,
    bundles: CheckedBundle[],
  ): Promise<{ accepted: number; duplicates: number }> {
    const existing = await pgRows(db, LOCK_OWN_BUNDLES, [memberId, bundles.map((b) => b.bundleRef)]);
    const byRef = new Map(existing.map((e) => [e.bundleRef, e]));
    const oldKeys = new Map<string, Set<string>>();
    if (existing.length) {
      for (const row of await pgRows(db, OWN_BUNDLE_KEYS, [memberId, existing.map((e) => e.id)])) {
        const set = oldKeys.get(row.bundleId) ?? new Set<string>();
        set.add(row.key);
        oldKeys.set(row.bundleId, set);
      }
    }
    const changed: CheckedBundle[] = [];
    const removed = new Set<string>();
    const oldCampaigns = new Set<string>();
    for (const bundle of bundles) {
      const prior = byRef.get(bundle.bundleRef);
      const priorKeys = prior ? (oldKeys.get(prior.id) ?? new Set<string>()) : undefined;
      const same =
        prior &&
        prior.observedAt.getTime() === bundle.observedAt.getTime() &&
        priorKeys!.size === bundle.keys.length &&
        bundle.keys.every((k) => priorKeys!.has(k));
      if (same) continue;
      changed.push(bundle);
      if (prior) {
        if (prior.campaignId) oldCampaigns.add(prior.campaignId);
        const now = new Set(bundle.keys);
        for (const k of priorKeys!) if (!now.has(k)) removed.add(k);
      }
    }
    if (changed.length === 0) return { accepted: 0, duplicates: bundles.length };

    const stored = await pgRows(db, UPSERT_BUNDLES, [
      memberId,
      submissionId,
      changed.map((b) => b.bundleRef),
      changed.map((b) => b.observedAt),
    ]);
    const idOf = new Map(stored.map((s) => [s.bundleRef, s.id]));
    const replaced = changed.map((b) => byRef.get(b.bundleRef)?.id).filter((id): id is string => id !== undefined);
    if (replaced.length) await pgRows(db, CLEAR_BUNDLE_TOKENS, [memberId, replaced]);

    const ttl = this.config.indicators.ttlDays;
    const nowMs = Date.now();
    const cols = { bundles: [] as string[], types: [] as string[], epochs: [] as string[], tokens: [] as string[], expires: [] as Date[] };
    const expiryOf = new Map<string, Date>();
    for (const bundle of changed) {
      const id = idOf.get(bundle.bundleRef)!;
      for (const key of bundle.keys) {
        const [type, epoch, token] = key.split(':');
        let expires = expiryOf.get(type);
        if (!expires) expiryOf.set(type, (expires = new Date(nowMs + ttl[type as keyof typeof ttl] * DAY_MS)));
        cols.bundles.push(id);
        cols.types.push(type);
        cols.epochs.push(epoch);
        cols.tokens.push(token);
        cols.expires.push(expires);
      }
    }
    await pgRows(db, INSERT_BUNDLE_TOKENS, [memberId, cols.bundles, cols.types, cols.epochs, cols.tokens, cols.expires]);

    const gone = [...removed].map((k) => k.split(':'));
    // The queue names the work; memberId in a payload would re-link all of the member's bundles (suspension).
    await pgRows(db, QUEUE_LINKING, [
      [...idOf.values()],
      [...oldCampaigns],
      gone.map((g) => g[0]),
      gone.map((g) => g[1]),
      gone.map((g) => g[2]),
      ...RELINK_EVENT.values({}),
    ]);
    return { accepted: changed.length, duplicates: bundles.length - changed.length };
  }
}
