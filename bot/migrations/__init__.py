"""Forward-only schema migrations, applied in order by ``bot.database.migrate``."""
