-- Reason: nothing the bot keeps may grow for ever, and every query on a hot path has an index.
-- feed_tickets learns when the feed last handled each ticket (handled_at, the bot's clock), so the data of
-- tickets resolved or closed longer ago than DATA_RETENTION_DAYS can be pruned (bot/retention.py).
ALTER TABLE feed_tickets ADD COLUMN handled_at TEXT;
UPDATE feed_tickets SET handled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
CREATE INDEX feed_tickets_done ON feed_tickets (status, handled_at);

-- Who sent this staff message through the bot (each mirrored staff message asks).
CREATE INDEX replies_sender ON replies (ticket_id, roblox_user_id);
-- Pruning old reply texts.
CREATE INDEX replies_updated ON replies (updated_at);
-- Every card and thread of one ticket, whatever the server (pruning, cleaning up a ticket).
CREATE INDEX cards_ticket ON cards (ticket_id);
-- The Discord members linked to a Roblox id (the claimer on every card edit).
CREATE INDEX staff_links_roblox ON staff_links (guild_id, roblox_user_id);
-- Pruning the audit trail by age.
CREATE INDEX audit_created ON audit (created_at);
