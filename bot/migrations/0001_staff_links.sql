-- Reason: staff links are the core of /reply. A Discord member acts on Series as the Roblox user id an admin
-- linked them to; one link per member per guild.
CREATE TABLE staff_links (
    guild_id       INTEGER NOT NULL,
    member_id      INTEGER NOT NULL,
    roblox_user_id INTEGER NOT NULL CHECK (roblox_user_id > 0),
    linked_by      INTEGER NOT NULL,
    linked_at      TEXT    NOT NULL,
    PRIMARY KEY (guild_id, member_id)
);

-- Small key/value facts about this installation (for example the hash of the last synced command set, so the
-- bot syncs slash commands only when they changed: Discord allows 200 command creates a day per guild).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
