-- easd schema, version 9: folder management from the phone (FolderCreate, FolderUpdate, FolderDelete).
--
-- A device's own hierarchy changes must not come back to it on its next FolderSync, while every
-- other device of the user sees them. The device's FolderSync state is a watermark; the change
-- numbers its own FolderCreate/FolderUpdate/FolderDelete drew above that watermark are kept with
-- it (and with the previous key, for a repeated key after a lost response) and skipped when the
-- hierarchy is reported to that device.
ALTER TABLE folder_sync_states
    ADD COLUMN own_changes bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN previous_own_changes bigint[] NOT NULL DEFAULT '{}';

-- User-created Journal folders (type 16): EAS carries no journal items, but a phone may create
-- and list such a folder.
ALTER TABLE folders DROP CONSTRAINT folders_item_class_check;
ALTER TABLE folders ADD CONSTRAINT folders_item_class_check
    CHECK (item_class IN ('Email', 'Contacts', 'Calendar', 'Tasks', 'Notes', 'Journal'));
