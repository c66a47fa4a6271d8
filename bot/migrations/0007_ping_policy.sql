-- Reason: a route's role is mentioned once per ticket that is new since the route existed, and never for
-- backfill, route moves or restarts. "New" is judged on the bot's own clock, never against Series' timestamps:
-- the poller notes when it first saw each ticket (first_seen_at), and a route is "primed" by the first poll
-- that ran with it (primed_at). Tickets first seen after that are new. Existing routes are primed again by the
-- next poll after this upgrade, so tickets they already hold never ping. feed_pings records every ping made,
-- before it is made, so none is ever made twice.
ALTER TABLE feed_routes ADD COLUMN primed_at TEXT;
ALTER TABLE feed_tickets ADD COLUMN first_seen_at TEXT;
UPDATE feed_tickets SET first_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');

CREATE TABLE feed_pings (
    guild_id   INTEGER NOT NULL,
    ticket_id  TEXT    NOT NULL,
    department TEXT    NOT NULL,  -- the route's department ('' for the default route)
    pinged_at  TEXT    NOT NULL,
    PRIMARY KEY (guild_id, ticket_id, department)
);
