"""How findings relate: the same thing said twice, conflicting reports, differing estimates.

Candidate pairs come from an index on actors (findings that concern the same state,
person or organisation), so the number of pairs grows with what overlaps, not with
the square of the findings. Offline, a pair conflicts when the two statements take
opposite stances (supports / declines, ready to accept / rejects, abandoned /
proceeding) on a shared actor; in llm mode the model labels each candidate pair.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from briefing.gazetteer import PEOPLE, known_actors
from briefing.grounding import GroundingFailure, ground_quote, negations_in, numbers_in
from briefing.schemas import Article, Evidence, Finding
from briefing.sentences import split_sentences

RelationKind = Literal["same", "conflict", "differing_estimate", "later_update", "unrelated"]
# More pairs than this are not worth a model's attention (or the prompt's budget).
MAX_CANDIDATE_PAIRS = 100
MAX_CONFLICTS_PER_FINDING = 1
# Actors too broad to make two statements comparable on their own.
_BROAD_ACTORS = frozenset({"Ukraine", "Europe"})
# Spellings of one party, for comparing stances.
_SAME_PARTY = {
    "Kremlin": "Russia",
    "Vladimir Putin": "Russia",
    "Donald Trump": "United States",
    "Keir Starmer": "United Kingdom",
    "Emmanuel Macron": "France",
}

SUBJECT_WORDS = 7
_COMMON_STEMS = frozenset(
    "that with from have this they their which would could been will were said says also "
    "ukrai russi unite state europ".split()
)
_LEADING_CLAUSE = re.compile(
    r"^(?:(?:Despite|Following|After|Before|While|Although|As|In|On|With|Amid|According to)\b[^,]{0,100}"
    r"|However|Meanwhile|Still|Nevertheless|Instead|Previously|Earlier|At the same time),\s+"
)
_POSITIVE = re.compile(
    r"\b(?:support\w*|willing\w*|ready|readiness|accept\w*|agree\w*|backs?|backing|proceed\w*|"
    r"continu\w*|committ\w*|pledg\w*|maintains?)\b",
    re.I,
)
_NEGATIVE = re.compile(
    r"\b(?:declin\w*|refus\w*|reject\w*|abandon\w*|oppos\w*|dismiss\w*|unacceptable|"
    r"unworkable|preposterous|warn\w*|condemn\w*)\b",
    re.I,
)


@dataclass(frozen=True)
class Relation:
    kind: RelationKind
    first: str  # finding ids
    second: str
    note: str | None = None


def main_clause(statement: str) -> str:
    """The statement without a leading "Despite backing from allies," or "According to X,"."""
    return _LEADING_CLAUSE.sub("", statement)


def stance(statement: str) -> int:
    """+1 for support or acceptance, -1 for refusal or abandonment, 0 for neither.

    A negation flips a stance: "has not completely abandoned" is +1.
    """
    statement = re.sub(r"coalition of the willing", "coalition", main_clause(statement), flags=re.I)
    total = 0
    for pattern, sign in ((_POSITIVE, 1), (_NEGATIVE, -1)):
        for match in pattern.finditer(statement):
            before = " ".join(statement[: match.start()].split()[-3:])
            total += -sign if negations_in(before) else sign
    return (total > 0) - (total < 0)


def party(actor: str) -> str:
    return _SAME_PARTY.get(actor, actor)


def _parties(finding: Finding) -> set[str]:
    named = set(finding.actors) | ({finding.speaker} if finding.speaker else set())
    return {party(a) for a in named} - _BROAD_ACTORS


def candidate_pairs(
    findings: list[Finding], limit: int | None = MAX_CANDIDATE_PAIRS
) -> list[tuple[Finding, Finding]]:
    """Pairs of findings that concern a common party, most salient first."""
    by_party: dict[str, list[int]] = defaultdict(list)
    for index, finding in enumerate(findings):
        for name in _parties(finding):
            by_party[name].append(index)
    seen: set[tuple[int, int]] = set()
    for members in by_party.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                seen.add((min(a, b), max(a, b)))

    def promise(pair: tuple[int, int]) -> tuple[bool, bool, int, float]:
        # Pairs most likely to be related first: opposite stances of one subject (conflicts),
        # then a shared subject, then shared topic words, then salience.
        first, second = findings[pair[0]], findings[pair[1]]
        opposite = stance(first.statement) * stance(second.statement) == -1
        shared = _share_subject(first, second)
        return (
            not (opposite and shared),
            not shared,
            -topic_overlap(first, second),
            -(first.salience + second.salience),
        )

    pairs = sorted(seen, key=promise)
    return [(findings[a], findings[b]) for a, b in pairs[:limit]]


def relate_offline(pairs: list[tuple[Finding, Finding]]) -> list[Relation]:
    """Conflicts by opposite stances of one party; nothing else is claimed offline.

    Each finding takes part in MAX_CONFLICTS_PER_FINDING conflicts at most, the most
    salient pairs first, so the section shows distinct disagreements rather than every
    combination of one party's statements.
    """
    relations = []
    used: dict[str, int] = defaultdict(int)
    for first, second in sorted(
        pairs, key=lambda p: (-topic_overlap(*p), -(p[0].salience + p[1].salience))
    ):
        if max(used[first.finding_id], used[second.finding_id]) >= MAX_CONFLICTS_PER_FINDING:
            continue
        if not (_speaks_for_one_side(first) and _speaks_for_one_side(second)):
            continue
        if stance(first.statement) * stance(second.statement) == -1 and _share_subject(
            first, second
        ):
            relations.append(Relation("conflict", first.finding_id, second.finding_id))
            used[first.finding_id] += 1
            used[second.finding_id] += 1
    return relations


def _stems(statement: str) -> set[str]:
    # Five-letter stems: "deployment" and "deployed", "offer" and "offering" meet.
    words = re.findall(r"[a-z]{4,}", statement.lower())
    return {w[:5] for w in words} - _COMMON_STEMS


def topic_overlap(first: Finding, second: Finding) -> int:
    return len(_stems(first.statement) & _stems(second.statement))


def _speaks_for_one_side(finding: Finding) -> bool:
    # An assessment is the writer's reading, and a figure is an estimate: neither is a stance.
    if finding.claim_type == "assessment":
        return False
    return finding.claim_type != "figure" or not numbers_in(finding.statement)


def subject_parties(statement: str) -> set[str]:
    """Parties named where the sentence's subject stands: its first words."""
    head = " ".join(main_clause(statement).split()[:SUBJECT_WORDS])
    return {party(a) for a in known_actors(head)} - _BROAD_ACTORS


def _share_subject(first: Finding, second: Finding) -> bool:
    """Both are about what the same party does, says or will do."""
    return bool(subject_parties(first.statement) & subject_parties(second.statement))


# --- source discrepancies: outlets that describe one person's role incompatibly ----------

_ROLE_WORDS = re.compile(
    r"\b(former|opposition|prime minister|president|leader|chancellor|secretary|minister)\b", re.I
)


@dataclass(frozen=True)
class RoleMention:
    article: Article
    phrase: str  # e.g. "UK opposition leader Sir Keir Starmer", verbatim from the article
    evidence: Evidence  # the sentence that carries it


@dataclass(frozen=True)
class Discrepancy:
    person: str
    first: RoleMention
    second: RoleMention


# How far before a name a role phrase may start ("former U.S. President " is 22 characters).
ROLE_WINDOW = 60


def role_mentions(person: str, article: Article) -> list[RoleMention]:
    """Where the article names the person with a role in front: "former U.S. President Donald Trump".

    Finds the name first (a plain search), then reads the few words before it: a pattern
    that starts with the words would be tried at every position of a 10 MB article.
    """
    mentions = []
    text = article.text
    names = re.compile(
        r"(?<!\w)(?:"
        + "|".join(map(re.escape, sorted(PEOPLE[person], key=len, reverse=True)))
        + r")(?!\w)"
    )
    for match in names.finditer(text):
        window_start = max(0, match.start() - ROLE_WINDOW)
        before = text[window_start : match.start()]
        before = before[before.find(" ") + 1 :] if window_start else before  # whole words only
        prefix_match = re.search(r"((?:[\w.’'-]+[ \t]+){1,5})(?:Sir[ \t]+)?$", before)
        prefix = prefix_match.group(1) if prefix_match else ""
        administration = re.match(r"\s+administration\b", text[match.end() : match.end() + 20])
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


def source_discrepancies(articles: list[Article]) -> list[Discrepancy]:
    """People whose role two sources state incompatibly (former vs in office, opposition vs PM)."""
    found = []
    for person in PEOPLE:
        mentions = [m for article in articles for m in role_mentions(person, article)]
        for i, first in enumerate(mentions):
            pair = next(
                (
                    second
                    for second in mentions[i + 1 :]
                    if second.article.article_id != first.article.article_id
                    and _incompatible(first.phrase, second.phrase)
                ),
                None,
            )
            if pair is not None:
                found.append(Discrepancy(person, first, pair))
                break
    return found
