-- easd schema 13: the device's own changes (issue 10).
--
-- The change number each of a device's own commands left on an item of a collection (the item's
-- modseq, or the tombstone's when the command removed it from the folder). While the item still
-- carries that number, the change is the device's own: a change scan skips it (no echo), Ping and
-- the no-change Sync do not count it, and the device's next command on the item is no conflict.
-- A change by anyone else gives the item a new number, so it is delivered as usual. Rows at or
-- below both watermarks of the collection can no longer matter and are dropped.
CREATE TABLE sync_own_changes (
    collection_id  bigint NOT NULL REFERENCES sync_collections(id) ON DELETE CASCADE,
    item_id        bigint NOT NULL,
    modseq         bigint NOT NULL,
    PRIMARY KEY (collection_id, item_id)
);

-- Recording a Delete's tombstone, and telling a repeated Delete (was_removed_from), look a
-- tombstone up by its item: without this, a scan of the folder's tombstones (36 ms at 50,000).
CREATE INDEX item_tombstones_item ON item_tombstones (item_id);
