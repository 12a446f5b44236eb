import { defineConfig } from 'prisma/config';

// Only `prisma generate` is used here; migrations are applied by the project's
// own migrator (see docs/operations.md), so no datasource URL is needed.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
