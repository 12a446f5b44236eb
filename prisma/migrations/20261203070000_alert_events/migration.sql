-- Alert events kept for resuming subscriptions (issue 13): every change
-- correlation makes to a member's alert is recorded in the transaction that
-- makes it, numbered per member. The number is taken from the member's row in
-- alert_event_sequences, locked until commit, so a member's events commit in
-- the order of their numbers: a subscriber that saw number n has seen every
-- event before it, and `alertEvents(after: n)` replays exactly the rest.
-- Rows older than ALERT_EVENT_RETENTION_HOURS are deleted by the worker; the
-- sequence row keeps the last number, so numbers are never reused.
CREATE TABLE alert_event_sequences (
    member_id uuid NOT NULL,
    last_seq bigint NOT NULL,
    CONSTRAINT alert_event_sequences_pkey PRIMARY KEY (member_id),
    CONSTRAINT alert_event_sequences_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE alert_events (
    member_id uuid NOT NULL,
    seq bigint NOT NULL,
    alert_id uuid NOT NULL,
    type varchar(32) NOT NULL,
    version integer NOT NULL,
    occurred_at timestamptz(6) NOT NULL DEFAULT now(),
    CONSTRAINT alert_events_pkey PRIMARY KEY (member_id, seq),
    CONSTRAINT alert_events_member_id_fkey FOREIGN KEY (member_id) REFERENCES members (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT alert_events_alert_id_fkey FOREIGN KEY (alert_id) REFERENCES alerts (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX alert_events_occurred_at_idx ON alert_events (occurred_at);
CREATE INDEX alert_events_alert_id_idx ON alert_events (alert_id);

-- The API only replays its member's events; the worker records and prunes them.
GRANT SELECT ON alert_events, alert_event_sequences TO sigfed_api;
GRANT SELECT, INSERT, DELETE ON alert_events TO sigfed_worker;
GRANT SELECT, INSERT, UPDATE ON alert_event_sequences TO sigfed_worker;

ALTER TABLE alert_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_events_of_member ON alert_events FOR SELECT TO sigfed_api
    USING (member_id = current_member_id());
CREATE POLICY alert_events_of_worker ON alert_events TO sigfed_worker USING (true) WITH CHECK (true);

ALTER TABLE alert_event_sequences ENABLE ROW LEVEL SECURITY;
CREATE POLICY alert_event_sequences_of_member ON alert_event_sequences FOR SELECT TO sigfed_api
    USING (member_id = current_member_id());
CREATE POLICY alert_event_sequences_of_worker ON alert_event_sequences TO sigfed_worker USING (true) WITH CHECK (true);
