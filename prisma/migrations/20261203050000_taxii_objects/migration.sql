-- Each member's TAXII collections as STIX objects, one row per object (its
-- latest version). date_added is set when the member's own request first
-- serves that version, strictly increasing per member, so paging by it (next,
-- added_after) neither skips nor repeats, and it tells the member nothing
-- about other members' timing that the alert does not show.
CREATE TABLE taxii_objects (
    member_id     uuid         NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    collection    varchar(32)  NOT NULL,
    object_id     varchar(128) NOT NULL,
    type          varchar(64)  NOT NULL,
    version       timestamptz(3) NOT NULL,
    date_added    timestamptz(3) NOT NULL,
    alert_id      uuid         REFERENCES alerts (id) ON DELETE CASCADE,
    alert_version integer,
    object        jsonb        NOT NULL,
    PRIMARY KEY (member_id, collection, object_id)
);
CREATE UNIQUE INDEX taxii_objects_member_id_collection_date_added_key ON taxii_objects (member_id, collection, date_added);
CREATE INDEX taxii_objects_alert_id_idx ON taxii_objects (alert_id);

GRANT SELECT, INSERT, UPDATE ON taxii_objects TO sigfed_api;

ALTER TABLE taxii_objects ENABLE ROW LEVEL SECURITY;
CREATE POLICY taxii_objects_of_member ON taxii_objects TO sigfed_api
    USING (member_id = current_member_id()) WITH CHECK (member_id = current_member_id());
