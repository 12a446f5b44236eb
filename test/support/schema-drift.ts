import prismaInternals from '@prisma/internals';
import type pg from 'pg';

/**
 * Compares the model in schema.prisma with a migrated database: tables,
 * columns, types, nullability and indexes (primary, unique, plain, with sort
 * order). Names of constraints are not compared; shapes are.
 */

export interface SchemaShape {
  /** "table.column" -> "type NOT NULL" */
  columns: Map<string, string>;
  /** "table kind(col1,col2 DESC)" */
  indexes: Set<string>;
}

type NativeType = [string, string[]] | null | undefined;

const SCALARS: Record<string, string> = {
  String: 'text',
  Int: 'integer',
  BigInt: 'bigint',
  Boolean: 'boolean',
  DateTime: 'timestamp(3) without time zone',
  Float: 'double precision',
  Decimal: 'numeric(65,30)',
  Json: 'jsonb',
  Bytes: 'bytea',
};

const NATIVE: Record<string, (args: string[]) => string> = {
  VarChar: ([n]) => (n ? `character varying(${n})` : 'character varying'),
  Char: ([n]) => `character(${n ?? 1})`,
  Text: () => 'text',
  Uuid: () => 'uuid',
  SmallInt: () => 'smallint',
  Integer: () => 'integer',
  BigInt: () => 'bigint',
  Timestamptz: ([p]) => `timestamp(${p ?? 6}) with time zone`,
  Timestamp: ([p]) => `timestamp(${p ?? 6}) without time zone`,
  Date: () => 'date',
  ByteA: () => 'bytea',
  JsonB: () => 'jsonb',
  Json: () => 'json',
  Inet: () => 'inet',
  Cidr: () => 'cidr',
  Boolean: () => 'boolean',
};

function pgType(field: { kind: string; type: string; nativeType?: NativeType; isList: boolean }): string {
  let base: string;
  if (field.kind === 'enum') base = /^[a-z_][a-z0-9_]*$/.test(field.type) ? field.type : `"${field.type}"`;
  else if (field.nativeType) {
    const [name, args] = field.nativeType;
    const map = NATIVE[name];
    if (!map) throw new Error(`schema-drift: add native type @db.${name} to the mapping`);
    base = map(args);
  } else base = SCALARS[field.type] ?? field.type;
  return field.isList ? `${base}[]` : base;
}

/** The shape schema.prisma describes. */
export async function expectedShape(datamodel: string): Promise<SchemaShape> {
  const dmmf = await prismaInternals.getDMMF({ datamodel });
  const columns = new Map<string, string>();
  const tables = new Map<string, { table: string; column: (field: string) => string }>();
  for (const model of dmmf.datamodel.models) {
    const table = model.dbName ?? model.name;
    const byName = new Map(model.fields.map((f) => [f.name, f.dbName ?? f.name]));
    tables.set(model.name, { table, column: (f) => byName.get(f) ?? f });
    for (const field of model.fields) {
      if (field.kind === 'object') continue;
      // Prisma maps scalar lists to nullable array columns.
      const notNull = field.isRequired && !field.isList;
      columns.set(`${table}.${field.dbName ?? field.name}`, `${pgType(field as never)}${notNull ? ' NOT NULL' : ''}`);
    }
  }
  const indexes = new Set<string>();
  for (const index of dmmf.datamodel.indexes) {
    const t = tables.get(index.model);
    if (!t) continue;
    const kind = index.type === 'id' ? 'PRIMARY' : index.type === 'unique' ? 'UNIQUE' : 'INDEX';
    const cols = index.fields.map((f) => `${t.column(f.name)}${f.sortOrder === 'desc' ? ' DESC' : ''}`);
    indexes.add(`${t.table} ${kind}(${cols.join(',')})`);
  }
  return { columns, indexes };
}

/** The shape a live database has (public schema, Prisma's ledger left out). */
export async function actualShape(client: pg.Client): Promise<SchemaShape> {
  const columns = new Map<string, string>();
  const { rows: cols } = await client.query<{ t: string; c: string; type: string; notnull: boolean }>(`
    SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
       AND c.relname <> '_prisma_migrations' AND NOT c.relispartition`);
  for (const row of cols) columns.set(`${row.t}.${row.c}`, `${row.type}${row.notnull ? ' NOT NULL' : ''}`);

  const indexes = new Set<string>();
  const { rows: idx } = await client.query<{ t: string; primary: boolean; unique: boolean; cols: string[] }>(`
    SELECT c.relname AS t, i.indisprimary AS primary, i.indisunique AS unique,
           array_agg(a.attname || CASE WHEN (i.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END
                     ORDER BY k.ord) AS cols
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
     WHERE n.nspname = 'public' AND c.relname <> '_prisma_migrations' AND NOT c.relispartition
     GROUP BY c.relname, i.indexrelid, i.indisprimary, i.indisunique`);
  for (const row of idx) {
    const kind = row.primary ? 'PRIMARY' : row.unique ? 'UNIQUE' : 'INDEX';
    indexes.add(`${row.t} ${kind}(${row.cols.join(',')})`);
  }
  return { columns, indexes };
}

/** Every difference, in words; empty when the two agree. */
export function diffShapes(expected: SchemaShape, actual: SchemaShape): string[] {
  const problems: string[] = [];
  for (const [column, type] of expected.columns) {
    const found = actual.columns.get(column);
    if (found === undefined) problems.push(`column ${column} is in schema.prisma but no migration creates it`);
    else if (found !== type) problems.push(`column ${column}: schema.prisma says ${type}, migrations made ${found}`);
  }
  for (const column of actual.columns.keys()) {
    if (!expected.columns.has(column)) problems.push(`column ${column} exists in the database but not in schema.prisma`);
  }
  for (const index of expected.indexes) {
    if (!actual.indexes.has(index)) problems.push(`index ${index} is in schema.prisma but not in the database`);
  }
  for (const index of actual.indexes) {
    if (!expected.indexes.has(index)) problems.push(`index ${index} exists in the database but not in schema.prisma`);
  }
  return problems;
}
