import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

type Settings = object;
type SettingsClass<T extends Settings = Settings> = new () => T;

/** Per settings class: property -> the environment variable it reads, and property -> nested settings class. */
const variables = new Map<object, Map<string, string>>();
const nested = new Map<object, Map<string, () => SettingsClass>>();
const allNames = new Set<string>();

function entry<V>(registry: Map<object, Map<string, V>>, prototype: object): Map<string, V> {
  let map = registry.get(prototype);
  if (!map) registry.set(prototype, (map = new Map()));
  return map;
}

/** Declares the environment variable a settings property reads (its rule is the class-validator decorators beside it). */
export function Env(name: string): PropertyDecorator {
  return (prototype, property) => {
    if (allNames.has(name)) throw new Error(`environment variable ${name} is declared twice`);
    allNames.add(name);
    entry(variables, prototype).set(String(property), name);
  };
}

/** Declares a property that holds settings of its own (a nested section of AppConfig). */
export function Nested(settings: () => SettingsClass): PropertyDecorator {
  return (prototype, property) => {
    entry(nested, prototype).set(String(property), settings);
  };
}

/** Every environment variable a settings class declares, as loaded so far (all of them once config.schema.ts is). */
export function environmentVariableNames(): string[] {
  return [...allNames];
}

function describe(error: ValidationError, names: Map<string, string>): string[] {
  const name = names.get(error.property) ?? error.property;
  return Object.values(error.constraints ?? {}).map((rule) => {
    if (rule.startsWith(name)) return rule;
    if (rule.startsWith(`${error.property} `)) return name + rule.slice(error.property.length);
    return `${name}: ${rule}`;
  });
}

/**
 * Reads one settings class (and its nested ones) from the environment:
 * empty strings count as unset, so that `FOO=` in a .env file falls back to
 * the default; every problem is named by its variable. A class's `finish()`
 * derives what depends on several of its variables, and may report problems.
 */
export function readSettings<T extends Settings>(
  settings: SettingsClass<T>,
  source: Record<string, string | undefined>,
): { value: T; problems: string[] } {
  const names = variables.get(settings.prototype) ?? new Map<string, string>();
  const plain: Record<string, string> = {};
  for (const [property, name] of names) {
    const value = source[name];
    if (value !== undefined && value !== '') plain[property] = value;
  }
  const value = plainToInstance(settings, plain, { exposeDefaultValues: true });
  const problems = validateSync(value, { forbidUnknownValues: false }).flatMap((error) => describe(error, names));
  for (const [property, inner] of nested.get(settings.prototype) ?? []) {
    const read = readSettings(inner(), source);
    (value as Record<string, unknown>)[property] = read.value;
    problems.push(...read.problems);
  }
  const finish = (value as { finish?: () => string[] | void }).finish;
  if (problems.length === 0 && finish) problems.push(...(finish.call(value) ?? []));
  return { value, problems };
}

export const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
export const toFloat = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : value;
export const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

/** The Postgres roles the API and worker roles connect as (created by the row-level security migration). */
export const DATABASE_ROLE_NAMES = { api: 'sigfed_api', worker: 'sigfed_worker' } as const;

/** `url` with its user replaced by `user` and no password: a role's URL on a server with trust or peer auth. */
export function urlForUser(url: string, user: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = '';
  return parsed.toString();
}
