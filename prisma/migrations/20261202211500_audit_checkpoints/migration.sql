-- Issue 11 §5: deleting the newest audit entries left a valid shorter chain.
-- A checkpoint records the chain head (id, hash, count) in a JWS signed with
-- the server's CURRENT signing key; audit-verify checks the newest one, so
-- removing entries it covers is detected. Append-only, like audit_events.
CREATE TABLE "audit_checkpoints" (
    "id" BIGSERIAL NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "head_id" BIGINT NOT NULL,
    "head_hash" BYTEA NOT NULL,
    "entry_count" BIGINT NOT NULL,
    "kid" VARCHAR(64) NOT NULL,
    "jws" TEXT NOT NULL,
    CONSTRAINT "audit_checkpoints_pkey" PRIMARY KEY ("id")
);
CREATE TRIGGER "audit_checkpoints_no_update_delete"
    BEFORE UPDATE OR DELETE ON "audit_checkpoints"
    FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"();
CREATE TRIGGER "audit_checkpoints_no_truncate"
    BEFORE TRUNCATE ON "audit_checkpoints"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"();

GRANT SELECT ON audit_checkpoints TO sigfed_api;
GRANT SELECT, INSERT ON audit_checkpoints TO sigfed_worker;
GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO sigfed_worker;
