-- Issue 11 §5: the audit log cannot be forged. Until now sigfed_api and
-- sigfed_worker held INSERT on audit_events and computed the chain hash in
-- application code, so anyone connected as either role could insert a row
-- with a correct hash (a forged "member.reinstated" verified as intact).
-- From here on only audit_append(), a SECURITY DEFINER function owned by the
-- migrating user, appends: it takes the chain lock, picks the id and the
-- timestamp itself and computes the hash, so a caller cannot choose either.
--
-- Hash format 2 covers occurred_at at the column's precision (microseconds
-- since the epoch; format 1 hashed the millisecond ISO string, so a 1 µs
-- shift went unnoticed). Rows written before this migration keep format 1.

ALTER TABLE "audit_events" ADD COLUMN "hash_version" SMALLINT NOT NULL DEFAULT 1;

-- One field of the hashed message: 'N;' for NULL, else 'S<octets>:<text>;'
-- (length-prefixed, so no two field lists give the same bytes).
CREATE FUNCTION audit_hash_field(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN value IS NULL THEN 'N;' ELSE 'S' || octet_length(value) || ':' || value || ';' END $$;

-- The format-2 hash of an entry; libs/audit/src/audit-hash.ts recomputes it
-- independently (auditEntryHashV2) when verifying.
CREATE FUNCTION audit_entry_hash_v2(
    p_id bigint, p_occurred_at timestamptz, p_actor_member_id uuid, p_actor_label text, p_action text,
    p_target_type text, p_target_id text, p_request_id text, p_details jsonb, p_prev_hash bytea
) RETURNS bytea
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT sha256(convert_to(
        'sigfed-audit-v2;'
        || audit_hash_field(p_id::text)
        || audit_hash_field((extract(epoch FROM p_occurred_at) * 1000000)::bigint::text)
        || audit_hash_field(p_actor_member_id::text)
        || audit_hash_field(p_actor_label)
        || audit_hash_field(p_action)
        || audit_hash_field(p_target_type)
        || audit_hash_field(p_target_id)
        || audit_hash_field(p_request_id)
        || audit_hash_field(p_details::text)
        || audit_hash_field(encode(p_prev_hash, 'hex')),
        'UTF8'))
$$;

CREATE FUNCTION audit_append(
    p_actor_member_id uuid, p_actor_label text, p_action text,
    p_target_type text, p_target_id text, p_request_id text, p_details jsonb
) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
DECLARE
    v_id bigint;
    v_at timestamptz;
    v_prev bytea;
BEGIN
    -- The chain lock (AUDIT_CHAIN_LOCK in audit.service.ts): appends never fork.
    PERFORM pg_advisory_xact_lock(4471525101);
    SELECT hash INTO v_prev FROM audit_events ORDER BY id DESC LIMIT 1;
    v_prev := COALESCE(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    v_id := nextval('audit_events_id_seq');
    v_at := clock_timestamp();
    INSERT INTO audit_events (id, occurred_at, actor_member_id, actor_label, action, target_type, target_id,
                              request_id, details, prev_hash, hash, hash_version)
    VALUES (v_id, v_at, p_actor_member_id, p_actor_label, p_action, p_target_type, p_target_id, p_request_id,
            COALESCE(p_details, '{}'::jsonb), v_prev,
            audit_entry_hash_v2(v_id, v_at, p_actor_member_id, p_actor_label, p_action, p_target_type,
                                p_target_id, p_request_id, COALESCE(p_details, '{}'::jsonb), v_prev),
            2);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION audit_append(uuid, text, text, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(uuid, text, text, text, text, text, jsonb) TO sigfed_api, sigfed_worker;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_events FROM sigfed_api, sigfed_worker;
REVOKE USAGE ON SEQUENCE audit_events_id_seq FROM sigfed_api, sigfed_worker;
