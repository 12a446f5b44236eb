-- Probing throttle (issue 11 §4): a member the submit path finds probing the
-- federation as a lookup oracle is throttled until an admin lifts it. The
-- state sits on the member's row because the submission's claim statement
-- reads that row already (its quota): knowing it costs no extra round trip.
-- Who throttled and who lifted, with reasons, is in the audit log.
ALTER TABLE members
    ADD COLUMN probing_throttled_since timestamptz(6),
    ADD COLUMN probing_throttle_reason varchar(500),
    ADD COLUMN probing_throttle_lifted_at timestamptz(6),
    ADD COLUMN probing_throttle_lifted_by uuid;
