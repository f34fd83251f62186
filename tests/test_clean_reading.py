"""A brief that reads cleanly: time cues kept, counts in the right number, and a period
that holds no dated article refused with one line rather than briefed from undated ones."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from briefing import generate
from briefing.cli import main
from briefing.errors import ConfigurationError
from briefing.offline.compose import reading
from briefing.schemas import Claim, Evidence, Finding

SINCE = dt.date(2025, 2, 1)


def _finding(quote: str, statement: str) -> Finding:
    claim = Claim(
        claim_id="a-1",
        article_id="a",
        statement=statement,
        evidence=[Evidence(quote=quote, start=0, end=len(quote))],
    )
    return Finding(
        finding_id="f-1",
        statement=statement,
        claims=[claim],
        claim_type="statement",
        attribution="asserted",
        speaker=None,
        actors=[],
        event_date=None,
        published=None,
        independent_sources=1,
        salience=0.0,
    )


@pytest.mark.parametrize(
    ("quote", "statement", "read"),
    [
        # a time cue the statement lost is given back
        (
            "Previously, Jane Roe mentioned that the port would reopen.",
            "Jane Roe mentioned that the port would reopen.",
            "Previously, Jane Roe mentioned that the port would reopen.",
        ),
        (
            "Earlier,  the ministry said the bridge\nwas closed.",
            "The ministry said the bridge was closed.",
            "Earlier, the ministry said the bridge was closed.",
        ),
        # a connective that only links to the sentence before stays cut
        (
            "However, the ministry said the bridge was closed.",
            "The ministry said the bridge was closed.",
            "The ministry said the bridge was closed.",
        ),
        # a statement that is not its quote less the cue is left as it is
        (
            "Previously, the ministry said the bridge was closed.",
            "The bridge was closed.",
            "The bridge was closed.",
        ),
    ],
)
def test_an_item_keeps_the_time_cue_its_quote_opened_with(
    quote: str, statement: str, read: str
) -> None:
    assert reading(_finding(quote, statement)) == read


def test_the_seeds_brief_keeps_previously_and_earlier(seeds_copy: Path, tmp_path: Path) -> None:
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", formats=("md",))
    texts = [i.text for s in result.brief.sections for i in s.items]
    assert any(t.startswith("Previously, Trump mentioned") for t in texts)
    assert not any(t.startswith("Trump mentioned that the U.S. would offer") for t in texts)


def test_notes_count_in_the_singular_and_the_plural(seeds_copy: Path, tmp_path: Path) -> None:
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", formats=("md",))
    markdown = result.paths[0].read_text(encoding="utf-8")
    assert "3 sources carry no publication date and are placed" in markdown
    assert "(s)" not in markdown and "1 sources" not in markdown
    for path in sorted(seeds_copy.glob("00[34]_*.txt")):
        path.unlink()
    one = generate(SINCE, corpus=seeds_copy, out=tmp_path / "c", formats=("md",))
    assert "1 source carries no publication date and is placed" in one.brief.notes[0]


def test_a_period_with_no_dated_article_is_refused_in_one_line(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    args = ["generate", "--since", "2030-01-01", "--corpus", str(seeds_copy), "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "no article in" in err and "dated on 2030-01-01" in err
    assert "its dated articles run 2025-04-26 to 2025-05-28" in err
    assert not out.exists()  # no brief "as of 2030" built from undated articles
    with pytest.raises(ConfigurationError, match="from 2030-01-01 to 2030-02-01"):
        generate(dt.date(2030, 1, 1), dt.date(2030, 2, 1), corpus=seeds_copy, out=out)


def test_a_corpus_with_no_dated_article_still_gets_its_brief(
    seeds_copy: Path, tmp_path: Path
) -> None:
    for path in seeds_copy.glob("00[01]_*.txt"):  # the two with a header date
        path.unlink()
    result = generate(dt.date(2030, 1, 1), corpus=seeds_copy, out=tmp_path / "b")
    brief = json.loads(result.paths[1].read_text(encoding="utf-8"))
    assert all(s["published"] is None for s in brief["sources"]) and brief["sources"]
    assert "none of them dated" in brief["overview"]
