"""Scale of aggregation: group_syndicated + merge_findings at 1k, 10k and 100k claims.

    .venv/bin/python bench/aggregation_scale.py [--sizes 1000,10000,100000]

Each size runs in its own child process (so peak RSS belongs to that size alone).
Synthetic data, fixed seed:
- ~10 claims per article; an article's text is its claims' statements plus filler prose
  (so syndication detection has realistic shingles); 3% of articles are syndicated copies
  of an earlier article (same text and statements, another id);
- statements are 9-16 content words drawn from a Zipf-like vocabulary (P(rank k) ~ 1/k,
  40,000 words), as word frequencies in news text are, plus actors from the gazetteer
  and sometimes a number;
- 5% of claims are paraphrased copies of a statement from another article
  ("reportedly" inserted, or a word repeated), which merge_findings should merge.
Reported per size: seconds for each step, the CPU seconds of both (the wall time counts what
another process takes of a shared core; the load average is printed beside it), peak RSS
(ru_maxrss) and its growth over the data alone, candidate pairs, findings, and recall of the
planted paraphrases.
Target (issue 14): 100,000 claims in under 10 s and 1 GB; growth no worse than n log n;
recall of the planted paraphrases at least 95% at every size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.aggregate import _STOPWORDS, MAX_BLOCK_SIZE, _words, group_syndicated, merge_findings
from briefing.schemas import Article, Claim, Evidence, Segment

TARGET_SECONDS = 10.0
TARGET_BYTES = 1024**3
TARGET_RECALL = 0.95
CLAIMS_PER_ARTICLE = 10
VOCABULARY = 40_000
PARAPHRASE_SHARE = 0.05
SYNDICATED_SHARE = 0.03
ACTORS = [
    "France",
    "Germany",
    "Russia",
    "Ukraine",
    "NATO",
    "Poland",
    "Italy",
    "Spain",
    "Donald Trump",
    "Emmanuel Macron",
    "Keir Starmer",
    "Vladimir Putin",
]
VERBS = [
    "announced",
    "rejected",
    "proposed",
    "confirmed",
    "warned about",
    "discussed",
    "criticised",
    "welcomed",
    "postponed",
    "supported",
]
SYLLABLES = [
    "ka",
    "lo",
    "mer",
    "ti",
    "van",
    "sor",
    "del",
    "quin",
    "bra",
    "tus",
    "pel",
    "rod",
    "fen",
    "gal",
    "mis",
    "hor",
    "zen",
    "cal",
    "dru",
    "nev",
]


def make_vocabulary(rng: random.Random) -> list[str]:
    """Distinct pseudo-words of 2-4 syllables (never stopwords, always > 2 letters)."""
    words: set[str] = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def zipf_word(rng: random.Random, vocabulary: list[str]) -> str:
    # Log-uniform rank: P(rank k) ~ 1/k, Zipf's law with exponent 1.
    return vocabulary[int(len(vocabulary) ** rng.random()) - 1]


def statement(rng: random.Random, vocabulary: list[str]) -> str:
    actor = rng.choice(ACTORS)
    words = [zipf_word(rng, vocabulary) for _ in range(rng.randint(8, 15))]
    number = f" by {rng.randint(2, 900)} units" if rng.random() < 0.3 else ""
    return f"{actor} {rng.choice(VERBS)} the {' '.join(words)}{number}."


def paraphrase(rng: random.Random, text: str) -> str:
    words = text.split()
    if rng.random() < 0.5:
        return " ".join([words[0], "reportedly", *words[1:]])
    position = rng.randrange(2, len(words) - 1)
    return " ".join([*words[: position + 1], words[position], *words[position + 1 :]])


def make_article(article_id: str, text: str, day: int) -> Article:
    return Article(
        article_id=article_id,
        path=f"synthetic/{article_id}.txt",
        raw_text=text,
        text=text,
        segments=[Segment(clean_start=0, raw_start=0, length=len(text))],
        content_hash=article_id * 4,
        title=None,
        outlet="Bench Wire",
        published=dt.date(2025, 1, 1) + dt.timedelta(days=day % 150),
        date_source="header",
    )


def make_claim(article: Article, number: int, text: str, rng: random.Random) -> Claim:
    start = article.text.find(text)
    return Claim(
        claim_id=f"{article.article_id[:6]}-{number:06d}",
        article_id=article.article_id,
        statement=text,
        actors=[text.split(" ")[0]],
        reporting_chain=["Bench Wire"],
        event_date=dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(150))
        if rng.random() < 0.5
        else None,
        evidence=[Evidence(quote=text, start=start, end=start + len(text))],
        salience=float(CLAIMS_PER_ARTICLE - number % CLAIMS_PER_ARTICLE),
    )


def build(size: int) -> tuple[list[Claim], dict[str, Article], list[tuple[int, int]]]:
    """Claims, articles by id, and the planted (original, paraphrase) claim positions."""
    rng = random.Random(size)
    vocabulary = make_vocabulary(rng)
    statements: list[list[str]] = []  # per article
    planted: list[tuple[int, int]] = []
    position = 0
    count = math.ceil(size / CLAIMS_PER_ARTICLE)
    origin_of: dict[str, int] = {}
    for number in range(count):
        if number and rng.random() < SYNDICATED_SHARE:  # a syndicated copy
            statements.append(list(statements[rng.randrange(number)]))
            position += len(statements[-1])
            continue
        own = []
        for _ in range(CLAIMS_PER_ARTICLE):
            if position > 100 and rng.random() < PARAPHRASE_SHARE:
                source = rng.randrange(position - CLAIMS_PER_ARTICLE)
                flat_article, flat_index = divmod(source, CLAIMS_PER_ARTICLE)
                original = statements[flat_article][flat_index % len(statements[flat_article])]
                text = paraphrase(rng, original)
                origin_of[text] = source
                own.append(text)
            else:
                own.append(statement(rng, vocabulary))
            position += 1
        statements.append(own)
    articles: dict[str, Article] = {}
    claims: list[Claim] = []
    index_of: dict[str, int] = {}
    for number, own in enumerate(statements):
        filler = " ".join(statement(random.Random(number * 7919), vocabulary) for _ in range(6))
        article_id = hashlib.sha1(f"{size}-{number}".encode()).hexdigest()[:16]
        article = make_article(article_id, "\n\n".join([*own, filler]), number)
        articles[article_id] = article
        for k, text in enumerate(own):
            index_of.setdefault(text, len(claims))
            claims.append(make_claim(article, k, text, rng))
    for text, source in origin_of.items():
        if source < len(claims) and text in index_of:
            planted.append((source, index_of[text]))
    return claims[:size], articles, [(a, b) for a, b in planted if a < size and b < size]


def candidate_pairs(claims: list[Claim]) -> int:
    """Pairs merge_findings counts shared words for (its blocking, recomputed here)."""
    sizes: dict[str, int] = defaultdict(int)
    for claim in claims:
        for word in {w for w in _words(claim.statement) if w not in _STOPWORDS and len(w) > 2}:
            sizes[word] += 1
    return sum(n * (n - 1) // 2 for n in sizes.values() if n <= MAX_BLOCK_SIZE)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


def child(size: int) -> None:
    """One size, in this process; prints one JSON line."""
    claims, articles, planted = build(size)
    pairs = candidate_pairs(claims)
    article_list = list(articles.values())
    rss_data = rss_bytes()
    cpu_started = cpu_seconds()
    started = time.perf_counter()
    groups = group_syndicated(article_list)
    grouped = time.perf_counter()
    findings = merge_findings(claims, articles, groups)
    merged = time.perf_counter()
    cpu = cpu_seconds() - cpu_started
    finding_of = {c.claim_id: f.finding_id for f in findings for c in f.claims}
    found = sum(
        finding_of[claims[a].claim_id] == finding_of[claims[b].claim_id] for a, b in planted
    )
    print(
        json.dumps(
            {
                "claims": len(claims),
                "articles": len(article_list),
                "groups": len(set(groups.group_of.values())),
                "findings": len(findings),
                "candidate_pairs": pairs,
                "group_s": grouped - started,
                "merge_s": merged - grouped,
                "cpu_s": cpu,
                "load": os.getloadavg()[0],
                "rss_data": rss_data,
                "rss_peak": rss_bytes(),
                "planted": len(planted),
                "planted_merged": found,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    rows = []
    print(
        f"{'claims':>8}{'articles':>9}{'groups':>8}{'findings':>9}{'cand. pairs':>13}"
        f"{'group s':>9}{'merge s':>9}{'total s':>9}{'cpu s':>7}{'load':>6}{'peak MB':>9}{'+MB':>7}"
        f"{'paraphrases merged':>20}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        row["total_s"] = row["group_s"] + row["merge_s"]
        rows.append(row)
        print(
            f"{row['claims']:>8}{row['articles']:>9}{row['groups']:>8}{row['findings']:>9}"
            f"{row['candidate_pairs']:>13,}{row['group_s']:>9.2f}{row['merge_s']:>9.2f}"
            f"{row['total_s']:>9.2f}{row['cpu_s']:>7.2f}{row['load']:>6.2f}"
            f"{row['rss_peak'] / 2**20:>9.0f}"
            f"{(row['rss_peak'] - row['rss_data']) / 2**20:>7.0f}"
            f"{row['planted_merged']:>11}/{row['planted']:<8}",
            flush=True,
        )
    print()
    for small, large in itertools.pairwise(rows):
        slope = math.log(large["total_s"] / small["total_s"]) / math.log(
            large["claims"] / small["claims"]
        )
        # n log n between these sizes has this slope:
        nlogn = math.log(
            (large["claims"] * math.log(large["claims"]))
            / (small["claims"] * math.log(small["claims"]))
        ) / math.log(large["claims"] / small["claims"])
        verdict = "PASS" if slope <= nlogn + 0.05 else "MISS"
        print(
            f"growth {small['claims']} -> {large['claims']} claims: time exponent {slope:.2f}"
            f" (n log n here is {nlogn:.2f}) {verdict}"
        )
    for row in rows:
        recall = row["planted_merged"] / row["planted"] if row["planted"] else 1.0
        verdict = "PASS" if recall >= TARGET_RECALL else "MISS"
        print(
            f"{row['claims']} claims: recall of planted paraphrases {recall:.1%}"
            f" (target >= {TARGET_RECALL:.0%}) {verdict}"
        )
    largest = rows[-1]
    if largest["claims"] >= 100_000:
        verdict = "PASS" if largest["total_s"] < TARGET_SECONDS else "MISS"
        print(
            f"{largest['claims']} claims: {largest['total_s']:.1f} s"
            f" (target < {TARGET_SECONDS:.0f} s) {verdict}"
        )
        verdict = "PASS" if largest["rss_peak"] < TARGET_BYTES else "MISS"
        print(
            f"{largest['claims']} claims: peak RSS {largest['rss_peak'] / 2**30:.2f} GB"
            f" (target < 1 GB) {verdict}"
        )


if __name__ == "__main__":
    main()
