"""discord.py extensions: one feature per module."""
