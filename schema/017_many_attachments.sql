-- easd schema 17: a message may have more than 9,999 parts on one level (issue 12).
--
-- Part paths were limited to four digits per level, so the 10,000th attachment of a message
-- could not be stored. Six digits now, as lib/content/attachment.cpp reads them.
ALTER TABLE email_attachments DROP CONSTRAINT email_attachments_part_path_check;
ALTER TABLE email_attachments ADD CONSTRAINT email_attachments_part_path_check
    CHECK (part_path ~ '^[1-9][0-9]{0,5}(\.[1-9][0-9]{0,5}){0,63}$');
