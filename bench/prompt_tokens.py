"""Prompt tokens sent per seed article, against the raw file (tokens estimated as chars / 4).

    .venv/bin/python bench/prompt_tokens.py

For each seed: the raw file, the cleaned Article.text, and the full rendered extraction
prompt (system + user messages, as LLMExtractor renders them). Target: cleaning cuts the
article body of seeds 000 and 001 by at least 40% (raw file chars vs cleaned text chars).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.corpus import load_corpus
from briefing.llm.extract import CHARS_PER_TOKEN
from briefing.prompts import EXTRACT_CLAIMS, load_prompt

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TARGET_CUT = 0.40
TARGET_SEEDS = ("000", "001")


def prompt_chars(text: str, title: str | None, outlet: str | None, published: str | None) -> int:
    """Characters of the system + user messages for one article sent in one part."""
    messages = load_prompt(EXTRACT_CLAIMS).render(
        title=title,
        outlet=outlet,
        published=published,
        text=text.replace("</article>", "</ article>"),
        part_number=1,
        part_count=1,
    )
    return sum(len(m["content"]) for m in messages)


def tool_schema_chars() -> int:
    """The function definition instructor sends with every call in tools mode."""
    from instructor.v2.providers.openai.schema import generate_openai_schema

    from briefing.llm.extract import ClaimExtraction

    return len(json.dumps(generate_openai_schema(ClaimExtraction)))


def tokens(chars: int) -> int:
    return round(chars / CHARS_PER_TOKEN)


def main() -> None:
    corpus = load_corpus(SEEDS)
    # The prompt with an empty article: the fixed cost every call pays.
    overhead = prompt_chars("", None, None, None)
    print(f"prompt without article text: {overhead} chars (~{tokens(overhead)} tokens)")
    schema = tool_schema_chars()
    print(
        f"tool schema sent beside the messages in tools mode (not in the table): {schema} chars"
        f" (~{tokens(schema)} tokens)\n"
    )
    header = (
        f"{'seed':<6}{'raw chars':>10}{'clean chars':>12}{'body cut':>9}"
        f"{'raw tok':>9}{'prompt chars':>13}{'prompt tok':>11}{'prompt/raw':>11}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    totals = [0, 0, 0]
    for article in corpus.articles:
        seed = Path(article.path).name[:3]
        raw = len(article.raw_text)  # the decoded file, as a naive pipeline would send it
        clean = len(article.text)
        full = prompt_chars(
            article.text,
            article.title,
            article.outlet,
            article.published.isoformat() if article.published else None,
        )
        cut = 1 - clean / raw
        totals = [totals[0] + raw, totals[1] + clean, totals[2] + full]
        print(
            f"{seed:<6}{raw:>10}{clean:>12}{cut:>9.1%}{tokens(raw):>9}"
            f"{full:>13}{tokens(full):>11}{full / raw:>11.2f}"
        )
        if seed in TARGET_SEEDS:
            verdicts.append((seed, cut))
    raw, clean, full = totals
    print("-" * len(header))
    print(
        f"{'all':<6}{raw:>10}{clean:>12}{1 - clean / raw:>9.1%}{tokens(raw):>9}"
        f"{full:>13}{tokens(full):>11}{full / raw:>11.2f}\n"
    )
    for seed, cut in verdicts:
        verdict = "PASS" if cut >= TARGET_CUT else "MISS"
        print(
            f"seed {seed}: cleaning cuts the article body by {cut:.1%}"
            f" (target >= {TARGET_CUT:.0%}) {verdict}"
        )


if __name__ == "__main__":
    main()
