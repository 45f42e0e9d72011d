"""Every relative link in README.md and docs/*.md resolves: the file exists, the #anchor is a heading."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -N for repeats."""
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", markdown), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        result.add(slug if n == 0 else f"{slug}-{n}")
    return result


def links(markdown: str) -> list[str]:
    text = re.sub(r"`[^`\n]*`", "", FENCE.sub("", markdown))  # code is not a link
    return [a or b for a, b in LINK.findall(text)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    broken = []
    for target in links(doc.read_text()):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / unquote(path)).resolve() if path else doc
        if not file.exists() or ROOT not in file.parents:
            broken.append(f"{target}: no such file in the repository")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not broken, "\n".join(broken)


def test_the_anchor_rule_matches_github():
    assert anchors("## Configuration (cdk.json context; override with `-c key=value`)\n## A\n## A") == {
        "configuration-cdkjson-context-override-with--c-keyvalue",
        "a",
        "a-1",
    }


def test_readme_sections_cited_in_code_exist():
    headings = set(re.findall(r"^#{1,6}\s+(.+?)\s*$", FENCE.sub("", (ROOT / "README.md").read_text()), re.M))
    cited: dict[str, Path] = {}
    for source in set(ROOT.glob("**/*.py")) - {Path(__file__).resolve()}:
        if any(part in {"node_modules", "cdk.out"} or part.startswith(".") for part in source.relative_to(ROOT).parts):
            continue
        for section in re.findall(r'README, "([^"]+)"', source.read_text()):
            cited.setdefault(section, source.relative_to(ROOT))
    assert cited, "no citation found: the pattern no longer matches how code cites the README"
    missing = {section: str(where) for section, where in cited.items() if section not in headings}
    assert not missing, missing
