"""From the Markdown brief alone, a reader goes from every sentence to its verbatim quotes
and back, with the keys the JSON and the HTML use: offline, and on the LLM path replayed
from test_llm's cassette (recorded against the fixture server)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from briefing import generate
from briefing.config import Settings
from tests.conftest import CASSETTES, LLMEndpoint

SINCE = dt.date(2025, 2, 1)
MARKER_RE = re.compile(r"(?<!\\)\[(\d+\.\d+)\]")
CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")
UNESCAPE_RE = re.compile(r"\\([\\`*_\[\]|#])")


def _unescape(cell: str) -> str:
    return UNESCAPE_RE.sub(r"\1", cell.strip()).replace("&lt;", "<").replace("&gt;", ">")


def parse_markdown(markdown: str) -> tuple[list[list[str]], list[dict[str, str]]]:
    """The keys each item cites, in order, and the citation table's rows by column."""
    body, _, appendix = markdown.partition("\n## Sources\n")
    items = [MARKER_RE.findall(line) for line in body.splitlines() if line.startswith("- **")]
    table = appendix.partition("\n## Citations\n")[2].partition("\n## ")[0]
    lines = [line for line in table.splitlines() if line.startswith("|")]
    headers = [cell.strip() for cell in CELL_SPLIT_RE.split(lines[0])[1:-1]]
    rows = [
        dict(zip(headers, (_unescape(c) for c in CELL_SPLIT_RE.split(line)[1:-1]), strict=True))
        for line in lines[2:]
    ]
    return items, rows


def check_traceable(markdown: str, brief: dict[str, Any]) -> dict[str, int]:
    """Every sentence's markers lead to table rows holding its quotes, and back; the keys
    are the JSON's. Returns the figures."""
    items, rows = parse_markdown(markdown)
    json_items = [i for s in brief["sections"] for i in s["items"]]
    assert len(items) == len(json_items) > 0
    by_key = {row["key"].strip("[]"): row for row in rows}
    assert len(by_key) == len(rows), "a key is listed twice"
    passages = [(row["source"], row["quote"]) for row in rows]
    assert len(set(passages)) == len(passages), "a quote is repeated in the table"
    for keys, item in zip(items, json_items, strict=True):
        assert keys, item["text"]
        assert keys == [c["key"] for c in item["citations"]]  # same keys, same order
        assert keys == sorted(keys, key=lambda k: tuple(map(int, k.split("."))))
        for key, citation in zip(keys, item["citations"], strict=True):
            row = by_key[key]
            assert " ".join(row["quote"].split()) == " ".join(citation["quote"].split())
            assert citation["claim_id"] in row["claims"]
    # ...and back: each row names the items that cite it, and they do.
    headings = {s["heading"]: s["items"] for s in brief["sections"]}
    for key, row in by_key.items():
        refs = [r.rsplit(" ", 1) for r in row["cited in"].split("; ")]
        assert refs, key
        for heading, number in refs:
            item = headings[heading][int(number) - 1]
            assert key in [c["key"] for c in item["citations"]]
    # The table says how many findings each quote supports, and which.
    quotes = {q["key"]: q for q in brief["quotes"]}
    assert set(quotes) == set(by_key)
    for key, row in by_key.items():
        count, _, ids = row["findings supported"].partition(": ")
        assert int(count) == len(quotes[key]["finding_ids"]) == len(ids.split(", "))
    return {
        "items": len(items),
        "rows": len(rows),
        "citation_rows": len(brief["citations"]),
        "multi_finding_rows": sum(len(q["finding_ids"]) > 1 for q in brief["quotes"]),
    }


def test_offline_markdown_leads_from_every_sentence_to_its_quotes_and_back(
    seeds_copy: Path, tmp_path: Path
) -> None:
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b")
    markdown = result.paths[0].read_text(encoding="utf-8")
    brief = json.loads(result.paths[1].read_text(encoding="utf-8"))
    figures = check_traceable(markdown, brief)
    # The discrepancy items cite quotes that positions cite too: still one row each.
    assert figures["rows"] == len({(r["source"], r["start"], r["end"]) for r in brief["citations"]})
    # every quote is the raw file at its offsets
    for quote in brief["quotes"]:
        raw = (seeds_copy.parent / quote["path"]).read_text(encoding="utf-8")
        assert raw[quote["start"] : quote["end"]] == quote["quote"]


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "test_llm")  # read only: the full LLM run's exchanges


@pytest.mark.default_cassette("test_llm_brief_is_grounded_dated_and_complete.yaml")
@pytest.mark.vcr(record_mode="none")
def test_llm_markdown_leads_from_every_paraphrase_to_its_quotes(
    llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path
) -> None:
    result = generate(
        SINCE, corpus=seeds_copy, out=tmp_path / "b", settings=Settings(backend="llm")
    )
    assert result.brief.extractor.name == "llm"
    markdown = result.paths[0].read_text(encoding="utf-8")
    brief = json.loads(result.paths[1].read_text(encoding="utf-8"))
    figures = check_traceable(markdown, brief)
    # Paraphrases cite several quotes of one source: one marker each, not [3][3][3].
    assert any(
        len({k.split(".")[0] for k in keys}) < len(keys) for keys in parse_markdown(markdown)[0]
    )
    # A quote that backs two findings is one row that lists both.
    assert figures["multi_finding_rows"] >= 1
    assert figures["rows"] < figures["citation_rows"]


def test_the_readme_shows_the_markdown_form_the_tool_writes() -> None:
    from briefing.render.markdown import QUOTE_TABLE_HEADERS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("```\n", 2)[1]  # the first block: a brief's Markdown
    example = example.replace("\n  ", " ")  # its items are folded to fit the page
    items, rows = parse_markdown(example.replace("## Citations", "## Sources\n\n## Citations"))
    assert all(keys for keys in items) and rows
    header = next(line for line in example.splitlines() if line.startswith("| key"))
    assert [c.strip() for c in header.strip("|").split("|")] == QUOTE_TABLE_HEADERS
    cited = {key for keys in items for key in keys}
    assert {row["key"].strip("[]") for row in rows} <= cited
