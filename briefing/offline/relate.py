"""Offline judging of candidate pairs: conflicts by opposite stances of one party."""

from __future__ import annotations

from collections import defaultdict

from briefing.relations import (
    Relation,
    share_subject,
    speaks_for_one_side,
    stance,
    topic_overlap,
)
from briefing.schemas import Finding

# Each finding takes part in at most this many conflicts.
MAX_CONFLICTS_PER_FINDING = 1


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
        if not (speaks_for_one_side(first) and speaks_for_one_side(second)):
            continue
        if stance(first.statement) * stance(second.statement) == -1 and share_subject(
            first, second
        ):
            relations.append(Relation("conflict", first.finding_id, second.finding_id))
            used[first.finding_id] += 1
            used[second.finding_id] += 1
    return relations
