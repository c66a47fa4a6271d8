-- Reason: a problem with one ticket's thread (locked, deleted) is kept on its card, so /feed show can tell
-- admins about it, and a deleted card message can be found by its id.
ALTER TABLE cards ADD COLUMN problem TEXT;
CREATE INDEX cards_message ON cards (message_id) WHERE message_id IS NOT NULL;
