"""Citation keys and the one-row-per-quote table: how a reader goes from a sentence to
its quotes and back, the same way in Markdown, HTML and JSON.

A quoted passage is keyed "S.Q": source S, its Q-th passage in the order they stand in
the article (by offset). The key is the marker the text shows ([4.2]), the row of the
citation table, and `key` in the JSON. A passage that backs several findings or claims is
one row that lists them. Keys are made from the finished brief (the rows it cites and
the items that cite them), so anything that adds or removes citations afterwards gets
keys by calling `keyed` again; the renderers do.
"""

from __future__ import annotations

from collections import defaultdict

from briefing.schemas import Brief, BriefCitation, CitationRow, ItemRef, QuoteRow

Span = tuple[int, int, int]  # source, start, end


def _span(cited: BriefCitation | CitationRow) -> Span:
    return cited.source, cited.start, cited.end


def citation_keys(brief: Brief) -> dict[Span, str]:
    """Each quoted passage's key: its source's number, then its rank there by offset."""
    by_source: dict[int, set[tuple[int, int]]] = defaultdict(set)
    cited = [c for s in brief.sections for i in s.items for c in i.citations]
    for span in [*map(_span, brief.citations), *map(_span, cited)]:
        by_source[span[0]].add(span[1:])
    return {
        (source, start, end): f"{source}.{rank}"
        for source, spans in by_source.items()
        for rank, (start, end) in enumerate(sorted(spans), start=1)
    }


def key_order(key: str) -> tuple[int, int]:
    """ "4.10" after "4.2": keys sort as numbers."""
    source, _, rank = key.partition(".")
    return int(source), int(rank or 0)


def keyed(brief: Brief) -> Brief:
    """The brief with every citation and row keyed, each item's citations in key order
    (one per passage), and `quotes`, its citation table with one row per passage."""
    keys = citation_keys(brief)
    rows = [r.model_copy(update={"key": keys[_span(r)]}) for r in brief.citations]
    sections = []
    cited_in: dict[str, list[ItemRef]] = defaultdict(list)
    cited_quote: dict[str, BriefCitation] = {}
    for section in brief.sections:
        items = []
        for number, item in enumerate(section.items, start=1):
            once: dict[str, BriefCitation] = {}
            for citation in item.citations:
                key = keys[_span(citation)]
                once.setdefault(key, citation.model_copy(update={"key": key}))
                cited_quote.setdefault(key, once[key])
            for key in once:
                cited_in[key].append(ItemRef(section=section.heading, item=number))
            ordered = [once[k] for k in sorted(once, key=key_order)]
            items.append(item.model_copy(update={"citations": ordered}))
        sections.append(section.model_copy(update={"items": items}))
    return brief.model_copy(
        update={
            "citations": rows,
            "sections": sections,
            "quotes": _quote_rows(brief, rows, cited_quote, cited_in),
        }
    )


def _quote_rows(
    brief: Brief,
    rows: list[CitationRow],
    cited_quote: dict[str, BriefCitation],
    cited_in: dict[str, list[ItemRef]],
) -> list[QuoteRow]:
    by_key: dict[str, list[CitationRow]] = defaultdict(list)
    for row in rows:
        assert row.key is not None
        by_key[row.key].append(row)
    sources = {s.id: s for s in brief.sources}
    table = []
    for key in sorted({*by_key, *cited_quote}, key=key_order):
        backing = by_key.get(key, [])
        if backing:
            first = backing[0]
            article_id, path, outlet, published = (
                first.article_id,
                first.path,
                first.outlet,
                first.published,
            )
            quote, start, end = first.quote, first.start, first.end
        else:  # cited by an item but given no row: what the source list knows of it
            citation = cited_quote[key]
            source = sources.get(citation.source)
            article_id = source.article_id if source else ""
            path = source.path if source else ""
            outlet = source.outlet if source else None
            published = source.published if source else None
            quote, start, end = citation.quote, citation.start, citation.end
        table.append(
            QuoteRow(
                key=key,
                source=key_order(key)[0],
                article_id=article_id,
                path=path,
                outlet=outlet,
                published=published,
                quote=quote,
                start=start,
                end=end,
                # unchecked (no row) is not verified
                verified=bool(backing) and all(r.verified for r in backing),
                finding_ids=list(dict.fromkeys(r.finding_id for r in backing)),
                claim_ids=list(
                    dict.fromkeys(
                        [r.claim_id for r in backing]
                        + ([cited_quote[key].claim_id] if key in cited_quote else [])
                    )
                ),
                cited_in=cited_in.get(key, []),
            )
        )
    return table
