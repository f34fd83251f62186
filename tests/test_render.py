"""Renderers: untrusted article text is escaped; the JSON is the contract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from briefing import generate
from briefing.render import to_html, to_markdown

HOSTILE = (
    "The minister said <script>alert('x')</script> the talks had failed and "
    "<img src=x onerror=alert(1)> | pipes | and [links](http://evil) were in the text.\n"
)


def test_hostile_article_text_is_escaped(seeds_copy: Path, tmp_path: Path) -> None:
    (seeds_copy / "hostile.txt").write_text(" date 2025-05-01 200\n" + HOSTILE, encoding="utf-8")
    result = generate(
        dt.date(2025, 2, 1), corpus=seeds_copy, out=tmp_path / "b", formats=("md", "json", "html")
    )
    html = to_html(result.brief)
    assert "<script>alert" not in html and "<img" not in html and html.count("<script>") == 1
    assert "&lt;script&gt;" in html
    markdown = to_markdown(result.brief)
    assert "<script>" not in markdown and "<img" not in markdown
    assert "[links](http://evil)" not in markdown and "\\[links\\]" in markdown
    # the JSON keeps the verbatim quote: it is data, and its offsets must match
    quotes = [row.quote for row in result.brief.citations]
    assert any("<script>" in quote for quote in quotes)
    assert all(row.verified for row in result.brief.citations)
    assert "http" not in html.replace("http://evil", "").replace(
        "http-equiv", ""
    )  # nothing external


def test_corroboration_names_outlets_and_independent_origins() -> None:
    from briefing.render import corroboration
    from briefing.schemas import BriefCitation, BriefItem

    def item(sources: list[int], origins: int, findings: int = 1) -> BriefItem:
        return BriefItem(
            text="Ferries stopped.",
            event_date=None,
            date_label="undated",
            finding_ids=[f"f-{n}" for n in range(findings)],
            independent_sources=origins,
            citations=[
                BriefCitation(
                    source=s, claim_id=f"c-{s}", quote="Ferries stopped.", start=0, end=16
                )
                for s in sources
            ],
        )

    assert corroboration(item([1, 2, 3], 2)) == " (3 outlets, 2 independent origins)"
    assert corroboration(item([1, 2], 1)) == " (2 outlets, 1 independent origin)"
    assert corroboration(item([1], 1)) == ""
    assert corroboration(item([1, 2], 1, findings=2)) == ""  # two sides of a conflict
