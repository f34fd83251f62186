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
        opposite = stance(first.statement, lexicon) * stance(second.statement, lexicon) == -1
        if opposite and share_subject(first, second, parties):
            relations.append(Relation("conflict", first.finding_id, second.finding_id))
            used[first.finding_id] += 1
            used[second.finding_id] += 1
    return relations
