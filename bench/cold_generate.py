"""Cold `briefing generate --since 2025-02-01` on the seeds, offline, start-up included.

    .venv/bin/python bench/cold_generate.py [--repeat 5]

Each repetition runs the real CLI (the venv's `briefing` script, else `python -m briefing`)
in a subprocess with a fresh BRIEFING_HOME and out folder and no LLM configured, so
nothing is cached and the offline extractor runs. Target: median under 3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 3.0


def clean_environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "BRIEFING_"))}
    env["BRIEFING_HOME"] = str(home)
    return env


def cli() -> list[str]:
    script = Path(sys.executable).parent / "briefing"
    return [str(script)] if script.exists() else [sys.executable, "-m", "briefing"]


def one_run() -> float:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "briefs"
        command = [
            *cli(),
            "generate",
            "--since",
            "2025-02-01",
            "--corpus",
            "seeds",
            "--out",
            str(out),
        ]
        started = time.perf_counter()
        done = subprocess.run(
            command, cwd=ROOT, env=clean_environment(home), capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0 or not list(out.glob("brief-*.md")):
            raise SystemExit(f"briefing failed ({done.returncode}): {done.stderr.strip()}")
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"command: {' '.join(cli())} generate --since 2025-02-01 --corpus seeds --out <tmp>")
    times = []
    for number in range(1, args.repeat + 1):
        times.append(one_run())
        print(f"run {number}: {times[-1]:.2f} s")
    # Start-up alone: importing the CLI module, for comparison.
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import briefing.cli"], cwd=ROOT, check=True)
    imports = time.perf_counter() - started
    median = statistics.median(times)
    verdict = "PASS" if median < TARGET_SECONDS else "MISS"
    print(f"import briefing.cli alone: {imports:.2f} s")
    print(
        f"cold generate: min {min(times):.2f} s, median {median:.2f} s"
        f" (target < {TARGET_SECONDS:.0f} s) {verdict}"
    )


if __name__ == "__main__":
    main()
