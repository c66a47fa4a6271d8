"""Local fakes of the services Ticket Bridge talks to, for tests, benchmarks and trying the bot without a subscription.

Each follows its reference (``docs/``) including the exact error strings, and runs standalone with
``python -m fakes.<name>``.
"""
