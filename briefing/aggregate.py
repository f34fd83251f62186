"""Aggregation: syndicated copies become one source, the same claim across articles one finding.

Both steps find candidate pairs through an inverted index (shared shingles, shared
rare words) rather than comparing everything with everything, so that the cost grows
with the number of real near-duplicates, not with the square of the corpus.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from briefing.grounding import negations_in, normalised_text, numbers_in
from briefing.ids import finding_id
from briefing.lexicon import active, canonical_outlet
from briefing.relations import Relation, stance
from briefing.schemas import Article, Claim, Finding

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


def _words(text: str) -> list[str]:
    # Normalising folds quotes, dashes and spaces, none of which is a word character.
    return re.findall(r"\w+", text.lower())


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
    return _words(text)[:LEAD_WORDS]


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
    for position, article_keys in enumerate(keys):
        shared = sorted((frequency[h], h) for h in article_keys if frequency[h] > 1)
        for _, key in shared[:RAREST_SHINGLES]:
            index[key].append(position)
    sets = UnionFind(len(articles))
    checked: set[tuple[int, int]] = set()
    for members in index.values():
        if len(members) > MAX_BLOCK_SIZE:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) in checked:
                    continue
                checked.add((a, b))
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
    if sorted(numbers_in(a)) != sorted(numbers_in(b)) or polarity(a) != polarity(b):
        return False
    if stance(a) != stance(b) or set(active().known_actors(a)) != set(active().known_actors(b)):
        return False
    words_a, words_b = set(_words(a)) - _STOPWORDS, set(_words(b)) - _STOPWORDS
    if len(words_a ^ words_b) > max(2, len(words_a | words_b) // 8):
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
    return set(active().known_actors(a.statement)) == set(active().known_actors(b.statement))


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
    has_figure = [bool(numbers_in(c.statement)) for c in claims]
    frequency: Counter[str] = Counter(w for ws in words for w in ws)
    # Rarest first, ties by spelling: one integer per word, so each claim sorts at C speed.
    rank = {w: i for i, w in enumerate(sorted(frequency, key=lambda w: (frequency[w], w)))}
    blocks: dict[tuple[str, int], list[int]] = defaultdict(list)
    for position, claim_words in enumerate(words):
        ranked = sorted(claim_words, key=rank.__getitem__)
        # A near-copy, whatever its date, has two of the same rarest words: a near-copy
        # differs in a word or two at most (see same_claim), and two rare words together
        # are rarer than either, so these blocks hold little but near-copies.
        rarest = ranked[:NEAR_COPY_WORDS]
        for pair in itertools.combinations(rarest, 2) if len(rarest) > 1 else [rarest]:
            blocks[(" ".join(pair), NO_DAY)].append(position)
        # Its rarest words that another claim also uses find another outlet's account in
        # other words (see same_event), which is dated within SAME_EVENT_DAYS of it: such
        # claims share a bucket of days, so a word used all year makes no big block.
        day = _day_number(claims[position], articles)
        shared = [w for w in ranked if frequency[w] > 1][:RAREST_WORDS]
        buckets = (
            set() if day is None else {day // DAY_BUCKET, (day + SAME_EVENT_DAYS) // DAY_BUCKET}
        )
        # An account with figures also meets undated accounts with them (see same_event).
        if has_figure[position]:
            buckets.add(UNDATED)
        for bucket in buckets:
            for word in shared:
                blocks[(word, bucket)].append(position)
    sets = UnionFind(len(claims))
    # Each pair is tried once by each test: a pair an event block turned down may still be
    # a near-copy, and the other way round.
    compared: dict[bool, set[tuple[int, int]]] = {True: set(), False: set()}
    for (_, bucket), members in blocks.items():
        if len(members) > MAX_BLOCK_SIZE:
            continue
        near_copies = bucket == NO_DAY
        tried = compared[near_copies]
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) in tried or sets.find(a) == sets.find(b):
                    continue
                tried.add((a, b))
                if near_copies:
                    same = bool(
                        fuzz.ratio(texts[a], texts[b], score_cutoff=SAME_CLAIM_MIN_SCORE)
                    ) and same_claim(claims[a].statement, claims[b].statement)
                else:
                    same = same_event(claims[a], claims[b], words[a], words[b], articles)
                if same:
                    sets.union(a, b)
    clusters: dict[int, list[Claim]] = defaultdict(list)
    for position, claim in enumerate(claims):
        clusters[sets.find(position)].append(claim)
    findings = [_finding(members, articles, groups) for members in clusters.values()]
    findings.sort(key=timeline_key)
    return findings


# Claims dated within SAME_EVENT_DAYS of each other always share one of the two buckets of
# DAY_BUCKET = SAME_EVENT_DAYS + 1 days each claim is put in; NO_DAY is the bucket of
# near-copies, compared whatever their dates.
DAY_BUCKET = SAME_EVENT_DAYS + 1
NO_DAY = -1
UNDATED = -2


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
