import { Injectable, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { bulkListProperties } from './bulk-list.decorator.js';
import { InputValidationError } from './input-validation.error.js';
import { illFormedTextProblems } from './text-rule.js';

/**
 * The global ValidationPipe (transform, whitelist, forbidNonWhitelisted) whose
 * errors name the full field path, argument included: `input.contactEmail`.
 *
 * Lists marked @BulkList() bypass the deep pass: the pipe validates and
 * transforms the object with those lists emptied, then puts the lists back
 * as GraphQL coerced them. Nest's ValidationPipe otherwise walks every item
 * four times (gap closing, prototype-key stripping, class-transformer's
 * copy, the binary-value search), which for a 10,000-item submission cost
 * more than parsing it.
 */
@Injectable()
export class InputValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => InputValidationError.fromValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const bulk = bulkListProperties(metadata.metatype);
    if (bulk.length === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.validateNamed(value, metadata);
    }
    const shallow: Record<string | symbol, unknown> = { ...(value as Record<string | symbol, unknown>) };
    const lists = new Map<string | symbol, unknown[]>();
    for (const property of bulk) {
      const list = shallow[property];
      if (Array.isArray(list)) {
        lists.set(property, list);
        shallow[property] = [];
      }
    }
    const result = (await this.validateNamed(shallow, metadata)) as Record<string | symbol, unknown>;
    for (const [property, list] of lists) result[property] = list;
    return result;
  }

  private async validateNamed(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      // Arguments only (input classes and plain string arguments), never requests or contexts.
      if (metadata.type !== 'custom' && (typeof value === 'string' || this.toValidate(metadata))) {
        const text = illFormedTextProblems(value, metadata.data);
        if (text.length > 0) throw new InputValidationError(text);
      }
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof InputValidationError) throw error.under(metadata.data);
      throw error;
    }
  }
}
