"""Quality on the development corpus: brief every story offline and score it against gold.

    python bench/quality.py                 # every story under bench/devcorpus/
    python bench/quality.py --json out.json # the figures, for RESULTS.md
    python bench/quality.py --misses        # also list what was missed or wrong
    python bench/quality.py --backend llm   # through the tests' fixture server, answering
                                            # from curated answers (bench/devcorpus/llm/)

Each story folder holds pages/ and gold.json (see bench/devcorpus/README.md). The brief
covers every page (since 1990, undated pages included), so every gold article is scored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing import Settings, generate  # noqa: E402
from briefing.eval import Scores, load_gold, score_brief  # noqa: E402

DEVCORPUS = ROOT / "bench" / "devcorpus"
SINCE = dt.date(1990, 1, 1)


def score_story(story: Path, settings: Settings) -> tuple[Scores, dict[str, Any]]:
    gold = load_gold(story / "gold.json")
    with tempfile.TemporaryDirectory() as home:
        os.environ["BRIEFING_HOME"] = home
        result = generate(
            SINCE,
            corpus=story / "pages",
            out=Path(home) / "briefs",
            formats=["json"],
            settings=settings,
        )
    return score_brief(result.brief, gold), gold


def _pct(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.0f}%)" if total else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--misses", action="store_true", help="list misses and errors")
    parser.add_argument("--backend", default="offline", choices=["offline", "llm"])
    args = parser.parse_args()
    if args.backend == "llm":
        # The tests' local OpenAI-compatible server, answering each page's extraction and
        # the relate call's pairs from the curated answers in bench/devcorpus/llm/ (what a
        # careful model would answer; see its README), and composing by restating the
        # findings: the LLM path end to end, no network.
        from tests.fixture_server import serve

        server, _ = serve(0, synthesize=True, extra=[DEVCORPUS / "llm"])
        os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}/v1"
        os.environ["OPENAI_API_KEY"] = "fixture"
    stories = sorted(p for p in DEVCORPUS.iterdir() if (p / "gold.json").exists())
    if not stories:
        print(f"no stories with gold.json under {DEVCORPUS}", file=sys.stderr)
        return 1
    figures: dict[str, Any] = {}
    totals: dict[str, list[int]] = {}
    for story in stories:
        scores, gold = score_story(story, Settings(backend=args.backend))
        summary = scores.summary()
        summary["conflict_precision"] = round(scores.conflict_precision(), 3)
        summary["conflict_recall"] = round(
            scores.conflict_recall(len(gold.get("conflicts", []))), 3
        )
        figures[story.name] = summary
        print(f"\n== {story.name}")
        for name in (
            "published",
            "printed_dates_found",
            "event_dates",
            "outlets",
            "origins",
            "titles",
            "speakers",
            "key_facts",
            "wire_versions",
        ):
            tally = getattr(scores, name)
            row = totals.setdefault(name, [0, 0, 0])
            row[0] += tally.right
            row[1] += tally.unknown
            row[2] += tally.wrong
            print(
                f"  {name:20} right {_pct(tally.right, tally.total):>14}"
                f"  unknown {tally.unknown:3}  wrong {tally.wrong:3}"
            )
            if args.misses:
                for miss in tally.misses:
                    print(f"      {miss}")
        print(f"  events repeated as separate items: {len(scores.repeated_events)}")
        if args.misses:
            for text in scores.repeated_events:
                print(f"      repeated: {text}")
        print(f"  sources counted as one origin wrongly: {len(scores.origins_merged_wrongly)}")
        if args.misses:
            for text in scores.origins_merged_wrongly:
                print(f"      {text}")
        print(f"  events after publication: {scores.events_after_publication}")
        print(f"  furniture inside quotes:  {len(scores.furniture_quotes)}")
        if args.misses:
            for quote in scores.furniture_quotes:
                print(f"      {quote}")
        print(
            f"  conflicts: {scores.conflicts_predicted} reported, {scores.conflicts_true} true,"
            f" {scores.conflicts_found} of {len(gold.get('conflicts', []))} gold found"
        )
        if args.misses:
            for text in scores.false_conflicts:
                print(f"      false: {text}")
    print("\n== all stories")
    for name, (right, unknown, wrong) in totals.items():
        total = right + unknown + wrong
        print(f"  {name:20} right {_pct(right, total):>14}  unknown {unknown:3}  wrong {wrong:3}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
