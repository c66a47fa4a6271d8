"""``pip install .`` installs what ``python -m bot`` runs: every package, the migrations, and dependencies that
admit the versions requirements.txt pins (so the two can't drift apart)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins() -> dict[str, str]:
    found = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            found[canonicalize_name(name)] = version
    return found


def test_dependencies_admit_the_pinned_versions():
    declared = {canonicalize_name(r.name): r for r in map(Requirement, PROJECT["project"]["dependencies"])}
    assert set(declared) == set(pins())
    for name, version in pins().items():
        assert declared[name].specifier.contains(version), f"{name}=={version} is outside {declared[name]}"


def test_every_package_is_installed():
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "cogs")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert listed == on_disk


def test_migrations_ship_with_the_package():
    assert PROJECT["tool"]["setuptools"]["package-data"]["bot.migrations"] == ["*.sql"]
    assert list((ROOT / "bot" / "migrations").glob("*.sql"))


def test_the_licence_is_declared():
    assert PROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
