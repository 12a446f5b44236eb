import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv } from './csv.js';

const parse = (text: string) => [...parseCsv(text)];

describe('parseCsv', () => {
  it('reads plain records with LF, CRLF or CR line ends, with or without a final line break', () => {
    const expected = [
      { line: 1, fields: ['type', 'value'] },
      { line: 2, fields: ['IP_RANGE', '1.2.3.4'] },
    ];
    expect(parse('type,value\nIP_RANGE,1.2.3.4\n')).toEqual(expected);
    expect(parse('type,value\r\nIP_RANGE,1.2.3.4\r\n')).toEqual(expected);
    expect(parse('type,value\rIP_RANGE,1.2.3.4')).toEqual(expected);
    expect(parse('type,value\nIP_RANGE,1.2.3.4')).toEqual(expected);
  });

  it('reads quoted fields holding commas, doubled quotes and line breaks, and counts lines across them', () => {
    const text = 'a,b\r\n"x, y","say ""hi"""\r\n"two\r\nlines",z\r\nlast,"multi\nline\nvalue"\nafter,1\n';
    expect(parse(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['two\r\nlines', 'z'] },
      { line: 5, fields: ['last', 'multi\nline\nvalue'] },
      { line: 8, fields: ['after', '1'] },
    ]);
  });

  it('keeps empty fields, including a trailing one and an empty quoted one', () => {
    expect(parse('a,,c,\n"",x\n')).toEqual([
      { line: 1, fields: ['a', '', 'c', ''] },
      { line: 2, fields: ['', 'x'] },
    ]);
  });

  it('skips blank lines but keeps a record that is one quoted empty field', () => {
    expect(parse('a\n\n\r\nb\n""\n')).toEqual([
      { line: 1, fields: ['a'] },
      { line: 4, fields: ['b'] },
      { line: 5, fields: [''] },
    ]);
  });

  it('skips a byte-order mark and keeps surrounding spaces in fields', () => {
    expect(parse('\ufefftype, value \n')).toEqual([{ line: 1, fields: ['type', ' value '] }]);
  });

  it('keeps a quote inside an unquoted field as text', () => {
    expect(parse('PROMPT_TEMPLATE,say "hi" twice\n')).toEqual([{ line: 1, fields: ['PROMPT_TEMPLATE', 'say "hi" twice'] }]);
  });

  it('refuses a quoted field that is never closed, naming the line it opened on', () => {
    expect(() => parse('a,b\nx,"open\nstill open\n')).toThrow(new CsvSyntaxError(2, 'a quoted field is never closed'));
  });

  it('refuses text after a closing quote', () => {
    expect(() => parse('a\n"x"y,z\n')).toThrow(CsvSyntaxError);
    try {
      parse('a\n"x\n"y,z\n');
    } catch (error) {
      expect((error as CsvSyntaxError).line).toBe(3);
      expect((error as CsvSyntaxError).message).toMatch(/^line 3: unexpected text after a closing quote/);
    }
  });

  it('reads back whatever an RFC 4180 writer writes', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', 'é', '😀', '\t') });
    const record = fc.array(field, { minLength: 1, maxLength: 5 });
    const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (records, eol, quoteAll) => {
          const text = records
            .map((fields) => fields.map((value) => (quoteAll || /[",\r\n]/.test(value) || value === '' ? quote(value) : value)).join(','))
            .join(eol);
          expect(parse(text).map((r) => r.fields)).toEqual(records);
        },
      ),
    );
  });
});
