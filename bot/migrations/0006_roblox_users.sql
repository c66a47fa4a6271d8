-- Reason: staff are linked by Roblox id, but people know each other by name. What Roblox told us about an id
-- (username, display name, headshot) is kept here, so lists and cards show names without asking Roblox every
-- time (its legacy APIs are being limited harder), and an id linked while Roblox was down keeps a row with no
-- name that is filled in later.
CREATE TABLE roblox_users (
    id                  INTEGER PRIMARY KEY CHECK (id > 0),
    name                TEXT,                       -- the username; NULL until Roblox has told us
    display_name        TEXT,
    headshot_url        TEXT,                       -- an https image; NULL when Roblox had no finished one
    fetched_at          TEXT,                       -- when name and display_name were last fetched
    headshot_fetched_at TEXT,                       -- when the headshot was last asked for
    missing             INTEGER NOT NULL DEFAULT 0 CHECK (missing IN (0, 1))  -- Roblox said: no such user
);
CREATE INDEX roblox_users_unknown ON roblox_users (id) WHERE name IS NULL AND missing = 0;
