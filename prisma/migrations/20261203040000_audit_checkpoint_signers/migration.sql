-- Issue 11 §5: checkpoints are signed periodically by the worker and on
-- demand by an admin through the API, not only by the CLI as the owner.
-- The worker reads the CURRENT signing key (its private half is sealed under
-- the data key, which the worker must hold to use it); the API stores the
-- checkpoints it signs. Both stay unable to change or remove one
-- (audit_checkpoints_no_update_delete).
GRANT SELECT ON signing_keys TO sigfed_worker;
GRANT INSERT ON audit_checkpoints TO sigfed_api;
GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO sigfed_api;
