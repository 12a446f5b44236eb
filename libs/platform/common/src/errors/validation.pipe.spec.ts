import 'reflect-metadata';
import { IsArray, IsString, Matches } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { BulkList } from './bulk-list.decorator.js';
import { InputValidationError } from './input-validation.error.js';
import { InputValidationPipe } from './validation.pipe.js';

class Item {
  name: string;
}

class BatchInput {
  @Matches(/^[a-z]{3,8}$/)
  key: string;

  @IsArray()
  @BulkList()
  items: Item[];
}

class PlainInput {
  @IsString()
  key: string;

  @IsArray()
  items: Item[];
}

const pipe = new InputValidationPipe();
const asInput = (metatype: new () => object) => ({ type: 'body' as const, metatype, data: 'input' });

async function problems(value: unknown, metatype: new () => object): Promise<string[]> {
  try {
    await pipe.transform(value, asInput(metatype));
    return [];
  } catch (error) {
    if (!(error instanceof InputValidationError)) throw error;
    return error.problems.map((p) => `${p.field}:${p.rule}`);
  }
}

describe('InputValidationPipe with @BulkList()', () => {
  it('hands the bulk list back as it came, not a copy, on an instance of the input class', async () => {
    const items = [{ name: 'a' }, { name: 'b' }];
    const result = (await pipe.transform({ key: 'abcd', items }, asInput(BatchInput))) as BatchInput;
    expect(result).toBeInstanceOf(BatchInput);
    expect(result.items).toBe(items);
    expect(result.key).toBe('abcd');
  });

  it('still applies the top-level rules and names the path', async () => {
    expect(await problems({ key: 'NO', items: [] }, BatchInput)).toEqual(['input.key:matches']);
  });

  it('still refuses unknown top-level properties', async () => {
    expect(await problems({ key: 'abcd', items: [], extra: 1 }, BatchInput)).toEqual(['input.extra:whitelistValidation']);
  });

  it("still runs the list property's own rules when the value is not a list", async () => {
    expect(await problems({ key: 'abcd', items: 'nope' }, BatchInput)).toEqual(['input.items:isArray']);
  });

  it('leaves classes without bulk lists to the ordinary deep pass (a copy of the list)', async () => {
    const items = [{ name: 'a' }];
    const result = (await pipe.transform({ key: 'k', items }, asInput(PlainInput))) as PlainInput;
    expect(result.items).not.toBe(items);
    expect(result.items).toEqual(items);
  });
});
