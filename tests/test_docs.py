"""Docs that cannot rot: links resolve, the CLI reference is the parser's own help, the README
stays a front door and its headline figures are the benches' (README blocks run in test_readme.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from cli_docs import CLI_DOC, cli_reference  # noqa: E402
from headline import README, headline_table, replace_block  # noqa: E402

pytestmark = pytest.mark.unit

PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#")}


def links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)  # code is not prose
    return [m.group(1) for m in LINK.finditer(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z]+://|^mailto:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target} (no {resolved.relative_to(ROOT) if ROOT in resolved.parents else resolved})")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            broken.append(f"{target} (no heading #{anchor} in {resolved.name})")
    assert not broken, f"{page.relative_to(ROOT)}: broken links: {broken}"


def test_every_docs_page_is_reachable_from_the_readme():
    """A page no link leads to is a page nobody reads."""
    reached, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in reached or not page.exists() or page.suffix != ".md":
            continue
        reached.add(page)
        todo += [(page.parent / t.partition("#")[0]).resolve() for t in links(page) if "://" not in t]
    unreached = [str(p.relative_to(ROOT)) for p in PAGES if p not in reached]
    assert not unreached, f"no link leads to {unreached}"


def test_the_readme_is_a_front_door():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_every_readme_block_runs_or_says_why_not():
    """tests/test_readme.py runs them; a skipped one names its reason."""
    from test_readme import readme_blocks

    blocks = readme_blocks()
    assert {"python", "bash"} <= {lang for lang, _, _ in blocks}
    for lang, code, skip in blocks:
        assert skip is None or skip.strip(), f"a skipped {lang} block gives no reason: {code[:80]}"


def test_the_cli_reference_is_the_parsers_help():
    if sys.version_info[:2] != (3, 11):  # argparse's layout changes between Python versions
        text = CLI_DOC.read_text(encoding="utf-8")
        assert all(f"## spark-synth {c}" in text for c in ("fit", "generate", "run", "evaluate"))
        return
    assert CLI_DOC.read_text(encoding="utf-8") == cli_reference(), "run python scripts/cli_docs.py"


def test_the_headline_figures_are_the_benches():
    text = README.read_text(encoding="utf-8")
    assert replace_block(text, headline_table()) == text, "run python scripts/headline.py"
