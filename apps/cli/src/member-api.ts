import { Option, type Command } from 'commander';
import { SigfedApiError, SigfedClient } from '@app/sdk';
import { CliFailure, EXIT_REFUSED, reportFailures } from './commands/hash.command.js';
import { loadCredentials } from './commands/hash.command.js';

/** The options every command that calls the API takes. */
export interface ApiOptions {
  credentials?: string;
  server?: string;
  json?: boolean;
}

/** Adds `--credentials` (or SIGFED_CREDENTIALS), `--server` and `--json`. */
export function addApiOptions(command: Command, who = 'your'): Command {
  return command
    .addOption(new Option('--credentials <path>', `${who} credentials JSON`).env('SIGFED_CREDENTIALS'))
    .option('--server <url>', "server address (default: the credentials' issuer)")
    .option('--json', 'print the result as JSON (one object, or one object per line for lists)');
}

/** The client for the credentials file named by --credentials or SIGFED_CREDENTIALS. */
export function clientOf(options: ApiOptions): SigfedClient {
  if (!options.credentials) throw new CliFailure('--credentials <path> (or SIGFED_CREDENTIALS) is required');
  return SigfedClient.fromCredentials(loadCredentials(options.credentials), { baseUrl: options.server });
}

/**
 * Runs one GraphQL operation. A refusal becomes one line naming the
 * server's message, code and reason (exit status 2).
 */
export async function call<T>(client: SigfedClient, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  try {
    return await client.graphql<T>(query, variables);
  } catch (error) {
    if (!(error instanceof SigfedApiError) || error.errors.length === 0) throw error;
    const [first] = error.errors;
    const tags = [first.extensions?.code, first.extensions?.reason].filter((tag) => typeof tag === 'string');
    throw new CliFailure(`${first.message}${tags.length ? ` (${tags.join(', ')})` : ''}`, EXIT_REFUSED);
  }
}

/** Prints `value` as JSON with --json, else the human lines `text` gives. */
export function print(options: ApiOptions, value: unknown, text: () => string[]): void {
  if (options.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  else for (const line of text()) process.stdout.write(`${line}\n`);
}

/** Prints a list: one JSON object per line with --json, else one `row` per item and a count on stderr. */
export function printList<T>(options: ApiOptions, items: readonly T[], row: (item: T) => string, noun: string): void {
  for (const item of items) process.stdout.write(`${options.json ? JSON.stringify(item) : row(item)}\n`);
  if (!options.json) process.stderr.write(`${items.length} ${noun}(s)\n`);
}

/** `label  value` lines, labels padded to one column. */
export function fields(pairs: [string, unknown][]): string[] {
  const width = Math.max(...pairs.map(([label]) => label.length)) + 2;
  return pairs.map(([label, value]) => `${label.padEnd(width)}${value === null || value === undefined ? '-' : String(value)}`);
}

/** The action of an API command: failures become one line on stderr and an exit status (docs/member-cli.md). */
export function apiAction<A extends unknown[]>(name: string, action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return (...args: A) => reportFailures(name, () => action(...args));
}

/** A whole number from `min` to `max`, or a CliFailure naming the option. */
export function wholeNumber(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new CliFailure(`${option} must be a whole number from ${min} to ${max}`);
  return value;
}

/** One page of a Relay connection, as the CLI's queries select it. */
export interface Page<T> {
  edges: { node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Reads every item of a Relay connection, at most `limit`. */
export async function allPages<T>(fetchPage: (after: string | null) => Promise<Page<T>>, limit = Infinity): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    items.push(...page.edges.map((edge) => edge.node));
    if (items.length >= limit || !page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return items.slice(0, limit);
    after = page.pageInfo.endCursor;
  }
}
