import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPg, migrate } from '@app/database';
import { adminDatabaseUrl, databaseUrlFor, dropDatabase } from './support/databases.js';

const COMPACT = '20261204193100_indicators_compact_key';
const name = `${process.env.DATABASE_URL!.split('/').pop()!}_compact_key`;

/** The migrations before the compact key, in a folder of their own. */
function migrationsBefore(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigfed-compact-'));
  for (const m of readdirSync('prisma/migrations')) {
    if (m.endsWith('.toml') || m >= COMPACT) continue;
    cpSync(join('prisma/migrations', m), join(dir, m), { recursive: true });
  }
  return dir;
}

describe('the compact indicators key migration', () => {
  afterAll(async () => {
    await dropDatabase(name);
  });

  it('moves existing rows to key spaces and member numbers', async () => {
    const admin = await connectPg(adminDatabaseUrl());
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = databaseUrlFor(name);
    const before = migrationsBefore();
    try {
      await migrate(url, before);
    } finally {
      rmSync(before, { recursive: true, force: true });
    }
    const db = await connectPg(url);
    try {
      const members = await db.query<{ id: string }>(
        `INSERT INTO members (client_id, name, status) VALUES ('a', 'A', 'ACTIVE'), ('b', 'B', 'ACTIVE') RETURNING id`,
      );
      const [a, b] = members.rows.map((r) => r.id);
      await db.query(
        `INSERT INTO indicators (type, key_epoch, token, member_id, confidence, observed_at, expires_at, submission_id, external_ref)
         SELECT t, e, sha256(int4send(g)), CASE WHEN g % 2 = 0 THEN $1::uuid ELSE $2::uuid END, 40 + g % 10, now(),
                now() + interval '1 day', gen_random_uuid(), CASE WHEN g % 3 = 0 THEN 'ref-' || g END
           FROM generate_series(1, 300) g, (VALUES ('IP_RANGE'::"IndicatorType", '2026-11'), ('PAYMENT_FINGERPRINT', '2026-12')) v(t, e)`,
        [a, b],
      );
      const old = await db.query(
        `SELECT type::text, key_epoch, encode(token, 'hex') AS token, member_id, confidence, external_ref
           FROM indicators ORDER BY 1, 2, 3, 4`,
      );
      expect(old.rows).toHaveLength(600);

      expect(await migrate(url, 'prisma/migrations')).toContain(COMPACT);

      const moved = await db.query(
        `SELECT k.type::text, k.key_epoch, encode(i.token, 'hex') AS token, m.id AS member_id, i.confidence,
                NULLIF(i.external_ref, '') AS external_ref
           FROM indicators i JOIN key_spaces k ON k.id = i.key_space JOIN members m ON m.member_no = i.member_no
          ORDER BY 1, 2, 3, 4`,
      );
      expect(moved.rows).toEqual(old.rows);
      expect((await db.query(`SELECT count(*)::int AS n FROM key_spaces`)).rows[0].n).toBe(2);

      // Member deletion still cascades.
      await db.query(`DELETE FROM members WHERE id = $1`, [a]);
      expect((await db.query(`SELECT count(*)::int AS n FROM indicators`)).rows[0].n).toBe(300);

      // A key space, once given, keeps its pair.
      await expect(db.query(`UPDATE key_spaces SET type = 'ACCOUNT_SIGNAL' WHERE key_epoch = '2026-11'`)).rejects.toThrow(/do not change/);
      await db.query(`UPDATE key_spaces SET type = type`);

      // No role sets a member number.
      await expect(db.query(`UPDATE members SET member_no = 99 WHERE id = $1`, [b])).rejects.toThrow(/member_no/);
    } finally {
      await db.end();
    }
  });
});
