-- easd schema 20: deliveries already stored, so that a delivery Postfix retries is not stored twice.
--
-- easd-deliver exits 75 when it loses the database, and Postfix tries again later. In a failover the
-- COMMIT can succeed on the server while the connection dies before easd-deliver hears so: the retry
-- would store the message a second time. easd-deliver inserts the delivery's key here in the same
-- transaction that stores the message (a key that is already here: delivered before, nothing stored,
-- exit 0). The key: with --queue-id, the Postfix queue id and the SHA-256 of the bytes received
-- ('<queue id>:<hex>'; short queue ids repeat, so the id alone could drop another message); without,
-- the SHA-256 alone ('<hex>'). Only easd-deliver writes here, not every store of a message.
--
-- Kept 7 days (Postfix gives up after maximal_queue_lifetime, 5 days by default): easd-deliver
-- removes a few expired keys after each delivery, through the index on delivered_at.
CREATE TABLE deliveries (
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    delivery_key  text NOT NULL,
    delivered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, delivery_key)
);
CREATE INDEX deliveries_delivered_at ON deliveries (delivered_at);
