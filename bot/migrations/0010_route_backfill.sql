-- Reason: setting a route over a workspace full of open tickets must not flood the channel. The admin chooses:
-- post every open ticket (backfill = 1) or only the ones that are new from now on (0). Routes made before this
-- choice existed keep posting everything, as they did.
ALTER TABLE feed_routes ADD COLUMN backfill INTEGER NOT NULL DEFAULT 1 CHECK (backfill IN (0, 1));
