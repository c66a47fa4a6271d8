"""A model-based property test of the whole bot: Hypothesis writes programs, a fresh world runs each one.

A program is a list of operations (``tests/model/ops.py``): players and website staff acting on the fake Series,
staff using commands, card buttons, Reply boxes and the buttons under a failed reply, an admin linking, unlinking and
routing, Series and Discord faults, polls, restarts and crashes. ``tests/model/driver.py`` runs it op by op in a
fresh world (fake Series, SQLite file, the real bot in SimCord) and checks every invariant in
``tests/model/invariants.py`` after each step; Hypothesis shrinks a failing program to a minimal one.

Run it bounded (CI: the same programs every run, no shrinking, well under a minute)::

    python -m pytest tests/test_model.py

or long (random programs, shrinking on; ``TICKET_BRIDGE_MODEL_SEED=<n>`` makes a long run repeatable,
``TICKET_BRIDGE_MODEL_SHRINK=0`` reports the first failure unshrunk, for ``python -m tests.model.minimize``)::

    TICKET_BRIDGE_MODEL_EXAMPLES=2000 TICKET_BRIDGE_MODEL_STEPS=60 python -m pytest tests/test_model.py -x

Programs steer clear of every defect whose regression in ``tests/model/regressions.py`` is still open, so this test
guards everything else; marking a regression ``fixed=True`` lets programs walk into that defect again.
``TICKET_BRIDGE_MODEL_AVOID`` overrides it: ``none`` (walk into every defect), ``all-known``, ``all``, or a comma list
of names from ``tests.model.driver.DEFECTS``. Every failure found is kept as a named program in
``tests/model/regressions.py`` and replayed below on every run.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.model.driver import PRELUDE, TALLY, HarnessError, avoid_from_env, execute
from tests.model.ops import programs
from tests.model.regressions import FIXED, KNOWN, NEW, Regression

LONG = "TICKET_BRIDGE_MODEL_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("TICKET_BRIDGE_MODEL_EXAMPLES", "60"))
STEPS = int(os.environ.get("TICKET_BRIDGE_MODEL_STEPS", "30"))
SEED = os.environ.get("TICKET_BRIDGE_MODEL_SEED")
SHRINK = LONG and os.environ.get("TICKET_BRIDGE_MODEL_SHRINK", "1") != "0"
# By default programs steer clear of every defect whose regression is still open (so this test guards everything
# else, and starts covering a defect as soon as its regression is marked fixed); TICKET_BRIDGE_MODEL_AVOID=none
# lets them walk into every one.
OPEN_DEFECTS = {r.defect for r in (*KNOWN, *NEW) if not r.fixed}
AVOID = avoid_from_env(default=OPEN_DEFECTS)


def _seeded(test):  # noqa: ANN001, ANN202 - a decorator
    return seed(int(SEED))(test) if SEED else test


@_seeded
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # CI: the same programs every run, and no shrinking (a failure's minimal program goes into regressions.py).
    derandomize=not LONG and not SEED,
    phases=tuple(Phase) if SHRINK else (Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
@given(program=programs(STEPS))
def test_random_programs_keep_every_invariant(program):
    execute(program, avoid=AVOID, tally=TALLY)


def _param(regression: Regression):  # noqa: ANN202
    marks = []
    if not regression.fixed:
        # It must fail for its own reason: any other failure (a harness bug, another invariant) is reported.
        marks.append(pytest.mark.xfail(strict=False, raises=regression.violation, reason=regression.reason))
    return pytest.param(regression, id=regression.name, marks=marks)


@pytest.mark.parametrize("regression", [_param(r) for r in (*KNOWN, *NEW, *FIXED)])
def test_regression_program(regression: Regression):
    run = execute(regression.program)
    # A regression that passes only because a step did nothing (a button the bot no longer shows, an option it
    # renamed) proves nothing: every step must have run, except the ones its entry says may not.
    skipped = [(i, op, why) for i, op, why in run.skipped if i - len(PRELUDE) not in regression.may_skip]
    if skipped:
        raise HarnessError(f"{regression.name}: steps skipped: {skipped}\n" + "\n".join(run.trace))


# In the bounded run at least half the random steps (after the prelude) must really run (60% do: the rest had no
# ticket yet, hit a hidden command, or were steered clear of an open defect); below it the strategy and
# the bot have drifted apart (buttons renamed, options changed) and the programs test much less than they seem to.
MIN_SHARE_RAN = 0.5


def test_random_programs_mostly_ran():
    """Runs after the random programs (pytest keeps file order); skipped when they didn't run in this session."""
    if TALLY.programs == 0:
        pytest.skip("no random programs ran in this session")
    print(f"\nmodel: {TALLY.programs} programs, {TALLY.ran} steps ran, skipped: {dict(TALLY.skipped.most_common())}")
    assert TALLY.share_ran >= MIN_SHARE_RAN, (
        f"only {TALLY.share_ran:.0%} of the random steps ran (skipped by kind: {dict(TALLY.skipped.most_common())})"
    )
