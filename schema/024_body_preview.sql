-- easd schema 24: the Dovecot store keeps a preview of a long body, not the whole text (issue 11).
--
-- A mirrored email's body_plain and body_html keep at most imap_body_keep_kb of text (what the
-- usual truncated Sync of a phone reads); the rest stays on the IMAP server, and a phone that
-- asks for more of it gets the original fetched from there (lib/dovecot, through the bounded
-- cache of originals). These columns say that a row's texts were cut and how long the whole
-- bodies are, so EstimatedDataSize stays the real size: body_plain_size is the whole plain text's
-- bytes, body_html_size those of the HTML a phone gets (the message's HTML, or its plain text as
-- HTML). NULL: the texts are whole (every row of the native store, short mirrored ones).
ALTER TABLE emails ADD COLUMN body_plain_size integer, ADD COLUMN body_html_size integer;
