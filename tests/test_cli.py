"""The command line as a user meets it: exit codes, one-line errors, paths printed last."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

import briefing
from briefing import cli, config
from briefing.cli import app, main
from briefing.config import Settings
from briefing.errors import BriefingError
from briefing.schedule import DAYS

SINCE = ["--since", "2025-02-01"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "briefing", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_generate_prints_the_paths_last(seeds_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "briefs"
    done = run_cli("generate", *SINCE, "--corpus", str(seeds_copy), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        str(out / "brief-2025-02-01_2025-05-28.md"),
        str(out / "brief-2025-02-01_2025-05-28.json"),
    ]
    assert "5 articles in the period" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["generate", "--since", "2025-02-30"], 2, "--since takes a date as YYYY-MM-DD"),
        (
            ["generate", *SINCE, "--format", "md,pdf"],
            2,
            "Invalid value for '--format': 'pdf' is not one of 'md', 'json', 'html'",
        ),
        (["generate", *SINCE, "--format", ","], 2, "'--format': give one or more of 'md'"),
        (["generate", *SINCE, "--extractor", "llm"], 2, "set OPENAI_API_KEY"),
        (
            ["generate", *SINCE, "--extractor", "gpt"],
            2,
            "'--extractor': Value error, 'gpt' is not one of 'auto', 'llm', 'offline'",
        ),
        (
            ["generate", *SINCE, "--mode", "xml"],
            2,
            "'xml' is not one of 'tools', 'json_schema', 'json', 'md_json'",
        ),
        (
            ["generate", *SINCE, "--undated", "maybe"],
            2,
            "'--undated': Value error, 'maybe' is not one of 'include', 'exclude'",
        ),
        (["generate", *SINCE, "--concurrency", "0"], 2, "'--concurrency': Input should be"),
        (["generate", *SINCE, "--max-calls", "-1"], 2, "'--max-calls': Input should be"),
        (["generate", *SINCE, "--max-cost", "-0.5"], 2, "'--max-cost': Input should be"),
        (["generate", *SINCE, "--max-cost", "nan"], 2, "'--max-cost'"),
        (["generate", *SINCE, "--max-cost", "inf"], 2, "'--max-cost': inf is not a finite"),
        (["generate", *SINCE, "--lexicon", "/nonexistent/names.yml"], 2, "'--lexicon'"),
        (["weekly", "--max-cost", "inf"], 2, "'--max-cost': inf is not a finite"),
        (["weekly", "--mode", "xml"], 2, "'--mode'"),
        (["weekly", "--concurrency", "0"], 2, "'--concurrency'"),
        (
            ["schedule", "--day", "someday"],
            2,
            "'--day': Value error, 'someday' is not one of 'mon'",
        ),
        (["schedule", "--time", "7 am"], 2, "'--time': '7 am' is not a time of day as HH:MM"),
        (["generate"], 2, "--since"),
        (["generate", *SINCE, "--bogus"], 2, "--bogus"),
        (["generate", *SINCE, "--corpus", "/nonexistent/corpus"], 1, "corpus folder not found"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str], seeds_copy: Path
) -> None:
    if "--corpus" not in args and args[0] != "schedule":
        args = [*args, "--corpus", str(seeds_copy)]
    assert main(args) == code
    captured = capsys.readouterr()
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("briefing: ")
    if code == 2 and "Invalid value" in captured.err:  # points at the command's own help
        assert captured.err.rstrip().endswith(f"(see briefing {args[0]} --help)")


def test_an_environment_variable_is_checked_like_its_option(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEFING_MODE", "xml")
    assert main(["generate", *SINCE, "--corpus", str(seeds_copy)]) == 2
    err = capsys.readouterr().err
    assert "'--mode' (env var: 'BRIEFING_MODE')" in err and "'xml' is not one of" in err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    args = ["generate", *SINCE, "--corpus", str(tmp_path / "missing")]
    quiet = run_cli(*args)
    loud = run_cli(*args, env={"BRIEFING_DEBUG": "1"})
    assert quiet.returncode == loud.returncode == 1
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr


def test_bad_files_are_named_and_skipped(seeds_copy: Path, tmp_path: Path) -> None:
    (seeds_copy / "empty.txt").write_text("")
    (seeds_copy / "scan.pdf").write_bytes(b"%PDF-1.4")
    (seeds_copy / "bad-date.txt").write_text(" date 2025-13-45 200\nSome article text here.\n")
    done = run_cli("generate", *SINCE, "--corpus", str(seeds_copy), "--out", str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    assert "skipped seeds/empty.txt: empty file" in done.stderr
    assert "skipped seeds/scan.pdf: unsupported file type" in done.stderr
    assert "skipped seeds/bad-date.txt: " in done.stderr and "2025-13-45" in done.stderr
    assert "3 file(s) skipped" in done.stderr
    assert (
        len(
            json.loads((tmp_path / "b" / "brief-2025-02-01_2025-05-28.json").read_text())["sources"]
        )
        == 5
    )


@pytest.fixture
def brief_file(seeds_copy: Path, tmp_path: Path) -> Path:
    assert (
        main(["generate", *SINCE, "--corpus", str(seeds_copy), "--out", str(tmp_path / "b")]) == 0
    )
    return tmp_path / "b" / "brief-2025-02-01_2025-05-28.json"


def test_citations_csv_lists_every_row_verified(
    brief_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["citations", str(brief_file), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    brief = json.loads(brief_file.read_text())
    assert len(rows) == len(brief["citations"]) > 0
    assert {row["verified"] for row in rows} == {"True"}


def test_citations_unverified_catches_an_edited_source(
    brief_file: Path, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = json.loads(brief_file.read_text())
    edited = seeds_copy.parent / brief["citations"][0]["path"]
    text = edited.read_text(encoding="utf-8")
    start, end = brief["citations"][0]["start"], brief["citations"][0]["end"]
    edited.write_text(text[:start] + text[start:end].upper() + text[end:], encoding="utf-8")
    capsys.readouterr()
    assert main(["citations", str(brief_file), "--format", "md", "--unverified"]) == 1
    out = capsys.readouterr().out
    assert out.count("| NO |") == 1
    assert brief["citations"][0]["claim_id"] in out
    assert "| yes |" not in out


def test_citations_unverified_exits_0_when_every_quote_holds(
    brief_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["citations", str(brief_file), "--format", "json", "--unverified"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_citations_table_format(brief_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["citations", str(brief_file)]) == 0
    assert "verified" in capsys.readouterr().out


def test_citations_rejects_a_file_that_is_not_a_brief(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"title": "x"}')
    assert main(["citations", str(bogus)]) == 1
    err = capsys.readouterr().err
    assert "is not a brief JSON file" in err and len(err.strip().splitlines()) == 1
    assert main(["citations", str(tmp_path / "missing.json")]) == 1
    assert "cannot read" in capsys.readouterr().err


COMMANDS = ["generate", "citations", "weekly", "schedule", "review", "doctor"]


def test_every_command_is_listed_here() -> None:
    assert sorted(c.name or c.callback.__name__ for c in app.registered_commands if c.callback) == (
        sorted(COMMANDS)
    )


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_help_ending_with_an_example(
    command: str, flag: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    assert main([command, flag]) == 0
    out = capsys.readouterr().out
    assert f"Usage: briefing {command} [OPTIONS]" in out
    tail = out[out.rindex("--help") :]  # the options come first, the example last
    assert "Example:" in tail
    assert [line.strip() for line in tail.splitlines() if line.strip()][-1].startswith(
        f"briefing {command}"
    )


@pytest.mark.parametrize("command", ["generate", "weekly"])
def test_help_names_the_environment_variables_of_options(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main([command, "-h"]) == 0
    out = capsys.readouterr().out
    assert "env var: BRIEFING_MODEL" in out and "env var: BRIEFING_MODE" in out
    assert "BRIEFING_LEXICON" in out
    for flag in ("--model", "--mode", "--concurrency", "--max-calls", "--max-cost", "--lexicon"):
        assert flag in out
    assert "<auto|llm|offline>" in out and "<tools|json_schema|json|md_json>" in out


def test_the_app_help_lists_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["-h"]) == 0
    out = capsys.readouterr().out
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "BRIEFING_BASE_URL",
        "BRIEFING_MODEL",
        "BRIEFING_MODE",
        "BRIEFING_LEXICON",
        "BRIEFING_HOME",
        "BRIEFING_DEBUG",
    ):
        assert name in out
    assert "--version" in out


def test_no_arguments_prints_the_help_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    captured = capsys.readouterr()
    assert "Usage: briefing [OPTIONS] COMMAND" in captured.out
    assert "generate" in captured.out and "citations" in captured.out
    assert captured.err == ""


def test_no_arguments_from_the_shell() -> None:
    done = run_cli()
    assert done.returncode == 0
    assert "Usage: briefing [OPTIONS] COMMAND" in done.stdout
    assert done.stderr == ""


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"briefing {metadata.version('briefing')}\n"
    assert briefing.__version__ == metadata.version("briefing")


def test_concurrency_below_one_is_a_usage_error(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", *SINCE, "--corpus", str(seeds_copy), "--concurrency", "0"]) == 2
    err = capsys.readouterr().err
    assert "Invalid value for '--concurrency'" in err and "greater than or equal to 1" in err


def test_llm_and_budget_options_reach_the_settings(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names, more = tmp_path / "names.yml", tmp_path / "more.yml"
    names.write_text("{}\n")
    more.write_text("{}\n")
    seen: dict[str, Any] = {}

    def fake_generate(*args: Any, **kwargs: Any) -> Any:
        seen["generate"] = kwargs
        raise BriefingError("stop here")

    def fake_weekly(**kwargs: Any) -> list[Any]:
        seen["weekly"] = kwargs
        return []

    monkeypatch.setattr(cli, "generate_brief", fake_generate)
    monkeypatch.setattr(cli, "generate_weekly", fake_weekly)
    monkeypatch.setenv("BRIEFING_MODEL", "from-env")
    options = ["--mode", "json_schema", "--concurrency", "3", "--max-calls", "0"]
    options += ["--max-cost", "0.25", "--lexicon", str(names), "--lexicon", str(more)]
    corpus = ["--corpus", str(seeds_copy)]
    assert main(["generate", *SINCE, *corpus, *options, "--undated", "exclude"]) == 1
    assert main(["weekly", *corpus, *options, "--model", "from-flag", "--format", "md"]) == 0
    expected = Settings(
        backend="auto",
        mode="json_schema",
        concurrency=3,
        max_calls=0,
        max_cost_usd=0.25,
        lexicon_files=(names, more),
    )
    assert seen["generate"]["settings"] == replace(expected, model="from-env")
    assert seen["generate"]["undated"] == "exclude"
    assert seen["weekly"]["settings"] == replace(expected, model="from-flag")
    assert seen["weekly"]["formats"] == ("md",)


def test_a_weekly_error_is_printed_once_and_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "weekly.log"
    args = ["weekly", "--corpus", str(tmp_path / "missing"), "--log", str(log)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("corpus folder not found") == 1
    assert len(err.strip().splitlines()) == 1
    assert "failed: corpus folder not found" in log.read_text()


def test_an_out_path_that_is_a_file_is_one_line(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("")
    assert main(["generate", *SINCE, "--corpus", str(seeds_copy), "--out", str(blocker)]) == 1
    err = capsys.readouterr().err
    assert "cannot write the brief" in err and len(err.strip().splitlines()) == 1


def test_citation_table_shows_markup_in_quotes_as_text(
    seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (seeds_copy / "markup.txt").write_text(
        " date 2025-05-02 200\nThe minister said [bold]talks[/bold] had failed after [/red] long hours of negotiations in Geneva.\n",
        encoding="utf-8",
    )
    assert (
        main(["generate", *SINCE, "--corpus", str(seeds_copy), "--out", str(tmp_path / "b")]) == 0
    )
    capsys.readouterr()
    assert main(["citations", str(tmp_path / "b" / "brief-2025-02-01_2025-05-28.json")]) == 0
    out = capsys.readouterr().out
    assert "[bold]talks[/bold]" in out and "[/red]" in out


def test_citations_json_lists_rows_with_verification_and_review(
    brief_file: Path, seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    brief = json.loads(brief_file.read_text())
    accepted = brief["citations"][0]["claim_id"]
    assert main(["review", accepted, "--accept", "--corpus", str(seeds_copy)]) == 0
    capsys.readouterr()
    assert main(["citations", str(brief_file), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["claim_id"] for row in rows] == [c["claim_id"] for c in brief["citations"]]
    assert all(row["verified"] is True for row in rows)
    assert {row["claim_id"]: row["review"] for row in rows}[accepted] == "accepted"
    assert {row["review"] for row in rows if row["claim_id"] != accepted} == {"pending"}
    assert {"quote", "path", "start", "end", "source"} <= set(rows[0])


def test_citations_format_is_a_choice(brief_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["citations", str(brief_file), "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert "'--format'" in err and "'table', 'md', 'csv', 'json'" in err


def test_citations_source_out_of_range_is_a_usage_error(
    brief_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count = len(json.loads(brief_file.read_text())["sources"])
    capsys.readouterr()
    assert main(["citations", str(brief_file), "--source", str(count + 1)]) == 2
    err = capsys.readouterr().err
    assert "'--source'" in err and f"its sources are 1 to {count}" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["citations", str(brief_file), "--source", "0"]) == 2
    assert "'--source'" in capsys.readouterr().err
    assert main(["citations", str(brief_file), "--source", str(count), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {row["source"] for row in rows} == {str(count)}


def test_citations_corpus_rechecks_a_moved_copy(
    brief_file: Path, seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(seeds_copy, moved)
    capsys.readouterr()
    # The recorded corpus is gone: a gate cannot pass on quotes it did not check.
    assert main(["citations", str(brief_file), "--unverified"]) == 1
    assert "cannot check the quotes again; give --corpus DIR" in capsys.readouterr().err
    # Given where the files are now, every quote is checked there and holds.
    assert main(["citations", str(brief_file), "--corpus", str(moved), "--unverified"]) == 0
    assert capsys.readouterr().err == ""
    # ...and an edit in the moved copy is caught.
    first = json.loads(brief_file.read_text())["citations"][0]
    edited = moved / first["path"].split("/", 1)[1]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text[: first["start"]] + "X" + text[first["start"] + 1 :], encoding="utf-8")
    args = [
        "citations",
        str(brief_file),
        "--corpus",
        str(moved),
        "--unverified",
        "--format",
        "json",
    ]
    assert main(args) == 1
    assert [row["claim_id"] for row in json.loads(capsys.readouterr().out)] == [first["claim_id"]]
    assert main(["citations", str(brief_file), "--corpus", str(tmp_path / "nowhere")]) == 2
    assert "'--corpus'" in capsys.readouterr().err


def test_citation_table_fits_80_columns_and_keeps_ids_whole(
    brief_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich draws for a terminal
    monkeypatch.setenv("COLUMNS", "80")
    capsys.readouterr()
    assert main(["citations", str(brief_file)]) == 0
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    lines = out.splitlines()
    assert lines and max(cell_len(line) for line in lines) <= 80
    assert "┃" in out  # a box table
    cells = {part.strip() for line in lines for part in line.split("│")}
    for row in json.loads(brief_file.read_text())["citations"]:
        assert row["claim_id"] in cells  # e.g. 4b578c-e118c8, never cut or wrapped
        assert row["finding_id"] in cells


def test_citation_table_is_plain_rows_when_not_a_terminal(
    brief_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["citations", str(brief_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    citations = json.loads(brief_file.read_text())["citations"]
    assert lines[0].split("\t") == [
        "#",
        "finding",
        "claim",
        "source",
        "outlet",
        "date",
        "quote",
        "verified",
        "review",
    ]
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == len(citations) and all(len(row) == 9 for row in rows)
    assert [row[2] for row in rows] == [c["claim_id"] for c in citations]
    escapes = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
    assert [row[6] for row in rows] == [c["quote"].translate(escapes) for c in citations]


def test_the_choices_are_the_library_s() -> None:
    assert [e.value for e in cli.Extractor] == list(config.BACKEND_CHOICES)
    assert [e.value for e in cli.Mode] == list(config.INSTRUCTOR_MODES)
    assert [e.value for e in cli.Day] == list(DAYS)
    assert set(cli._complete_formats("")) == set(config.SUPPORTED_FORMATS)
    assert cli._complete_formats("md,j") == ["md,json"]
