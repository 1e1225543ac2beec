"""Every deep link the README and docs hand out opens its page with exactly those values and no
warning (a link is a contract)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab.controls.registry import SIMULATION_PAGES
from tests.pages.deep_links import open_link, page_of, shown_values, url_warnings

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Links into the app as the docs write them: https://YOUR-APP/<path>?<query>.
LINK = re.compile(r"https://YOUR-APP/([a-z0-9-]*)(\?[^\s`)\]]*)?")


def doc_links() -> list[str]:
    found = []
    for doc in DOCS:
        for match in LINK.finditer(doc.read_text(encoding="utf-8")):
            found.append(match.group(0))
    return sorted(set(found))


def test_the_docs_hand_out_deep_links() -> None:
    assert len(doc_links()) >= 4


@pytest.mark.parametrize("link", doc_links())
def test_a_doc_link_opens_its_page_with_exactly_those_values(link: str) -> None:
    info, query = page_of(link)
    controls = SIMULATION_PAGES.get(info.key)
    if controls is not None:
        # The declaration accepts the link as written: every name declared, every value legal.
        controls.query({name: controls[name].parse(text) for name, text in query.items()})
    at = open_link(link)
    assert not at.exception
    assert url_warnings(at) == []
    if controls is not None:
        expected = {name: controls[name].parse(text) for name, text in query.items()}
        assert shown_values(at, info.key, expected) == expected


@pytest.mark.parametrize("page", sorted(SIMULATION_PAGES))
def test_a_page_default_link_opens_with_exactly_those_values(page: str) -> None:
    controls = SIMULATION_PAGES[page]
    values = controls.applied(controls.defaults())
    at = open_link(controls.link(values))
    assert not at.exception
    assert url_warnings(at) == []
    assert shown_values(at, page, values) == values
    # The page writes the same values back to the URL: the link is what a student would copy.
    assert dict(at.query_params) == controls.query(values)
