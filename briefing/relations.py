"""How findings relate: the vocabulary both backends share.

Candidate pairs come from an index on actors (findings that concern the same state,
person or organisation), so the number of pairs grows with what overlaps, not with
the square of the findings. Each backend judges the pairs its own way (offline by
opposite stances, see offline/relate.py; llm by asking the model, llm/relate.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from briefing.gazetteer import known_actors
from briefing.grounding import negations_in, numbers_in
from briefing.schemas import Finding

RelationKind = Literal["same", "conflict", "differing_estimate", "later_update", "unrelated"]
# More pairs than this are not worth a model's attention (or the prompt's budget).
MAX_CANDIDATE_PAIRS = 100
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
        shared = share_subject(first, second)
        return (
            not (opposite and shared),
            not shared,
            -topic_overlap(first, second),
            -(first.salience + second.salience),
        )

    pairs = sorted(seen, key=promise)
    return [(findings[a], findings[b]) for a, b in pairs[:limit]]


def _stems(statement: str) -> set[str]:
    # Five-letter stems: "deployment" and "deployed", "offer" and "offering" meet.
    words = re.findall(r"[a-z]{4,}", statement.lower())
    return {w[:5] for w in words} - _COMMON_STEMS


def topic_overlap(first: Finding, second: Finding) -> int:
    return len(_stems(first.statement) & _stems(second.statement))


def speaks_for_one_side(finding: Finding) -> bool:
    # An assessment is the writer's reading, and a figure is an estimate: neither is a stance.
    if finding.claim_type == "assessment":
        return False
    return finding.claim_type != "figure" or not numbers_in(finding.statement)


def subject_parties(statement: str) -> set[str]:
    """Parties named where the sentence's subject stands: its first words."""
    head = " ".join(main_clause(statement).split()[:SUBJECT_WORDS])
    return {party(a) for a in known_actors(head)} - _BROAD_ACTORS


def share_subject(first: Finding, second: Finding) -> bool:
    """Both are about what the same party does, says or will do."""
    return bool(subject_parties(first.statement) & subject_parties(second.statement))
