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
import operator
import re
import string
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple, ParamSpec, TypeVar

from rapidfuzz import fuzz, process

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
    """The runs of word characters (`\\w+`) of the text in lower case; ASCII text (most) is
    read at C speed, what is not a word character translated to a space."""
    # Normalising folds quotes, dashes and spaces, none of which is a word character.
    text = text.lower()
    if text.isascii():
        return text.translate(_ASCII_NON_WORD_TO_SPACE).split()
    return _WORD.findall(text)


def _shingles(words: list[str]) -> set[int]:
    # Each run of SHINGLE_WORDS words in a row (zip stops at the shortest tail).
    runs = zip(*(words[offset:] for offset in range(SHINGLE_WORDS)), strict=False)
    return set(map(hash, runs)) or {hash(tuple(words))}


def _lead(article: Article) -> list[str]:
    """The opening words of the story, after its headline (an update rewrites the headline,
    "cases climb to 146" -> "to 159", and keeps most of its lead)."""
    text = article.text
    if article.title and text.startswith(article.title):
        text = text[len(article.title) :]
    if text.isascii():
        return _words(text)[:LEAD_WORDS]
    # The first LEAD_WORDS of `_words(text)`, without reading the rest.
    return [match.group() for match in itertools.islice(_WORD.finditer(text.lower()), LEAD_WORDS)]


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
    # One in four: h % 4 == 0, that is h & 3 == 0, tested at C speed.
    keys = [
        set(itertools.filterfalse(_ONE_IN_FOUR.__and__, text)) | lead
        for text, lead in zip(shingles, leads, strict=True)
    ]
    frequency = Counter(itertools.chain.from_iterable(keys))
    index: dict[int, list[int]] = defaultdict(list)
    indexed: list[list[int]] = []
    for position, article_keys in enumerate(keys):
        # Its keys by (frequency, key), less those of this article alone: its rarest.
        counted = sorted(zip(map(frequency.__getitem__, article_keys), article_keys, strict=True))
        shared = counted[bisect_left(counted, (2,)) :][:RAREST_SHINGLES]
        indexed.append([key for _, key in shared])
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


_ONE_IN_FOUR = 3  # the mask of a hash's last two bits


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
    matches = list(_NEGATED_PARTICIPLE.finditer(statement))
    denied = frozenset((match.group(1) or match.group(2)).lower() for match in matches)
    plain = negations_in(statement) - sum(1 for match in matches if match.group(1))
    return plain, denied


class StatementFacts(NamedTuple):
    """What a statement says besides its words, as the tests of two claims compare it."""

    numbers: tuple[str, ...]  # its figures, sorted, a figure given twice kept twice
    figures: frozenset[str]
    polarity: tuple[int, frozenset[str]]
    stance: int
    actors: frozenset[str]


def statement_facts(statement: str) -> StatementFacts:
    lexicon = active()
    numbers = numbers_in(statement)
    return StatementFacts(
        tuple(sorted(numbers)),
        frozenset(numbers),
        polarity(statement),
        stance(statement, lexicon),
        _actors(statement, lexicon),
    )


def same_claim(a: str, b: str) -> bool:
    """Offline test that two statements say the same thing.

    Near-identical wording in the same order (so "Macron said Trump..." is not "Trump said
    Macron..."), the same numbers, negations, stance and actors: "accepted" and
    "rejected" differ by one word but never corroborate each other.
    """
    return _same_claim_apart_from_order(a, b, statement_facts, statement_facts) and (
        fuzz.ratio(normalised_text(a).lower(), normalised_text(b).lower()) >= SAME_CLAIM_MIN_SCORE
    )


def _same_claim_apart_from_order(
    a: str,
    b: str,
    facts_of_a: Callable[[str], StatementFacts],
    facts_of_b: Callable[[str], StatementFacts],
) -> bool:
    """`same_claim` without its ratio of the two wordings (the order of the words)."""
    # Cheapest tests first: most pairs that reach here differ in words.
    words_a, words_b = set(_words(a)) - _STOPWORDS, set(_words(b)) - _STOPWORDS
    if len(words_a ^ words_b) > max(2, len(words_a | words_b) // 8):
        return False
    facts_a, facts_b = facts_of_a(a), facts_of_b(b)
    return (
        facts_a.numbers == facts_b.numbers
        and facts_a.polarity == facts_b.polarity
        and facts_a.stance == facts_b.stance
        and facts_a.actors == facts_b.actors
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
    return _same_event(
        a.event_date or articles[a.article_id].published,
        b.event_date or articles[b.article_id].published,
        (len(words_a & words_b), len(words_a), len(words_b)),
        statement_facts(a.statement),
        statement_facts(b.statement),
    )


def _same_event(
    when_a: dt.date | None,
    when_b: dt.date | None,
    word_counts: tuple[int, int, int],
    facts_a: StatementFacts,
    facts_b: StatementFacts,
) -> bool:
    """`same_event` of two claims of two articles, given their dates, how many content
    words they share and have (shared, a's, b's), and their facts."""
    undated = when_a is None or when_b is None
    if when_a and when_b and abs((when_a - when_b).days) > SAME_EVENT_DAYS:
        return False
    shared, size_a, size_b = word_counts
    if shared < SAME_EVENT_MIN_WORDS:
        return False
    overlap = SAME_EVENT_UNDATED_OVERLAP if undated else SAME_EVENT_OVERLAP
    if shared < overlap * min(size_a, size_b):
        return False
    if undated:
        # With no date to match, the same figures stand for it: "11,300 dead" twice.
        if not facts_a.figures or facts_a.figures != facts_b.figures:
            return False
    # One account may give a figure more ("150 cases so far"); a figure the two give
    # differently keeps them apart.
    elif not (facts_a.figures <= facts_b.figures or facts_b.figures <= facts_a.figures):
        return False
    return (
        facts_a.polarity == facts_b.polarity
        and facts_a.stance == facts_b.stance
        and facts_a.actors == facts_b.actors
    )


@lru_cache(maxsize=65536)  # one statement is compared in many pairs
def _actors(statement: str, lexicon: Lexicon) -> frozenset[str]:
    return frozenset(lexicon.known_actors(statement))


# A content word: a run of word characters longer than two (the runs `\w+` finds, less
# those of one or two characters; `\b` spares trying every character of a shorter run).
_CONTENT_WORD = re.compile(r"\b\w{3,}")


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
    # The blocks and what was read to compare claims are let go before the findings are
    # built: at a million claims they hold gigabytes.
    sets = _same_claim_sets(claims, articles)
    clusters: dict[int, list[Claim]] = defaultdict(list)
    for position, claim in enumerate(claims):
        clusters[sets.find(position)].append(claim)
    del sets
    findings = [_finding(members, articles, groups) for members in clusters.values()]
    findings.sort(key=timeline_key)
    return findings


def _same_claim_sets(claims: list[Claim], articles: dict[str, Article]) -> UnionFind:
    """The claims (by position) joined as the same claim or the same event: see
    merge_findings, same_claim and same_event."""
    statements = [c.statement for c in claims]
    words, shared_from, vocabulary, with_figures = _ranked_content_words(statements)
    when = [c.event_date or articles[c.article_id].published for c in claims]
    days = [None if day is None else day.toordinal() for day in when]
    # Blocks are keyed by integers (word ranks, and a bucket of days), cheaper to hash and
    # hold than strings.
    near_copy_keys: list[list[int]] = []
    event_keys: list[list[int]] = []
    for position, ranked in enumerate(words):
        # A near-copy, whatever its date, has two of the same rarest words: a near-copy
        # differs in a word or two at most (see same_claim), and two rare words together
        # are rarer than either, so these blocks hold little but near-copies. A word of
        # one claim makes a block of one: its keys are left out.
        rarest = ranked[:NEAR_COPY_WORDS]
        if len(rarest) > 1:
            usable = rarest[bisect_left(rarest, shared_from) :]
            keys = [first * vocabulary + second for first, second in combinations(usable, 2)]
        elif rarest:  # one content word: one block for the claims of that word alone
            keys = [rarest[0] * vocabulary + rarest[0]] if rarest[0] >= shared_from else []
        else:  # no content word (one block for all such claims)
            keys = [-1]
        near_copy_keys.append(keys)
        # Its rarest words that another claim also uses find another outlet's account in
        # other words (see same_event), which is dated within SAME_EVENT_DAYS of it: such
        # claims share a bucket of days, so a word used all year makes no big block.
        day = days[position]
        shared = ranked[bisect_left(ranked, shared_from) :][:RAREST_WORDS]
        buckets = (
            set() if day is None else {day // DAY_BUCKET, (day + SAME_EVENT_DAYS) // DAY_BUCKET}
        )
        # An account with figures also meets undated accounts with them (see same_event).
        if with_figures[position]:
            buckets.add(UNDATED)
        event_keys.append([r * BUCKETS + bucket - UNDATED for bucket in buckets for r in shared])
    near_copy_blocks, near_copy_keys = _blocks(near_copy_keys)
    event_blocks = _EventBlocks(event_keys, words, days)
    del event_keys
    # Texts as the ratio compares them, of the claims that have near-copy candidates.
    texts = [
        normalised_text(statement).lower() if keys else ""
        for statement, keys in zip(statements, near_copy_keys, strict=True)
    ]
    # The fewest content words a claim shares with another of the same event: at least
    # SAME_EVENT_MIN_WORDS, and a share of the shorter's (`min` of the two claims' own).
    needed = [max(SAME_EVENT_MIN_WORDS, SAME_EVENT_OVERLAP * len(ranked)) for ranked in words]
    facts: dict[str, StatementFacts] = {}

    def facts_of(statement: str) -> StatementFacts:
        known = facts.get(statement)
        if known is None:
            known = facts[statement] = statement_facts(statement)
        return known

    sets = UnionFind(len(claims))
    # Each claim meets the later claims of its blocks once per test (a pair an event block
    # turned down may still be a near-copy, and the other way round). Pairs already joined
    # through others are not tried again: that does not change the sets joined in the end.
    for a in range(len(claims)):
        if near_copy_keys[a]:
            later = list(_later_members(a, near_copy_keys[a], near_copy_blocks))
            # The order-sensitive ratio, at C speed, screens every pair of the blocks.
            close = process.extract(
                texts[a],
                list(map(texts.__getitem__, later)),
                scorer=fuzz.ratio,
                processor=None,
                score_cutoff=SAME_CLAIM_MIN_SCORE,
                limit=None,
            )
            for _, _, index in close:
                b = later[index]
                # A statement is the same claim as itself (a copy's claims are its
                # original's): same_claim holds, ratio 100.
                if sets.find(a) != sets.find(b) and (
                    statements[a] == statements[b]
                    or _same_claim_apart_from_order(
                        statements[a], statements[b], facts_of, facts_of
                    )
                ):
                    sets.union(a, b)
        if event_blocks.keys_of[a]:
            later = list(event_blocks.later_members(a, days[a]))
            own = set(words[a])
            # The count of shared words, at C speed, screens every pair of the blocks
            # (most fail it; a block of wire copy can hold hundreds of claims): a pair
            # needs at least `needed` of either claim's (see same_event).
            in_common = list(map(len, map(own.intersection, map(words.__getitem__, later))))
            enough = map(
                operator.ge,
                in_common,
                map(min, itertools.repeat(needed[a]), map(needed.__getitem__, later)),
            )
            for b, shared_words in itertools.compress(zip(later, in_common, strict=True), enough):
                if (
                    sets.find(a) != sets.find(b)
                    and claims[a].article_id != claims[b].article_id
                    and _same_event(
                        when[a],
                        when[b],
                        (shared_words, len(words[a]), len(words[b])),
                        facts_of(statements[a]),
                        facts_of(statements[b]),
                    )
                ):
                    sets.union(a, b)
    return sets


def _ranked_content_words(
    statements: list[str],
) -> tuple[list[tuple[int, ...]], int, int, list[bool]]:
    """Each statement's content words as ranks, rarest first (ties by spelling); the rank
    from which words are used by more than one statement; how many words there are; and
    whether each statement gives a figure (a digit or a number word: what `numbers_in`
    finds).

    The words are those of the statement as normalised for comparing (`normalised_text`),
    read without normalising it: normalising only folds characters that are not word
    characters into others that are not, and lower case leaves all of them alone.
    """
    ids: defaultdict[str, int] = defaultdict(int)
    ids.default_factory = ids.__len__  # a word met for the first time gets the next id
    # Copies repeat statements: each is read once.
    read: dict[str, tuple[tuple[int, ...], bool]] = {}
    ids_of: list[tuple[int, ...]] = []
    with_figures: list[bool] = []
    for statement in statements:
        known = read.get(statement)
        if known is None:
            text = statement.lower()
            found = _content_words(text)
            known = read[statement] = (
                tuple(map(ids.__getitem__, found)),
                not found.isdisjoint(NUMBER_WORDS) or _DIGIT.search(text) is not None,
            )
        ids_of.append(known[0])
        with_figures.append(known[1])
    frequency = Counter(itertools.chain.from_iterable(ids_of))
    ordered = sorted(ids, key=lambda word: (frequency[ids[word]], word))
    rank_of = [0] * len(ordered)
    for rank, word in enumerate(ordered):
        rank_of[ids[word]] = rank
    # Ranks are ordered by frequency: those below this one are words of one text.
    shared_from = bisect_left(ordered, 2, key=lambda word: frequency[ids[word]])
    ranked_of = {
        found: tuple(sorted(map(rank_of.__getitem__, found))) for found, _ in read.values()
    }
    return list(map(ranked_of.__getitem__, ids_of)), shared_from, len(ordered), with_figures


def _content_words(text: str) -> set[str]:
    """The words of a lower-case text longer than two characters, less stopwords: for ASCII
    text (most), read at C speed by translating what is not a word character to spaces."""
    if text.isascii():
        found = set(text.translate(_ASCII_NON_WORD_TO_SPACE).split())
        found -= _ASCII_SHORT_WORDS_AND_STOPWORDS
    else:
        found = set(_CONTENT_WORD.findall(text))
        found -= _STOPWORDS
    return found


# In lower-case ASCII text the word characters (`\w`) are a-z, 0-9 and "_".
_ASCII_WORD_CHARACTERS = string.ascii_lowercase + string.digits + "_"
_ASCII_NON_WORD_TO_SPACE = {
    code: " " for code in range(128) if chr(code) not in _ASCII_WORD_CHARACTERS
}
_ASCII_SHORT_WORDS_AND_STOPWORDS = _STOPWORDS | {
    "".join(letters)
    for length in (1, 2)
    for letters in itertools.product(_ASCII_WORD_CHARACTERS, repeat=length)
}


def _blocks(keys_of: list[list[int]]) -> tuple[dict[int, list[int]], list[list[int]]]:
    """The blocks of 2 to MAX_BLOCK_SIZE claims (a block of one pairs nothing, and a word
    everyone uses says nothing), each listing its claims in order; and each claim's keys
    of those blocks."""
    size = Counter(itertools.chain.from_iterable(keys_of))
    blocks: dict[int, list[int]] = defaultdict(list)
    kept_of: list[list[int]] = []
    for position, keys in enumerate(keys_of):
        kept = [key for key in keys if 1 < size[key] <= MAX_BLOCK_SIZE]
        kept_of.append(kept)
        for key in kept:
            blocks[key].append(position)
    return blocks, kept_of


class _EventBlocks:
    """The blocks of claims that may tell one event (see merge_findings), listed so that a
    claim meets only the members that `same_event` could join it with.

    A block's size counts all its claims, as `_blocks` does. A claim of fewer than
    SAME_EVENT_MIN_WORDS content words is never one event with another: it is not listed.
    A block of the UNDATED bucket (accounts with figures) holds dated accounts from the
    whole year, to meet the undated ones; two dated ones more than SAME_EVENT_DAYS apart
    are never one event, so its dated members are listed by bucket of days, and a dated
    claim meets those of the buckets within SAME_EVENT_DAYS of its day.
    """

    def __init__(
        self, keys_of: list[list[int]], words: list[tuple[int, ...]], days: list[int | None]
    ) -> None:
        size = Counter(itertools.chain.from_iterable(keys_of))
        # A bucket's block, or an UNDATED block's undated members, in order.
        self.members: dict[int, list[int]] = defaultdict(list)
        # An UNDATED block's dated members, by bucket of days, in order.
        self.dated: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.keys_of: list[list[int]] = []
        for position, keys in enumerate(keys_of):
            if len(words[position]) < SAME_EVENT_MIN_WORDS:
                self.keys_of.append([])
                continue
            kept = [key for key in keys if 1 < size[key] <= MAX_BLOCK_SIZE]
            self.keys_of.append(kept)
            day = days[position]
            for key in kept:
                if key % BUCKETS or day is None:  # a bucket's block, or an undated claim
                    self.members[key].append(position)
                else:
                    self.dated[key][day // DAY_BUCKET].append(position)

    def later_members(self, position: int, day: int | None) -> set[int]:
        """The claims after `position` in its blocks that it may tell one event with."""
        members: set[int] = set()
        for key in self.keys_of[position]:
            block = self.members.get(key)
            if block:
                # Lists hold claims in order: the later ones start after `position`.
                members.update(block[bisect_right(block, position) :])
            by_bucket = self.dated.get(key) if key % BUCKETS == 0 else None  # UNDATED
            if not by_bucket:
                continue
            if day is None:
                buckets: Iterable[list[int]] = by_bucket.values()
            else:
                around = range(
                    (day - SAME_EVENT_DAYS) // DAY_BUCKET, (day + SAME_EVENT_DAYS) // DAY_BUCKET + 1
                )
                buckets = [by_bucket[bucket] for bucket in around if bucket in by_bucket]
            for block in buckets:
                members.update(block[bisect_right(block, position) :])
        return members


def _later_members(position: int, keys: list[int], blocks: dict[int, list[int]]) -> set[int]:
    """The claims after `position` in its blocks."""
    members: set[int] = set()
    for key in keys:
        block = blocks[key]
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
    return _trusted_finding(
        finding_id([claim.claim_id]),
        claim.statement,
        [claim],
        claim.claim_type,
        claim.attribution,
        claim.speaker,
        list(dict.fromkeys(claim.actors)),
        claim.event_date,
        claim.event_date_source if claim.event_date else None,
        article.published,
        1,
        claim.salience,
    )


_FINDING_FIELDS = tuple(Finding.model_fields)


def _trusted_finding(*values: object) -> Finding:
    """The Finding of these values of its fields, in their order, without validation.

    What pydantic's `model_construct` makes (a test holds it to that), without its walk of
    each field's aliases and default: a fifth of its time, which counts at one finding
    per claim.
    """
    finding = Finding.__new__(Finding)
    fields = dict(zip(_FINDING_FIELDS, values, strict=True))
    object.__setattr__(finding, "__dict__", fields)
    object.__setattr__(finding, "__pydantic_fields_set__", set(fields))
    object.__setattr__(finding, "__pydantic_extra__", None)
    object.__setattr__(finding, "__pydantic_private__", None)
    return finding


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
