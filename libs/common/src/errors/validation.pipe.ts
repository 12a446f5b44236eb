import { Injectable, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { InputValidationError } from './input-validation.error.js';

/**
 * The global ValidationPipe (transform, whitelist, forbidNonWhitelisted) whose
 * errors name the full field path, argument included: `input.contactEmail`.
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
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof InputValidationError) throw error.under(metadata.data);
      throw error;
    }
  }
}
