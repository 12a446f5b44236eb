import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@app/config';
import { connectPg, type Statement } from '@app/database';

/**
 * Every statement of every `libs/<group>/<lib>/src/*.sql.ts`, prepared against the
 * migrated schema under its own name (as node-postgres prepares it at run
 * time), with its parameters and result columns compared with the types
 * declared next to it: a migration that renames or retypes a column a
 * statement uses fails here, naming the statement.
 */

const ROOT = resolve(import.meta.dirname, '..');

/** The statement modules, found rather than listed, so a library's new module is covered without editing this file. */
function statementModules(): { lib: string; file: string }[] {
  const libs = join(ROOT, 'libs');
  const groups = ['platform', 'federation'];
  const folders = [
    ...groups.flatMap((g) => readdirSync(join(libs, g)).map((lib) => ({ lib, dir: join(libs, g, lib) }))),
    ...readdirSync(libs)
      .filter((lib) => !groups.includes(lib))
      .map((lib) => ({ lib, dir: join(libs, lib) })),
  ];
  return folders.flatMap(({ lib, dir }) => {
    const src = join(dir, 'src');
    if (!existsSync(src)) return [];
    return readdirSync(src)
      .filter((name) => name.endsWith('.sql.ts'))
      .map((name) => ({ lib, file: join(src, name) }));
  });
}

interface Found {
  lib: string;
  file: string;
  exportName: string;
  statement: Statement<readonly unknown[], unknown>;
}

function isStatement(value: unknown): value is Statement<readonly unknown[], unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Statement<[], unknown>).name === 'string' &&
    typeof (value as Statement<[], unknown>).text === 'string'
  );
}

/** What PostgreSQL says of a statement once it is prepared. */
interface Described {
  parameterTypes: number[];
  columns: { name: string; typeId: number }[];
}

/**
 * Prepares `text` under `name` on `client` and describes it (Parse,
 * Describe, Sync of the extended protocol), without executing it.
 * node-postgres has no describe call of its own; it runs any object with
 * `submit` as its active query.
 */
function prepareAndDescribe(client: pg.Client, name: string, text: string): Promise<Described> {
  return new Promise((resolvePromise, reject) => {
    const described: Described = { parameterTypes: [], columns: [] };
    let failed = false;
    const connection = (client as unknown as { connection: pg.Connection & NodeJS.EventEmitter }).connection;
    const onParameters = (msg: { dataTypeIDs: number[] }) => (described.parameterTypes = msg.dataTypeIDs);
    const submittable = {
      submit(con: { parse(q: object): void; describe(q: object): void; sync(): void }) {
        connection.once('parameterDescription', onParameters);
        con.parse({ name, text, types: [] });
        con.describe({ type: 'S', name });
        con.sync();
      },
      handleRowDescription(msg: { fields: { name: string; dataTypeID: number }[] }) {
        described.columns = msg.fields.map((f) => ({ name: f.name, typeId: f.dataTypeID }));
      },
      handleError(error: Error) {
        failed = true;
        connection.removeListener('parameterDescription', onParameters);
        reject(error);
      },
      handleReadyForQuery() {
        if (!failed) resolvePromise(described);
      },
      handleDataRow() {},
      handleCommandComplete() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
    };
    client.query(submittable as unknown as pg.Submittable);
  });
}

interface PgType {
  name: string;
  category: string;
  elem: number;
}

/** The kinds of JavaScript value a column of this type arrives as (either driver), or undefined when any will do. */
function resultKinds(types: Map<number, PgType>, oid: number): string[] | undefined {
  const t = types.get(oid);
  if (!t) return undefined;
  if (t.category === 'A') return resultKinds(types, t.elem)?.map((k) => `${k}[]`);
  if (t.category === 'E') return ['string'];
  switch (t.name) {
    case 'bool':
      return ['boolean'];
    case 'int2':
    case 'int4':
    case 'float4':
    case 'float8':
    case 'oid':
      return ['number'];
    case 'int8':
      // node-postgres gives a string, Prisma a bigint; a number would be neither.
      return ['bigint', 'string'];
    case 'numeric':
      return ['number', 'string', 'object'];
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'char':
    case 'uuid':
      return ['string'];
    case 'timestamptz':
    case 'timestamp':
    case 'date':
      return ['Date'];
    case 'bytea':
      return ['bytes'];
    default:
      return undefined;
  }
}

/** The kinds of JavaScript value a parameter of this type accepts. */
function parameterKinds(types: Map<number, PgType>, oid: number): string[] | undefined {
  const t = types.get(oid);
  if (!t) return undefined;
  if (t.category === 'A') return parameterKinds(types, t.elem)?.map((k) => `${k}[]`);
  if (t.name === 'json' || t.name === 'jsonb') return undefined;
  if (t.name === 'int8') return ['number', 'bigint', 'string'];
  if (t.name === 'numeric') return ['number', 'string'];
  if (t.category === 'D') return ['Date', 'string'];
  return resultKinds(types, oid);
}

/** The declared parameter tuple and row type of each exported statement, read with the TypeScript compiler. */
class DeclaredTypes {
  private readonly checker: ts.TypeChecker;
  private readonly program: ts.Program;

  constructor(files: string[]) {
    const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path));
    const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
    this.program = ts.createProgram(files, { ...parsed.options, noEmit: true });
    this.checker = this.program.getTypeChecker();
  }

  /** [parameter kinds, row properties with their kinds] of `exportName` in `file`. */
  of(file: string, exportName: string): { params: (string[] | undefined)[]; row: Map<string, string[] | undefined> } {
    const source = this.program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not in the program`);
    const moduleSymbol = this.checker.getSymbolAtLocation(source)!;
    const symbol = this.checker.getExportsOfModule(moduleSymbol).find((s) => s.getName() === exportName);
    if (!symbol) throw new Error(`${exportName} is not exported by ${file}`);
    const type = this.checker.getTypeOfSymbolAtLocation(symbol, source);
    const typesProperty = type.getProperty('__types');
    if (!typesProperty) throw new Error(`${exportName} is not a Statement`);
    const pair = this.checker.getNonNullableType(this.checker.getTypeOfSymbolAtLocation(typesProperty, source));
    const [params, row] = this.checker.getTypeArguments(pair as ts.TypeReference);
    return {
      params: this.checker.getTypeArguments(params as ts.TypeReference).map((t) => this.kinds(t)),
      row: new Map(
        this.checker.getPropertiesOfType(row).map((p) => [p.getName(), this.kinds(this.checker.getTypeOfSymbolAtLocation(p, source))]),
      ),
    };
  }

  /** The kinds of value a type admits (null and undefined aside), or undefined for any. */
  private kinds(input: ts.Type, depth = 0): string[] | undefined {
    const t = this.checker.getNonNullableType(input);
    // Recursive types (JsonValue) admit anything a few levels down.
    if (depth > 4) return undefined;
    if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
    if (t.isUnion()) {
      const all = new Set<string>();
      for (const member of t.types) {
        const k = this.kinds(member, depth + 1);
        if (k === undefined) return undefined;
        k.forEach((x) => all.add(x));
      }
      return [...all];
    }
    if (t.flags & ts.TypeFlags.StringLike) return ['string'];
    if (t.flags & ts.TypeFlags.NumberLike) return ['number'];
    if (t.flags & ts.TypeFlags.BooleanLike) return ['boolean'];
    if (t.flags & ts.TypeFlags.BigIntLike) return ['bigint'];
    const name = t.getSymbol()?.getName();
    if (name === 'Array' || name === 'ReadonlyArray') {
      const [element] = this.checker.getTypeArguments(t as ts.TypeReference);
      return this.kinds(element, depth + 1)?.map((k) => `${k}[]`);
    }
    if (name === 'Date') return ['Date'];
    if (name === 'Buffer' || name === 'Uint8Array') return ['bytes'];
    return ['object'];
  }
}

const found: Found[] = [];
let client: pg.Client;
let types: Map<number, PgType>;

beforeAll(async () => {
  for (const { lib, file } of statementModules()) {
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(module)) {
      if (isStatement(value)) found.push({ lib, file, exportName, statement: value });
    }
  }
  // The tables' owner: parsing and planning check that every table, column,
  // type and function exists; privileges are checked when a statement runs
  // (test/row-level-security.test.ts covers those of the roles).
  client = await connectPg(loadConfig().database.url);
  const { rows } = await client.query<{ oid: number; name: string; category: string; elem: number }>(
    'SELECT oid::int AS oid, typname AS name, typcategory AS category, typelem::int AS elem FROM pg_type',
  );
  types = new Map(rows.map((r) => [r.oid, r]));
});

afterAll(async () => {
  await client?.end();
});

describe('SQL statements', () => {
  it('finds the statement modules of the libraries', () => {
    const libs = new Set(found.map((f) => f.lib));
    for (const lib of ['alerts', 'alert-stream', 'audit', 'auth', 'database', 'indicators', 'key-epochs', 'members', 'taxii', 'webhooks']) {
      expect(libs, lib).toContain(lib);
    }
  });

  it('names each statement <lib>.<what>, once, within PostgreSQL’s 63 bytes', () => {
    const problems: string[] = [];
    const seen = new Map<string, string>();
    for (const f of found) {
      const where = `${f.lib}/${f.exportName}`;
      if (!new RegExp(`^${f.lib}\\.[A-Za-z][A-Za-z0-9]*$`).test(f.statement.name))
        problems.push(`${where}: name "${f.statement.name}" is not ${f.lib}.<what>`);
      if (Buffer.byteLength(f.statement.name) > 63) problems.push(`${where}: name "${f.statement.name}" is longer than 63 bytes`);
      const other = seen.get(f.statement.name);
      if (other) problems.push(`${where}: name "${f.statement.name}" is also ${other}'s`);
      seen.set(f.statement.name, where);
    }
    expect(problems).toEqual([]);
  });

  it(
    'prepares every statement against the migrated schema, with the parameters and columns its types declare',
    { timeout: 180_000 },
    async () => {
      const declared = new DeclaredTypes([...new Set(found.map((f) => f.file))]);
      const problems: string[] = [];
      for (const f of found) {
        const { name, text } = f.statement;
        let described: Described;
        try {
          described = await prepareAndDescribe(client, name, text);
        } catch (error) {
          problems.push(`${name}: ${(error as Error).message}`);
          continue;
        }
        const { params, row } = declared.of(f.file, f.exportName);
        if (params.length !== described.parameterTypes.length) {
          problems.push(`${name}: declares ${params.length} parameters, PostgreSQL finds ${described.parameterTypes.length}`);
        } else {
          described.parameterTypes.forEach((oid, i) => {
            const allowed = parameterKinds(types, oid);
            const given = params[i];
            if (allowed && given && !given.every((k) => allowed.includes(k))) {
              problems.push(`${name}: parameter $${i + 1} is ${types.get(oid)?.name}, declared ${given.join(' | ')}`);
            }
          });
        }
        // A statement whose row type has no properties is run for its effect: its rows are not read.
        if (row.size === 0) continue;
        const columns = new Map(described.columns.map((c) => [c.name, c.typeId]));
        if (columns.size !== described.columns.length) problems.push(`${name}: two result columns share a name`);
        for (const column of columns.keys())
          if (!row.has(column)) problems.push(`${name}: returns column "${column}", which its row type lacks`);
        for (const [property, given] of row) {
          const oid = columns.get(property);
          if (oid === undefined) {
            problems.push(`${name}: its row type has "${property}", which it does not return`);
            continue;
          }
          const allowed = resultKinds(types, oid);
          if (allowed && given && !given.every((k) => allowed.includes(k))) {
            problems.push(
              `${name}: column "${property}" is ${types.get(oid)?.name}, arrives as ${allowed.join(' or ')}, declared ${given.join(' | ')}`,
            );
          }
        }
      }
      expect(problems).toEqual([]);
      expect(found.length).toBeGreaterThan(40);
    },
  );
});
