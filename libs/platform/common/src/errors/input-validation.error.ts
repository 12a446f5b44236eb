import type { ValidationError } from 'class-validator';
import { DomainError, type GraphQLErrorCode } from './domain-error.js';

/** One broken rule: the field path (as in the request), the rule's name, and a readable message. */
export interface FieldProblem {
  field: string;
  rule: string;
  message: string;
}

/** Input that breaks a rule; nothing was changed. Reported as BAD_USER_INPUT listing every problem. */
export class InputValidationError extends DomainError<'INVALID_INPUT'> {
  constructor(readonly problems: FieldProblem[]) {
    super(
      'INVALID_INPUT',
      `Invalid input: ${problems
        .slice(0, 10)
        .map((p) => `${p.field}: ${p.message} (rule: ${p.rule})`)
        .join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`,
      { problems },
    );
  }

  get graphqlCode(): GraphQLErrorCode {
    return 'BAD_USER_INPUT';
  }

  /** The same problems with every field path under `prefix` (the argument name). */
  under(prefix: string | undefined): InputValidationError {
    if (!prefix) return this;
    return new InputValidationError(this.problems.map((p) => ({ ...p, field: p.field ? `${prefix}.${p.field}` : prefix })));
  }

  /** Flattens class-validator's tree into field paths such as `indicators.3.token`. */
  static fromValidationErrors(errors: ValidationError[], parent = ''): InputValidationError {
    const problems: FieldProblem[] = [];
    const walk = (list: ValidationError[], path: string) => {
      for (const error of list) {
        const field = path ? `${path}.${error.property}` : error.property;
        for (const [rule, message] of Object.entries(error.constraints ?? {})) {
          problems.push({ field, rule, message });
        }
        if (error.children?.length) walk(error.children, field);
      }
    };
    walk(errors, parent);
    return new InputValidationError(problems);
  }
}
