export { DatabaseModule } from './database.module.js';
export {
  DATABASE_ROLE,
  databaseUrlOf,
  PrismaService,
  type DatabaseRole,
  type SqlClient,
  type TransactionOptions,
} from './prisma.service.js';
export {
  executeRows,
  namedQuery,
  pgQuery,
  pgRows,
  queryRows,
  statement,
  type ParamsOf,
  type RawSqlClient,
  type RowOf,
  type Statement,
} from './statement.js';
export { Prisma } from './generated/prisma/client.js';
export * from './generated/prisma/enums.js';
export type {
  Alert,
  AuditCheckpoint,
  AuditEvent,
  Indicator,
  Invitation,
  KeyEpoch,
  Match,
  Member,
  MemberKey,
  OutboxEvent,
  SigningKey,
  Submission,
  SuppressedToken,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  WebhookEndpoint,
} from './generated/prisma/client.js';
export { migrate, migrationStatus, readMigrations, MigrationError, type MigrationFile, type MigrationStatus } from './migrator.js';
export { connectPg, databaseName, describePgError, ensureDatabase, maintenanceUrl, serverVersion } from './postgres.js';
