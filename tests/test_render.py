"""Renderers: untrusted article text is escaped; the JSON is the contract."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from briefing import generate
from briefing.quotes import keyed
from briefing.render import corroboration, to_html, to_markdown
from briefing.schemas import (
    Brief,
    BriefCitation,
    BriefItem,
    BriefSection,
    BriefSource,
    CitationRow,
    ExtractorInfo,
    Period,
)

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


# --- keys, the one-row-per-quote table, and what a reader sees --------------------------


def _brief(rows: list[tuple[str, str, int, int, int]], items: list[list[int]]) -> Brief:
    """A brief whose citation rows are (finding, claim, source, start, end), and whose
    items cite the rows at the given indexes."""
    sources = [
        BriefSource(
            id=n,
            article_id=f"a{n}",
            path=f"seeds/{n}.txt",
            title=None if n == 2 else f"Title {n}",
            outlet="Gazette",
            published=None,
            date_source="unknown",
            syndication_group=n,
            cited=True,
        )
        for n in (1, 2)
    ]
    table = [
        CitationRow(
            finding_id=finding,
            claim_id=claim,
            statement="s",
            source=source,
            article_id=f"a{source}",
            path=f"seeds/{source}.txt",
            outlet="Gazette",
            published=None,
            quote=f"“quoted {source}:{start}.”",
            start=start,
            end=end,
            verified=True,
        )
        for finding, claim, source, start, end in rows
    ]
    cited = [
        BriefItem(
            text=f"Item {n}.",
            event_date=None,
            date_label="undated",
            finding_ids=sorted({table[i].finding_id for i in indexes}),
            independent_sources=1,
            citations=[
                BriefCitation(
                    source=table[i].source,
                    claim_id=table[i].claim_id,
                    quote=table[i].quote,
                    start=table[i].start,
                    end=table[i].end,
                )
                for i in indexes
            ],
        )
        for n, indexes in enumerate(items, start=1)
    ]
    return Brief(
        title="T",
        as_of=dt.date(2025, 5, 1),
        period=Period(since=dt.date(2025, 4, 1), until=dt.date(2025, 5, 1)),
        extractor=ExtractorInfo(name="offline"),
        overview="o",
        notes=[],
        sources=sources,
        sections=[BriefSection(heading="Key developments", items=cited)],
        citations=table,
        corpus="/c/seeds",
        word_count=4,
    )


ROWS = [
    ("f-a", "c-1", 2, 50, 60),  # 0: source 2's second passage by offset
    ("f-b", "c-2", 2, 10, 20),  # 1: its first
    ("f-c", "c-3", 1, 5, 9),  # 2
    ("f-d", "c-4", 2, 50, 60),  # 3: the passage of row 0 again, backing another finding
    ("f-a", "c-1", 2, 50, 60),  # 4: row 0 again, cited by a second item
] + [("f-e", f"c-{n}", 1, 100 + n, 101 + n) for n in range(10)]  # source 1 reaches 1.11


def test_keys_rank_passages_by_offset_within_their_source_and_sort_as_numbers() -> None:
    brief = keyed(_brief(ROWS, [[0, 1, 2], [3], [4, *range(5, 15)]]))
    assert [c.key for c in brief.sections[0].items[0].citations] == ["1.1", "2.1", "2.2"]
    assert [r.key for r in brief.citations[:5]] == ["2.2", "2.1", "1.1", "2.2", "2.2"]
    assert [q.key for q in brief.quotes][-3:] == ["1.11", "2.1", "2.2"]  # 1.10 after 1.9
    assert keyed(brief) == brief  # keying a keyed brief changes nothing


def test_a_quote_backing_several_findings_is_one_row_that_lists_them() -> None:
    brief = keyed(_brief(ROWS, [[0, 1, 2], [3], [4, *range(5, 15)]]))
    row = next(q for q in brief.quotes if q.key == "2.2")
    assert row.finding_ids == ["f-a", "f-d"] and row.claim_ids == ["c-1", "c-4"]
    assert [(ref.section, ref.item) for ref in row.cited_in] == [
        ("Key developments", 1),
        ("Key developments", 2),
        ("Key developments", 3),
    ]
    markdown = to_markdown(brief)
    table = markdown.split("## Citations", 1)[1]
    assert table.count("“quoted 2:50.”") == 1  # one row, however many cite it
    assert "| [2.2] | “quoted 2:50.” |" in table and "| 2: f-a, f-d | c-1, c-4 |" in table
    assert "- **undated** Item 1. [1.1][2.1][2.2]" in markdown


def test_the_quote_stands_alone_in_its_cell_so_its_closing_mark_is_not_doubled() -> None:
    brief = keyed(_brief(ROWS[:3], [[0, 1, 2]]))
    markdown, html = to_markdown(brief), to_html(brief)
    assert "””" not in markdown and "”“" not in markdown
    assert "””" not in html and "“<bdi>“" not in html


def test_an_untitled_source_is_named_by_its_path_once() -> None:
    brief = _brief(ROWS[:3], [[0, 1, 2]])
    markdown, html = to_markdown(brief), to_html(brief)
    line = next(x for x in markdown.splitlines() if x.startswith("2. "))
    assert line.count("seeds/2.txt") == 1 and "(untitled)" in line
    assert "1. Title 1. Gazette, undated. seeds/1.txt" in markdown
    item = re.search(r'<li id="source-2".*?</li>', html, re.S)
    assert item is not None and item.group(0).count("seeds/2.txt") == 1


def test_html_markers_follow_the_markdown_order_one_per_quote() -> None:
    brief = _brief(ROWS, [[2, 0, 1, 3], [4, *range(5, 15)]])  # unordered, one quote twice
    html = to_html(brief)
    first = re.search(r"<li>.*?</li>", html, re.S)
    assert first is not None
    assert re.findall(r'data-key="([\d.]+)"', first.group(0)) == ["1.1", "2.1", "2.2"]
    # eleven markers: runs of 4, 4 and 3 joined inside, never one alone
    second = re.findall(r"<li>.*?</li>", html, re.S)[1]
    runs = re.findall(r'<span class="cites">(.*?)</span>(?=<span class="cites">|</li>)', second)
    assert [len(re.findall(r'class="cite"', run)) for run in runs] == [4, 4, 3]
    assert '</bdi>&nbsp;<span class="cites">' in second  # the first run joins the last word


def test_counts_read_in_the_singular_and_plural() -> None:
    from briefing.render.markdown import counted

    assert counted(1, "source") == "1 source" and counted(3, "source") == "3 sources"
    assert (
        corroboration(
            BriefItem(
                text="t",
                event_date=None,
                date_label="undated",
                finding_ids=["f"],
                independent_sources=1,
                citations=[
                    BriefCitation(source=s, claim_id="c", quote="q", start=s, end=s + 1)
                    for s in (1, 2)
                ],
            )
        )
        == " (2 outlets, 1 independent origin)"
    )
