"""Citations in the code point at headings that exist: ``docs/<name>.md#<anchor>``, with GitHub's anchors.

The facts the code relies on about Series and Discord live in ``docs/``; a comment cites them as
``docs/series-api.md#claim-before-reply``. These tests keep every such citation resolvable, and (once the code is
migrated) keep the old citations of documents outside the repository (``series-api §6.11``, ``discord-limits G1``)
from coming back.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCANNED_DIRS = ("bot", "cogs", "fakes", "bench", "tests")
SCANNED_FILES = ("README.md", "BENCHMARKS.md")
SUFFIXES = {".py", ".md", ".sql", ".txt", ".toml", ".cfg", ".ini", ".sh"}
SELF = Path(__file__).resolve()

# A citation: docs/<name>.md#<anchor>. GitHub anchors hold only letters, digits, "_" and "-", so a trailing
# "." or ")" after the citation is not part of it.
CITATION = re.compile(r"docs/(?P<file>[\w.-]+\.md)#(?P<anchor>[\w-]+)")
OLD_CITATIONS = (
    re.compile(r"series-api §"),
    re.compile(r"discord-limits [A-Z][0-9]"),
    re.compile(r"limits [A-Z][0-9]"),
    re.compile(r"§"),  # "reference §6.4", "§3.12": section numbers of the outside reference
)

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]+>")
_EMPHASIS = re.compile(r"(\*{1,3}|(?<!\w)_{1,3}(?=\S)|(?<=\S)_{1,3}(?!\w))")


def heading_text(raw: str) -> str:
    """The text GitHub renders for a heading: inline code kept as text, links as their text, markup dropped."""
    text = _INLINE_CODE.sub(lambda m: m.group(2).strip().replace("*", "\0"), raw)  # code keeps * and _
    text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _EMPHASIS.sub("", text)
    return text.replace("\0", "*").strip()


def slug(text: str) -> str:
    """GitHub's anchor for one heading text (github-slugger): lower case, drop punctuation, spaces become "-"."""
    kept = []
    for ch in text.lower():
        category = unicodedata.category(ch)
        if ch in " -" or category[0] in "LMN" or category == "Pc":
            kept.append("-" if ch == " " else ch)
    return "".join(kept)


def heading_slugs(markdown: str) -> list[str]:
    """The slug of every ATX heading (``#`` to ``######``) outside fenced code blocks, in order, not deduplicated."""
    slugs: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        match = _ATX_HEADING.match(line)
        if match:
            slugs.append(slug(heading_text(match.group(2) or "")))
    return slugs


def anchors(markdown: str) -> list[str]:
    """Every heading anchor of a Markdown document, in order; a repeated one gets ``-1``, ``-2``, ... like GitHub."""
    seen: dict[str, int] = {}
    result: list[str] = []
    for base in heading_slugs(markdown):
        anchor = base
        while anchor in seen:
            seen[base] += 1
            anchor = f"{base}-{seen[base]}"
        seen[anchor] = 0
        result.append(anchor)
    return result


def scanned_files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for directory in SCANNED_DIRS:
        for path in sorted((ROOT / directory).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts and path != SELF:
                files.append(path)
    return files


def citations(paths: list[Path]) -> list[tuple[str, str, str]]:
    """``(file:line, cited file, anchor)`` for every ``docs/<name>.md#<anchor>`` in ``paths``."""
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in CITATION.finditer(line):
                where = f"{path.relative_to(ROOT)}:{number}"
                found.append((where, match.group("file"), match.group("anchor")))
    return found


def unresolved(found: list[tuple[str, str, str]]) -> list[str]:
    cache: dict[str, set[str] | None] = {}
    problems = []
    for where, name, anchor in found:
        if name not in cache:
            doc = DOCS / name
            cache[name] = set(anchors(doc.read_text(encoding="utf-8"))) if doc.is_file() else None
        known = cache[name]
        if known is None:
            problems.append(f"{where}: docs/{name} does not exist")
        elif anchor not in known:
            problems.append(f"{where}: docs/{name} has no heading with anchor #{anchor}")
    return problems


# -- the anchor rules themselves -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("What the bot assumes where Series is silent", "what-the-bot-assumes-where-series-is-silent"),
        ("`ClaimedBy` oddities", "claimedby-oddities"),
        ("429 and Retry-After", "429-and-retry-after"),
        ("Polling, not push", "polling-not-push"),
        ("Fake: ticket state", "fake-ticket-state"),
        ("What discord.py checks", "what-discordpy-checks"),
        ("Status / error code", "status--error-code"),
        ("**Bold** and [a link](https://example.com)", "bold-and-a-link"),
        ("snake_case_name", "snake_case_name"),
        ("Émoji ✅ and ümlauts", "émoji--and-ümlauts"),
    ],
)
def test_heading_anchor_follows_github(heading, anchor):
    assert slug(heading_text(heading)) == anchor


def test_repeated_headings_get_numbered_and_code_blocks_are_not_headings():
    text = "# Title\n## Notes\n```\n# not a heading\n```\n## Notes\n### Notes ###\n## Notes 1\n## Notes\n"
    assert anchors(text) == ["title", "notes", "notes-1", "notes-2", "notes-1-1", "notes-3"]


def test_citation_pattern_stops_at_punctuation():
    line = "(see docs/series-api.md#claim-before-reply). Also docs/discord-limits.md#allowed-mentions, here."
    assert [(m["file"], m["anchor"]) for m in CITATION.finditer(line)] == [
        ("series-api.md", "claim-before-reply"),
        ("discord-limits.md", "allowed-mentions"),
    ]


# -- the repository ---------------------------------------------------------------------------------------------


def test_reference_docs_exist_with_unique_headings():
    for name in ("series-api.md", "discord-limits.md"):
        slugs = heading_slugs((DOCS / name).read_text(encoding="utf-8"))
        assert slugs, name
        # A repeated heading gets a "-1" anchor that silently changes when a heading is added above it.
        repeated = sorted({s for s in slugs if slugs.count(s) > 1})
        assert repeated == [], f"{name}: headings repeated: {repeated}"


def test_every_citation_in_the_code_resolves():
    found = citations(scanned_files())
    assert unresolved(found) == []


def test_every_citation_between_docs_resolves():
    # Includes docs/CITATIONS-TODO.md while it exists: the citations it proposes must be real headings.
    found = citations(sorted(DOCS.glob("*.md")))
    assert unresolved(found) == []


def test_links_within_each_doc_resolve():
    problems = []
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        known = set(anchors(text))
        for anchor in re.findall(r"\]\(#([^)\s]+)\)", text):
            if anchor not in known:
                problems.append(f"docs/{doc.name}: link to #{anchor}, which is no heading")
    assert problems == []


def test_no_old_style_citations_remain():
    left = []
    for path in scanned_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(pattern.search(line) for pattern in OLD_CITATIONS):
                left.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert left == [], "\n".join(left)
