"""Cut a failing program down by hand, faster than Hypothesis' shrinker on a long one (each run takes ~0.3 s).

    python -m tests.model.minimize "[Poll(), NewTicket(), ...]"      # the program Hypothesis printed
    python -m tests.model.minimize --avoid all-known "[...]"

It removes chunks of steps, then single steps, keeping any removal after which the program still breaks the *same*
invariant, and prints the shortest program found and its violation.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from . import ops
from .driver import avoid_from_env, execute
from .invariants import Violation


def violation_of(program: Sequence[ops.Op], avoid: frozenset[str]) -> Violation | None:
    try:
        execute(program, avoid=avoid)
    except Violation as exc:
        return exc
    return None


def minimize(program: list[ops.Op], avoid: frozenset[str]) -> tuple[list[ops.Op], Violation]:
    first = violation_of(program, avoid)
    if first is None:
        raise SystemExit("that program passes")
    kind, best = type(first), first
    chunk = max(len(program) // 2, 1)
    while chunk >= 1:
        i = 0
        while i < len(program):
            candidate = program[:i] + program[i + chunk :]
            found = violation_of(candidate, avoid) if candidate else None
            if found is not None and type(found) is kind:
                program, best = candidate, found
            else:
                i += chunk
        chunk //= 2
    return program, best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("program", help="a Python list of ops, as Hypothesis prints it")
    parser.add_argument("--avoid", default="", help="as TICKET_BRIDGE_MODEL_AVOID")
    args = parser.parse_args()
    if args.avoid:
        os.environ["TICKET_BRIDGE_MODEL_AVOID"] = args.avoid
    names = {name: getattr(ops, name) for name in dir(ops) if isinstance(getattr(ops, name), type)}
    program = eval(args.program, {"__builtins__": {}}, names)  # noqa: S307 - a developer's own input
    small, violation = minimize(list(program), avoid_from_env())
    print("(" + ", ".join(map(repr, small)) + ",)")
    print(violation)


if __name__ == "__main__":
    main()
