"""merge_findings's shortcuts against the plain definition it replaced, on random claims.

`reference_merge` is merge_findings as it was before its shortcuts (candidate blocks of
every size, each pair tested with the plain `same_claim` and `same_event` written out
here): the findings must come out the same, field for field and in the same order.
The random claims are drawn from a small vocabulary so that blocks fill up, with exact
copies, paraphrases, figures, negations, stances, known actors, undated articles and
claims of few words; a small MAX_BLOCK_SIZE also exercises the blocks left out as too big.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import sys
from bisect import bisect_right
from collections import Counter, defaultdict

import pytest
from rapidfuzz import fuzz

from briefing import aggregate
from briefing.aggregate import (
    _STOPWORDS,
    DAY_BUCKET,
    NEAR_COPY_WORDS,
    RAREST_WORDS,
    SAME_CLAIM_MIN_SCORE,
    SAME_EVENT_DAYS,
    SAME_EVENT_MIN_WORDS,
    SAME_EVENT_OVERLAP,
    SAME_EVENT_UNDATED_OVERLAP,
    SyndicationGroups,
    UnionFind,
    group_syndicated,
    independent_origins,
    merge_findings,
    timeline_key,
)
from briefing.grounding import _CHAR_MAP, NUMBER_WORDS, negations_in, normalised_text, numbers_in
from briefing.ids import finding_id
from briefing.lexicon import active
from briefing.relations import stance
from briefing.schemas import Article, Claim, Evidence, Finding
from tests.factories import make_article

# --- the definition: merge_findings before its shortcuts ---------------------------------


def reference_polarity(statement: str) -> tuple[int, frozenset[str]]:
    pattern = aggregate._NEGATED_PARTICIPLE
    denied = {(match.group(1) or match.group(2)).lower() for match in pattern.finditer(statement)}
    plain = negations_in(statement) - sum(
        1 for match in pattern.finditer(statement) if match.group(1)
    )
    return plain, frozenset(denied)


def plain_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def reference_same_claim(a: str, b: str) -> bool:
    words_a, words_b = set(plain_words(a)) - _STOPWORDS, set(plain_words(b)) - _STOPWORDS
    if len(words_a ^ words_b) > max(2, len(words_a | words_b) // 8):
        return False
    if sorted(numbers_in(a)) != sorted(numbers_in(b)) or reference_polarity(
        a
    ) != reference_polarity(b):
        return False
    lexicon = active()
    if stance(a) != stance(b) or set(lexicon.known_actors(a)) != set(lexicon.known_actors(b)):
        return False
    return (
        fuzz.ratio(normalised_text(a).lower(), normalised_text(b).lower()) >= SAME_CLAIM_MIN_SCORE
    )


def reference_same_event(
    a: Claim, b: Claim, words_a: set[str], words_b: set[str], articles: dict[str, Article]
) -> bool:
    if a.article_id == b.article_id:
        return False
    when = [c.event_date or articles[c.article_id].published for c in (a, b)]
    undated = when[0] is None or when[1] is None
    if when[0] and when[1] and abs((when[0] - when[1]).days) > SAME_EVENT_DAYS:
        return False
    shared = words_a & words_b
    if len(shared) < SAME_EVENT_MIN_WORDS:
        return False
    overlap = SAME_EVENT_UNDATED_OVERLAP if undated else SAME_EVENT_OVERLAP
    if len(shared) < overlap * min(len(words_a), len(words_b)):
        return False
    numbers = [set(numbers_in(c.statement)) for c in (a, b)]
    if undated:
        if not numbers[0] or numbers[0] != numbers[1]:
            return False
    elif not (numbers[0] <= numbers[1] or numbers[1] <= numbers[0]):
        return False
    if reference_polarity(a.statement) != reference_polarity(b.statement):
        return False
    if stance(a.statement) != stance(b.statement):
        return False
    lexicon = active()
    return set(lexicon.known_actors(a.statement)) == set(lexicon.known_actors(b.statement))


def reference_merge(
    claims: list[Claim], articles: dict[str, Article], groups: SyndicationGroups
) -> list[Finding]:
    max_block = aggregate.MAX_BLOCK_SIZE
    texts = [normalised_text(c.statement).lower() for c in claims]
    words = [
        {w for w in re.findall(r"\w+", t) if w not in _STOPWORDS and len(w) > 2} for t in texts
    ]
    frequency: Counter[str] = Counter(w for ws in words for w in ws)
    ordered = sorted(frequency, key=lambda w: (frequency[w], w))
    rank = {w: i for i, w in enumerate(ordered)}
    vocabulary = len(rank)
    buckets_in_all = dt.date.max.toordinal() // DAY_BUCKET + 2
    near_blocks: dict[int, list[int]] = defaultdict(list)
    event_blocks: dict[int, list[int]] = defaultdict(list)
    near_keys: list[list[int]] = []
    event_keys: list[list[int]] = []
    for position, claim_words in enumerate(words):
        ranked = sorted(rank[w] for w in claim_words)
        rarest = ranked[:NEAR_COPY_WORDS]
        if len(rarest) > 1:
            keys = [f * vocabulary + s for f, s in itertools.combinations(rarest, 2)]
        else:
            keys = [rarest[0] * vocabulary + rarest[0] if rarest else -1]
        for key in keys:
            near_blocks[key].append(position)
        near_keys.append(keys)
        claim = claims[position]
        when = claim.event_date or articles[claim.article_id].published
        shared = [r for r in ranked if frequency[ordered[r]] > 1][:RAREST_WORDS]
        buckets = (
            set()
            if when is None
            else {
                when.toordinal() // DAY_BUCKET,
                (when.toordinal() + SAME_EVENT_DAYS) // DAY_BUCKET,
            }
        )
        if re.search(r"\d", texts[position]) or not claim_words.isdisjoint(NUMBER_WORDS):
            buckets.add(-1)
        keys = [r * buckets_in_all + bucket + 1 for bucket in buckets for r in shared]
        for key in keys:
            event_blocks[key].append(position)
        event_keys.append(keys)

    def later(position: int, keys: list[int], blocks: dict[int, list[int]]) -> set[int]:
        members: set[int] = set()
        for key in keys:
            block = blocks[key]
            if 1 < len(block) <= max_block:
                members.update(block[bisect_right(block, position) :])
        return members

    sets = UnionFind(len(claims))
    for a in range(len(claims)):
        for b in later(a, near_keys[a], near_blocks):
            if (
                sets.find(a) != sets.find(b)
                and fuzz.ratio(texts[a], texts[b], score_cutoff=SAME_CLAIM_MIN_SCORE)
                and reference_same_claim(claims[a].statement, claims[b].statement)
            ):
                sets.union(a, b)
        for b in later(a, event_keys[a], event_blocks):
            if sets.find(a) != sets.find(b) and reference_same_event(
                claims[a], claims[b], words[a], words[b], articles
            ):
                sets.union(a, b)
    clusters: dict[int, list[Claim]] = defaultdict(list)
    for position, claim in enumerate(claims):
        clusters[sets.find(position)].append(claim)
    findings = [reference_finding(members, articles, groups) for members in clusters.values()]
    findings.sort(key=timeline_key)
    return findings


def reference_finding(
    members: list[Claim], articles: dict[str, Article], groups: SyndicationGroups
) -> Finding:
    def published(claim: Claim) -> dt.date:
        return articles[claim.article_id].published or dt.date.max

    members = sorted(members, key=lambda c: (published(c), -c.salience, c.claim_id))
    lead = max(members, key=lambda c: c.salience)
    dates = [d for c in members if (d := articles[c.article_id].published) is not None]
    dated = sorted((c for c in members if c.event_date), key=lambda c: c.event_date or dt.date.max)
    actors: list[str] = []
    for claim in members:
        actors.extend(a for a in claim.actors if a not in actors)
    return Finding(
        finding_id=finding_id([c.claim_id for c in members]),
        statement=lead.statement,
        claims=members,
        claim_type=lead.claim_type,
        attribution=lead.attribution,
        speaker=lead.speaker,
        actors=actors,
        event_date=dated[0].event_date if dated else None,
        event_date_source=dated[0].event_date_source if dated else None,
        published=min(dates) if dates else None,
        independent_sources=independent_origins(members, articles, groups),
        salience=max(c.salience for c in members) + len(members) - 1,
    )


# --- random claims ------------------------------------------------------------------------

WORDS = (
    "troops mission ceasefire border talks envoy summit deal sanctions crossing council"
    " mayor bridge harbour flood canal relief agency ministry vote plan budget port"
).split()
FILLERS = ["the", "of", "in", "on", "and", "said", "it", "a", "to"]
ACTORS = ["France", "Germany", "Russia", "Ukraine", "Emmanuel Macron", "Donald Trump"]
VERBS = ["accepted", "rejected", "supported", "opposed", "discussed", "announced", "not agreed"]
FIGURES = ["42", "12", "three", "11,300", "3.5 million", "150"]
MARKS = ["\u2019s", " \u2014", ",", "\u201cnew\u201d", "uninsured", "\u00a0"]


def random_statement(rng: random.Random) -> str:
    words = [rng.choice(ACTORS), rng.choice(VERBS)]
    for _ in range(rng.randint(0, 11)):
        pick = rng.random()
        if pick < 0.7:
            words.append(rng.choice(WORDS))
        elif pick < 0.82:
            words.append(rng.choice(FILLERS))
        elif pick < 0.92:
            words.append(rng.choice(FIGURES))
        else:
            words.append(rng.choice(MARKS))
    return " ".join(words) + "."


def paraphrase(rng: random.Random, statement: str) -> str:
    """A near-copy (a word added, repeated, or in capitals), another outlet's account of
    the same (the words after the verb in another order), or a figure or a negation more."""
    words = statement.split()
    change = rng.random()
    position = rng.randrange(1, len(words))
    if change < 0.2:
        words.insert(position, "reportedly")
    elif change < 0.35:
        words.insert(position, words[position])
    elif change < 0.45:
        words[0] = words[0].upper()
    elif change < 0.75:
        head, tail = words[:2], words[2:]
        rng.shuffle(tail)
        words = head + tail
    elif change < 0.9:
        words.insert(position, rng.choice(FIGURES))
    else:
        words.insert(position, "not")
    return " ".join(words)


def random_corpus(
    seed: int, articles_wanted: int = 90
) -> tuple[list[Claim], dict[str, Article], SyndicationGroups]:
    rng = random.Random(seed)
    said: list[str] = []
    articles: dict[str, Article] = {}
    claims: list[Claim] = []
    for number in range(articles_wanted):
        statements = []
        for _ in range(rng.randint(1, 5)):
            pick = rng.random()
            if said and pick < 0.3:
                statements.append(rng.choice(said))  # a copy's claim, word for word
            elif said and pick < 0.5:
                statements.append(paraphrase(rng, rng.choice(said)))
            else:
                statements.append(random_statement(rng))
        said.extend(statements)
        day = rng.choice([None, None, None, *range(10)])
        published = None if day is None else dt.date(2025, 3, 1) + dt.timedelta(days=day * 2)
        article = make_article(
            f"Report {number}.\n" + " ".join(statements),
            path=f"c/{number:03d}.txt",
            published=published,
            clean=False,
        )
        articles[article.article_id] = article
        for index, statement in enumerate(statements):
            start = article.raw_text.index(statement)
            event_day = rng.choice([None] * 12 + list(range(20)))
            claims.append(
                Claim(
                    claim_id=f"{article.article_id[:6]}-{index}",
                    article_id=article.article_id,
                    statement=statement,
                    actors=[statement.split(" ")[0]],
                    event_date=None
                    if event_day is None
                    else dt.date(2025, 3, 1) + dt.timedelta(days=event_day),
                    evidence=[Evidence(quote=statement, start=start, end=start + len(statement))],
                    salience=float(rng.randint(0, 3)),
                )
            )
    return claims, articles, group_syndicated(list(articles.values()))


@pytest.mark.parametrize("max_block", [3, 8, aggregate.MAX_BLOCK_SIZE])
@pytest.mark.parametrize("seed", range(6))
def test_merge_findings_finds_what_its_definition_finds(
    seed: int, max_block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aggregate, "MAX_BLOCK_SIZE", max_block)
    claims, articles, groups = random_corpus(seed)
    expected = reference_merge(claims, articles, groups)
    found = merge_findings(claims, articles, groups)
    assert [f.model_dump() for f in found] == [f.model_dump() for f in expected]
    # The random claims exercise both tests and the blocks left out.
    assert any(len(f.claims) > 1 for f in expected)
    assert len(expected) < len(claims)


def test_the_random_claims_reach_every_kind_of_pair() -> None:
    """The corpus above holds exact copies, near-copies that are not the same claim, and
    accounts of one event in other words, so the comparison tests each path."""
    claims, articles, _ = random_corpus(0)
    statements = [c.statement for c in claims]
    assert len(set(statements)) < len(statements)
    pairs = list(itertools.combinations(claims, 2))
    assert any(
        a.statement != b.statement and reference_same_claim(a.statement, b.statement)
        for a, b in pairs
    )
    assert any(
        a.statement != b.statement and not reference_same_claim(a.statement, b.statement)
        for a, b in pairs
        if fuzz.ratio(a.statement, b.statement) > SAME_CLAIM_MIN_SCORE
    )
    words = {
        c.claim_id: {
            w
            for w in plain_words(normalised_text(c.statement))
            if w not in _STOPWORDS and len(w) > 2
        }
        for c in claims
    }
    assert any(
        reference_same_event(a, b, words[a.claim_id], words[b.claim_id], articles)
        and not reference_same_claim(a.statement, b.statement)
        for a, b in pairs
    )


# --- the shortcuts in reading words --------------------------------------------------------


def test_content_words_are_the_runs_of_three_or_more_word_characters() -> None:
    rng = random.Random(7)
    alphabet = "ab_9\u00e9\u0130 .,'-\u2019\u2014\u00a0\t\n\u0307"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        plain = [w for w in re.findall(r"\w+", text) if len(w) > 2]
        assert aggregate._CONTENT_WORD.findall(text) == plain


def test_normalising_changes_no_word_character_in_lower_case() -> None:
    """merge_findings reads a statement's words without normalising it: the characters
    normalising folds (quotes, dashes, whitespace) are not word characters, nor what they
    become, and lower case leaves them as they are."""
    folded = set(_CHAR_MAP) | {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    for char in folded:
        assert not re.match(r"\w", char), repr(char)
        assert char.lower() == char, repr(char)
    for replacement in set(_CHAR_MAP.values()) | {" "}:
        assert not re.search(r"\w", replacement)
    rng = random.Random(3)
    alphabet = "aB\u0130z 9.\u00a0\u2019\u2014\u201c\u201d-\t\n"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25)))
        assert plain_words(normalised_text(text)) == plain_words(text)


@pytest.mark.parametrize("days_apart", [-2, -1, 1, 2])
def test_dated_accounts_with_figures_meet_in_the_undated_block_within_two_days(
    days_apart: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two dated accounts of one event with a figure, whose every bucket of days is too
    big a block (figureless accounts fill it), still meet in the block of accounts with
    figures, on either side of the bucket edges."""
    monkeypatch.setattr(aggregate, "MAX_BLOCK_SIZE", 3)
    day = dt.date(2025, 3, 1)
    while day.toordinal() % DAY_BUCKET != 1:  # the first of three days of a bucket, plus one
        day += dt.timedelta(days=1)
    other_day = day + dt.timedelta(days=days_apart)
    first = "France announced the troops mission ceasefire border talks 42."
    second = "France announced the border talks ceasefire mission troops 42."
    filler = "France announced the troops mission ceasefire border talks."  # the same words
    texts = [(first, day), (second, other_day)] + [(filler, max(day, other_day))] * 3
    articles: dict[str, Article] = {}
    claims = []
    for number, (text, when) in enumerate(texts):
        article = make_article(f"{number}. {text}", path=f"c/{number}.txt", clean=False)
        articles[article.article_id] = article
        start = article.raw_text.index(text)
        claims.append(
            Claim(
                claim_id=f"{article.article_id[:6]}-0",
                article_id=article.article_id,
                statement=text,
                event_date=when,
                evidence=[Evidence(quote=text, start=start, end=start + len(text))],
            )
        )
    groups = group_syndicated(list(articles.values()))
    expected = reference_merge(claims, articles, groups)
    assert any({c.statement for c in f.claims} == {first, second} for f in expected)
    found = merge_findings(claims, articles, groups)
    assert [f.model_dump() for f in found] == [f.model_dump() for f in expected]


@pytest.mark.parametrize("figure", ["three", "3"])
def test_undated_accounts_meet_by_a_figure_in_digits_or_words(figure: str) -> None:
    first = f"France announced {figure} troops for the mission ceasefire border talks."
    second = f"France announced the border talks ceasefire mission of {figure} troops."
    articles: dict[str, Article] = {}
    claims = []
    for number, text in enumerate([first, second]):
        article = make_article(f"{number}. {text}", path=f"c/{number}.txt", clean=False)
        articles[article.article_id] = article
        start = article.raw_text.index(text)
        claims.append(
            Claim(
                claim_id=f"{article.article_id[:6]}-0",
                article_id=article.article_id,
                statement=text,
                evidence=[Evidence(quote=text, start=start, end=start + len(text))],
            )
        )
    groups = group_syndicated(list(articles.values()))
    expected = reference_merge(claims, articles, groups)
    assert len(expected) == 1
    found = merge_findings(claims, articles, groups)
    assert [f.model_dump() for f in found] == [f.model_dump() for f in expected]


def test_a_finding_of_one_claim_is_what_pydantic_would_construct() -> None:
    claims, articles, _ = random_corpus(1, articles_wanted=10)
    for claim in claims:
        article = articles[claim.article_id]
        fast = aggregate._single_claim_finding(claim, article)
        slow = Finding.model_construct(**{**fast.model_dump(), "claims": [claim]})
        assert list(fast.__dict__.items()) == list(slow.__dict__.items())
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.__pydantic_extra__ == slow.__pydantic_extra__
        assert fast.__pydantic_private__ == slow.__pydantic_private__
        assert Finding.model_validate(fast.model_dump()) == fast


def test_content_words_are_the_long_words_less_stopwords_in_ascii_or_not() -> None:
    rng = random.Random(11)
    alphabets = [
        "".join(chr(c) for c in range(128)),  # every ASCII character, controls included
        "abcdefgh_9 .,'-\t\n",
        "ab_9\u00e9\u0130 .,'-\u2019\u2014\u00a0\u0307",
    ]
    stopwords = sorted(_STOPWORDS)
    for _ in range(4000):
        alphabet = rng.choice(alphabets)
        pieces = [
            rng.choice(stopwords) if rng.random() < 0.2 else rng.choice(alphabet)
            for _ in range(rng.randint(0, 40))
        ]
        text = "".join(pieces).lower()
        plain = {w for w in re.findall(r"\w+", text) if len(w) > 2 and w not in _STOPWORDS}
        assert aggregate._content_words(text) == plain, repr(text)


def test_words_and_a_lead_are_the_runs_of_word_characters_ascii_or_not() -> None:
    rng = random.Random(12)
    alphabets = [
        "".join(chr(c) for c in range(128)),
        "aB_9 .,'-\t\n",
        "aB_9\u00e9\u0130\u212a .,'-\u2019\u2014\u00a0\u0307",
    ]
    for _ in range(3000):
        alphabet = rng.choice(alphabets)
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        plain = re.findall(r"\w+", text.lower())
        assert aggregate._words(text) == plain, repr(text)
        title = text[: rng.randint(0, 20)] if rng.random() < 0.5 else None
        article = make_article(text or ".", clean=False, title=title)
        after_title = article.text[len(title) :] if title else article.text
        lead = re.findall(r"\w+", after_title.lower())[: aggregate.LEAD_WORDS]
        assert aggregate._lead(article) == lead, repr(text)


def test_polarity_is_its_definition() -> None:
    rng = random.Random(5)
    pieces = [
        "not",
        "never",
        "n't",
        "been",
        "be",
        "yet",
        "fully",
        "uninsured",
        "unvaccinated",
        "united",
        "insured",
        "agreed",
        "no",
        "Not",
        "NEVER",
        "unlimited",
        "x",
        ",",
        ".",
    ]
    for _ in range(3000):
        statement = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert aggregate.polarity(statement) == reference_polarity(statement), statement


# --- group_syndicated against its definition ------------------------------------------------


def reference_group_syndicated(articles: list[Article]) -> SyndicationGroups:
    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    def shingles(found: list[str]) -> set[int]:
        runs = zip(*(found[offset:] for offset in range(aggregate.SHINGLE_WORDS)), strict=False)
        return {hash(run) for run in runs} or {hash(tuple(found))}

    def lead(article: Article) -> list[str]:
        text = article.text
        if article.title and text.startswith(article.title):
            text = text[len(article.title) :]
        return words(text)[: aggregate.LEAD_WORDS]

    def containment(a: set[int], b: set[int]) -> float:
        return len(a & b) / min(len(a), len(b))

    texts = [shingles(words(article.text)) for article in articles]
    leads = [shingles(lead(article)) for article in articles]
    keys = [{h for h in text if h % 4 == 0} | own for text, own in zip(texts, leads, strict=True)]
    frequency = Counter(h for article_keys in keys for h in article_keys)
    index: dict[int, list[int]] = defaultdict(list)
    indexed: list[list[int]] = []
    for position, article_keys in enumerate(keys):
        shared = sorted((frequency[h], h) for h in article_keys if frequency[h] > 1)
        indexed.append([key for _, key in shared[: aggregate.RAREST_SHINGLES]])
        for key in indexed[-1]:
            index[key].append(position)
    sets = UnionFind(len(articles))
    for a, rarest in enumerate(indexed):
        meetings: Counter[int] = Counter()
        for key in rarest:
            if len(index[key]) <= aggregate.MAX_BLOCK_SIZE:
                meetings.update(index[key])
        for b, shared_keys in meetings.items():
            if b <= a or shared_keys < min(2, len(rarest), len(indexed[b])):
                continue
            if containment(texts[a], texts[b]) >= aggregate.SYNDICATION_MIN_CONTAINMENT or (
                min(len(leads[a]), len(leads[b])) >= aggregate.LEAD_MIN_SHINGLES
                and containment(leads[a], leads[b]) >= aggregate.SYNDICATION_MIN_CONTAINMENT
            ):
                sets.union(a, b)
    roots: dict[int, int] = {}
    group_of = {}
    for position, article in enumerate(articles):
        group_of[article.article_id] = roots.setdefault(sets.find(position), len(roots) + 1)
    return SyndicationGroups(group_of, aggregate._origins(articles, group_of))


@pytest.mark.parametrize("seed", range(4))
def test_group_syndicated_finds_what_its_definition_finds(seed: int) -> None:
    rng = random.Random(seed)
    sentences = [random_statement(rng) for _ in range(60)]
    articles = []
    bodies: list[str] = []
    for number in range(40):
        pick = rng.random()
        if pick < 0.1:  # a text of fewer words than a shingle, written one way or another
            body = rng.choice(["Talks stalled.", "talks stalled!", "TALKS STALLED", "Port shut."])
        elif bodies and pick < 0.25:  # a copy, with a line of its own
            body = rng.choice(bodies) + " Share this story."
        elif bodies and pick < 0.45:  # a version: the same lead, another ending
            body = " ".join(rng.choice(bodies).split()[:45] + rng.sample(sentences, 3))
        else:
            body = " ".join(rng.sample(sentences, rng.randint(1, 12)))
        bodies.append(body)
        title = body[: rng.randint(5, 30)] if rng.random() < 0.3 else None
        articles.append(
            make_article(f"{body}", path=f"c/{number:03d}.txt", clean=False, title=title)
        )
    articles = list({a.article_id: a for a in articles}.values())
    expected = reference_group_syndicated(articles)
    assert group_syndicated(articles) == expected
    assert len(set(expected.group_of.values())) < len(articles)


def test_texts_shorter_than_a_shingle_are_copies_by_their_words() -> None:
    articles = [
        make_article(text, path=f"c/{number}.txt", clean=False)
        for number, text in enumerate(["Talks stalled.", "talks stalled!", "Port shut, x y z."])
    ]
    groups = group_syndicated(articles)
    assert groups == reference_group_syndicated(articles)
    assert groups.group_of[articles[0].article_id] == groups.group_of[articles[1].article_id]
