"""Review decisions follow the quote: a rejected claim's words leave every section of the
next brief, and every claim id that `briefing citations` prints can be reviewed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from briefing.cli import main
from briefing.pipeline import without_rejected
from briefing.schemas import Brief
from briefing.store import RejectedQuote, Review

BRIEF = "brief-2025-02-01_2025-05-28.json"


def _generate(corpus: Path, out: Path) -> dict[str, Any]:
    assert (
        main(["generate", "--since", "2025-02-01", "--corpus", str(corpus), "--out", str(out)]) == 0
    )
    data: dict[str, Any] = json.loads((out / BRIEF).read_text())
    return data


def _cited_spans(brief: dict[str, Any]) -> set[tuple[str, int, int]]:
    """Every (article, start, end) the brief cites, in its sections and its table."""
    article_of = {s["id"]: s["article_id"] for s in brief["sources"]}
    spans = {
        (article_of[c["source"]], c["start"], c["end"])
        for section in brief["sections"]
        for item in section["items"]
        for c in item["citations"]
    }
    return spans | {(r["article_id"], r["start"], r["end"]) for r in brief["citations"]}


def test_rejecting_a_claim_removes_its_quote_from_every_section(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _generate(seeds_copy, tmp_path / "b")
    discrepancies = next(s for s in first["sections"] if s["heading"] == "Source discrepancies")
    cited = discrepancies["items"][0]["citations"][0]
    article_id = next(s["article_id"] for s in first["sources"] if s["id"] == cited["source"])
    # The claim id printed in the table for that quote, whichever section it came from.
    claim_id = cited["claim_id"]
    assert main(["review", claim_id, "--reject", "--corpus", str(seeds_copy)]) == 0
    capsys.readouterr()

    second = _generate(seeds_copy, tmp_path / "b")
    overlapping = [
        span
        for span in _cited_spans(second)
        if span[0] == article_id and span[1] < cited["end"] and cited["start"] < span[2]
    ]
    assert overlapping == []
    assert claim_id not in {r["claim_id"] for r in second["citations"]}
    # The discrepancy that rested on the quote is gone; the rest of the brief stays.
    assert len(second["citations"]) < len(first["citations"])


def test_every_claim_id_the_citation_table_prints_is_reviewable(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    _generate(seeds_copy, out)
    capsys.readouterr()
    assert main(["citations", str(out / BRIEF), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    column = lines[0].split(",").index("claim_id")
    claim_ids = sorted({line.split(",")[column] for line in lines[1:]})
    assert len(claim_ids) > 10
    refused = [
        cid for cid in claim_ids if main(["review", cid, "--accept", "--corpus", str(seeds_copy)])
    ]
    assert refused == []


def test_an_earlier_brief_loses_the_rejected_quotes_it_cited(
    seeds_copy: Path, tmp_path: Path
) -> None:
    brief = Brief.model_validate(_generate(seeds_copy, tmp_path / "b"))
    row = brief.citations[0]
    review = Review(row.claim_id, "rejected", "analyst", "2025-06-01T00:00:00+00:00", None)
    cleaned = without_rejected(brief, [RejectedQuote(row.article_id, row.start, row.end, review)])
    spans = _cited_spans(cleaned.model_dump(mode="json"))
    assert (row.article_id, row.start, row.end) not in spans
    assert len(cleaned.citations) < len(brief.citations)
    assert all(item.citations for section in cleaned.sections for item in section.items)


def _reading_order(brief: dict[str, Any]) -> dict[str, list[str]]:
    """Each section's items (by the claims they cite) and, in positions, its actors' order."""
    order = {
        s["heading"]: ["+".join(c["claim_id"] for c in i["citations"]) for i in s["items"]]
        for s in brief["sections"]
    }
    positions = next(s for s in brief["sections"] if s["heading"] == "Positions by actor")
    order["actors"] = list(dict.fromkeys(i["actor"] for i in positions["items"]))
    return order


def test_rejecting_an_unrelated_claim_moves_nothing_else(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _generate(seeds_copy, tmp_path / "b")
    undated = next(s for s in first["sections"] if s["heading"] == "Undated reports")
    rejected = undated["items"][2]["citations"][0]["claim_id"]  # a dated-nowhere report
    assert main(["review", rejected, "--reject", "--corpus", str(seeds_copy)]) == 0
    capsys.readouterr()
    second = _generate(seeds_copy, tmp_path / "b")
    assert second["title"] == first["title"]
    before, after = _reading_order(first), _reading_order(second)
    for heading, items in before.items():
        kept = [i for i in items if rejected not in i]
        # what stays keeps its order; what the freed words let in may join
        assert [i for i in after.get(heading, []) if i in kept] == [
            i for i in kept if i in after.get(heading, [])
        ], heading
    common = [a for a in before["actors"] if a in after["actors"]]
    assert [a for a in after["actors"] if a in common] == common and len(common) > 5
    count = re.compile(r"(\d+) findings?")
    first_count = int(count.findall(first["overview"])[-1])
    assert int(count.findall(second["overview"])[-1]) == first_count - 1
