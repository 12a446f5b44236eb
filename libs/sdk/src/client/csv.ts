/** One CSV record and the line it starts on (1-based), for messages that point into the file. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

/** The text is not valid CSV; `line` is where the problem starts. */
export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';

  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

const LINE_BREAK = /\r\n|\r|\n/g;

/**
 * Reads RFC 4180 CSV: fields separated by commas; a field in double quotes may hold commas,
 * line breaks and doubled quotes (`""` is one `"`); records end with CRLF, LF or CR. Beyond the
 * RFC, a leading byte-order mark is skipped, blank lines are skipped, and a quote inside an
 * unquoted field is kept as text (prompt templates are full of them). Text after a closing
 * quote is an error, since no reading of it is obviously right.
 */
export function* parseCsv(text: string): Generator<CsvRecord> {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      if (text.charCodeAt(i) === 0x22 /* " */) {
        quotedAny = true;
        const opened = line;
        let value = '';
        i++;
        for (;;) {
          const quote = text.indexOf('"', i);
          if (quote === -1) throw new CsvSyntaxError(opened, 'a quoted field is never closed');
          const chunk = text.slice(i, quote);
          line += chunk.match(LINE_BREAK)?.length ?? 0;
          value += chunk;
          if (text.charCodeAt(quote + 1) === 0x22) {
            value += '"';
            i = quote + 2;
          } else {
            i = quote + 1;
            break;
          }
        }
        const next = text.charCodeAt(i);
        if (i < n && next !== 0x2c && next !== 0x0a && next !== 0x0d) {
          throw new CsvSyntaxError(line, 'unexpected text after a closing quote (inside quotes, write a quote as "")');
        }
        fields.push(value);
      } else {
        let end = i;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === 0x2c || c === 0x0a || c === 0x0d) break;
          end++;
        }
        fields.push(text.slice(i, end));
        i = end;
      }
      if (text.charCodeAt(i) !== 0x2c /* , */) break;
      i++;
    }
    if (text.charCodeAt(i) === 0x0d) i++;
    if (text.charCodeAt(i) === 0x0a) i++;
    line++;
    if (fields.length === 1 && fields[0] === '' && !quotedAny) continue;
    yield { line: start, fields };
  }
}
