import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { RateLimitError } from '@app/rate-limit';
import { TAXII_MEDIA_TYPE } from './media-type.js';
import { TaxiiError } from './taxii.error.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  415: 'Unsupported media type',
  429: 'Too many requests',
};

/** Every error of a TAXII route as a TAXII error message (section 3.6.1), in the TAXII media type. */
@Catch()
export class TaxiiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('TAXII');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      res.end();
      return;
    }
    const error = this.toTaxii(exception);
    res.status(error.status).setHeader('Content-Type', TAXII_MEDIA_TYPE).end(JSON.stringify(error));
  }

  private toTaxii(exception: unknown): TaxiiError {
    if (exception instanceof TaxiiError) return exception;
    if (exception instanceof RateLimitError) return new TaxiiError(429, TITLES[429], exception.message);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return new TaxiiError(status, TITLES[status] ?? 'Error', exception.message);
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return new TaxiiError(500, 'Internal server error');
  }
}
