"""What changed between two briefs: findings new, updated, contradicted, no longer reported.

Used by `briefing weekly`: each week's brief is compared with the previous week's
brief file. Items are cited; an earlier brief's sources that an item cites join the
source list, flagged as outside the period.

The earlier brief is a file in the out folder, which anyone could have edited: its
`verified` flags mean nothing here. Each of its quotes is checked again against the raw
text of its article as loaded in this run, and one that fails (invented, or its file
changed or gone) is left out, with a note; every carried row is verified by this run.
"""

from __future__ import annotations

from collections.abc import Mapping

from briefing.aggregate import same_claim
from briefing.grounding import verify_evidence
from briefing.relations import stance, subject_parties
from briefing.schemas import (
    Brief,
    BriefCitation,
    BriefItem,
    BriefSection,
    BriefSource,
    CitationRow,
    Evidence,
)

WHAT_CHANGED = "What changed since last week"
# Each kind of change lists at most this many items; the brief's notes say how many more.
MAX_CHANGES_PER_KIND = 8


def add_what_changed(
    brief: Brief, previous_week: str, previous: Brief, raw_texts: Mapping[str, str]
) -> Brief:
    """A section listing findings new, updated, contradicted or no longer reported since
    the previous week's brief, each cited; earlier sources it cites join the source list.

    `raw_texts` holds the raw text of each article loaded in this run, by its path: the
    previous brief's quotes are checked against it first (see `reverified`).
    """
    previous, failed = reverified(previous, raw_texts)
    current_rows = {row.claim_id: row for row in brief.citations}
    earlier_rows = {row.claim_id: row for row in previous.citations}

    def counterpart(row: CitationRow, others: dict[str, CitationRow]) -> list[CitationRow]:
        return [
            o
            for o in others.values()
            if o.claim_id == row.claim_id or same_claim(o.statement, row.statement)
        ]

    new, updated, contradicted = [], [], []
    for section in brief.sections:
        for item in section.items:
            rows = [current_rows[c.claim_id] for c in item.citations if c.claim_id in current_rows]
            matches = [m for row in rows for m in counterpart(row, earlier_rows)]
            if not matches:
                new.append(_relabel(item, "New"))
            elif {r.article_id for r in rows} - {m.article_id for m in matches}:
                updated.append(_relabel(item, "Updated with new sources"))
    sources = list(brief.sources)
    number_of = {s.article_id: s.id for s in sources}
    gone = []
    for section in previous.sections:
        for item in section.items:
            rows = [earlier_rows[c.claim_id] for c in item.citations if c.claim_id in earlier_rows]
            if rows and not any(counterpart(row, current_rows) for row in rows):
                gone.append(
                    _earlier_item(item, rows, previous, sources, number_of, "No longer reported")
                )
    for row in current_rows.values():
        for earlier in earlier_rows.values():
            opposed = stance(row.statement) * stance(earlier.statement) == -1
            if opposed and subject_parties(row.statement) & subject_parties(earlier.statement):
                contradicted.append(_contradiction(row, earlier, previous, sources, number_of))
    groups = [
        ("new", new),
        ("updated", updated),
        ("contradicted", contradicted),
        ("no longer reported", gone),
    ]
    items = [i for _, group in groups for i in group[:MAX_CHANGES_PER_KIND]]
    notes = list(brief.notes) + [
        f"What changed lists {MAX_CHANGES_PER_KIND} of {len(group)} {name} findings"
        for name, group in groups
        if len(group) > MAX_CHANGES_PER_KIND
    ]
    notes.append(f"What changed compares with the brief of {previous_week}")
    if failed:
        notes.append(
            f"{failed} citation(s) in the brief of {previous_week} no longer verify against"
            " the corpus (the quote is not in its file, or the file changed or is gone)"
            " and were left out"
        )
    if not items:
        return brief.model_copy(update={"notes": notes})
    section = BriefSection(heading=WHAT_CHANGED, items=items)
    in_period = {s.article_id for s in brief.sources}
    this_week = {s.id for s in brief.sources}
    earlier_claims = {c.claim_id for i in items for c in i.citations if c.source not in this_week}
    rows = list(brief.citations) + [
        r.model_copy(update={"source": number_of[r.article_id]})
        for r in previous.citations
        if r.claim_id in earlier_claims
        and r.article_id not in in_period
        and r.article_id in number_of
    ]
    sources = [s for s in sources if s.in_period or s.article_id in {r.article_id for r in rows}]
    return brief.model_copy(
        update={
            "sections": [section, *brief.sections],
            "sources": sources,
            "notes": notes,
            "citations": rows,
        }
    )


def reverified(previous: Brief, raw_texts: Mapping[str, str]) -> tuple[Brief, int]:
    """The previous brief with only the citations whose quote is, in this run, the raw
    text of its article at its offsets (flagged verified), and how many were left out.
    Items left citing nothing are left out too."""
    by_path = {_inside_corpus(path): raw for path, raw in raw_texts.items()}
    paths = {source.id: source.path for source in previous.sources}
    listed = {source.article_id for source in previous.sources}
    failed: set[tuple[str, int, int]] = set()

    def holds(path: str | None, claim_id: str, quote: str, start: int, end: int) -> bool:
        raw = by_path.get(_inside_corpus(path)) if path is not None else None
        evidence = Evidence.model_construct(quote=quote, start=start, end=end)
        if raw is not None and verify_evidence(evidence, raw):
            return True
        failed.add((claim_id, start, end))
        return False

    rows = [
        row.model_copy(update={"verified": True})
        for row in previous.citations
        # a row whose article is not among the sources is not a brief's row: no path to trust
        if holds(row.path if row.article_id in listed else None, *_span(row))
    ]
    sections = []
    for section in previous.sections:
        items = []
        for item in section.items:
            citations = [c for c in item.citations if holds(paths.get(c.source), *_span(c))]
            if citations:
                items.append(item.model_copy(update={"citations": citations}))
        sections.append(section.model_copy(update={"items": items}))
    checked = previous.model_copy(update={"sections": sections, "citations": rows})
    return checked, len(failed)


def _span(cited: CitationRow | BriefCitation) -> tuple[str, str, int, int]:
    return cited.claim_id, cited.quote, cited.start, cited.end


def _inside_corpus(path: str) -> str:
    """A source path without the corpus folder's name, which may differ between runs."""
    return path.split("/", 1)[-1]


def _relabel(item: BriefItem, label: str) -> BriefItem:
    return item.model_copy(update={"text": f"{label}: {item.text}", "actor": None})


def _source_number(
    article_id: str, previous: Brief, sources: list[BriefSource], number_of: dict[str, int]
) -> int:
    """The number of an earlier week's source in this brief, adding it to the list if needed."""
    if article_id not in number_of:
        earlier = next(s for s in previous.sources if s.article_id == article_id)
        number_of[article_id] = len(sources) + 1
        sources.append(
            earlier.model_copy(
                update={"id": number_of[article_id], "in_period": False, "cited": True}
            )
        )
    return number_of[article_id]


def _earlier_item(
    item: BriefItem,
    rows: list[CitationRow],
    previous: Brief,
    sources: list[BriefSource],
    number_of: dict[str, int],
    label: str,
) -> BriefItem:
    citations = [_cite(r, _source_number(r.article_id, previous, sources, number_of)) for r in rows]
    return item.model_copy(
        update={"text": f"{label}: {item.text}", "citations": citations, "actor": None}
    )


def _cite(row: CitationRow, source: int) -> BriefCitation:
    return BriefCitation(
        source=source, claim_id=row.claim_id, quote=row.quote, start=row.start, end=row.end
    )


def _contradiction(
    row: CitationRow,
    earlier: CitationRow,
    previous: Brief,
    sources: list[BriefSource],
    number_of: dict[str, int],
) -> BriefItem:
    citations = [
        _cite(row, number_of[row.article_id]),
        _cite(earlier, _source_number(earlier.article_id, previous, sources, number_of)),
    ]
    return BriefItem(
        text=f"Contradicted: {row.statement} Earlier: {earlier.statement}",
        event_date=None,
        date_label=f"reported {row.published}" if row.published else "undated",
        finding_ids=[row.finding_id, earlier.finding_id],
        independent_sources=1,
        citations=citations,
    )
