-- easd schema 15: the Dovecot store keeps no originals of mirrored messages (issue 11).
--
-- The rows of a mirrored email keep what Sync, Search and Ping read (envelope, body text,
-- attachment list, size); the original bytes stay on the IMAP server, and a phone that asks for
-- MIME or an attachment gets them fetched from there (lib/dovecot, through a bounded cache).
-- Messages mirrored before this kept a copy in emails.mime: it is dropped, which halves the
-- store of a Dovecot site. emails.size keeps the original's size.
UPDATE emails SET mime = ''::bytea
 WHERE item_id IN (SELECT item_id FROM imap_messages) AND mime <> ''::bytea;
