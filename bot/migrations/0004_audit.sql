-- Reason: an audit trail. Every action taken through the bot is recorded (who, as which Roblox id, on which
-- ticket, what, how it ended, when), and shown to staff by /ticket history.
CREATE TABLE audit (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    member_id      INTEGER NOT NULL,
    roblox_user_id INTEGER,
    ticket_id      TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    result         TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
CREATE INDEX audit_ticket ON audit (ticket_id, id);
