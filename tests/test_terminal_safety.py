"""Article text, outlets and file names never drive the terminal, a spreadsheet or the page.

Scraped text may hold ESC sequences and other control characters; printed raw they
would clear a screen, retitle a window or hide lines. Every line the CLI prints shows
them as visible escapes; CSV cells cannot start a formula; the JSON keeps each quote
verbatim (escaped as JSON); the HTML isolates bidirectional text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from briefing import cli
from briefing.cli import main, terminal_safe
from briefing.render import citation_table_rows, citations_csv, citations_json, to_html
from briefing.schemas import Brief, CitationRow

ESC = "\x1b"
CSI_8BIT = "\x9b"  # C1: an 8-bit terminal reads it as ESC [
RLO = "\u202e"  # right-to-left override
HOSTILE_QUOTE = f"said {ESC}]0;pwned{ESC}\\ the{ESC}[2J minister{CSI_8BIT}31m today"
HOSTILE_OUTLET = f'=HYPERLINK("http://evil"){ESC}[8m{RLO}Gazette'
HOSTILE_PATH = f"seeds/{ESC}[31mred.txt"
# Anything a terminal acts on: C0 (but \n), DEL, C1, and the bidirectional controls.
RAW_CONTROL_RE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_terminal_safe_shows_controls_as_visible_escapes() -> None:
    assert terminal_safe(f"a{ESC}[2Jb") == "a\\x1b[2Jb"
    assert terminal_safe(f"a{CSI_8BIT}b{RLO}c\x7f") == "a\\u009bb\\u202ec\\u007f"
    assert terminal_safe("tab\tline\nend") == "tab\\x09line\\x0aend"
    assert terminal_safe("tab\tline\nend", keep="\t\n") == "tab\tline\nend"
    assert terminal_safe("Kyiv — “quoted” ünïcode") == "Kyiv — “quoted” ünïcode"


@pytest.fixture
def hostile_brief(seeds_copy: Path, tmp_path: Path) -> Path:
    """A real brief whose first row carries hostile text (its corpus moved away, so
    the rows are shown as recorded)."""
    out = tmp_path / "b"
    assert (
        main(["generate", "--since", "2025-02-01", "--corpus", str(seeds_copy), "--out", str(out)])
        == 0
    )
    path = out / "brief-2025-02-01_2025-05-28.json"
    brief = json.loads(path.read_text(encoding="utf-8"))
    brief["corpus"] = str(tmp_path / "moved-away")
    row = brief["citations"][0]
    row.update(quote=HOSTILE_QUOTE, outlet=HOSTILE_OUTLET, path=HOSTILE_PATH)
    path.write_text(json.dumps(brief, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["table", "md", "csv", "json"])
def test_citations_output_holds_no_raw_control_character(
    hostile_brief: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["citations", str(hostile_brief), "--format", fmt]) == 0
    captured = capsys.readouterr()
    # a table not printed to a terminal is tab-separated: tabs there are its own
    out = captured.out.replace("\t", " ") if fmt == "table" else captured.out
    for stream in (out, captured.err):
        assert not RAW_CONTROL_RE.search(stream), repr(RAW_CONTROL_RE.search(stream))
    if fmt != "json":
        assert "\\x1b" in captured.out and ESC not in captured.out


def test_the_json_keeps_the_quote_verbatim(
    hostile_brief: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["citations", str(hostile_brief), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["quote"] == HOSTILE_QUOTE
    assert rows[0]["outlet"] == HOSTILE_OUTLET


def test_the_terminal_table_shows_controls_as_escapes(hostile_brief: Path) -> None:
    brief = Brief.model_validate_json(hostile_brief.read_text(encoding="utf-8"))
    table = cli._citation_table(*citation_table_rows(brief.citations[:1], {}))
    console = Console(file=io.StringIO(), width=200, force_terminal=True, color_system=None)
    console.print(table)
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert not RAW_CONTROL_RE.search(shown.replace("\n", ""))
    assert "\\x1b[2J" in shown and "\\u009b31m" in shown and "\\u202eGazette" in shown


def _row(**changes: object) -> CitationRow:
    values: dict[str, object] = {
        "finding_id": "f1",
        "claim_id": "c1",
        "statement": "s",
        "source": 1,
        "article_id": "a1",
        "path": "seeds/a.txt",
        "outlet": "Gazette",
        "published": None,
        "quote": "q",
        "start": 0,
        "end": 1,
        "verified": True,
    }
    values.update(changes)
    return CitationRow.model_validate(values)


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_cannot_start_a_formula(lead: str) -> None:
    text = citations_csv(
        [_row(quote=f"{lead}1+1 said the minister", outlet=f"{lead}cmd|' /C calc'!A0")]
    )
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["quote"].startswith("'")
    assert row["outlet"].startswith("'")
    assert not RAW_CONTROL_RE.search(text)


def test_csv_escapes_control_characters_and_json_keeps_them() -> None:
    row = _row(quote=HOSTILE_QUOTE)
    text = citations_csv([row])
    assert ESC not in text and CSI_8BIT not in text and "\\x1b[2J" in text
    as_json = citations_json([row])
    assert CSI_8BIT not in as_json and ESC not in as_json  # escaped as JSON: \u009b
    assert json.loads(as_json)[0]["quote"] == HOSTILE_QUOTE


def test_skipped_and_warning_lines_escape_file_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "ok.txt").write_text(
        " date 2025-05-05 200\nOfficials in Brussels said the reassurance force would need air"
        " cover and logistics support from allies.\n",
        encoding="utf-8",
    )
    (corpus / f"evil{ESC}]0;owned{ESC}\\{ESC}[2J.txt").write_bytes(b"")
    (corpus / f"late{CSI_8BIT}.txt").write_bytes(
        "Le ministre a déclaré que les troupes resteraient à Kyiv jusqu'à l'été.\n".encode(
            "latin-1"
        )
    )
    capsys.readouterr()
    code = main(
        ["generate", "--since", "2025-05-01", "--corpus", str(corpus), "--out", str(tmp_path / "o")]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert not RAW_CONTROL_RE.search(err), err
    assert "skipped c/evil\\x1b]0;owned\\x1b\\\\x1b[2J.txt: empty file" in err
    assert "warning: c/late\\u009b.txt: not UTF-8" in err


def test_an_error_line_escapes_what_it_quotes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["citations", str(tmp_path / f"gone{ESC}[2J.json")]) == 1
    err = capsys.readouterr().err
    assert ESC not in err and "gone\\x1b[2J.json" in err


def test_html_isolates_bidirectional_text(hostile_brief: Path) -> None:
    brief = Brief.model_validate_json(hostile_brief.read_text(encoding="utf-8"))
    source = brief.sources[0].model_copy(update={"outlet": f"{RLO}Gazette", "title": f"{RLO}T"})
    row = brief.citations[0].model_copy(update={"quote": f"{RLO}quoted"})
    html = to_html(
        brief.model_copy(
            update={
                "sources": [source, *brief.sources[1:]],
                "citations": [row, *brief.citations[1:]],
            }
        )
    )
    assert html.count(RLO) >= 3  # the outlet, the title, the quote
    for match in re.finditer(RLO, html):
        before = html[: match.start()]
        # every override sits inside a <bdi> that is still open: it cannot reach the dates
        assert before.rfind("<bdi>") > before.rfind("</bdi>"), html[
            match.start() - 80 : match.start() + 20
        ]
