"""A model-based (stateful) property test of the whole bot: see ``tests/test_model.py``.

- ``ops``: the operations a program is made of (players, website staff, Discord staff and admins, faults, polls,
  restarts, crashes), as small frozen dataclasses with one ``apply`` each, and the strategy that generates programs.
- ``world``: one fresh world per program: a fake Series on 127.0.0.1, a SQLite file in a temporary folder, the bot
  built by ``tests.helpers.offline_bot`` and run in SimCord, restarts, crash points, a log of refused Discord calls.
- ``state``: the model: what the test expects (links over time, routes, tickets, every text staff submitted, the
  boxes still open, which faults are active).
- ``invariants``: one function per invariant, each raising its own :class:`~tests.model.invariants.Violation`.
- ``driver``: runs a program op by op against a fresh world and checks the invariants after every step; also the
  list of defects found, by the names ``TICKET_BRIDGE_MODEL_AVOID`` uses to steer programs clear of them.
- ``regressions``: every failure found, as a short named program replayed by a plain test.
- ``minimize``: ``python -m tests.model.minimize "[...]"`` cuts a long failing program down (faster than
  Hypothesis' shrinker when each run takes a third of a second).
"""
