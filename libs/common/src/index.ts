export { IS_PUBLIC, Public, REQUIRED_ROLES, Roles, type AccessRole } from './access/access.decorators.js';
export { BulkList, bulkListProperties } from './errors/bulk-list.decorator.js';
export { assertUnreachable, DomainError, type GraphQLErrorCode } from './errors/domain-error.js';
export { GraphQLExceptionFilter } from './errors/graphql-exception.filter.js';
export { InputValidationError, type FieldProblem } from './errors/input-validation.error.js';
export { InputValidationPipe } from './errors/validation.pipe.js';
export { DateTimeScalar } from './graphql/date-time.scalar.js';
export { JSONObject, JSONObjectScalar, type JsonObject, type JsonValue } from './graphql/json-object.scalar.js';
export { RequestId, requestIdOf, requestOf } from './http/request-context.js';
export {
  operationCostOf,
  requestBudgetOf,
  setOperationCost,
  setRequestBudget,
  type RequestBudget,
} from './http/request-budget.js';
export { ConnectionArgs, PAGE_SIZE } from './pagination/connection.args.js';
export {
  Connection,
  pageSize,
  toConnection,
  type ConnectionShape,
  type EdgeShape,
} from './pagination/connection.factory.js';
export { decodeCursor, encodeCursor, invalidCursor, isTimestampKey, type CursorKey } from './pagination/cursor.js';
export { PageInfo } from './pagination/page-info.model.js';
export { migrationsDir, projectRoot } from './project-root.js';
export { StartupError } from './startup-error.js';
export { formatCharacterIn, PLAIN_TEXT_RULE, PlainText, plainTextMessage } from './validation/plain-text.js';
