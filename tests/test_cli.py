"""The command line as a user meets it: exit codes, one-line errors, paths printed last."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefing.cli import app, main

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
        (["generate", *SINCE, "--format", "pdf"], 2, "--format takes"),
        (["generate", *SINCE, "--extractor", "llm"], 2, "set OPENAI_API_KEY"),
        (["generate", *SINCE, "--undated", "maybe"], 2, "--undated must be"),
        (["generate"], 2, "--since"),
        (["generate", *SINCE, "--bogus"], 2, "--bogus"),
        (["generate", *SINCE, "--corpus", "/nonexistent/corpus"], 1, "corpus folder not found"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str], seeds_copy: Path
) -> None:
    if "--corpus" not in args:
        args = [*args, "--corpus", str(seeds_copy)]
    assert main(args) == code
    captured = capsys.readouterr()
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("briefing: ")


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
    assert main(["citations", str(brief_file), "--format", "md", "--unverified"]) == 0
    out = capsys.readouterr().out
    assert out.count("| NO |") == 1
    assert brief["citations"][0]["claim_id"] in out
    assert "| yes |" not in out


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


def test_every_command_has_help_with_an_example() -> None:
    for command in app.registered_commands:
        assert command.callback is not None and command.callback.__doc__
        assert "Example:" in command.callback.__doc__


def test_concurrency_below_one_is_a_usage_error(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", *SINCE, "--corpus", str(seeds_copy), "--concurrency", "0"]) == 2
    assert "--concurrency must be at least 1" in capsys.readouterr().err


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
