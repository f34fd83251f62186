"""Hostile single files: `briefing generate --extractor offline` on one file each, timed.

    .venv/bin/python bench/hostile_files.py [--timeout 300]

Each case is a corpus of one file in a temporary folder, run with the real CLI in a
subprocess with a fresh store: a 1 MB article on one line (sentence splitting), 40,000
lines sharing their first 40 characters (repeat detection), and a 10 MB article of
ordinary paragraphs. Target: each finishes, with exit 0, in under 30 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGET_SECONDS = 30.0
HEADER = " date 2025-05-05 200\n"
SENTENCE = (
    "Officials in the capital said on Monday that the reassurance force would need air"
    " cover and logistics support from its allies. "
)


def one_line_1mb(path: Path) -> None:
    """1 MB of sentences with no line break: pysbd's cost grows with the square of a paragraph."""
    body = (SENTENCE * (1_000_000 // len(SENTENCE) + 1))[:1_000_000]
    path.write_text(HEADER + body + "\n", encoding="utf-8")


def lines_40k(path: Path) -> None:
    """40,000 distinct lines with the same first 40+ characters: the truncated-repeat check."""
    lead = "Officials in the capital said on Monday that the count"
    lines = [f"{lead} reached {i} people and was still rising." for i in range(40_000)]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")


def paragraphs_10mb(path: Path) -> None:
    """10 MB of ordinary paragraphs, each a few sentences long."""
    paragraph = SENTENCE * 3 + "\n\n"
    path.write_text(HEADER + paragraph * (10_000_000 // len(paragraph) + 1), encoding="utf-8")


CASES: list[tuple[str, Callable[[Path], None]]] = [
    ("1 MB on one line", one_line_1mb),
    ("40,000 lines, one 40-character prefix", lines_40k),
    ("10 MB of paragraphs", paragraphs_10mb),
]


def cli() -> list[str]:
    script = Path(sys.executable).parent / "briefing"
    return [str(script)] if script.exists() else [sys.executable, "-m", "briefing"]


def run_case(write: Callable[[Path], None], timeout: float) -> tuple[float, str]:
    """Seconds taken and how it ended ("exit 0", "exit N: ...", "timed out")."""
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        write(corpus / "article.txt")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFING_"))}
        env["BRIEFING_HOME"] = str(Path(tmp) / "home")
        command = [
            *cli(),
            "generate",
            "--since",
            "2025-05-01",
            "--corpus",
            str(corpus),
            "--out",
            str(Path(tmp) / "briefs"),
            "--extractor",
            "offline",
        ]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return time.perf_counter() - started, "timed out"
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            last = done.stderr.strip().splitlines()[-1:] or [""]
            return elapsed, f"exit {done.returncode}: {last[0]}"
        return elapsed, "exit 0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    args = parser.parse_args()
    for name, write in CASES:
        seconds, outcome = run_case(write, args.timeout)
        verdict = "PASS" if outcome == "exit 0" and seconds < TARGET_SECONDS else "MISS"
        print(f"{verdict} {name}: {seconds:.1f} s ({outcome}; target < {TARGET_SECONDS:.0f} s)")


if __name__ == "__main__":
    main()
