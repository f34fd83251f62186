"""Offline judging of candidate pairs: conflicts by opposite stances of one party."""

from __future__ import annotations

import re
from collections import defaultdict

from briefing.attribution import REPORTING_VERBS
from briefing.grounding import negations_in
from briefing.lexicon import Lexicon, active
from briefing.relations import (
    Parties,
    Relation,
    main_clause,
    parties_of,
    share_subject,
    speaks_for_one_side,
    stance,
    topic_overlap,
    topic_stems,
)
from briefing.schemas import Finding

# Each finding takes part in at most this many conflicts (the composer shows one
# statement against all the statements it conflicts with as one item).
MAX_CONFLICTS_PER_FINDING = 2


def relate_offline(
    pairs: list[tuple[Finding, Finding]], parties: Parties | None = None
) -> list[Relation]:
    """Conflicts by opposite stances of one party; nothing else is claimed offline.

    Each finding takes part in MAX_CONFLICTS_PER_FINDING conflicts at most, the most
    salient pairs first, so the section shows distinct disagreements rather than every
    combination of one party's statements. `parties` defaults to those of the paired
    findings (see relations.parties_of).
    """
    if parties is None:
        unique = {f.finding_id: f for pair in pairs for f in pair}
        parties = parties_of(list(unique.values()))
    lexicon = parties.lexicon
    relations = []
    used: dict[str, int] = defaultdict(int)
    stems = {f.finding_id: topic_stems(f.statement, lexicon) for pair in pairs for f in pair}

    def shared_topic(first: Finding, second: Finding) -> int:
        return len(stems[first.finding_id] & stems[second.finding_id])

    for first, second in sorted(
        pairs, key=lambda p: (-shared_topic(*p), -(p[0].salience + p[1].salience))
    ):
        if max(used[first.finding_id], used[second.finding_id]) >= MAX_CONFLICTS_PER_FINDING:
            continue
        if not (speaks_for_one_side(first) and speaks_for_one_side(second)):
            continue
        if not _may_contradict(first, second, lexicon):
            continue
        shared_article = {c.article_id for c in first.claims} & {
            c.article_id for c in second.claims
        }
        # Across articles, two statements must share their matter, not just a party; an
        # article that sets two speakers against each other has already matched them.
        if not shared_article and shared_topic(first, second) < MIN_SHARED_TOPIC:
            continue
        opposite = stance(first.statement, lexicon) * stance(second.statement, lexicon) == -1
        if opposite and share_subject(first, second, parties):
            relations.append(Relation("conflict", first.finding_id, second.finding_id))
            used[first.finding_id] += 1
            used[second.finding_id] += 1
    return relations


# Statements from two articles conflict only when they share this many topic stems.
MIN_SHARED_TOPIC = 2
# Two statements further apart than this are a change over time, not a conflict.
MAX_CONFLICT_GAP_DAYS = 31


def _may_contradict(first: Finding, second: Finding, lexicon: Lexicon | None = None) -> bool:
    """Precision first: a speaker does not contradict itself within one article or on one
    day (it qualifies what it said), and statements weeks apart record a change."""
    when = [f.event_date or f.published for f in (first, second)]
    gap = abs((when[0] - when[1]).days) if when[0] and when[1] else None
    if gap is not None and gap > MAX_CONFLICT_GAP_DAYS:
        return False
    party = (lexicon or active()).party
    same_speaker = (
        first.speaker is not None
        and second.speaker is not None
        and party(first.speaker) == party(second.speaker)
    )
    if not same_speaker:
        return True
    articles = {c.article_id for c in first.claims} & {c.article_id for c in second.claims}
    return not articles and (gap is None or gap > 1)


# "not only ... but" adds rather than denies.
_NEGATED = r"(?:\b(?:never|not(?!\s+only\b)|no longer)|n[’']t)\s+(?:been\s+|be\s+|\w+ly\s+)?"
_PARTICIPLE = re.compile(r"\b[a-z]{4,}ed\b")


# "India has not confirmed X" and "the army confirmed Y" deny and state the reporting, not
# one matter: what is reported differs.
_REPORTING_PARTICIPLES = frozenset(
    verb for verb in REPORTING_VERBS.split("|") if verb.endswith("ed") and verb.isalpha()
)


def contradictions(findings: list[Finding], lexicon: Lexicon) -> list[Relation]:
    """Statements that say opposite states of one matter: one side says the order was
    lifted and the other that it remains in force (the lexicon's `opposites`), or one says
    a thing was halted and the other that it was never halted. Each pair shares its matter
    (two topic stems, or one article setting two speakers against each other) and passes
    the same tests as a conflict of stances."""
    by_id = {f.finding_id: f for f in findings}
    candidates: set[tuple[str, str]] = set()

    def pair_on(one: list[tuple[str, set[str]]], other: list[tuple[str, set[str]]]) -> None:
        # The two opposite words must be said of one thing: words near them in common.
        candidates.update(
            (a, b)
            for a, near_a in one
            for b, near_b in other
            if a != b and len(near_a & near_b) >= MIN_SHARED_NEAR
        )

    for first_side, second_side in lexicon.opposite_regexes:
        pair_on(_matching(findings, first_side), _matching(findings, second_side))
    said: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        for verb in set(_PARTICIPLE.findall(finding.statement.lower())) - _REPORTING_PARTICIPLES:
            said[verb].append(finding.finding_id)
    for verb, holders in said.items():
        if len(holders) > MAX_NEGATION_BLOCK:
            continue
        negated = re.compile(rf"{_NEGATED}{verb}\b", re.I)
        plain = re.compile(rf"\b{verb}\b", re.I)
        chosen = [by_id[h] for h in holders]
        # A denial of what happened ("was never halted"), not of a plan ("will not be
        # completed"); against a statement that it happened, not that it may ("until
        # engineers have completed").
        denying = [f for f in chosen if negated.search(f.statement) and not _hedged(f, verb)]
        stating = [f for f in chosen if not negated.search(f.statement) and not _hedged(f, verb)]
        pair_on(_matching(stating, plain), _matching(denying, plain))
    relations = []
    used: dict[str, int] = defaultdict(int)
    for a, b in sorted(candidates):
        first, second = by_id[a], by_id[b]
        if max(used[a], used[b]) >= MAX_CONFLICTS_PER_FINDING or not _may_contradict(
            first, second, lexicon
        ):
            continue
        shared_article = {c.article_id for c in first.claims} & {
            c.article_id for c in second.claims
        }
        if shared_article and first.speaker == second.speaker:
            continue
        if not shared_article and topic_overlap(first, second, lexicon) < MIN_SHARED_TOPIC:
            continue
        relations.append(Relation("conflict", a, b))
        used[a] += 1
        used[b] += 1
    known = {frozenset((r.first, r.second)) for r in relations}
    for relation in denied_accusations(findings, lexicon):
        a, b = relation.first, relation.second
        if frozenset((a, b)) in known or max(used[a], used[b]) >= MAX_CONFLICTS_PER_FINDING:
            continue
        relations.append(relation)
        used[a] += 1
        used[b] += 1
    return relations


# An accused party is named within this many words after the accusation ("accused Kyiv
# of", "blamed the Russian forces").
ACCUSED_WORDS = 3
# One dispute (who accuses whom) is shown by at most this many pairs: the brief sets the
# accusation against the denial, not every report of either against every other.
MAX_PAIRS_PER_DISPUTE = 2
# Quote marks inside a phrase ("has ‘nothing to do’ with") do not change what it says.
_QUOTE_MARKS = str.maketrans({c: " " for c in '“”‘’"'})


def accusation(finding: Finding, lexicon: Lexicon) -> tuple[str, str] | None:
    """(accuser, accused) when the finding says that one party accuses another: the party
    named just after an accusation word, and the party named nearest before it (or the
    speaker's). A report that also holds the denial ("a charge Y denied") already shows
    both sides: it is no accusation to answer."""
    statement = main_clause(finding.statement).translate(_QUOTE_MARKS)
    for match in lexicon.accuse_regex.finditer(statement):
        before = statement[: match.start()]
        if negations_in(" ".join(before.split()[-3:])) or lexicon.deny_regex.search(
            " ".join(before.split()[-3:])
        ):
            continue  # "did not blame"; "denied accusations by Y" is a denial
        rest = statement[match.end() :]
        if lexicon.deny_regex.search(rest) or lexicon.denial_regex.search(rest):
            return None
        after = " ".join(statement[match.end() :].split()[:ACCUSED_WORDS])
        named = lexicon.known_actors(after)
        if not named:
            continue  # "accused of", "blamed each other": no party accused
        accused = lexicon.party(named[0])
        accuser = _nearest_party(before, finding, lexicon)
        if accuser is not None and accuser != accused:
            return accuser, accused
    return None


def denier(finding: Finding, lexicon: Lexicon) -> str | None:
    """The party that denies something in the finding ("Kyiv has denied any involvement",
    "Moscow denies that"): the party named nearest before the denial, or the speaker's."""
    statement = main_clause(finding.statement).translate(_QUOTE_MARKS)
    match = lexicon.denial_regex.search(statement)
    if match is None:
        return None
    before = statement[: match.start()]
    if negations_in(" ".join(before.split()[-3:])):
        return None  # "did not deny"
    return _nearest_party(before, finding, lexicon)


# How far back, in words, the party doing something is looked for: the nearest first.
_SUBJECT_WINDOWS = (4, 8, 30)


def _nearest_party(before: str, finding: Finding, lexicon: Lexicon) -> str | None:
    """The party named nearest before a word, or else the finding's speaker's."""
    words = before.split()
    for window in _SUBJECT_WINDOWS:
        named = [
            lexicon.party(a)
            for a in lexicon.known_actors(" ".join(words[-window:]))
            if not lexicon.is_broad(a)
        ]
        if named:
            return named[-1]
    if finding.speaker is None:
        return None
    named = lexicon.known_actors(finding.speaker)  # "the Kremlin", "Velm officials"
    return lexicon.party(named[-1] if named else finding.speaker)


def denied_accusations(findings: list[Finding], lexicon: Lexicon) -> list[Relation]:
    """One party's accusation and the accused party's denial, shown together: "X accuses Y
    of the attack" against "Y denies any involvement". The two sides of a dispute are
    often the parties a whole story names (too broad to compare stances by), so the sides
    here are read from the accusation itself: whom it names as accused, and who denies.
    The pair must share its matter (a topic word, or one article) and fall within the
    weeks a conflict may span."""
    accusations = {f.finding_id: accusation(f, lexicon) for f in findings}
    deniers = {f.finding_id: denier(f, lexicon) for f in findings}
    by_id = {f.finding_id: f for f in findings}
    # One dispute is between two parties, whichever accuses first.
    disputes: dict[frozenset[str], list[tuple[Finding, Finding]]] = defaultdict(list)
    for accusing in findings:
        sides = accusations[accusing.finding_id]
        if sides is None:
            continue
        accuser, accused = sides
        for denying_id, who in deniers.items():
            denying = by_id[denying_id]
            # The accused party's answer: a denial, or the accusation turned back on the
            # accuser ("Y accuses X of it"), each side blaming the other (that pair once).
            denied = who == accused and accusations[denying_id] is None
            blamed_back = (
                accusations[denying_id] == (accused, accuser) and accusing.finding_id < denying_id
            )
            if not (denied or blamed_back):
                continue
            if not _may_contradict(accusing, denying, lexicon):
                continue
            shared_article = {c.article_id for c in accusing.claims} & {
                c.article_id for c in denying.claims
            }
            if not shared_article and topic_overlap(accusing, denying, lexicon) < MIN_SHARED_TOPIC:
                continue
            disputes[frozenset((accuser, accused))].append((accusing, denying))
    relations = []
    for pairs in disputes.values():
        used: set[str] = set()
        ranked = sorted(
            pairs,
            key=lambda p: (
                -topic_overlap(p[0], p[1], lexicon),
                -(p[0].salience + p[1].salience),
                p[0].finding_id,
                p[1].finding_id,
            ),
        )
        for accusing, denying in ranked:
            if accusing.finding_id in used or denying.finding_id in used:
                continue
            relations.append(Relation("conflict", accusing.finding_id, denying.finding_id))
            used.update((accusing.finding_id, denying.finding_id))
            if len(used) >= 2 * MAX_PAIRS_PER_DISPUTE:
                break
    return relations


_HEDGES = re.compile(r"\b(?:will|would|could|may|might|until|unless|if|once|before|when|to)\b")


def _hedged(finding: Finding, verb: str) -> bool:
    """The verb is a plan or a condition: a hedge among the four words before it."""
    match = re.search(rf"\b{verb}\b", finding.statement, re.I)
    if match is None:
        return False
    before = " ".join(finding.statement[: match.start()].lower().split()[-4:])
    return bool(_HEDGES.search(before))


def _matching(findings: list[Finding], pattern: re.Pattern[str]) -> list[tuple[str, set[str]]]:
    """Findings the pattern matches, each with the content words near its match."""
    found = []
    for finding in findings:
        match = pattern.search(finding.statement)
        if match:
            found.append((finding.finding_id, _near(finding.statement, match.start(), match.end())))
    return found


def _near(statement: str, start: int, end: int) -> set[str]:
    """Content words within NEAR_WORDS words of a span: what it is said of."""
    before = re.findall(r"[a-z]{3,}", statement[:start].lower())[-NEAR_WORDS:]
    after = re.findall(r"[a-z]{3,}", statement[end:].lower())[:NEAR_WORDS]
    return {w[:5] for w in before + after if w not in _NOT_MATTER}


NEAR_WORDS = 5
# How many words near two opposite states must be the same for one matter ("order"); more
# cost recall on the development corpus (3 of 10 conflicts at 3) more than it gained.
MIN_SHARED_NEAR = 1
_NOT_MATTER = frozenset(
    """the and that this with from have has had been was were will would not never for its
    their they said says also but are said still only some into over after before since
    until while when where which who monday tuesday wednesday thursday friday saturday
    sunday january february march april may june july august september october november
    december today yesterday week weeks day days""".split()
)
# A participle stated in more findings than this is too common to pair on.
MAX_NEGATION_BLOCK = 40
