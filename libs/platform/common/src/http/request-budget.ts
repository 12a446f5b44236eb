/** The query-cost budget as one request left it, for the response's headers and extensions. */
export interface RequestBudget {
  cost: number;
  limit: number;
  remaining: number;
  resetAt: Date;
}

const costs = new WeakMap<object, number>();
const budgets = new WeakMap<object, RequestBudget>();

/** Records the cost computed for this request's GraphQL operation (over HTTP or graphql-ws), for the AuthGuard to charge. */
export function setOperationCost(req: object, cost: number): void {
  costs.set(req, cost);
}

/** The operation cost of a GraphQL request, or undefined outside GraphQL. */
export function operationCostOf(req: object): number | undefined {
  return costs.get(req);
}

/** Records what the rate limiter charged this request. */
export function setRequestBudget(req: object, budget: RequestBudget): void {
  budgets.set(req, budget);
}

/** What the rate limiter charged this request, if it was charged. */
export function requestBudgetOf(req: object): RequestBudget | undefined {
  return budgets.get(req);
}
