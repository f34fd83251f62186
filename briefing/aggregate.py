"""Aggregation: syndicated copies become one source, the same claim across articles one finding.

Both steps find candidate pairs through an inverted index (shared shingles, shared
rare words) rather than comparing everything with everything, so that the cost grows
with the number of real near-duplicates, not with the square of the corpus.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import itertools
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel
from rapidfuzz import fuzz

from briefing.grounding import NUMBER_WORDS, negations_in, normalised_text, numbers_in
from briefing.ids import finding_id
from briefing.lexicon import Lexicon, active, canonical_outlet
from briefing.relations import Relation, stance
from briefing.schemas import Article, Claim, Finding

P = ParamSpec("P")
R = TypeVar("R")

# Share of the shorter article's shingles found in the longer one for a syndicated copy.
SYNDICATION_MIN_CONTAINMENT = 0.6
SHINGLE_WORDS = 5
# A story's lead: its first words after the headline; versions of one story share most of
# its shingles when it has at least LEAD_MIN_SHINGLES of them.
LEAD_WORDS = 40
LEAD_MIN_SHINGLES = 20
# Two claims state the same thing at or above this rapidfuzz ratio (order-sensitive).
SAME_CLAIM_MIN_SCORE = 88.0
# Each article is indexed under this many of its rarest shared shingles.
RAREST_SHINGLES = 8
# A word shared by more claims than this says nothing about whether two claims match.
MAX_BLOCK_SIZE = 400
# Each claim is indexed under this many of its rarest content words.
RAREST_WORDS = 3
# ... and, for near-copies, under each two of this many.
NEAR_COPY_WORDS = 4

_STOPWORDS = frozenset(
    """the a an and or of to in on for with by from at as that this these those is are was
    were be been has have had it its their his her they he she which who whom would
    could should will not no but also than then there after before about into over under
    said says""".split()
)


def without_cycle_collection(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with Python's cycle collector paused.

    Aggregation builds millions of small objects that hold no reference cycles (lists,
    sets, ints); while it runs, the collector would scan the whole heap again and again
    (a fifth of the time at 100,000 claims) and find nothing to free.
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


class UnionFind:
    """Disjoint sets of 0..size-1: which items were joined, directly or through others."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


@dataclass(frozen=True)
class SyndicationGroups:
    """Which articles are copies or versions of one story, and where each comes from.

    group_of: article id -> group number (1-based); one group is one text.
    origin_of: article id -> its origin ("outlet:Reuters"): the agency it credits, else
    the outlet that first published its group's text. Two groups can share an origin:
    an outlet's two stories are one outlet's reporting, not two confirmations.
    """

    group_of: dict[str, int]
    origin_of: dict[str, str] = field(default_factory=dict)

    def origin(self, article: Article) -> str:
        return (
            self.origin_of.get(article.article_id) or f"group:{self.group_of[article.article_id]}"
        )


def origin_of(claim: Claim, article: Article, groups: SyndicationGroups) -> str:
    """Where a claim comes from: the innermost outlet its article cites, else its article's.

    "MENAFN, citing The Times" and another report citing The Times share one origin;
    syndicated copies of one article, versions of one story, pages crediting one agency
    ("(Reuters)") and one outlet's reports, too.
    """
    publisher = canonical_outlet(article.outlet or "")
    lexicon = active() if claim.reporting_chain else None
    cited = [
        canonical_outlet(link)
        for link in claim.reporting_chain
        if lexicon and lexicon.is_outlet(link) and canonical_outlet(link) != publisher
    ]
    if cited:
        return f"outlet:{cited[-1]}"
    return groups.origin(article)


def independent_origins(
    claims: Iterable[Claim], articles: dict[str, Article], groups: SyndicationGroups
) -> int:
    return len({origin_of(c, articles[c.article_id], groups) for c in claims})


_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    # Normalising folds quotes, dashes and spaces, none of which is a word character.
    return _WORD.findall(text.lower())


def _shingles(words: list[str]) -> set[int]:
    # Each run of SHINGLE_WORDS words in a row (zip stops at the shortest tail).
    runs = zip(*(words[offset:] for offset in range(SHINGLE_WORDS)), strict=False)
    return {hash(run) for run in runs} or {hash(tuple(words))}


def _lead(article: Article) -> list[str]:
    """The opening words of the story, after its headline (an update rewrites the headline,
    "cases climb to 146" -> "to 159", and keeps most of its lead)."""
    text = article.text
    if article.title and text.startswith(article.title):
        text = text[len(article.title) :]
    # The words of `_words(text)[:LEAD_WORDS]`, without reading the rest of the text.
    return [word.group() for word in itertools.islice(_WORD.finditer(text.lower()), LEAD_WORDS)]


@without_cycle_collection
def group_syndicated(articles: list[Article]) -> SyndicationGroups:
    """Copies of one text (most of the shorter one's shingles in the other) and versions of
    one story (most of the lead's shingles shared) become one group.

    Each article is indexed under its RAREST_SHINGLES rarest shingles that another article
    also has (from a sample of its text's shingles, and from its lead): a copy shares its
    rarest shingles with its original, while shingles everyone uses ("the minister said on")
    would make every article a candidate for every other.
    """
    shingles = [_shingles(_words(article.text)) for article in articles]
    leads = [_shingles(_lead(article)) for article in articles]
    # A sample of the shingles is enough to find candidates; containment is then exact.
    keys = [
        {h for h in text if h % 4 == 0} | lead for text, lead in zip(shingles, leads, strict=True)
    ]
    frequency = Counter(h for article_keys in keys for h in article_keys)
    index: dict[int, list[int]] = defaultdict(list)
    indexed: list[list[int]] = []
    for position, article_keys in enumerate(keys):
        shared = sorted((frequency[h], h) for h in article_keys if frequency[h] > 1)
        indexed.append([key for _, key in shared[:RAREST_SHINGLES]])
        for key in indexed[-1]:
            index[key].append(position)
    sets = UnionFind(len(articles))
    for a, rarest in enumerate(indexed):
        # A copy or a version shares most of its rarest shingles with its original (they
        # are rare because only the two have them); articles that share one phrase by
        # chance share one. So a pair is compared when it shares two (or all of the
        # fewer an article has), which spares most of the exact comparisons.
        meetings: Counter[int] = Counter()
        for key in rarest:
            if len(index[key]) <= MAX_BLOCK_SIZE:
                meetings.update(index[key])
        for b, shared_keys in meetings.items():
            if b <= a or shared_keys < min(2, len(rarest), len(indexed[b])):
                continue
            if _containment(shingles[a], shingles[b]) >= SYNDICATION_MIN_CONTAINMENT or (
                min(len(leads[a]), len(leads[b])) >= LEAD_MIN_SHINGLES
                and _containment(leads[a], leads[b]) >= SYNDICATION_MIN_CONTAINMENT
            ):
                sets.union(a, b)
    roots: dict[int, int] = {}
    group_of = {}
    for position, article in enumerate(articles):
        root = sets.find(position)
        group_of[article.article_id] = roots.setdefault(root, len(roots) + 1)
    return SyndicationGroups(group_of, _origins(articles, group_of))


def _containment(a: set[int], b: set[int]) -> float:
    return len(a & b) / min(len(a), len(b))


def _credited(article: Article) -> str | None:
    """The agency or outlet an article credits, when it is not the article's own outlet."""
    if article.origin and canonical_outlet(article.origin) != canonical_outlet(
        article.outlet or ""
    ):
        return canonical_outlet(article.origin)
    return None


def _origins(articles: list[Article], group_of: dict[str, int]) -> dict[str, str]:
    """Each article's origin: what it credits, else what its group credits, else the outlet
    that published the group's text first (a copy that credits nobody is still a copy)."""
    members: dict[int, list[Article]] = defaultdict(list)
    for article in articles:
        members[group_of[article.article_id]].append(article)
    group_origin: dict[int, str] = {}
    for number, group in members.items():
        credited = sorted({c for a in group if (c := _credited(a))})
        if len(credited) == 1:
            group_origin[number] = credited[0]
            continue
        published = [a for a in group if a.outlet]
        if published and not credited:
            first = min(published, key=lambda a: (a.published or dt.date.max, a.path))
            group_origin[number] = canonical_outlet(first.outlet or "")
    origins = {}
    for article in articles:
        origin = _credited(article) or group_origin.get(group_of[article.article_id])
        if origin:
            origins[article.article_id] = f"outlet:{origin}"
    return origins


# "not been vaccinated" and "unvaccinated" negate one word; the stem must be long enough that
# "un" is a prefix ("unlimited"), not part of the word ("united", "unified").
_NEGATED_PARTICIPLE = re.compile(
    r"\b(?:not|never|n't|n’t)\s+(?:(?:been|be|being|yet|fully)\s+)*(\w+ed)\b|\bun(\w{5,}ed)\b",
    re.I,
)


def polarity(statement: str) -> tuple[int, frozenset[str]]:
    """What a statement negates: the participles it denies, however written, and how many
    other negations it holds. Two accounts of one event agree on this."""
    denied = {
        (match.group(1) or match.group(2)).lower()
        for match in _NEGATED_PARTICIPLE.finditer(statement)
    }
    plain = negations_in(statement) - sum(
        1 for match in _NEGATED_PARTICIPLE.finditer(statement) if match.group(1)
    )
    return plain, frozenset(denied)


def same_claim(a: str, b: str) -> bool:
    """Offline test that two statements say the same thing.

    Near-identical wording in the same order (so "Macron said Trump..." is not "Trump said
    Macron..."), the same numbers, negations, stance and actors: "accepted" and
    "rejected" differ by one word but never corroborate each other.
    """
    # Cheapest tests first: most pairs that reach here differ in words.
    words_a, words_b = set(_words(a)) - _STOPWORDS, set(_words(b)) - _STOPWORDS
    if len(words_a ^ words_b) > max(2, len(words_a | words_b) // 8):
        return False
    if sorted(numbers_in(a)) != sorted(numbers_in(b)) or polarity(a) != polarity(b):
        return False
    if stance(a) != stance(b) or _actors(a, active()) != _actors(b, active()):
        return False
    return (
        fuzz.ratio(normalised_text(a).lower(), normalised_text(b).lower()) >= SAME_CLAIM_MIN_SCORE
    )


# Two outlets' accounts of one development: their dates this close, and this share of the
# shorter account's content words (at least SAME_EVENT_MIN_WORDS of them) in the other.
SAME_EVENT_DAYS = 2
SAME_EVENT_OVERLAP = 0.6
SAME_EVENT_MIN_WORDS = 5
# An undated account (many scraped pages carry no date) is one event with another when both
# give the same figures and this share of the shorter's words.
SAME_EVENT_UNDATED_OVERLAP = 0.7


def same_event(
    a: Claim, b: Claim, words_a: set[str], words_b: set[str], articles: dict[str, Article]
) -> bool:
    """Two articles reporting one development in their own words ("A four-year-old girl
    has died of measles in Tessel" / "A four-year-old girl from Tessel has died of
    complications from measles"): dated within SAME_EVENT_DAYS, no figure given
    differently, the same negations, stance and named actors, and most of the shorter
    one's words. Precision first: any difference in those keeps them apart."""
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
        # With no date to match, the same figures stand for it: "11,300 dead" twice.
        if not numbers[0] or numbers[0] != numbers[1]:
            return False
    # One account may give a figure more ("150 cases so far"); a figure the two give
    # differently keeps them apart.
    elif not (numbers[0] <= numbers[1] or numbers[1] <= numbers[0]):
        return False
    if polarity(a.statement) != polarity(b.statement):
        return False
    if stance(a.statement) != stance(b.statement):
        return False
    return _actors(a.statement, active()) == _actors(b.statement, active())


@lru_cache(maxsize=65536)  # one statement is compared in many pairs
def _actors(statement: str, lexicon: Lexicon) -> frozenset[str]:
    return frozenset(lexicon.known_actors(statement))


@without_cycle_collection
def merge_findings(
    claims: list[Claim],
    articles: dict[str, Article],
    groups: SyndicationGroups,
) -> list[Finding]:
    """Merge claims that state the same thing into findings, ordered on a timeline.

    Candidates share one of their RAREST_WORDS rarest content words: two statements of
    the same thing share their rare words, and a rare word's block is small, so the pairs
    compared grow with the number of real near-duplicates, not with the corpus squared.
    A fast order-sensitive ratio screens each pair before the full `same_claim` test.
    """
    texts = [normalised_text(c.statement).lower() for c in claims]
    words = [
        {w for w in re.findall(r"\w+", t) if w not in _STOPWORDS and len(w) > 2} for t in texts
    ]
    frequency: Counter[str] = Counter(w for ws in words for w in ws)
    # Rarest first, ties by spelling: one integer per word, so each claim sorts at C speed.
    ordered = sorted(frequency, key=lambda w: (frequency[w], w))
    rank = {w: i for i, w in enumerate(ordered)}
    claims_with_rank = [frequency[w] for w in ordered]
    vocabulary = len(rank)
    # Blocks are keyed by integers (word ranks, and a bucket of days), cheaper to hash and
    # hold than strings: a claim is in about a dozen blocks, most of which hold it alone.
    near_copy_blocks: dict[int, list[int]] = defaultdict(list)
    event_blocks: dict[int, list[int]] = defaultdict(list)
    near_copy_keys: list[list[int]] = []
    event_keys: list[list[int]] = []
    for position, claim_words in enumerate(words):
        ranked = sorted(map(rank.__getitem__, claim_words))
        # A near-copy, whatever its date, has two of the same rarest words: a near-copy
        # differs in a word or two at most (see same_claim), and two rare words together
        # are rarer than either, so these blocks hold little but near-copies.
        rarest = ranked[:NEAR_COPY_WORDS]
        if len(rarest) > 1:
            keys = [
                first * vocabulary + second for first, second in itertools.combinations(rarest, 2)
            ]
        else:  # one content word, or none (one block for all such claims)
            keys = [rarest[0] * vocabulary + rarest[0] if rarest else -1]
        for key in keys:
            near_copy_blocks[key].append(position)
        near_copy_keys.append(keys)
        # Its rarest words that another claim also uses find another outlet's account in
        # other words (see same_event), which is dated within SAME_EVENT_DAYS of it: such
        # claims share a bucket of days, so a word used all year makes no big block.
        day = _day_number(claims[position], articles)
        shared = [r for r in ranked if claims_with_rank[r] > 1][:RAREST_WORDS]
        buckets = (
            set() if day is None else {day // DAY_BUCKET, (day + SAME_EVENT_DAYS) // DAY_BUCKET}
        )
        # An account with figures also meets undated accounts with them (see same_event).
        if _DIGIT.search(texts[position]) or not claim_words.isdisjoint(NUMBER_WORDS):
            buckets.add(UNDATED)
        keys = [r * BUCKETS + bucket - UNDATED for bucket in buckets for r in shared]
        for key in keys:
            event_blocks[key].append(position)
        event_keys.append(keys)
    sets = UnionFind(len(claims))
    # Each claim meets the later claims of its blocks once per test (a pair an event block
    # turned down may still be a near-copy, and the other way round). Pairs already joined
    # through others are not tried again: that does not change the sets joined in the end.
    # Most claims are in no block with another: they are passed over without a look.
    near_copy_met, event_met = _in_useful_blocks(near_copy_blocks), _in_useful_blocks(event_blocks)
    for a in sorted(near_copy_met | event_met):
        for b in _later_members(a, near_copy_keys[a], near_copy_blocks):
            if (
                sets.find(a) != sets.find(b)
                and fuzz.ratio(texts[a], texts[b], score_cutoff=SAME_CLAIM_MIN_SCORE)
                and same_claim(claims[a].statement, claims[b].statement)
            ):
                sets.union(a, b)
        own_words = words[a]
        for b in _later_members(a, event_keys[a], event_blocks):
            # same_event's word test first, here: most pairs of a block fail it, and a
            # block of wire copy can hold hundreds of claims.
            in_common = len(own_words & words[b])
            if in_common < SAME_EVENT_MIN_WORDS or in_common < SAME_EVENT_OVERLAP * min(
                len(own_words), len(words[b])
            ):
                continue
            if sets.find(a) != sets.find(b) and same_event(
                claims[a], claims[b], own_words, words[b], articles
            ):
                sets.union(a, b)
    clusters: dict[int, list[Claim]] = defaultdict(list)
    for position, claim in enumerate(claims):
        clusters[sets.find(position)].append(claim)
    findings = [_finding(members, articles, groups) for members in clusters.values()]
    findings.sort(key=timeline_key)
    return findings


def _in_useful_blocks(blocks: dict[int, list[int]]) -> set[int]:
    """The claims in a block of more than one claim that is not too big to say anything."""
    return {
        position
        for block in blocks.values()
        if 1 < len(block) <= MAX_BLOCK_SIZE
        for position in block[:-1]  # the last of a block has no later claim in it
    }


def _later_members(position: int, keys: list[int], blocks: dict[int, list[int]]) -> set[int]:
    """The claims after `position` in its blocks, leaving out blocks of one claim and
    blocks too big to say anything (a word everyone uses)."""
    members: set[int] = set()
    for key in keys:
        block = blocks[key]
        if 1 < len(block) <= MAX_BLOCK_SIZE:
            # Blocks list claims in order: the later ones start after `position`.
            members.update(block[bisect_right(block, position) :])
    return members


# A statement `numbers_in` finds a figure in: a digit, or a number word (all of which are
# content words), tested without running its pattern.
_DIGIT = re.compile(r"\d")

# Claims dated within SAME_EVENT_DAYS of each other always share one of the two buckets of
# DAY_BUCKET = SAME_EVENT_DAYS + 1 days each claim is put in; UNDATED is the bucket where
# accounts with figures meet undated ones.
DAY_BUCKET = SAME_EVENT_DAYS + 1
UNDATED = -1
BUCKETS = dt.date.max.toordinal() // DAY_BUCKET + 2  # every bucket, UNDATED included


def _day_number(claim: Claim, articles: dict[str, Article]) -> int | None:
    when = claim.event_date or articles[claim.article_id].published
    return when.toordinal() if when else None


def timeline_key(finding: Finding) -> tuple[int, dt.date, dt.date, float, str]:
    """Event date, then publication date; undated last; most salient first on a tie."""
    when = finding.event_date or finding.published
    return (
        when is None,
        when or dt.date.max,
        finding.published or dt.date.max,
        -finding.salience,
        finding.finding_id,
    )


def _finding(
    members: list[Claim], articles: dict[str, Article], groups: SyndicationGroups
) -> Finding:
    if len(members) == 1:
        return _single_claim_finding(members[0], articles[members[0].article_id])

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


def _single_claim_finding(claim: Claim, article: Article) -> Finding:
    """`_finding` of one claim, the commonest finding, without its sorting and counting.
    Built without validation (a tenth of aggregation's time at 100,000 claims): every
    value is a validated claim's or article's own."""
    return _constructed(
        Finding,
        {
            "finding_id": finding_id([claim.claim_id]),
            "statement": claim.statement,
            "claims": [claim],
            "claim_type": claim.claim_type,
            "attribution": claim.attribution,
            "speaker": claim.speaker,
            "actors": list(dict.fromkeys(claim.actors)),
            "event_date": claim.event_date,
            "event_date_source": claim.event_date_source if claim.event_date else None,
            "published": article.published,
            "independent_sources": 1,
            "salience": claim.salience,
        },
    )


Constructed = TypeVar("Constructed", bound=BaseModel)


def _constructed(model: type[Constructed], values: dict[str, Any]) -> Constructed:
    """`model.model_construct(**values)` for values that give every field of a model with
    no aliases, private attributes or post-init: the attributes it sets, without its loop
    over the fields (5 µs a finding; 85,000 single-claim findings at 100,000 claims)."""
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(values))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


def merge_same(
    findings: list[Finding],
    same: Iterable[Relation],
    articles: dict[str, Article],
    groups: SyndicationGroups,
) -> list[Finding]:
    """Merge findings judged to state the same thing (by the model) into one, on the timeline."""
    index = {f.finding_id: i for i, f in enumerate(findings)}
    sets = UnionFind(len(findings))
    for relation in same:
        if relation.first in index and relation.second in index:
            sets.union(index[relation.first], index[relation.second])
    clusters: dict[int, list[Claim]] = defaultdict(list)
    for position, finding in enumerate(findings):
        clusters[sets.find(position)].extend(finding.claims)
    if len(clusters) == len(findings):
        return findings
    merged = [_finding(claims, articles, groups) for claims in clusters.values()]
    merged.sort(key=timeline_key)
    return merged
