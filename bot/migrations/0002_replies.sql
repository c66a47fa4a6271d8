-- Reason: the text a staff member typed must never be lost. Every reply is written here before it is sent,
-- so a failed reply can be retried ("Claim and send", "Try again") and one accepted before a crash is
-- finished or reported after the restart.
CREATE TABLE replies (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER,
    member_id      INTEGER NOT NULL,
    roblox_user_id INTEGER NOT NULL,
    ticket_id      TEXT    NOT NULL,
    content        TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
    error          TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);
CREATE INDEX replies_open ON replies (state) WHERE state IN ('pending', 'sending');
