-- Reason: the ticket feed. Routes say where each department's tickets go; feed_tickets remembers the last
-- UpdatedAt handled per ticket, so a poll fetches details only for tickets that changed; cards and
-- mirrored_messages record what was posted, so a restart (even mid-poll) neither duplicates nor misses.
CREATE TABLE feed_routes (
    guild_id     INTEGER NOT NULL,
    department   TEXT    NOT NULL,  -- '' is the server's default route
    channel_id   INTEGER NOT NULL,
    ping_role_id INTEGER,
    problem      TEXT,              -- the last delivery problem, shown by /feed show
    PRIMARY KEY (guild_id, department)
);

CREATE TABLE feed_tickets (
    ticket_id  TEXT PRIMARY KEY,
    updated_at TEXT NOT NULL,
    status     TEXT NOT NULL,
    department TEXT NOT NULL
);
CREATE INDEX feed_tickets_status ON feed_tickets (status);

CREATE TABLE cards (
    guild_id   INTEGER NOT NULL,
    ticket_id  TEXT    NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER,             -- NULL while the card is being posted
    thread_id  INTEGER,
    PRIMARY KEY (guild_id, ticket_id)
);
CREATE INDEX cards_thread ON cards (thread_id) WHERE thread_id IS NOT NULL;

CREATE TABLE mirrored_messages (
    guild_id    INTEGER NOT NULL,
    ticket_id   TEXT    NOT NULL,
    message_key TEXT    NOT NULL,   -- the msj_… key in the ticket's Content, or reply:<id> for our own replies
    posted      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, ticket_id, message_key)
);
