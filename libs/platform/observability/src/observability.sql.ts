import { statement } from '@app/database';

/** The readiness probe's round trip to PostgreSQL. */
export const ping = statement<[], { ok: number }>('observability.ping', `SELECT 1 AS ok`);
