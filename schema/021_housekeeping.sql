-- easd schema 21: housekeeping (issue 13, part 6): pruning tombstones and dead sync states
-- without ever giving a device a delta that misses a deletion.
--
-- Tombstones (schema 001) are what tells a device about a deletion: a device whose watermark is
-- below a tombstone gets a Delete. `easctl maintenance` removes tombstones older than
-- --tombstone-days; a device that last synced before such a tombstone can then no longer be told
-- of that deletion, and must start over instead (Sync status 3, FolderSync status 9). To know
-- which devices those are, every prune records the highest change number it removed: the prune
-- horizon, per folder for item tombstones and per user for folder tombstones. A sync state whose
-- watermark is below the horizon is answered as an invalid key (lib/store/sync_state.h).
--
-- When a tombstone was made: what --tombstone-days measures. Rows that exist when this runs get
-- the time of the migration (PostgreSQL stores the default once, without rewriting the table), so
-- they are kept a full period from now. The index lets each prune batch find the oldest rows
-- without scanning the table; it costs one index entry per deletion.
ALTER TABLE item_tombstones ADD COLUMN deleted_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE folder_tombstones ADD COLUMN deleted_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX item_tombstones_deleted_at ON item_tombstones (deleted_at);
CREATE INDEX folder_tombstones_deleted_at ON folder_tombstones (deleted_at);

-- The highest change number pruned from a folder's item tombstones. Goes with its folder: a
-- deleted folder has no sync states left to judge.
CREATE TABLE folder_prune_horizons (
    folder_id  bigint PRIMARY KEY REFERENCES folders(id) ON DELETE CASCADE,
    horizon    bigint NOT NULL,
    pruned_at  timestamptz NOT NULL DEFAULT now()
);

-- The highest change number pruned from a user's folder tombstones (the folder hierarchy).
CREATE TABLE hierarchy_prune_horizons (
    user_id    bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    horizon    bigint NOT NULL,
    pruned_at  timestamptz NOT NULL DEFAULT now()
);

-- The change number at which a collection state started (Sync with key 0), read under the
-- user's write lock, so every change of the user after it has a higher number. The device can
-- only hold items it was sent after that, so a deletion it may miss has a tombstone above it:
-- a state is stale only when the horizon is above both its watermark and this. (An initial sync
-- goes in windows in change order, so its watermark starts low: without this, a folder whose
-- old tombstones were pruned would send every new device back to key 0, forever.) 0 for states
-- older than this migration: judged by their watermark alone.
ALTER TABLE sync_collections ADD COLUMN base_seq bigint NOT NULL DEFAULT 0;

-- A collection state that maintenance removes is first retired (current_key 0: no key the device
-- can present matches it, so it answers status 3 at once), then its record of items held goes in
-- batches, then the row. This finds the retired ones without scanning every state.
CREATE INDEX sync_collections_retired ON sync_collections (id) WHERE current_key = 0;
