-- Reason: the hourly prune deletes by ticket_id, and these two tables' primary keys begin with guild_id, so it
-- read them in full (found by bench/growth.py over a simulated year).
CREATE INDEX mirrored_messages_ticket ON mirrored_messages (ticket_id);
CREATE INDEX feed_pings_ticket ON feed_pings (ticket_id);
CREATE INDEX reminders_sent_ticket ON reminders_sent (ticket_id);
