"""How findings relate: the vocabulary both backends share.

Candidate pairs come from an index on parties (findings that concern the same state,
person or organisation, an institution or a person counted with the state it speaks
for), so the number of pairs grows with what overlaps, not with the square of the
findings. Who speaks for whom comes from the lexicon and from the findings themselves
(`parties_of`); the stance words are the lexicon's. Each backend judges the pairs its own way (offline by
opposite stances, see offline/relate.py; llm by asking the model, llm/relate.py).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from briefing.grounding import negations_in, numbers_in
from briefing.lexicon import Entity, Lexicon, active, find_labels, find_people
from briefing.schemas import Finding

RelationKind = Literal["same", "conflict", "differing_estimate", "later_update", "unrelated"]
# More pairs than this are not worth a model's attention (the model judges them in calls of
# briefing.llm.relate.PAIRS_PER_CALL; on the development corpus, 100 pairs left out every
# accusation and its denial, 200 took them all in).
MAX_CANDIDATE_PAIRS = 200
# A party named in more than this share of the findings (when there are at least
# MIN_FINDINGS_FOR_SETTING) is where the story happens, not a side in it: too broad to
# make two statements comparable, like the lexicon's broad_actors.
SETTING_SHARE = 0.4
MIN_FINDINGS_FOR_SETTING = 8

SUBJECT_WORDS = 7
_COMMON_WORDS = (
    "that with from have this they their which would could been will were said says also"
    " after about other these there those into over than when where while since until"
    " before during against between under within without being having some more most"
    " such only just very even still then there here what whom whose your ours"
    " monday tuesday wednesday thursday friday saturday sunday january february march"
    " april june july august september october november december today yesterday week"
)
# Five-letter stems of words that say nothing about a statement's matter.
_COMMON_STEMS = frozenset(w[:5] for w in _COMMON_WORDS.split())
_LEADING_CLAUSE = re.compile(
    r"^(?:(?:Despite|Following|After|Before|While|Although|As|In|On|With|Amid|According to)\b[^,]{0,100}"
    r"|However|Meanwhile|Still|Nevertheless|Instead|Previously|Earlier|At the same time),\s+"
)


@dataclass(frozen=True)
class Parties:
    """Who speaks for which side in one set of findings: the lexicon with the people the
    findings name, and the actors too broad to compare statements by."""

    lexicon: Lexicon
    broad: frozenset[str]

    def party(self, actor: str) -> str:
        return self.lexicon.party(actor)

    def of(self, actors: Iterable[str]) -> set[str]:
        return {self.party(a) for a in actors} - self.broad


def parties_of(findings: Sequence[Finding], lexicon: Lexicon | None = None) -> Parties:
    """The people the findings name (their affiliation read from role phrases such as
    "French President Jane Roe"), and the broad actors: the lexicon's and the setting's."""
    lexicon = lexicon or active()
    text = " ".join(f.statement for f in findings)
    lexicon = lexicon.with_entities([*find_people(text, lexicon), *find_labels(text, lexicon)])
    named = {a for f in findings for a in (*f.actors, f.speaker or "")}
    lexicon = lexicon.with_entities(
        Entity(
            name, "person", (name.split()[-1],) if lexicon.kind(name.split()[-1]) is None else ()
        )
        for name in sorted(named)
        if lexicon.kind(name) is None and lexicon.looks_like_name(name)
    )
    counts = Counter(p for f in findings for p in {lexicon.party(a) for a in f.actors})
    setting = {
        p
        for p, n in counts.items()
        if len(findings) >= MIN_FINDINGS_FOR_SETTING and n > SETTING_SHARE * len(findings)
    }
    return Parties(lexicon, lexicon.broad_actors | setting)


@dataclass(frozen=True)
class Relation:
    kind: RelationKind
    first: str  # finding ids
    second: str
    note: str | None = None


# ", who has voiced opposition to the war," describes the subject; it is not what the
# sentence states.
_RELATIVE_ASIDE = re.compile(r",\s+(?:who|which|whose)\s[^,;]{3,120},")


def main_clause(statement: str) -> str:
    """The statement without a leading "Despite backing from allies," or "According to X,",
    and without asides about its subject (", who has long opposed the plan,")."""
    return _RELATIVE_ASIDE.sub("", _LEADING_CLAUSE.sub("", statement))


def stance(statement: str, lexicon: Lexicon | None = None) -> int:
    """+1 for support or acceptance, -1 for refusal or abandonment, 0 for neither.

    A negation flips a stance: "has not completely abandoned" is +1. Names are not
    stances: a "Coalition of the Ready" (a lexicon entity, or a quoted label) is masked.
    """
    return _stance(statement, lexicon or active())


@lru_cache(maxsize=65536)  # one statement is compared in many pairs
def _stance(statement: str, lexicon: Lexicon) -> int:
    statement = lexicon.without_names(main_clause(statement))
    total = 0
    for pattern, sign in ((lexicon.positive_regex, 1), (lexicon.negative_regex, -1)):
        for match in pattern.finditer(statement):
            before = " ".join(statement[: match.start()].split()[-3:])
            total += -sign if negations_in(before) else sign
    return (total > 0) - (total < 0)


def party(actor: str, parties: Parties | None = None) -> str:
    return parties.party(actor) if parties else active().party(actor)


def _parties(finding: Finding, parties: Parties) -> set[str]:
    # The speaker's side counts even when it is the story's setting: what one party says
    # twice is always worth comparing.
    speaker = {parties.party(finding.speaker)} if finding.speaker else set()
    return parties.of(finding.actors) | speaker


def candidate_pairs(
    findings: list[Finding],
    limit: int | None = MAX_CANDIDATE_PAIRS,
    parties: Parties | None = None,
) -> list[tuple[Finding, Finding]]:
    """Pairs of findings that concern a common party, most salient first."""
    parties = parties or parties_of(findings)
    by_party: dict[str, list[int]] = defaultdict(list)
    for index, finding in enumerate(findings):
        for name in _parties(finding, parties):
            by_party[name].append(index)
    seen: set[tuple[int, int]] = set()
    for members in by_party.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                seen.add((min(a, b), max(a, b)))

    pairs = sorted(seen, key=_promise(findings, parties))
    return [(findings[a], findings[b]) for a, b in pairs[:limit]]


def _promise(
    findings: list[Finding], parties: Parties
) -> Callable[[tuple[int, int]], tuple[bool, int, bool, float, int, int]]:
    """The order pairs are judged in, most likely related first: opposite stances of one
    subject (conflicts), then more shared topic words, then a shared subject, then salience,
    then the findings' order. Topic words come before the subject: one party's statements
    share a subject whatever they are about, while an accusation and the other party's
    denial share the matter and not the subject."""
    lexicon = parties.lexicon
    # What a pair's order reads of each finding, read once: a finding is in many pairs.
    stances = [stance(f.statement, lexicon) for f in findings]
    stems = [topic_stems(f.statement, lexicon) for f in findings]
    subjects = [_subject_parties(f.statement, parties) for f in findings]
    speakers = [parties.party(f.speaker) if f.speaker else None for f in findings]
    salience = [f.salience for f in findings]

    def promise(pair: tuple[int, int]) -> tuple[bool, int, bool, float, int, int]:
        a, b = pair
        opposite = stances[a] * stances[b] == -1
        # share_subject, on what was read above.
        same_speaker = speakers[a] is not None and speakers[a] == speakers[b]
        shared = same_speaker or not subjects[a].isdisjoint(subjects[b])
        return (
            not (opposite and shared),
            -len(stems[a] & stems[b]),
            not shared,
            -(salience[a] + salience[b]),
            a,
            b,
        )

    return promise


def opposed_pairs(findings: list[Finding], parties: Parties) -> list[tuple[Finding, Finding]]:
    """The pairs of `candidate_pairs(findings, limit=None)` with opposite stances, in the
    same order, found without scoring every pair: each party's statements for and against it
    are paired, not each finding with every other. These are all the offline rules may
    call a conflict of stances."""
    lexicon = parties.lexicon
    sides: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for index, finding in enumerate(findings):
        sign = stance(finding.statement, lexicon)
        for key in _parties(finding, parties) if sign else ():
            sides[key][0 if sign > 0 else 1].append(index)
    pairs = {(min(a, b), max(a, b)) for pro, con in sides.values() for a in pro for b in con}

    return [(findings[a], findings[b]) for a, b in sorted(pairs, key=_promise(findings, parties))]


@lru_cache(maxsize=8)
def _place_stems(lexicon: Lexicon) -> frozenset[str]:
    """Stems of the names of states and regions: places are parties, not topics."""
    words = {
        w
        for e in lexicon.entities.values()
        if e.kind in ("state", "region")
        for spelling in e.all_spellings()
        for w in re.findall(r"[a-z]{4,}", spelling.lower())
    }
    return frozenset(w[:5] for w in words)


@lru_cache(maxsize=65536)  # one statement is compared in many pairs
def _stems(statement: str, lexicon: Lexicon) -> frozenset[str]:
    # Five-letter stems: "deployment" and "deployed", "offer" and "offering" meet.
    words = re.findall(r"[a-z]{4,}", statement.lower())
    return frozenset({w[:5] for w in words} - _COMMON_STEMS - _place_stems(lexicon))


def topic_stems(statement: str, lexicon: Lexicon | None = None) -> frozenset[str]:
    """The stems of a statement's matter (what `topic_overlap` counts in common)."""
    return _stems(statement, lexicon or active())


def topic_overlap(first: Finding, second: Finding, lexicon: Lexicon | None = None) -> int:
    lexicon = lexicon or active()
    return len(_stems(first.statement, lexicon) & _stems(second.statement, lexicon))


def speaks_for_one_side(finding: Finding) -> bool:
    # An assessment is the writer's reading, and a figure is an estimate: neither is a stance.
    if finding.claim_type == "assessment":
        return False
    return finding.claim_type != "figure" or not numbers_in(finding.statement)


def subject_parties(statement: str, parties: Parties | None = None) -> set[str]:
    """Parties named where the sentence's subject stands: its first words."""
    return set(_subject_parties(statement, parties or Parties(active(), active().broad_actors)))


@lru_cache(maxsize=65536)  # one statement is compared in many pairs
def _subject_parties(statement: str, parties: Parties) -> frozenset[str]:
    head = " ".join(main_clause(statement).split()[:SUBJECT_WORDS])
    return frozenset(parties.of(parties.lexicon.known_actors(head)))


def share_subject(first: Finding, second: Finding, parties: Parties | None = None) -> bool:
    """Both are about what the same party does, says or will do."""
    parties = parties or parties_of([first, second])
    if (
        first.speaker
        and second.speaker
        and parties.party(first.speaker) == parties.party(second.speaker)
    ):
        return True
    return bool(
        subject_parties(first.statement, parties) & subject_parties(second.statement, parties)
    )
