-- Reason: two copies of the bot on one database (a deploy overlap, a second terminal) would both recover replies
-- and post cards. The copy that runs holds this lease and renews it; another copy waits until it is released or
-- runs out (bot/lease.py).
CREATE TABLE instance_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,   -- a random id of the running copy
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at REAL NOT NULL,   -- epoch seconds (wall clock: the copies are different processes)
    expires_at  REAL NOT NULL
);
