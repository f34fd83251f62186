"""Rendering a Brief as Markdown, JSON, HTML, and its citation table as a table, Markdown or CSV.

Article text is untrusted: Markdown escapes the characters that would change the
table or inject markup, and HTML goes through Jinja's autoescaping.
"""

from __future__ import annotations

import csv
import io
import json

from jinja2 import Environment, select_autoescape

from briefing.schemas import Brief, BriefItem, CitationRow

OFFLINE_NOTICE = (
    "Made by the offline extractive mode: every item is a sentence quoted from its source,"
    " selected and ordered by rules, not written by a language model."
)


def _md_escape(text: str) -> str:
    """Neutralise Markdown and HTML in untrusted text without changing its words."""
    text = " ".join(text.split())
    for char in "\\`*_[]|#":
        text = text.replace(char, "\\" + char)
    # Entities rather than backslashes: every Markdown renderer shows them as text.
    return text.replace("<", "&lt;").replace(">", "&gt;")


def _markers(item: BriefItem) -> str:
    return "".join(f"[{n}]" for n in sorted({c.source for c in item.citations}))


def to_markdown(brief: Brief) -> str:
    lines = [
        f"# {_md_escape(brief.title)}",
        "",
        f"As of {brief.as_of} · period {brief.period.since} to {brief.period.until}"
        f" · extractor: {brief.extractor.name}"
        + (f" ({brief.extractor.model})" if brief.extractor.model else ""),
        "",
    ]
    if brief.extractor.name == "offline":
        lines += [f"> {OFFLINE_NOTICE}", ""]
    lines += [_md_escape(brief.overview), ""]
    for note in brief.notes:
        lines.append(f"- Note: {_md_escape(note)}")
    if brief.notes:
        lines.append("")
    for section in brief.sections:
        lines += [f"## {section.heading}", ""]
        actor = None
        for item in section.items:
            if item.actor and item.actor != actor:
                actor = item.actor
                lines += (
                    [f"**{_md_escape(actor)}**", ""]
                    if lines[-1] == ""
                    else ["", f"**{_md_escape(actor)}**", ""]
                )
            corroboration = (
                f" ({item.independent_sources} independent sources)"
                if item.independent_sources > 1
                else ""
            )
            lines.append(
                f"- **{item.date_label}** {_md_escape(item.text)} {_markers(item)}{corroboration}"
            )
        lines.append("")
    lines += [
        f"_{brief.word_count} words. Sources and the citation table follow as appendices._",
        "",
        "## Sources",
        "",
    ]
    for source in brief.sources:
        date = f"{source.published} ({source.date_source})" if source.published else "undated"
        outlet = f"{_md_escape(source.outlet)}, " if source.outlet else ""
        title = _md_escape(source.title or source.path)
        flag = "" if source.cited else " (not cited)"
        flag += "" if source.in_period else " (an earlier week's source)"
        lines.append(f"{source.id}. {title}. {outlet}{date}. {_md_escape(source.path)}{flag}")
    lines += ["", "## Citations", "", citations_markdown(brief.citations)]
    if brief.rejected_in_review:
        lines += ["", "## Review appendix: claims rejected in review", ""]
        for rejected in brief.rejected_in_review:
            note = f": {_md_escape(rejected.note)}" if rejected.note else ""
            lines.append(
                f"- `{rejected.claim_id}` {_md_escape(rejected.statement)} ({_md_escape(rejected.path)})"
                f", rejected by {_md_escape(rejected.reviewer)} at {rejected.at}{note}"
            )
    return "\n".join(lines).rstrip() + "\n"


def to_json(brief: Brief) -> str:
    return json.dumps(brief.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


_TABLE_HEADERS = [
    "#",
    "finding",
    "claim",
    "source",
    "outlet",
    "date",
    "quote",
    "verified",
    "review",
]


def _row_cells(number: int, row: CitationRow, decisions: dict[str, str] | None) -> list[str]:
    """Cells of one row; the review column only where decisions were looked up."""
    cells = [
        str(number),
        row.finding_id,
        row.claim_id,
        f"[{row.source}] {row.path}",
        row.outlet or "",
        str(row.published) if row.published else "undated",
        row.quote,
        "yes" if row.verified else "NO",
    ]
    if decisions is not None:
        cells.append(decisions.get(row.claim_id, "pending"))
    return cells


def citations_markdown(rows: list[CitationRow], decisions: dict[str, str] | None = None) -> str:
    headers = _TABLE_HEADERS if decisions is not None else _TABLE_HEADERS[:-1]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    for number, row in enumerate(rows, start=1):
        cells = _row_cells(number, row, decisions)
        cells[6] = "“" + _md_escape(cells[6]) + "”"
        cells[3] = _md_escape(cells[3])
        cells[4] = _md_escape(cells[4])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def citations_csv(rows: list[CitationRow], decisions: dict[str, str] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "finding_id",
            "claim_id",
            "source",
            "path",
            "outlet",
            "published",
            "quote",
            "start",
            "end",
            "verified",
            "review",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.finding_id,
                row.claim_id,
                row.source,
                row.path,
                row.outlet or "",
                row.published or "",
                row.quote,
                row.start,
                row.end,
                row.verified,
                (decisions or {}).get(row.claim_id, "pending"),
            ]
        )
    return buffer.getvalue()


def citation_table_rows(
    rows: list[CitationRow], decisions: dict[str, str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Headers and cells for a terminal table (the CLI draws it)."""
    return _TABLE_HEADERS, [
        _row_cells(n, row, decisions or {}) for n, row in enumerate(rows, start=1)
    ]


_HTML_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ brief.title }}</title>
<style>
body{font-family:Georgia,serif;max-width:46rem;margin:auto;padding:1rem;line-height:1.5}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ccc;padding:.3rem;vertical-align:top}
.date{font-weight:bold}.notice{color:#555;border-left:3px solid #ccc;padding-left:.6rem}
sup a{text-decoration:none}
</style></head><body>
<h1>{{ brief.title }}</h1>
<p>As of {{ brief.as_of }} · period {{ brief.period.since }} to {{ brief.period.until }} · extractor: {{ brief.extractor.name }}</p>
{% if brief.extractor.name == "offline" %}<p class="notice">{{ notice }}</p>{% endif %}
<p>{{ brief.overview }}</p>
{% for section in brief.sections %}<h2>{{ section.heading }}</h2><ul>
{% for item in section.items %}<li>{% if item.actor %}<em>{{ item.actor }}</em>: {% endif %}<span class="date">{{ item.date_label }}</span> {{ item.text }}
{% for c in item.citations %}<sup><a href="#source-{{ c.source }}" title="{{ c.quote }}">[{{ c.source }}]</a></sup>{% endfor %}</li>
{% endfor %}</ul>{% endfor %}
<h2>Sources</h2><ol>
{% for s in brief.sources %}<li id="source-{{ s.id }}">{{ s.title or s.path }}{% if s.outlet %}, {{ s.outlet }}{% endif %}, {{ s.published or "undated" }} <code>{{ s.path }}</code></li>
{% endfor %}</ol>
<h2>Citations</h2><table><tr><th>finding</th><th>source</th><th>quote</th><th>verified</th></tr>
{% for r in brief.citations %}<tr><td>{{ r.finding_id }}</td><td>[{{ r.source }}]</td><td>{{ r.quote }}</td><td>{{ "yes" if r.verified else "NO" }}</td></tr>
{% endfor %}</table>
</body></html>
"""


def to_html(brief: Brief) -> str:
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return environment.from_string(_HTML_TEMPLATE).render(brief=brief, notice=OFFLINE_NOTICE)
