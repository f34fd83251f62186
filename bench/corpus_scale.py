"""Scale of a whole offline run: `briefing generate` over 1,000 to 10,000 synthetic articles.

    .venv/bin/python bench/corpus_scale.py [--sizes 1000,10000] [--weeks 52]

Each size writes a corpus of short articles in a fresh temporary folder (fixed seed):
a scraper header line with a date spread over a year, a headline, and three to six
sentences drawn from templates about a few dozen invented parties, places and figures;
30% of the articles are wire copies of an earlier one (the same body under another
outlet's header, sometimes with a sentence added or a figure updated), as wire copy
produces. It then runs `briefing generate` offline in a child process with a fresh store
and reports wall time and peak RSS (the child's ru_maxrss), then the same again with
every extraction in the store. With --weeks N it also runs `briefing weekly --since` over
the first N weeks of the largest corpus, to show that a backfill loads the corpus once and
grows linearly with the weeks.

Targets (issue 14): 10,000 articles in under a minute and 2 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
TARGET_BYTES = 2 * 1024**3
COPY_SHARE = 0.3
START = dt.date(2025, 1, 6)

SYLLABLES = "ka lo mer ti van sor del quin bra tus pel rod fen gal mis hor zen cal dru nev".split()
ROLES = ["minister", "spokeswoman", "union leader", "mayor", "police chief", "health officer"]
BODIES = ["council", "ministry", "union", "port authority", "health department", "army"]
VERBS = ["said", "told reporters", "announced", "warned", "confirmed"]
EVENTS = [
    "{n} workers walked out at the {place} depot",
    "{n} families were moved from homes near the {place} river",
    "the {body} closed the road to {place} after the storm",
    "talks between the {body} and the {body2} broke down in {place}",
    "{n} cases were recorded in {place} this week",
    "the {body} agreed to reopen the {place} crossing",
    "the {body} rejected the offer made in {place}",
    "{n} vessels were waiting off {place}",
]


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _sentence(rng: random.Random, places: list[str], people: list[str]) -> str:
    event = rng.choice(EVENTS).format(
        n=rng.randint(3, 9000),
        place=rng.choice(places),
        body=rng.choice(BODIES),
        body2=rng.choice(BODIES),
    )
    who = f"{rng.choice(people)}, the {rng.choice(places)} {rng.choice(ROLES)},"
    day = rng.choice(["on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday"])
    return f"{event[0].upper()}{event[1:]}, {who} {rng.choice(VERBS)} {day}."


def write_corpus(folder: Path, size: int) -> None:
    rng = random.Random(size)
    places = [_name(rng) for _ in range(60)]
    people = [f"{_name(rng)} {_name(rng)}" for _ in range(80)]
    outlets = [
        f"The {_name(rng)} {rng.choice(['Post', 'Herald', 'Times', 'Radio'])}" for _ in range(40)
    ]
    written: list[tuple[str, list[str]]] = []
    for number in range(size):
        day = START + dt.timedelta(days=rng.randrange(365))
        outlet = rng.choice(outlets)
        if written and rng.random() < COPY_SHARE:
            title, body = rng.choice(written)
            body = list(body)
            if rng.random() < 0.5:
                body.append(_sentence(rng, places, people))
        else:
            body = [_sentence(rng, places, people) for _ in range(rng.randint(3, 6))]
            title = f"{rng.choice(places)}: {rng.choice(BODIES)} under pressure"
            written.append((title, body))
        text = f" date {day} 200\n{title}\n{outlet}\n" + "\n".join(body) + "\n"
        (folder / f"{number:05d}.txt").write_text(text, encoding="utf-8")


def _first_weeks(corpus: Path, folder: Path, weeks: int) -> Path:
    """The corpus's articles dated in its first `weeks` weeks, copied to `folder`."""
    folder.mkdir()
    last = START + dt.timedelta(weeks=weeks)
    for path in corpus.iterdir():
        text = path.read_text(encoding="utf-8")
        if dt.date.fromisoformat(text.split()[1]) < last:
            (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def _run(args: list[str], home: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one briefing command in a child process."""
    env = {k: v for k, v in os.environ.items() if k not in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}}
    env["BRIEFING_HOME"] = str(home)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "briefing", *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far: report it only when it grew.
    return wall, max(peak, before) / 1024**2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--weeks", type=int, default=0, help="also time weekly backfills")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    ok = True
    print(f"{'articles':>9} {'cold s':>8} {'warm s':>8} {'peak GB':>8}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            write_corpus(corpus, size)
            command = ["generate", "--since", str(START), "--corpus", str(corpus)]
            command += ["--out", str(Path(tmp) / "briefs"), "--format", "md,json", "--extractor"]
            command += ["offline"]
            cold, peak = _run(command, Path(tmp) / "home")
            warm, peak_warm = _run(command, Path(tmp) / "home")
            print(f"{size:>9} {cold:>8.1f} {warm:>8.1f} {max(peak, peak_warm):>8.2f}")
            if size >= 10_000:
                passed = cold < TARGET_SECONDS and max(peak, peak_warm) * 1024**3 < TARGET_BYTES
                ok = ok and passed
                verdict = "PASS" if passed else "MISS"
                print(
                    f"{size} articles: {cold:.1f} s cold (target < {TARGET_SECONDS:.0f} s) {verdict}"
                )
            if args.weeks and size == sizes[-1]:
                for weeks in (args.weeks // 4, args.weeks):
                    part = _first_weeks(corpus, Path(tmp) / f"weeks-{weeks}", weeks)
                    out = Path(tmp) / f"weekly-{weeks}"
                    wall, _ = _run(
                        ["weekly", "--since", str(START), "--corpus", str(part), "--out", str(out)],
                        Path(tmp) / f"home-{weeks}",
                    )
                    print(f"weekly backfill of {weeks} weeks ({part.name}): {wall:.1f} s")
    print(f"summary: corpus scale {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
