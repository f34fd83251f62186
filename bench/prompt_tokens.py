"""Prompt tokens sent per seed article, against the raw file (tokens estimated as chars / 4).

    .venv/bin/python bench/prompt_tokens.py                # prompt sizes
    .venv/bin/python bench/prompt_tokens.py --completions  # answer sizes and claims kept

First the fixed part every extraction call sends besides the article: the instructions,
the user message's frame, and the response schema (as a tool definition, or a JSON schema
in the other modes). Then, for each seed: the raw file, the cleaned Article.text, and the
full rendered extraction prompt (system + user messages, as LLMExtractor renders them).
Target: cleaning cuts the article body of seeds 000 and 001 by at least 40% (raw file
chars vs cleaned text chars).

With --completions: the LLM path run end to end against the tests' fixture server
(127.0.0.1), on the seeds (curated answers) and on each development-corpus story
(synthesized answers: each article's first sentence), counting the prompt and completion
tokens of the extraction calls per article (as the server's usage reports them) and the
claims kept and dropped. The fixture server counts tokens as characters / 4 (the
messages and the tool definition; an answer's JSON), so the figures measure the request
and answer formats, not a real model's tokenizer or verbosity.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.corpus import load_corpus
from briefing.llm.extract import CHARS_PER_TOKEN, numbered_text
from briefing.prompts import EXTRACT_CLAIMS, load_prompt
from briefing.sentences import number_sentences

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DEVCORPUS = ROOT / "bench" / "devcorpus"
TARGET_CUT = 0.40
TARGET_SEEDS = ("000", "001")


def prompt_chars(text: str, title: str | None, outlet: str | None, published: str | None) -> int:
    """Characters of the system + user messages for one article sent in one part."""
    messages = load_prompt(EXTRACT_CLAIMS).render(
        title=title,
        outlet=outlet,
        published=published,
        text=numbered_text(number_sentences(text)),
        part_number=1,
        part_count=1,
    )
    return sum(len(m["content"]) for m in messages)


def fixed_parts() -> list[tuple[str, int]]:
    """(part, characters) of what every extraction call sends besides the article text."""
    from instructor.v2.providers.openai.schema import generate_openai_schema

    from briefing.llm.calls import prepared_model
    from briefing.llm.extract import ClaimExtraction

    prompt = load_prompt(EXTRACT_CLAIMS)
    dated, undated = (
        prompt.render(
            title=None, outlet=None, published=published, text="", part_number=1, part_count=1
        )
        for published in ("2025-01-01", None)
    )
    return [
        ("instructions (system message), dated article", len(dated[0]["content"])),
        ("instructions (system message), undated article", len(undated[0]["content"])),
        ("user message without the article text", len(dated[1]["content"])),
        (
            "tool definition (tools mode)",
            len(json.dumps(generate_openai_schema(prepared_model(ClaimExtraction)))),
        ),
        (
            "JSON schema (json_schema mode; json and md_json put it in the system message)",
            len(json.dumps(ClaimExtraction.model_json_schema())),
        ),
    ]


def tokens(chars: int) -> int:
    return round(chars / CHARS_PER_TOKEN)


def completion_figures(corpus: Path, synthesize: bool) -> tuple[int, int, int, int, int, int]:
    """(articles, extraction calls, prompt tokens, completion tokens, claims kept, claims
    dropped) of one LLM run on `corpus` against a fresh fixture server and a fresh store."""
    from briefing import Settings, generate
    from tests.fixture_server import serve

    server, _ = serve(0, synthesize=synthesize)
    with tempfile.TemporaryDirectory() as home:
        os.environ["BRIEFING_HOME"] = home
        os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}/v1"
        os.environ["OPENAI_API_KEY"] = "fixture"
        try:
            result = generate(
                dt.date(1990, 1, 1),
                corpus=corpus,
                out=Path(home) / "briefs",
                formats=["json"],
                settings=Settings(backend="llm"),
            )
        finally:
            server.shutdown()
            server.server_close()
        db = sqlite3.connect(Path(home) / "briefing.db")
        calls, prompt, completion = db.execute(
            "SELECT count(*), coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0)"
            " FROM calls WHERE purpose = 'extract' AND status = 'ok'"
        ).fetchone()
        kept = db.execute("SELECT count(DISTINCT claim_id) FROM claims").fetchone()[0]
        db.close()
    articles = len(result.brief.sources)
    return articles, calls, prompt, completion, kept, result.stats.dropped_claims


def report_completions() -> None:
    runs = [("seeds (curated)", SEEDS, False)] + [
        (f"{story.name} (synth.)", story / "pages", True)
        for story in sorted(DEVCORPUS.iterdir())
        if (story / "pages").is_dir()
    ]
    header = (
        f"{'corpus':<26}{'articles':>9}{'calls':>7}{'prompt tok':>11}{'/article':>9}"
        f"{'compl. tok':>11}{'/article':>9}{'kept':>6}{'dropped':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, folder, synthesize in runs:
        articles, calls, prompt, completion, kept, dropped = completion_figures(folder, synthesize)
        per = max(1, articles)
        print(
            f"{name:<26}{articles:>9}{calls:>7}{prompt:>11}{prompt / per:>9.0f}"
            f"{completion:>11}{completion / per:>9.0f}{kept:>6}{dropped:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--completions", action="store_true", help="measure answers through the fixture server"
    )
    if parser.parse_args().completions:
        report_completions()
        return
    corpus = load_corpus(SEEDS)
    # The fixed cost every call pays: the prompt without article text, and the schema.
    print("fixed part of every extraction call (the table below counts messages only):")
    for part, chars in fixed_parts():
        print(f"  {part}: {chars} chars (~{tokens(chars)} tokens)")
    print()
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
