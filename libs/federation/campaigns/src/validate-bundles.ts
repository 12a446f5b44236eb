import { formatCharacterIn, InputValidationError, PLAIN_TEXT_RULE, plainTextMessage, type FieldProblem } from '@app/common';
import type { IndicatorInput } from '@app/indicators';
import { KEY_EPOCH_PATTERN } from '@app/sdk';
import type { BundleInput } from './dto/submit-bundles.input.js';

/** Limits from AppConfig.campaigns. */
export interface BundleRules {
  maxBundles: number;
  maxIndicators: number;
}

/** A checked bundle: its distinct token keys (`TYPE:epoch:hex`) in input order. */
export interface CheckedBundle {
  bundleRef: string;
  observedAt: Date;
  keys: string[];
}

/** The call flattened for the indicator submission: one item per distinct token, and where each came from. */
export interface FlatIndicators {
  bundles: CheckedBundle[];
  items: IndicatorInput[];
  paths: string[];
}

const FUTURE_SKEW_MS = 5 * 60_000;
// Printable text only: a ref is shown back to its owner, never interpreted.
const BUNDLE_REF = /^[^\p{Cc}\p{Cs}]{1,256}$/u;

/**
 * Checks every bundle in one pass, reporting each problem with its path
 * (`bundles.3.bundleRef`), and flattens the call into the indicators the
 * member thereby holds: a token seen in several bundles is one indicator,
 * observed at the latest of their times. Key epochs, tokens and types are
 * checked by the indicator submission it goes through.
 */
export function validateBundles(bundles: readonly BundleInput[], rules: BundleRules, now = new Date()): FlatIndicators {
  if (bundles.length === 0) {
    throw new InputValidationError([{ field: 'bundles', rule: 'arrayMinSize', message: 'bundles must contain at least 1 bundle' }]);
  }
  if (bundles.length > rules.maxBundles) {
    throw new InputValidationError([
      {
        field: 'bundles',
        rule: 'arrayMaxSize',
        message: `bundles must contain at most ${rules.maxBundles} bundles (got ${bundles.length}); split the batch`,
      },
    ]);
  }
  const problems: FieldProblem[] = [];
  const bad = (field: string, rule: string, message: string) => problems.length < 1000 && problems.push({ field, rule, message });
  const seenRefs = new Set<string>();
  const checked: CheckedBundle[] = [];
  const flat = new Map<string, { item: IndicatorInput; path: string }>();
  bundles.forEach((bundle, b) => {
    if (!BUNDLE_REF.test(bundle.bundleRef)) bad(`bundles.${b}.bundleRef`, 'printable', 'bundleRef must be 1-256 printable characters');
    else {
      const found = formatCharacterIn(bundle.bundleRef);
      if (found) bad(`bundles.${b}.bundleRef`, PLAIN_TEXT_RULE, plainTextMessage('bundleRef', found));
    }
    if (seenRefs.has(bundle.bundleRef))
      bad(`bundles.${b}.bundleRef`, 'unique', 'bundleRef appears twice in this call; send each account once');
    seenRefs.add(bundle.bundleRef);
    if (bundle.observedAt.getTime() > now.getTime() + FUTURE_SKEW_MS) {
      bad(`bundles.${b}.observedAt`, 'notInFuture', 'observedAt must not be more than 5 minutes in the future');
    }
    if (bundle.indicators.length === 0) bad(`bundles.${b}.indicators`, 'arrayMinSize', 'indicators must contain at least 1 item');
    if (bundle.indicators.length > rules.maxIndicators) {
      bad(
        `bundles.${b}.indicators`,
        'arrayMaxSize',
        `indicators must contain at most ${rules.maxIndicators} items (BUNDLE_MAX_INDICATORS)`,
      );
    }
    const keys = new Set<string>();
    bundle.indicators.forEach((indicator, i) => {
      if (!KEY_EPOCH_PATTERN.test(indicator.keyEpoch)) {
        bad(`bundles.${b}.indicators.${i}.keyEpoch`, 'matches', 'keyEpoch must match ^[a-z0-9][a-z0-9._-]{0,31}$');
      }
      const key = `${indicator.type}:${indicator.keyEpoch}:${indicator.token}`;
      keys.add(key);
      const prior = flat.get(key);
      if (!prior) {
        flat.set(key, {
          item: { type: indicator.type, keyEpoch: indicator.keyEpoch, token: indicator.token, observedAt: bundle.observedAt },
          path: `bundles.${b}.indicators.${i}`,
        });
      } else if (prior.item.observedAt! < bundle.observedAt) prior.item.observedAt = bundle.observedAt;
    });
    checked.push({ bundleRef: bundle.bundleRef, observedAt: bundle.observedAt, keys: [...keys] });
  });
  if (problems.length) throw new InputValidationError(problems);
  const entries = [...flat.values()];
  return { bundles: checked, items: entries.map((e) => e.item), paths: entries.map((e) => e.path) };
}

/** What identifies the call's bundles beyond its indicators, for the idempotency check. */
export function bundlesHashMaterial(bundles: readonly CheckedBundle[]): string {
  return bundles.map((b) => `${b.bundleRef}\u0001${b.observedAt.toISOString()}\u0001${b.keys.join(',')}`).join('\u0002');
}
