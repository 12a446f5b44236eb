import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { setOperationCost } from '@app/common';
import { pageLimitOf, TAXII_PAGE } from './taxii-query.js';

/** What one object of a page costs, as GraphQL prices a list item by its fields (an alert is three objects of about 20 fields). */
export const TAXII_OBJECT_COST = 5;

/** The rate-limit cost of a TAXII request: 1, plus TAXII_OBJECT_COST per object a paged endpoint may return. */
export function taxiiCost(path: string, query: Record<string, unknown>): number {
  if (!/\/(objects|manifest)(\/|$)/.test(path)) return 1;
  let limit: number;
  try {
    limit = pageLimitOf(query);
  } catch {
    limit = TAXII_PAGE.default; // refused by the handler with a 400 that names the parameter
  }
  return 1 + TAXII_OBJECT_COST * limit;
}

/**
 * Sets a TAXII request's cost before the global AuthGuard runs, so the guard
 * charges it to the member's budget like a GraphQL operation's: one access
 * decision, one budget.
 */
@Injectable()
export class TaxiiCostMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    setOperationCost(req, taxiiCost(req.path, req.query));
    next();
  }
}
