"""The brief as Markdown: every sentence ends with the keys of its quotes ([4.2] = source
4, its second quoted passage), and the citation table lists each passage once under its
key, with the findings it supports and the items that cite it."""

from __future__ import annotations

from briefing.assemble import counted
from briefing.quotes import keyed
from briefing.render.text import md_escape
from briefing.schemas import Brief, BriefItem, BriefSource, QuoteRow

OFFLINE_NOTICE = (
    "Made by the offline extractive mode: every item is a sentence quoted from its source,"
    " selected and ordered by rules, not written by a language model."
)
HOW_TO_READ = (
    "Each marker [S.Q] is a quoted passage: source S, its Q-th passage, and row [S.Q] of the"
    " citation table below, which lists each passage once with the findings it supports;"
    " search for a marker to find every sentence that cites it."
)


def corroboration(item: BriefItem) -> str:
    """ "(3 outlets, 2 independent origins)": copies of one story count once as an origin."""
    outlets = len({c.source for c in item.citations})
    if outlets < 2 or len(item.finding_ids) > 1:
        return ""  # one outlet; or two sides set against each other, which corroborate nothing
    return f" ({counted(outlets, 'outlet')}, {counted(item.independent_sources, 'independent origin')})"


def markers(item: BriefItem) -> str:
    """ "[1.2][4.1]": one per quoted passage, in key order (the brief is keyed)."""
    return "".join(f"[{c.key}]" for c in item.citations)


def source_line(source: BriefSource) -> str:
    """ "4. Title. Outlet, 2025-04-26 (header). seeds/003.txt"; an untitled source is
    named by its path, once."""
    date = f"{source.published} ({source.date_source})" if source.published else "undated"
    outlet = f"{md_escape(source.outlet)}, " if source.outlet else ""
    flag = "" if source.cited else " (not cited)"
    flag += "" if source.in_period else " (an earlier week's source)"
    path = md_escape(source.path)
    if source.title:
        return f"{source.id}. {md_escape(source.title)}. {outlet}{date}. {path}{flag}"
    return f"{source.id}. {path} (untitled). {outlet}{date}.{flag}"


def supported(row: QuoteRow) -> str:
    """ "2: f-1, f-2": how many findings the passage supports, and which."""
    return f"{len(row.finding_ids)}: {', '.join(row.finding_ids)}" if row.finding_ids else "0"


def cited_in(row: QuoteRow) -> str:
    """ "Key developments 3; Source discrepancies 1": the items that cite the passage."""
    return "; ".join(f"{md_escape(ref.section)} {ref.item}" for ref in row.cited_in)


QUOTE_TABLE_HEADERS = [
    "key",
    "quote",
    "source",
    "date",
    "findings supported",
    "claims",
    "cited in",
    "verified",
]


def quote_table_markdown(rows: list[QuoteRow]) -> str:
    """One row per quoted passage, in key order."""
    lines = [
        "| " + " | ".join(QUOTE_TABLE_HEADERS) + " |",
        "|" + "---|" * len(QUOTE_TABLE_HEADERS),
    ]
    for row in rows:
        source = ", ".join(md_escape(part) for part in (row.outlet, row.path) if part)
        cells = [
            f"[{row.key}]",
            md_escape(row.quote),  # alone: marks around it would double its own closing one
            source,
            str(row.published) if row.published else "undated",
            supported(row),
            ", ".join(row.claim_ids),
            cited_in(row),
            "yes" if row.verified else "NO",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_markdown(brief: Brief) -> str:
    brief = keyed(brief)
    lines = [
        f"# {md_escape(brief.title)}",
        "",
        f"As of {brief.as_of} · period {brief.period.since} to {brief.period.until}"
        f" · extractor: {brief.extractor.name}"
        + (f" ({brief.extractor.model})" if brief.extractor.model else ""),
        "",
    ]
    if brief.extractor.name == "offline":
        lines += [f"> {OFFLINE_NOTICE}", ""]
    lines += [md_escape(brief.overview), ""]
    for note in brief.notes:
        lines.append(f"- Note: {md_escape(note)}")
    if brief.notes:
        lines.append("")
    for section in brief.sections:
        lines += [f"## {section.heading}", ""]
        actor = None
        for item in section.items:
            if item.actor and item.actor != actor:
                actor = item.actor
                lines += (
                    [f"**{md_escape(actor)}**", ""]
                    if lines[-1] == ""
                    else ["", f"**{md_escape(actor)}**", ""]
                )
            lines.append(
                f"- **{item.date_label}** {md_escape(item.text)} {markers(item)}"
                f"{corroboration(item)}"
            )
        lines.append("")
    lines += [
        f"_{counted(brief.word_count, 'word')}. Sources and the citation table follow as"
        " appendices._",
        "",
        "## Sources",
        "",
    ]
    lines += [source_line(source) for source in brief.sources]
    lines += [
        "",
        "## Citations",
        "",
        f"_{HOW_TO_READ}_",
        "",
        quote_table_markdown(brief.quotes),
    ]
    if brief.rejected_in_review:
        lines += ["", "## Review appendix: claims rejected in review", ""]
        for rejected in brief.rejected_in_review:
            note = f": {md_escape(rejected.note)}" if rejected.note else ""
            lines.append(
                f"- `{rejected.claim_id}` {md_escape(rejected.statement)} ({md_escape(rejected.path)})"
                f", rejected by {md_escape(rejected.reviewer)} at {rejected.at}{note}"
            )
    return "\n".join(lines).rstrip() + "\n"
