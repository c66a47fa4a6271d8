-- Reason: what staff teams use every day (snippets, reminders, stats, transcripts) needs its own records.

-- What happened to each ticket, as the bot observed it and as Series' own timestamps say (bot/events.py):
-- opened (CreatedAt), each staff reply and player message (the message's Timestamp, so replies made on the
-- website count too), and each claim, unclaim, transfer, resolve, close and reopen (the UpdatedAt at which the
-- bot first saw it). ``key`` makes recording idempotent: the message id, or kind:UpdatedAt, or 'opened'.
CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY,
    ticket_id  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN (
                   'opened', 'claimed', 'unclaimed', 'replied', 'player', 'resolved', 'closed', 'reopened',
                   'transferred')),
    at         TEXT    NOT NULL,  -- ISO-8601 UTC
    actor      INTEGER,           -- the Roblox id who did it (claimer, replier; a resolve: the claimer then)
    department TEXT    NOT NULL,  -- the ticket's department at that moment
    UNIQUE (ticket_id, key)
);
-- /stats and the weekly digest read a time window; pruning deletes by age.
CREATE INDEX ticket_events_at ON ticket_events (at, kind);
-- First response and resolution: a ticket's events in order; reminders: its latest messages.
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, kind, at);

-- The state each ticket was last seen in, to tell what changed (a claim, a transfer) from one look to the next.
CREATE TABLE ticket_state (
    ticket_id  TEXT PRIMARY KEY,
    status     TEXT    NOT NULL,
    claimed_by INTEGER,
    department TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);

-- Canned replies, per server. Variables: {player} {subject} {ticket} {staff} (bot/snippets.py).
CREATE TABLE snippets (
    guild_id   INTEGER NOT NULL,
    name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 32),
    body       TEXT    NOT NULL,
    updated_by INTEGER NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (guild_id, name)
);

-- Reminders per route, in minutes; 0 is off (the default).
ALTER TABLE feed_routes ADD COLUMN remind_unclaimed REAL NOT NULL DEFAULT 0 CHECK (remind_unclaimed >= 0);
ALTER TABLE feed_routes ADD COLUMN remind_waiting REAL NOT NULL DEFAULT 0 CHECK (remind_waiting >= 0);

-- One reminder per ticket per wait, never repeated across restarts: recorded before it is posted. ``wait`` is
-- what started the wait: 'opened' for unclaimed, the player message's id for waiting.
CREATE TABLE reminders_sent (
    guild_id  INTEGER NOT NULL,
    ticket_id TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('unclaimed', 'waiting')),
    wait      TEXT    NOT NULL,
    sent_at   TEXT    NOT NULL,
    PRIMARY KEY (guild_id, ticket_id, kind, wait)
);

-- The weekly digest, per server: where, and the last one posted (so a restart never posts one twice).
CREATE TABLE digests (
    guild_id     INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL,
    last_sent_at TEXT,
    set_by       INTEGER NOT NULL,
    problem      TEXT             -- why the last one couldn't be posted, shown by /feed show
);
