-- easd schema, version 4: Sync filters (FilterType) applied without a full resync.
-- filter_type is the client's FilterType (0 = all); filter_cutoff the oldest time (seconds since
-- the epoch) the held set was last reconciled against, NULL when it must be reconciled again
-- (new filter, or a reconciliation cut short by the window).
ALTER TABLE sync_collections
    ADD COLUMN filter_type smallint NOT NULL DEFAULT 0,
    ADD COLUMN filter_cutoff bigint;
CREATE INDEX emails_date_received ON emails (date_received);
-- Deletions waiting for the device's acknowledgement, found without scanning the held set (the
-- no-change Sync asks for them on every request).
CREATE INDEX sync_items_removed ON sync_items (collection_id) WHERE removed_key IS NOT NULL;
