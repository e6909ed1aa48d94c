-- easd schema 18: throttling and sync loops (issue 12, part 5).
--
-- Autoblock: a device that keeps sending requests after being told to wait (HTTP 503 with
-- Retry-After, its request budget spent) is blocked for a while, as Exchange's autoblock
-- thresholds do. The block is a row value, so every worker and host refuses the device, and
-- `easctl device show` / `easctl device unblock` see and clear it.
ALTER TABLE devices ADD COLUMN autoblocked_until timestamptz;
ALTER TABLE devices ADD COLUMN autoblock_reason text;

-- Loop detection per collection: how many times in a row the device presented its previous key
-- (our last response did not take), and, while the server narrows the window to one item to find
-- the item the device cannot take, the watermark up to which it keeps doing so.
ALTER TABLE sync_collections ADD COLUMN repeats integer NOT NULL DEFAULT 0;
ALTER TABLE sync_collections ADD COLUMN narrow_until_mark bigint;

-- Items a device is not sent, because rendering them failed or the device repeatedly refused the
-- response that carried them. One bad item never stops a phone's sync: the rest goes on. The item
-- is tried again when it changes (its modseq moves past `modseq`) or when the administrator says
-- so (`easctl device retry`).
CREATE TABLE sync_quarantine (
    device_id   bigint NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    item_id     bigint NOT NULL,
    folder_id   bigint NOT NULL,
    modseq      bigint NOT NULL,          -- the item's change number when it was quarantined
    reason      text NOT NULL CHECK (reason IN ('render', 'loop')),
    detail      text NOT NULL DEFAULT '',
    since       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, item_id)
);
