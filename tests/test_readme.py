"""The README's promises about running the bot: exactly two commands, CI runs the test one, the Procfile."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", README.split("## Setting up the Discord application")[0])


def test_readme_gives_exactly_two_commands_and_ci_runs_the_test_one():
    run, test = readme_commands()
    assert run.endswith("python -m bot") and "requirements.txt" in run
    assert test.endswith("python -m pytest") and "requirements-dev.txt" in test
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_procfile():
    assert (ROOT / "Procfile").read_text(encoding="utf-8").strip() == "worker: python -m bot"
