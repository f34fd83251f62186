"""Offline judging of candidate pairs: conflicts by opposite stances of one party."""

from __future__ import annotations

from collections import defaultdict

from briefing.relations import (
    Parties,
    Relation,
    parties_of,
    share_subject,
    speaks_for_one_side,
    stance,
    topic_overlap,
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
    for first, second in sorted(
        pairs, key=lambda p: (-topic_overlap(p[0], p[1], lexicon), -(p[0].salience + p[1].salience))
    ):
        if max(used[first.finding_id], used[second.finding_id]) >= MAX_CONFLICTS_PER_FINDING:
            continue
        if not (speaks_for_one_side(first) and speaks_for_one_side(second)):
            continue
        if not _may_contradict(first, second):
            continue
        shared_article = {c.article_id for c in first.claims} & {
            c.article_id for c in second.claims
        }
        # Across articles, two statements must share their matter, not just a party; an
        # article that sets two speakers against each other has already matched them.
        if not shared_article and topic_overlap(first, second, lexicon) < MIN_SHARED_TOPIC:
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


def _may_contradict(first: Finding, second: Finding) -> bool:
    """Precision first: a speaker does not contradict itself within one article or on one
    day (it qualifies what it said), and statements weeks apart record a change."""
    when = [f.event_date or f.published for f in (first, second)]
    gap = abs((when[0] - when[1]).days) if when[0] and when[1] else None
    if gap is not None and gap > MAX_CONFLICT_GAP_DAYS:
        return False
    same_speaker = first.speaker is not None and first.speaker == second.speaker
    if not same_speaker:
        return True
    articles = {c.article_id for c in first.claims} & {c.article_id for c in second.claims}
    return not articles and (gap is None or gap > 1)
