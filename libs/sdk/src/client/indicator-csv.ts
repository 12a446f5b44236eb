import { CsvSyntaxError, parseCsv } from './csv.js';
import type { RawIndicatorRow, RowRefusal } from './hash-and-build.js';

/** Columns of an indicator CSV file; `type` and `value` are required, the others optional. */
export const INDICATOR_CSV_COLUMNS = [
  'type',
  'value',
  'observed_at',
  'expires_at',
  'confidence',
  'external_ref',
  'disclose_identity',
] as const;

type Column = (typeof INDICATOR_CSV_COLUMNS)[number];

const FIELD_OF: Record<Exclude<Column, 'type' | 'value'>, keyof RawIndicatorRow> = {
  observed_at: 'observedAt',
  expires_at: 'expiresAt',
  confidence: 'confidence',
  external_ref: 'externalRef',
  disclose_identity: 'discloseIdentity',
};

/** Rows of an indicator CSV file, ready for `hashAndBuild`, and the records that could not be read. */
export interface IndicatorCsv {
  readonly rows: RawIndicatorRow[];
  readonly refused: RowRefusal[];
  /** Data records in the file (blank lines and the header excluded). */
  readonly rowsRead: number;
}

/**
 * Reads an indicator CSV file: a header row naming the columns (any order, any case), then one
 * indicator per record. Empty optional cells mean "not given". Each row keeps its line number.
 * A malformed header or broken quoting throws CsvSyntaxError; a record with the wrong number of
 * fields is refused on its own.
 */
export function readIndicatorCsv(text: string): IndicatorCsv {
  const records = parseCsv(text);
  const first = records.next();
  if (first.done) throw new CsvSyntaxError(1, `the file is empty; expected a header row such as "type,value"`);
  const header = first.value;
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  for (const [position, name] of columns.entries()) {
    if (!(INDICATOR_CSV_COLUMNS as readonly string[]).includes(name)) {
      throw new CsvSyntaxError(
        header.line,
        `unknown column ${JSON.stringify(header.fields[position])} (columns: ${INDICATOR_CSV_COLUMNS.join(', ')})`,
      );
    }
    if (columns.indexOf(name) !== position) throw new CsvSyntaxError(header.line, `column ${JSON.stringify(name)} appears twice`);
  }
  for (const required of ['type', 'value']) {
    if (!columns.includes(required)) throw new CsvSyntaxError(header.line, `the header has no ${JSON.stringify(required)} column`);
  }

  const rows: RawIndicatorRow[] = [];
  const refused: RowRefusal[] = [];
  let rowsRead = 0;
  for (const { line, fields } of records) {
    const index = rowsRead++;
    if (fields.length !== columns.length) {
      refused.push({
        index,
        line,
        rule: 'csv.field-count',
        message: `row refused by rule csv.field-count: expected ${columns.length} fields as in the header, got ${fields.length}`,
      });
      continue;
    }
    const row: Record<string, unknown> = { line };
    columns.forEach((name, position) => {
      const cell = fields[position];
      if (name === 'type' || name === 'value') row[name] = cell;
      // Values keep their spaces (the canonicalizers decide what spacing means); metadata does not.
      else if (cell.trim() !== '') row[FIELD_OF[name as keyof typeof FIELD_OF]] = cell.trim();
    });
    rows.push(row as unknown as RawIndicatorRow);
  }
  return { rows, refused, rowsRead };
}
