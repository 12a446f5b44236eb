import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/** Rule name of PlainText in `extensions.problems[].rule`. */
export const PLAIN_TEXT_RULE = 'noFormatCharacters';

/**
 * Unicode format characters (category Cf): bidirectional overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069), zero-width spaces and joiners,
 * the byte order mark, soft hyphens, tags. Invisible when shown, they make
 * one text read as another (`txt.exe` spelled backwards behind U+202E) and
 * two names that differ look the same.
 */
const FORMAT_CHARACTER = /\p{Cf}/u;

/** `U+202E at character 4` for the first format character in `text`, or undefined. */
export function formatCharacterIn(text: string): string | undefined {
  const match = FORMAT_CHARACTER.exec(text);
  if (!match) return undefined;
  const hex = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `U+${hex} at character ${[...text.slice(0, match.index)].length + 1}`;
}

/** The message of rule noFormatCharacters for `field`. */
export function plainTextMessage(field: string, found: string): string {
  return `${field} must not contain invisible Unicode format characters (category Cf, such as U+202E); found ${found}`;
}

/**
 * Rule `noFormatCharacters` for free text (names, descriptions, reasons,
 * notes, references): no Unicode format characters (category Cf).
 */
export function PlainText(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: PLAIN_TEXT_RULE,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || formatCharacterIn(value) === undefined,
        defaultMessage: (args: ValidationArguments) => plainTextMessage(args.property, formatCharacterIn(String(args.value)) ?? 'one'),
      },
    });
}
