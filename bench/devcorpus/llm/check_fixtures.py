"""Check the curated LLM answers for the development corpus against its pages.

Run from the project root:  .venv/bin/python bench/devcorpus/llm/check_fixtures.py

For every page of every story (bench/devcorpus/<story>/pages) it checks that there is
one answer file, bench/devcorpus/llm/<story>/<page>.json (a JSONL record N is
<file>_recordN.json), and that:
- its "article" names the page ("<story>/pages/<file>" or "...#N") and the file is named after it;
- its "match" phrase is in the extraction prompt the pipeline sends for that page and in
  no other page's prompt (development corpus or seeds), so the server answers the right page;
- every claim passes the same checks as the seeds' fixtures (tests/fixtures/llm/
  check_fixtures.py): the expected keys and values, the extractor's own validation (sentence
  numbers, quotes, statements that say no more than their sentences), event dates that stand;
- no two claims share a statement; publication_date is null or a well-formed estimate.
It also checks that relations.json's fragments each occur in some answer's statements.

Prints a summary and exits non-zero on any problem.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "llm"))

from check_fixtures import check_claim  # type: ignore[import-not-found]  # noqa: E402

from briefing.corpus import load_corpus  # noqa: E402
from briefing.llm.extract import numbered_text  # noqa: E402
from briefing.prompts import EXTRACT_CLAIMS, load_prompt  # noqa: E402
from briefing.schemas import Article  # noqa: E402
from briefing.sentences import number_sentences  # noqa: E402

HERE = Path(__file__).resolve().parent
DEVCORPUS = HERE.parent
MIN_CLAIMS, MAX_CLAIMS = 4, 12


def prompt_of(article: Article) -> str:
    """The system and user messages of the page's extraction call, as the server sees them."""
    messages = load_prompt(EXTRACT_CLAIMS).render(
        title=article.title,
        outlet=article.outlet,
        published=article.published.isoformat() if article.published else None,
        text=numbered_text(number_sentences(article.text)),
        part_number=1,
        part_count=1,
    )
    return "\n".join(m["content"] for m in messages)


def fixture_name(article_path: str) -> str:
    """pages/08_feed.jsonl#1 -> 08_feed_record1.json; pages/01_x.txt -> 01_x.json."""
    name = article_path.split("/", 1)[1]
    if "#" in name:
        file, record = name.split("#")
        return f"{file.rsplit('.', 1)[0]}_record{record}.json"
    return f"{name.rsplit('.', 1)[0]}.json"


def check_answer(
    path: Path, key: str, article: Article, prompts: dict[str, str], problems: list[str]
) -> str:
    where = f"{path.parent.name}/{path.name}"
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("article") != key:
        problems.append(f"{where}: article {data.get('article')!r} is not {key!r}")
    match = data.get("match")
    if not isinstance(match, str) or len(match) < 20:
        problems.append(f"{where}: match must be a phrase of at least 20 characters")
    else:
        holders = [k for k, prompt in prompts.items() if match in prompt]
        if holders != [key]:
            problems.append(f"{where}: match phrase is in the prompts of {holders}, not only {key}")
    answer = data.get("extract", {}).get("answer")
    if not isinstance(answer, dict) or set(answer) != {"claims", "publication_date"}:
        problems.append(f"{where}: extract.answer must have exactly claims and publication_date")
        return f"{where}: bad answer"
    claims: list[Any] = answer["claims"]
    for index, claim in enumerate(claims):
        check_claim(f"{where} claim {index}", claim, article, article.published, problems)
    if not MIN_CLAIMS <= len(claims) <= MAX_CLAIMS:
        problems.append(f"{where}: {len(claims)} claims, expected {MIN_CLAIMS}-{MAX_CLAIMS}")
    statements = [c.get("statement") for c in claims if isinstance(c, dict)]
    if len(set(statements)) != len(statements):
        problems.append(f"{where}: two claims share a statement")
    estimate = answer["publication_date"]
    if estimate is not None and (
        article.published is not None
        or not isinstance(estimate, dict)
        or set(estimate) != {"date", "sentence", "reasoning"}
    ):
        problems.append(
            f"{where}: publication_date must be null or an estimate for an undated page"
        )
    dated = sum(1 for c in claims if isinstance(c, dict) and c.get("event_date"))
    return f"{where}: {len(claims)} claims, {dated} dated"


def main() -> int:
    problems: list[str] = []
    prompts: dict[str, str] = {}
    pages: dict[str, tuple[Path, Article]] = {}
    for article in load_corpus(ROOT / "seeds").articles:
        prompts[f"seeds/{article.path}"] = prompt_of(article)
    stories = sorted(p.parent for p in DEVCORPUS.glob("*/gold.json"))
    for story in stories:
        corpus = load_corpus(story / "pages")
        problems += [f"{story.name}: page skipped: {p}" for p in corpus.skipped]
        for article in corpus.articles:
            key = f"{story.name}/{article.path}"
            prompts[key] = prompt_of(article)
            pages[key] = (HERE / story.name / fixture_name(article.path), article)
    lines = []
    for key, (path, article) in pages.items():
        if not path.exists():
            problems.append(f"no answer for {key} (expected {path.relative_to(ROOT)})")
            continue
        lines.append(check_answer(path, key, article, prompts, problems))
    expected = {path for path, _ in pages.values()}
    for extra in sorted(set(HERE.glob("*/*.json")) - expected):
        problems.append(f"{extra.relative_to(ROOT)} answers no page")
    statements = [
        claim["statement"]
        for path, _ in pages.values()
        if path.exists()
        for claim in json.loads(path.read_text(encoding="utf-8"))["extract"]["answer"]["claims"]
    ]
    relations = HERE / "relations.json"
    judged = json.loads(relations.read_text(encoding="utf-8")) if relations.exists() else []
    for index, entry in enumerate(judged):
        for side in ("first", "second"):
            if not any(entry[side] in s for s in statements):
                problems.append(f"relations.json entry {index}: {side} fragment is in no statement")
    print("\n".join(lines))
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(
        f"\nOK: {len(lines)} answers checked against {len(pages)} pages; {len(judged)} judged pairs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
