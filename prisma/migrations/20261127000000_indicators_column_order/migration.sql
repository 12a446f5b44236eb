-- indicators, rewritten with its columns in alignment order (issue 6: disk per
-- million stored indicators). Same columns, types, defaults, checks, keys,
-- indexes, privileges and policies; only the physical order changes.
--
-- PostgreSQL stores a row's columns in declaration order and pads each to its
-- type's alignment. In the old order the 2-byte confidence sat after an
-- unaligned uuid and pushed the four 8-byte timestamps one byte further, so
-- a row without external_ref took 32 + 113 = 145 bytes, stored as 152 after
-- the 8-byte alignment of every tuple. Now the 8-byte columns come first,
-- then the two uuids (byte-aligned), the enum (4), smallint (2) and boolean
-- (1), and the variable-length columns last (their 1-byte headers need no
-- alignment): 32 + 112 = 144 bytes, 55 rows to a page instead of 52, about
-- 150 MB of heap per million rows instead of 158 (measured: docs/performance.md).
--
-- PostgreSQL cannot reorder columns in place, so this copies the table under
-- an exclusive lock: writers wait until it commits. Measured on the 2-core
-- machine of docs/performance.md: 14 s for 1.3 million rows (copy 4.5 s,
-- primary key 6 s), so plan a maintenance window of a few minutes per 10
-- million. The indexes, built after the copy, start out packed (90% full).

LOCK TABLE indicators IN ACCESS EXCLUSIVE MODE;

CREATE TABLE "indicators_reordered" (
    "observed_at" TIMESTAMPTZ(6) NOT NULL,
    "first_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "member_id" UUID NOT NULL,
    "submission_id" UUID NOT NULL,
    "type" "IndicatorType" NOT NULL,
    "confidence" SMALLINT NOT NULL,
    "disclose_identity" BOOLEAN NOT NULL DEFAULT false,
    "key_epoch" VARCHAR(32) NOT NULL,
    "token" BYTEA NOT NULL,
    "external_ref" VARCHAR(256),
    CONSTRAINT "indicators_token_length" CHECK (octet_length("token") = 32),
    CONSTRAINT "indicators_confidence_range" CHECK ("confidence" BETWEEN 0 AND 100)
);

INSERT INTO "indicators_reordered" ("observed_at", "first_seen_at", "last_seen_at", "expires_at", "member_id",
                                    "submission_id", "type", "confidence", "disclose_identity", "key_epoch",
                                    "token", "external_ref")
SELECT "observed_at", "first_seen_at", "last_seen_at", "expires_at", "member_id",
       "submission_id", "type", "confidence", "disclose_identity", "key_epoch",
       "token", "external_ref"
  FROM "indicators";

-- Drops the old table's indexes, foreign key, policies and grants with it.
-- The functions that read indicators (alert_view_facts,
-- retract_own_indicators) name it in their SQL text, resolved at each call.
DROP TABLE "indicators";
ALTER TABLE "indicators_reordered" RENAME TO "indicators";

ALTER TABLE "indicators" ADD CONSTRAINT "indicators_pkey" PRIMARY KEY ("type", "key_epoch", "token", "member_id");
CREATE INDEX "indicators_submission_id_idx" ON "indicators"("submission_id");
CREATE INDEX "indicators_expires_at_idx" ON "indicators"("expires_at");
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- As 20261126200000_row_level_security granted them.
GRANT SELECT, INSERT, UPDATE ON indicators TO sigfed_api;
GRANT SELECT, DELETE, UPDATE (expires_at) ON indicators TO sigfed_worker;

ALTER TABLE indicators ENABLE ROW LEVEL SECURITY;
CREATE POLICY indicators_of_member ON indicators TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
CREATE POLICY indicators_of_worker ON indicators TO sigfed_worker USING (true) WITH CHECK (true);

-- Statistics for the new table now rather than at autovacuum's next visit.
ANALYZE indicators;
