"""A model-based (stateful) property test of the whole bot: see ``tests/test_model.py``.

- ``ops``: the operations a program is made of (players, website staff, Discord staff, admins, faults, polls,
  restarts, crashes), as small frozen dataclasses, and the Hypothesis strategy that generates programs.
- ``world``: one fresh world per program: a fake Series on 127.0.0.1, a SQLite file in a temporary folder, the bot
  built by ``tests.helpers.offline_bot`` and run in SimCord, restarts and crash points.
- ``state``: the model: what the test expects (links over time, routes, tickets, every text staff submitted).
- ``invariants``: one function per invariant, each raising its own :class:`~tests.model.invariants.Violation`.
- ``driver``: runs a program op by op against a fresh world and checks the invariants after every step.
- ``regressions``: every failure found so far, as a short named program replayed by a plain test.
"""
