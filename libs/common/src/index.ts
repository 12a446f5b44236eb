export { assertUnreachable, DomainError, type GraphQLErrorCode } from './errors/domain-error.js';
export { GraphQLExceptionFilter } from './errors/graphql-exception.filter.js';
export { InputValidationError, type FieldProblem } from './errors/input-validation.error.js';
export { InputValidationPipe } from './errors/validation.pipe.js';
export { migrationsDir, projectRoot } from './project-root.js';
export { StartupError } from './startup-error.js';
