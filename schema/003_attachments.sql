-- easd schema, version 3: the attachments of each email, found once at delivery.
--
-- One row per attachment (MIME order in `position`). `part_path` is the IMAP-style part number
-- ("2", "1.2.2") under which lib/content finds the part again in the stored original; the bytes
-- themselves are not copied: ItemOperations and GetAttachment extract them from emails.mime.
-- The FileReference a client gets is "<item_id>:<part_path>" (lib/content/attachment.h).
CREATE TABLE email_attachments (
    item_id       bigint NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    part_path     text NOT NULL CHECK (part_path ~ '^[1-9][0-9]{0,3}(\.[1-9][0-9]{0,3}){0,63}$'),
    position      integer NOT NULL,          -- 0, 1, ... in MIME order
    file_name     text NOT NULL DEFAULT '',  -- decoded (RFC 2231 / 2047); may be empty
    content_type  text NOT NULL DEFAULT 'application/octet-stream',
    content_id    text NOT NULL DEFAULT '',  -- without angle brackets
    is_inline     boolean NOT NULL DEFAULT false,
    size          bigint NOT NULL DEFAULT 0, -- decoded bytes
    method        smallint NOT NULL DEFAULT 1 CHECK (method IN (1, 5, 6)),  -- MS-ASAIRS Method: 1 normal, 5 message, 6 OLE
    PRIMARY KEY (item_id, part_path)
);
