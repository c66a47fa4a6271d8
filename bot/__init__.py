"""Ticket Bridge: Series support tickets, handled from Discord."""

__version__ = "0.2.0"
