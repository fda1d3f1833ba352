"""The README's links: every in-page anchor names a heading of the file it points into, and
every relative file link names a file of the repository (GitHub's heading slugs: lower case,
punctuation other than '-' and '_' dropped, spaces to '-', '-1', '-2', ... for repeats)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "results/HISTORY.md"]


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        m = None if fence else re.match(r"^#{1,6} (.*?)#*\s*$", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(text: str) -> list[str]:
    text = re.sub(r"```.*?```", "", text, flags=re.S)          # code blocks are not links
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_the_slugs_follow_githubs_rule():
    assert anchors("# Measured: Evolino\n## A `b` (c)\n## A `b` (c)\n```\n# not\n```") == \
        {"measured-evolino", "a-b-c", "a-b-c-1"}


@pytest.mark.parametrize("doc", DOCS)
def test_every_link_of_the_document_resolves(doc):
    path = ROOT / doc
    text = path.read_text()
    bad = []
    for link in links(text):
        if re.match(r"^[a-z]+:", link):                         # http(s), mailto: not checked here
            continue
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            bad.append(f"{link}: no file {target}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text()):
            bad.append(f"{link}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not bad, bad
