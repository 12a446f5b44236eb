import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/** Rule name of MaxChars in `extensions.problems[].rule`: the name class-validator's MaxLength reports. */
const MAX_CHARS_RULE = 'maxLength';

/** Characters as PostgreSQL counts them in a UTF-8 database (`varchar(n)`, `char_length`): code points. */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * Rule `maxLength` for text stored in a column of at most `max` characters.
 * class-validator's MaxLength (validator.js's isLength) does not count a
 * variation selector (U+FE0E, U+FE0F) after a character, so a text it lets
 * through can be longer than the column and fail as an internal error on
 * write; this counts every code point, as the column does.
 */
export function MaxChars(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: MAX_CHARS_RULE,
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [max],
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && charCount(value) <= max,
        defaultMessage: (args: ValidationArguments) =>
          `${options?.each ? 'each value in ' : ''}${args.property} must be shorter than or equal to ${max} characters`,
      },
    });
}
