import type { FieldProblem } from './input-validation.error.js';

/**
 * NUL, which PostgreSQL text cannot store, and UTF-16 surrogates without
 * their pair, which are not Unicode: jsonb refuses their escapes and
 * encoders replace them, so neither can be stored as sent.
 */
const ILL_FORMED = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Most problems reported for one argument. */
const MAX_PROBLEMS = 20;

/**
 * Rule `wellFormedText`: every string in `value` (at any depth, walked
 * without recursion) must be Unicode text without NUL. Returns one problem
 * per offending string, its field path relative to `argument` (the
 * argument's name, which InputValidationError.under prefixes).
 */
export function illFormedTextProblems(value: unknown, argument?: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: [unknown, string][] = [[value, '']];
  const seen = new Set<object>();
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (ILL_FORMED.test(current)) {
        problems.push({
          field: path,
          rule: 'wellFormedText',
          message: `${path || argument || 'value'} must be Unicode text without NUL (U+0000) characters or unpaired surrogates`,
        });
      }
    } else if (current !== null && typeof current === 'object' && !seen.has(current)) {
      seen.add(current);
      for (const [key, item] of Object.entries(current)) stack.push([item, path ? `${path}.${key}` : key]);
    }
  }
  return problems;
}
