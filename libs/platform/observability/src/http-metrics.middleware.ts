import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service.js';

/**
 * The route pattern, never the raw URL: unmatched paths collapse into one
 * label so that scanners cannot explode the metric's cardinality.
 */
function routeLabel(req: Request, res: Response): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}`.replace(/\{\/\*splat\}$/, '');
  return res.statusCode === 404 ? 'unmatched' : 'other';
}

/** Counts and times every HTTP request, labelled by route pattern (never raw URLs). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const end = this.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const labels = { method: req.method, route: routeLabel(req, res), status: String(res.statusCode) };
      this.metrics.httpRequests.inc(labels);
      end(labels);
    });
    next();
  }
}
