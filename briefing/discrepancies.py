"""Source discrepancies: two sources that describe one person's role incompatibly.

"former President Jane Roe" in one article and "President Jane Roe" in another cannot
both be right on the same day; the brief shows both, cited, and lets the reader judge.
Computed by code in both backends. The people are those the articles themselves name
with a role (lexicon.find_people), and the lexicon's; no list of people is assumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from briefing.assemble import PlannedItem
from briefing.grounding import GroundingFailure, ground_quote
from briefing.ids import claim_id, finding_id
from briefing.lexicon import Entity, active, find_people
from briefing.schemas import Article, Claim, Evidence, Finding
from briefing.sentences import split_sentences

_ROLE_WORDS = re.compile(
    r"\b(former|opposition|prime minister|president|leader|chancellor|secretary|minister)\b", re.I
)


@dataclass(frozen=True)
class RoleMention:
    article: Article
    phrase: str  # e.g. "UK opposition leader Sir Jane Roe", verbatim from the article
    evidence: Evidence  # the sentence that carries it


@dataclass(frozen=True)
class Discrepancy:
    person: str
    first: RoleMention
    second: RoleMention


# How far before a name a role phrase may start ("former U.S. President " is 22 characters).
ROLE_WINDOW = 60


@lru_cache(maxsize=4096)
def _name_regex(spellings: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, spellings)) + r")(?!\w)")


def role_mentions(
    person: str, article: Article, spellings: tuple[str, ...] = ()
) -> list[RoleMention]:
    """Where the article names the person with a role in front: "former U.S. President Jane Roe".

    Finds the name first (a plain search), then reads the few words before it: a pattern
    that starts with the words would be tried at every position of a 10 MB article.
    """
    mentions: list[RoleMention] = []
    text = article.text
    spelled = tuple(sorted({person, *spellings}, key=len, reverse=True))
    if not any(spelling in text for spelling in spelled):
        return mentions  # most articles never name most people: skip them at C speed
    for match in _name_regex(spelled).finditer(text):
        window_start = max(0, match.start() - ROLE_WINDOW)
        before = text[window_start : match.start()]
        before = before[before.find(" ") + 1 :] if window_start else before  # whole words only
        administration = re.match(r"\s+administration\b", text[match.end() : match.end() + 20])
        if not administration and not _ROLE_WORDS.search(before):
            continue  # no role word in the window, so none in its last words either
        prefix_match = _ROLE_PREFIX.search(before)
        prefix = prefix_match.group(1) if prefix_match else ""
        if not _ROLE_WORDS.search(prefix) and not administration:
            continue
        phrase_start = (
            match.start() - len(before) + (prefix_match.start(1) if prefix_match else len(before))
        )
        phrase_start += _role_phrase_offset(prefix)
        phrase_end = match.end() + (administration.end() if administration else 0)
        sentence = _sentence_around(text, phrase_start, phrase_end)
        if sentence is None:
            continue
        try:
            evidence = ground_quote(sentence, article).evidence
        except GroundingFailure:
            continue
        mentions.append(RoleMention(article, text[phrase_start:phrase_end].strip(), evidence))
    return mentions


# The last one to five words before a name (and a "Sir"). A run of word characters and one
# of spaces cannot give any back to the other, so the runs are possessive: a search tried
# at every position of the window would otherwise backtrack through each.
_ROLE_PREFIX = re.compile(r"((?:[\w.’'-]++[ \t]++){1,5})(?:Sir[ \t]+)?$")

_ROLE_TOKENS = frozenset(
    "former opposition prime minister president leader chancellor secretary".split()
)


def _role_phrase_offset(prefix: str) -> int:
    """Where the role phrase starts in the words before a name: capitalised or role words."""
    offset = len(prefix)
    for token in reversed(list(re.finditer(r"\S+", prefix))):
        word = token.group(0)
        if not (word[:1].isupper() or word.lower() in _ROLE_TOKENS) or (
            word.endswith((".", ",")) and len(word) > 4
        ):
            break
        offset = token.start()
    return offset


def _sentence_around(text: str, start: int, end: int) -> str | None:
    """The sentence holding [start, end), split from its own paragraph only."""
    para_start = text.rfind("\n", 0, start) + 1
    para_end = text.find("\n", end)
    para_end = len(text) if para_end == -1 else para_end
    for sentence in split_sentences(text[para_start:para_end]):
        if para_start + sentence.start <= start and end <= para_start + sentence.end:
            return sentence.text
    return None


def _in_office(phrase: str) -> bool:
    return "administration" in phrase or (
        bool(_ROLE_WORDS.search(phrase)) and "former" not in phrase.lower()
    )


def _incompatible(first: str, second: str) -> bool:
    a, b = first.lower(), second.lower()
    if ("former" in a) != ("former" in b):
        return _in_office(a if "former" in b else b)
    opposition = "opposition" in a, "opposition" in b
    office = (
        any(w in a for w in ("prime minister", "president")),
        any(w in b for w in ("prime minister", "president")),
    )
    return (opposition[0] and office[1] and not opposition[1]) or (
        opposition[1] and office[0] and not opposition[0]
    )


# Two roles are set against each other only when their reports are this close in time (or
# either is undated): an office changes hands, and a month apart both may be right.
MAX_DISCREPANCY_GAP_DAYS = 31


def _near_in_time(first: Article, second: Article) -> bool:
    if first.published is None or second.published is None:
        return True
    return abs((first.published - second.published).days) <= MAX_DISCREPANCY_GAP_DAYS


def source_discrepancies(articles: list[Article]) -> list[Discrepancy]:
    """People whose role two sources state incompatibly (former vs in office, opposition vs PM)."""
    found = []
    people = people_in(articles)
    naming = _articles_naming(articles, [(p.name, *p.spellings) for p in people])
    for person, indices in zip(people, naming, strict=True):
        mentions = [
            m
            for index in indices
            for m in role_mentions(person.name, articles[index], person.spellings)
        ]
        for i, first in enumerate(mentions):
            pair = next(
                (
                    second
                    for second in mentions[i + 1 :]
                    if second.article.article_id != first.article.article_id
                    and _near_in_time(first.article, second.article)
                    and _incompatible(first.phrase, second.phrase)
                ),
                None,
            )
            if pair is not None:
                found.append(Discrepancy(person.name, first, pair))
                break
    return found


_WORD = re.compile(r"\w+")


def _articles_naming(articles: list[Article], spellings: list[tuple[str, ...]]) -> list[list[int]]:
    """For each person's spellings, the indices (in order) of the articles that may name them.

    A spelling found as role_mentions finds it (no word character either side) has each
    of its words as a whole word of the text, so an article that lacks one of them cannot
    name the person by that spelling: an index of the texts' words rules out most articles
    for most people without reading them once per person.
    """
    wanted = {word for names in spellings for name in names for word in _WORD.findall(name)}
    holding: dict[str, set[int]] = {word: set() for word in wanted}
    for index, article in enumerate(articles):
        for word in wanted.intersection(_WORD.findall(article.text)):
            holding[word].add(index)
    naming = []
    for names in spellings:
        found: set[int] = set()
        for name in names:
            words = _WORD.findall(name)
            # A name without a word to look up (none has one) may be in any article.
            found.update(
                set.intersection(*(holding[w] for w in words)) if words else range(len(articles))
            )
        naming.append(sorted(found))
    return naming


def people_in(articles: list[Article]) -> list[Entity]:
    """The lexicon's people and those the articles name, in order of first mention."""
    lexicon = active()
    people = {e.name: e for e in lexicon.entities.values() if e.kind == "person"}
    for article in articles:
        # A headline capitalises every word ("Pakistan Rejects Trump Claim"): no names there.
        text = article.text
        if article.title and text.startswith(article.title):
            text = text[len(article.title) :]
        for person in find_people(text, lexicon):
            people.setdefault(person.name, person)
    return list(people.values())


def discrepancy_items(discrepancies: list[Discrepancy]) -> list[PlannedItem]:
    """Items that show two sources' incompatible descriptions of one person, both cited."""
    items = []
    for discrepancy in discrepancies:
        sides = [
            _mention_finding(discrepancy.person, m) for m in (discrepancy.first, discrepancy.second)
        ]
        text = (
            f"Sources describe {discrepancy.person} differently: one as “{discrepancy.first.phrase}”,"
            f" another as “{discrepancy.second.phrase}”."
        )
        items.append(PlannedItem(sides, " ".join(text.split())))
    return items


def _mention_finding(person: str, mention: RoleMention) -> Finding:
    evidence = mention.evidence
    article = mention.article
    statement = " ".join(evidence.quote.split())
    claim = Claim(
        claim_id=claim_id(article.article_id, statement),
        article_id=article.article_id,
        statement=statement,
        actors=[person],
        attribution="reported",
        claim_type="statement",
        evidence=[evidence],
    )
    return Finding(
        finding_id=finding_id([claim.claim_id]),
        statement=claim.statement,
        claims=[claim],
        claim_type="statement",
        attribution="reported",
        speaker=None,
        actors=[person],
        event_date=None,
        published=article.published,
        independent_sources=1,
        salience=0.0,
    )
