"""Two briefing processes on one store: neither corrupts it; the weekly lock keeps weekly runs apart."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from briefing.weekly import weekly_lock


def _briefing(*args: str, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BRIEFING_HOME": str(home)},
    )


def test_two_generate_runs_at_once_share_the_store_safely(seeds_copy: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    runs = [
        _briefing(
            "generate",
            "--since",
            "2025-02-01",
            "--corpus",
            str(seeds_copy),
            "--out",
            str(tmp_path / f"b{n}"),
            home=home,
        )
        for n in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    db = sqlite3.connect(home / "briefing.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # each article's extraction is stored once, whichever run saved it
    assert db.execute("SELECT count(*), count(DISTINCT cache_key) FROM extractions").fetchone() == (
        5,
        5,
    )
    briefs = [
        (tmp_path / f"b{n}" / "brief-2025-02-01_2025-05-28.json").read_text() for n in range(2)
    ]
    assert briefs[0] == briefs[1]


def test_a_weekly_run_waits_for_no_one_and_says_the_store_is_busy(
    seeds_copy: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    lock = weekly_lock(home)
    lock.__enter__()  # another weekly run holds the store
    try:
        run = _briefing(
            "weekly",
            "--since",
            "2025-02-01",
            "--corpus",
            str(seeds_copy),
            "--out",
            str(tmp_path / "w"),
            home=home,
        )
        _, err = run.communicate(timeout=120)
    finally:
        lock.__exit__(None, None, None)
    assert run.returncode == 1
    assert "another `briefing weekly` is running" in err and "Traceback" not in err
    assert not (tmp_path / "w").exists()
