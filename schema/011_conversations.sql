-- easd schema, version 11: conversations and the Email2 properties (MS-ASEMAIL, MS-ASCON).
--
-- conversation_id     email2:ConversationId, 16 bytes: the GUID of the message's Thread-Index, or
--                     the conversation of the message it answers (found by Message-ID in the
--                     user's mail), or derived from its thread root (content/conversation.h).
-- conversation_index  email2:ConversationIndex: a 5-byte header (the time the conversation began)
--                     and a 5-byte response level per reply (MS-ASCON 2.2.2.4).
-- last_verb           email2:LastVerbExecuted: 0 none, 1 replied to sender, 2 replied to all,
--                     3 forwarded (SmartReply / SmartForward from any of the user's devices);
-- last_verb_time      email2:LastVerbExecutionTime.
-- received_as_bcc     the user was neither the sender nor named in To or Cc.
-- sender              the Sender header (email2:Sender: sent on behalf of From), '' when absent.
ALTER TABLE emails
    ADD COLUMN conversation_id bytea,
    ADD COLUMN conversation_index bytea,
    ADD COLUMN last_verb smallint NOT NULL DEFAULT 0 CHECK (last_verb BETWEEN 0 AND 3),
    ADD COLUMN last_verb_time timestamptz,
    ADD COLUMN received_as_bcc boolean NOT NULL DEFAULT false,
    ADD COLUMN sender text NOT NULL DEFAULT '';

-- Mail stored before this version: grouped by thread topic (the subject without Re:/Fwd:), the
-- key the code uses for a message without Message-ID or thread headers (same hash: the first 16
-- bytes of SHA-256 of 'topic:' and the lower-case topic), with an index header from when it was
-- sent. Replies that arrive later find these rows by Message-ID (or topic) and join them. (Thread-Index and
-- References of old rows are not read here: that needs the MIME parser.) The rows are filled in
-- without making each one a change: that would make every device download the whole mailbox
-- again; devices get the values with an item's next change or a new sync partnership.
ALTER TABLE emails DISABLE TRIGGER emails_touch;
UPDATE emails SET
    conversation_id = substring(sha256(convert_to('topic:' || lower(thread_topic), 'UTF8')) FROM 1 FOR 16),
    conversation_index = substring(int8send((((extract(epoch FROM coalesce(date_sent, date_received))::bigint
                                               + 11644473600) * 10000000) >> 24)) FROM 4 FOR 5)
WHERE conversation_id IS NULL;
ALTER TABLE emails ENABLE TRIGGER emails_touch;

-- Search by ConversationId, ItemOperations Move of a conversation, Sync ConversationMode.
CREATE INDEX emails_conversation ON emails (conversation_id) WHERE conversation_id IS NOT NULL;
-- A reply finds the message it answers by Message-ID, or, naming none, by thread topic.
CREATE INDEX emails_message_id ON emails (message_id) WHERE message_id <> '';
CREATE INDEX emails_thread_topic ON emails (lower(thread_topic));

-- ItemOperations Move of a conversation with MoveAlways (MS-ASCMD 2.2.3.113): mail of that
-- conversation delivered to the Inbox later goes to this folder instead.
CREATE TABLE conversation_moves (
    user_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    conversation_id  bytea NOT NULL,
    folder_id        bigint NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, conversation_id)
);
