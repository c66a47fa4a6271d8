-- Reason: cards left stale by a broken route, and resolved or closed tickets Series changed later (found by the
-- model-based test). problem_at is when a route's current problem began (the bot's clock): when the route is
-- retried, the cards handled since then are looked at again. The partial index finds the few done tickets marked
-- to be fetched again; cards_channel finds a route's cards.
ALTER TABLE feed_routes ADD COLUMN problem_at TEXT;
UPDATE feed_routes SET problem_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE problem IS NOT NULL;
CREATE INDEX feed_tickets_refetch ON feed_tickets (ticket_id) WHERE updated_at = '';
CREATE INDEX cards_channel ON cards (guild_id, channel_id);
