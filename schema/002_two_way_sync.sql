-- easd schema, version 2: two-way sync of every data class.

-- Contacts, calendar items, tasks and notes: the client's ApplicationData, kept whole in canonical
-- form (WBXML, see lib/content/pim_item.h), plus the fields the server reads itself.
CREATE TABLE pim_items (
    item_id     bigint PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    data        bytea NOT NULL,
    subject     text NOT NULL DEFAULT '',
    start_time  timestamptz,
    end_time    timestamptz,          -- for a recurring item: the end of the recurrence (NULL: none)
    recurring   boolean NOT NULL DEFAULT false,
    complete    boolean NOT NULL DEFAULT false,
    due         timestamptz
);

-- A change to the data of an item is a change of the item (same as for emails).
CREATE TRIGGER pim_items_touch AFTER UPDATE ON pim_items
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION easd_email_touch();

-- Email properties a phone changes: the follow-up flag and categories (WBXML of the element).
ALTER TABLE emails ADD COLUMN flag bytea, ADD COLUMN categories bytea;

-- SmartSync for client adds: the ServerId given to each ClientId, so a repeated Add (our response
-- was lost) gets the same item instead of a duplicate.
CREATE TABLE sync_client_adds (
    collection_id  bigint NOT NULL REFERENCES sync_collections(id) ON DELETE CASCADE,
    client_id      text NOT NULL,
    item_id        bigint NOT NULL,
    added_key      integer NOT NULL,
    PRIMARY KEY (collection_id, client_id)
);

-- The client's <Supported> list for a collection (ghosted properties), as WBXML.
ALTER TABLE sync_collections ADD COLUMN supported bytea;

-- The last complete Sync request of a device, without client commands, for the empty and the
-- partial Sync request (12.1+): any worker can serve them.
ALTER TABLE devices ADD COLUMN last_sync_request bytea;
