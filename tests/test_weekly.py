"""Weekly briefs, what changed, the run lock, scheduling text and review decisions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from briefing.changes import _figure_changes
from briefing.cli import main
from briefing.errors import BriefingError
from briefing.schemas import CitationRow
from briefing.weekly import last_complete_week, week_bounds, week_label, weekly_lock


def test_iso_week_arithmetic() -> None:
    assert week_label(dt.date(2025, 4, 26)) == "2025-W17"
    assert week_bounds("2025-W22") == (dt.date(2025, 5, 26), dt.date(2025, 6, 1))
    assert last_complete_week(dt.date(2025, 6, 2)) == "2025-W22"  # a Monday: last week is done
    assert last_complete_week(dt.date(2025, 6, 1)) == "2025-W21"  # a Sunday: this week is not


def run(*args: str) -> int:
    return main(list(args))


@pytest.fixture
def weekly_out(seeds_copy: Path, tmp_path: Path) -> Path:
    out = tmp_path / "briefs"
    assert (
        run(
            "weekly",
            "--since",
            "2025-02-01",
            "--corpus",
            str(seeds_copy),
            "--out",
            str(out),
            "--log",
            str(tmp_path / "weekly.log"),
        )
        == 0
    )
    return out


def test_weekly_backfill_writes_one_brief_per_week_with_articles(
    weekly_out: Path, tmp_path: Path
) -> None:
    assert sorted(p.name for p in weekly_out.iterdir()) == [
        "2025-W17.json",
        "2025-W17.md",
        "2025-W22.json",
        "2025-W22.md",
    ]
    w17 = json.loads((weekly_out / "2025-W17.json").read_text())
    w22 = json.loads((weekly_out / "2025-W22.json").read_text())
    assert w17["period"] == {"since": "2025-04-21", "until": "2025-04-27"}
    assert not any(s["heading"].startswith("What changed") for s in w17["sections"])
    changed = w22["sections"][0]
    # It names the week it compares with, which is not always the week before.
    assert changed["heading"] == "What changed since 2025-W17"
    texts = [item["text"] for item in changed["items"]]
    # One story (both weeks report the troop plan): developing, not new + no longer reported.
    assert any(t.startswith("Developing: ") and "1 new report (MENAFN)" in t for t in texts)
    assert not any(t.startswith(("New story", "No new report")) for t in texts)
    # The two weeks are 32 days apart: what changed between them is a change over time, not
    # a contradiction (the brief's conflicts and this section judge pairs alike).
    assert not any(t.startswith("Contradicted: ") for t in texts)
    # Labels are never stacked, and no line repeats a brief item word for word.
    items = [i["text"] for s in w22["sections"][1:] for i in s["items"]]
    assert all(t.count(":") <= 2 for t in texts) and not set(texts) & set(items)
    words = (
        len(w22["title"].split())
        + len(w22["overview"].split())
        + sum(len(i["text"].split()) for s in w22["sections"] for i in s["items"])
    )
    assert w22["word_count"] == words
    # The undated seeds are in no week, and each weekly says so.
    assert any("3 undated article(s)" in note for note in w22["notes"])
    assert all(row["verified"] for row in w22["citations"])
    assert "2025-W22: wrote" in (tmp_path / "weekly.log").read_text()


def test_a_second_weekly_run_changes_nothing(weekly_out: Path, seeds_copy: Path) -> None:
    before = {p.name: p.read_bytes() for p in weekly_out.iterdir()}
    assert (
        run(
            "weekly", "--since", "2025-02-01", "--corpus", str(seeds_copy), "--out", str(weekly_out)
        )
        == 0
    )
    assert {p.name: p.read_bytes() for p in weekly_out.iterdir()} == before


def test_a_held_lock_stops_a_second_run(tmp_path: Path) -> None:
    held = weekly_lock(tmp_path)
    held.__enter__()
    try:
        with pytest.raises(BriefingError, match="another `briefing weekly` is running"):
            weekly_lock(tmp_path).__enter__()
    finally:
        held.__exit__(None, None, None)


def test_bad_week_is_a_usage_error(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("weekly", "--week", "2025-17", "--corpus", str(seeds_copy)) == 2
    assert "YYYY-Www" in capsys.readouterr().err


def test_schedule_prints_cron_and_systemd(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("schedule", "--day", "mon", "--time", "07:00") == 0
    out = capsys.readouterr().out
    cron = next(
        line for line in out.splitlines() if line and not line.startswith("#") and "weekly" in line
    )
    assert cron.startswith("0 7 * * 1 ") and " weekly --corpus seeds --out briefs --log " in cron
    assert "OnCalendar=Mon *-*-* 07:00:00" in out and "ExecStart=" in out
    assert run("schedule", "--time", "25:00") == 2


def test_a_rejected_claim_is_gone_from_the_next_brief(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    args = ["generate", "--since", "2025-02-01", "--corpus", str(seeds_copy), "--out", str(out)]
    assert run(*args) == 0
    brief_path = out / "brief-2025-02-01_2025-05-28.json"
    first = json.loads(brief_path.read_text())
    claim_id = first["citations"][0]["claim_id"]
    assert (
        run("review", claim_id, "--reject", "--note", "misread", "--corpus", str(seeds_copy)) == 0
    )
    assert "rejected by" in capsys.readouterr().out
    assert run(*args) == 0
    second = json.loads(brief_path.read_text())
    assert claim_id not in {row["claim_id"] for row in second["citations"]}
    assert [r["claim_id"] for r in second["rejected_in_review"]] == [claim_id]
    assert "Review appendix" in (out / "brief-2025-02-01_2025-05-28.md").read_text()
    capsys.readouterr()
    assert run("citations", str(brief_path), "--pending", "--format", "csv") == 0
    assert claim_id not in capsys.readouterr().out


def test_review_status_and_filters_in_citations(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "b"
    assert (
        run("generate", "--since", "2025-02-01", "--corpus", str(seeds_copy), "--out", str(out))
        == 0
    )
    brief_path = out / "brief-2025-02-01_2025-05-28.json"
    rows = json.loads(brief_path.read_text())["citations"]
    accepted = rows[0]["claim_id"]
    assert run("review", accepted, "--accept", "--corpus", str(seeds_copy)) == 0
    capsys.readouterr()
    assert run("citations", str(brief_path), "--format", "csv", "--source", "1") == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert lines and all(line.split(",")[2] == "1" for line in lines)
    assert run("citations", str(brief_path), "--format", "md") == 0
    table = capsys.readouterr().out
    assert "| accepted |" in table and "| pending |" in table
    assert run("review", "no-such-claim", "--reject", "--corpus", str(seeds_copy)) == 2
    assert "no claim 'no-such-claim'" in capsys.readouterr().err
    assert run("review", accepted, "--corpus", str(seeds_copy)) == 2


# --- hostile input (issue 13) --------------------------------------------------------------


def test_a_forged_previous_brief_cannot_make_an_invented_quote_verified(
    weekly_out: Path, seeds_copy: Path
) -> None:
    """A verified flag is only ever a check made in this run against the source file."""
    forged_path = weekly_out / "2025-W17.json"
    forged = json.loads(forged_path.read_text())
    invented = "The coalition of the willing has agreed to send 90,000 troops tomorrow."
    for row in forged["citations"]:
        row.update(quote=invented, statement=invented, verified=True)
    for section in forged["sections"]:
        for item in section["items"]:
            for citation in item["citations"]:
                citation["quote"] = invented
    forged_path.write_text(json.dumps(forged), encoding="utf-8")
    for path in weekly_out.glob("2025-W22.*"):
        path.unlink()
    args = ["weekly", "--week", "2025-W22", "--corpus", str(seeds_copy), "--out", str(weekly_out)]
    assert run(*args) == 0
    w22 = json.loads((weekly_out / "2025-W22.json").read_text())
    assert invented not in json.dumps(w22)
    assert all(row["verified"] for row in w22["citations"])
    assert any("no longer verify" in note for note in w22["notes"])


# Two weeks of one story: the operators deny, a week later, what the port authority said.
HARBOUR_WEEKS = {
    "authority.txt": " date 2025-03-04 200\nHarbour closed to shipping after storm\n"
    "The harbour was closed to all shipping on Tuesday because of storm damage to the northern"
    " breakwater, the port authority said.\n",
    "operators.txt": " date 2025-03-11 200\nOperators say harbour never closed\n"
    "The harbour was never closed to shipping, the ferry operators' association said on Tuesday,"
    " disputing the account of storm damage to the northern breakwater.\n",
}


@pytest.fixture
def harbour_weeks(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "harbour"
    corpus.mkdir()
    for name, text in HARBOUR_WEEKS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    out = tmp_path / "briefs"
    assert run("weekly", "--since", "2025-03-01", "--corpus", str(corpus), "--out", str(out)) == 0
    return corpus, out


def test_a_denial_a_week_later_is_named_as_contradicted(harbour_weeks: tuple[Path, Path]) -> None:
    _, out = harbour_weeks
    week = json.loads((out / "2025-W11.json").read_text())
    changed = week["sections"][0]
    assert changed["heading"] == "What changed since 2025-W10"
    texts = [item["text"] for item in changed["items"]]
    contradicted = [t for t in texts if t.startswith("Contradicted: ")]
    assert len(contradicted) == 1
    assert "2025-03-11" in contradicted[0] and "2025-03-04" in contradicted[0]
    assert "operators" in contradicted[0] and "port authority" in contradicted[0]
    # The earlier week's source it cites is listed and marked as such; its quotes verify.
    earlier = [s for s in week["sources"] if not s["in_period"]]
    assert [s["path"].rsplit("/", 1)[-1] for s in earlier] == ["authority.txt"]
    assert all(row["verified"] for row in week["citations"])


def test_carried_citations_are_dropped_when_their_source_file_changed(
    harbour_weeks: tuple[Path, Path],
) -> None:
    corpus, out = harbour_weeks
    week = json.loads((out / "2025-W11.json").read_text())
    carried = [s for s in week["sources"] if not s["in_period"]]
    assert carried  # the earlier week's source cited in what changed
    source_file = corpus.parent / carried[0]["path"]
    source_file.write_text(
        source_file.read_text(encoding="utf-8").replace(" the ", " a "), encoding="utf-8"
    )
    for path in out.glob("2025-W11.*"):
        path.unlink()
    args = ["weekly", "--week", "2025-W11", "--corpus", str(corpus), "--out", str(out)]
    assert run(*args) == 0
    week = json.loads((out / "2025-W11.json").read_text())
    earlier_ids = {s["id"] for s in week["sources"] if not s["in_period"]}
    assert not any(row["source"] in earlier_ids for row in week["citations"])
    assert all(row["verified"] for row in week["citations"])


@pytest.mark.parametrize("week", ["9999-W52", "0000-W01", "2025-W54"])
def test_a_week_out_of_range_is_a_usage_error(
    week: str, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("weekly", "--week", week, "--corpus", str(seeds_copy)) == 2
    err = capsys.readouterr().err
    assert week in err and "Traceback" not in err and "unexpected" not in err


def test_weeks_before_the_year_1000_have_four_digit_labels() -> None:
    assert week_label(dt.date(999, 5, 5)) == "0999-W18"
    assert week_bounds("0999-W18") == (dt.date(999, 4, 29), dt.date(999, 5, 5))
    assert week_bounds(week_label(dt.date(1, 1, 1))) == (dt.date(1, 1, 1), dt.date(1, 1, 7))
    assert week_bounds("9999-W51")[1] == dt.date(9999, 12, 26)


def test_the_scheduled_command_runs_when_the_log_folder_does_not_exist(
    seeds_copy: Path, tmp_path: Path
) -> None:
    log = tmp_path / "new" / "folder" / "weekly.log"
    assert (
        run(
            "weekly",
            "--week",
            "2025-W01",  # no articles: nothing is written, so --out is not made either
            "--corpus",
            str(seeds_copy),
            "--out",
            str(tmp_path / "briefs"),
            "--log",
            str(log),
        )
        == 0
    )
    assert "2025-W01: nothing to brief" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["generate", "weekly"])
@pytest.mark.parametrize("inside", [".", "briefs", "sub/briefs"])
def test_out_inside_the_corpus_is_refused(
    command: str, inside: str, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = seeds_copy / inside
    args = [command, "--corpus", str(seeds_copy), "--out", str(out)]
    if command == "generate":
        args += ["--since", "2025-02-01"]
    assert run(*args) == 2
    err = capsys.readouterr().err
    assert str(seeds_copy) in err and str(out) in err and "inside" in err
    assert not (seeds_copy / "briefs").exists()


def _page(folder: Path, name: str, published: str, title: str, body: str) -> None:
    (folder / name).write_text(f"{title}\nPublished: {published}\n{body}\n", encoding="utf-8")


def test_what_changed_tells_each_story_once(tmp_path: Path) -> None:
    corpus = tmp_path / "pages"
    corpus.mkdir()
    ferry = (
        "Ferry crews at the port of Saltmarch stayed off work on Monday, the Saltmarch Crews"
        " Union said. The Saltmarch Harbour Board said {n} ferries were waiting in the harbour"
        " since the walkout began."
    )
    _page(corpus, "a.txt", "March 4, 2025", "Saltmarch ferry strike goes on", ferry.format(n=40))
    _page(
        corpus,
        "b.txt",
        "March 5, 2025",
        "Glenrow school roof repairs delayed",
        "Repairs to the roof of Glenrow Academy will not be finished before the summer, the"
        " Glenrow Education Trust said on Tuesday. Pupils of Glenrow Academy are taught in the"
        " town hall in the meantime.",
    )
    _page(
        corpus,
        "c.txt",
        "March 11, 2025",
        "Saltmarch ferry strike in second week",
        ferry.format(n=95),
    )
    out = tmp_path / "briefs"
    assert run("weekly", "--since", "2025-03-01", "--corpus", str(corpus), "--out", str(out)) == 0
    w11 = json.loads((out / "2025-W11.json").read_text())
    changed = w11["sections"][0]
    assert changed["heading"] == "What changed since 2025-W10"
    texts = [item["text"] for item in changed["items"]]
    developing = [t for t in texts if t.startswith("Developing: ")]
    # The ferry strike goes on, with its count before and after; the school story is quiet.
    assert len(developing) == 1 and "Saltmarch" in developing[0]
    assert "40 → 95" in developing[0]
    quiet = [t for t in texts if t.startswith("No new report: ")]
    assert len(quiet) == 1 and "Glenrow" in quiet[0] and "Saltmarch" not in quiet[0]
    assert not any(t.startswith("New story") for t in texts)
    # Both counts are cited: last week's source is listed, marked as an earlier week's.
    earlier = [s for s in w11["sources"] if not s["in_period"]]
    assert {s["path"].rsplit("/", 1)[-1] for s in earlier} >= {"a.txt"}


def _row(statement: str, published: str, speaker: str, start: int = 0) -> CitationRow:
    return CitationRow(
        finding_id=f"f-{start}",
        claim_id=f"c-{start}",
        statement=statement,
        source=1,
        article_id=f"a-{published}",
        path=f"c/{published}.txt",
        outlet=None,
        published=dt.date.fromisoformat(published),
        quote=statement,
        start=start,
        end=start + len(statement),
        verified=True,
        speaker=speaker,
    )


def test_a_figure_is_compared_with_the_same_speakers_latest_count() -> None:
    then = [
        _row("The health department said 146 cases had been recorded.", "2025-03-03", "dept", 1),
        _row("The ministry said 181 cases had been confirmed.", "2025-03-05", "ministry", 2),
        _row("The health department said 204 cases had been recorded.", "2025-03-05", "dept", 3),
    ]
    now = [_row("The health department said 389 cases had been recorded.", "2025-04-02", "dept", 4)]
    changes = _figure_changes(then, now)
    assert [(before.text, after.text) for _, before, after in changes] == [("204", "389")]


def test_a_rounded_restatement_is_no_change_and_the_counted_word_is_named() -> None:
    then = [_row("The council said 10,100 people are still missing.", "2025-03-03", "council", 1)]
    rounded = [
        _row("About 10,000 are still missing, the council said.", "2025-03-10", "council", 2)
    ]
    assert _figure_changes(then, rounded) == []
    fewer = [_row("About 4,000 are still missing, the council said.", "2025-03-10", "council", 3)]
    [(what, before, after)] = _figure_changes(then, fewer)
    assert (what, before.text, after.text) == ("missing", "10,100", "4,000")


def test_counts_of_people_doing_different_things_are_no_change() -> None:
    """ "4,000 people evacuated" last week and "42 people still missing" now count two
    things; "people" alone does not make them one quantity."""
    then = [
        _row("Officials said at least 4,000 people have been evacuated.", "2025-03-03", "gov", 1)
    ]
    now = [_row("42 people are still missing, the governor said.", "2025-03-10", "gov", 2)]
    assert _figure_changes(then, now) == []
    later = [_row("Officials said 5,200 people have been evacuated.", "2025-03-10", "gov", 3)]
    [(what, before, after)] = _figure_changes(then, later)
    assert (what, before.text, after.text) == ("people", "4,000", "5,200")
