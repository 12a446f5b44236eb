export { DatabaseModule } from './database.module.js';
export { databaseUrlOf, memberTransactionBegin, PrismaService, type DatabaseRole, type SqlClient } from './prisma.service.js';
export {
  executeRows,
  namedQuery,
  pgQuery,
  pgRows,
  queryRows,
  statement,
  type ParamsOf,
  type RawSqlClient,
  type Statement,
} from './statement.js';
export { Prisma } from './generated/prisma/client.js';
export * from './generated/prisma/enums.js';
export type {
  Alert,
  AuditCheckpoint,
  AuditEvent,
  Invitation,
  KeyEpoch,
  Member,
  MemberKey,
  SigningKey,
  Submission,
  SuppressedToken,
  WebhookDelivery,
  WebhookDeliveryAttempt,
  WebhookEndpoint,
} from './generated/prisma/client.js';
export { migrate, migrationStatus, readMigrations, MigrationError } from './migrator.js';
export { connectPg, databaseName, ensureDatabase, maintenanceUrl, serverVersion } from './postgres.js';
