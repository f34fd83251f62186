"""Rendering a Brief as Markdown, JSON, HTML, and its citation table as a table, Markdown,
CSV, JSON or tab-separated text.

Article text is untrusted: Markdown escapes the characters that would change the
table or inject markup, and HTML goes through Jinja's autoescaping and isolates
bidirectional text (<bdi>), so that a right-to-left override in an outlet cannot
reverse the dates beside it. Control characters (an ESC sequence would drive the
reader's terminal) are written as visible escapes in Markdown, CSV and tab-separated
text; CSV cells cannot start a formula. JSON keeps every quote verbatim: what a control
character becomes there is a JSON escape, the same text once parsed.
"""

from __future__ import annotations

import csv
import io
import json
import re

from jinja2 import Environment, select_autoescape

from briefing.schemas import Brief, BriefItem, CitationRow

OFFLINE_NOTICE = (
    "Made by the offline extractive mode: every item is a sentence quoted from its source,"
    " selected and ordered by rules, not written by a language model."
)


# What a terminal acts on: C0 controls, DEL, C1 controls (0x9b is ESC [ to an 8-bit
# terminal), and the bidirectional embeddings, overrides and isolates.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str, keep: str = "") -> str:
    """`text` with each control character not in `keep` written as a visible escape:
    C0 ones as \\x1b, the others as \\u009b (which is also how JSON escapes them)."""

    def visible(match: re.Match[str]) -> str:
        char = match.group(0)
        if char in keep:
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"

    return _CONTROL_RE.sub(visible, text)


def _md_escape(text: str) -> str:
    """Neutralise Markdown, HTML and control characters in untrusted text without
    changing its words."""
    text = " ".join(text.split())
    for char in "\\`*_[]|#":
        text = text.replace(char, "\\" + char)
    # Entities rather than backslashes: every Markdown renderer shows them as text.
    return escape_controls(text.replace("<", "&lt;").replace(">", "&gt;"))


def _corroboration(item: BriefItem) -> str:
    """ "(3 outlets, 2 independent origins)": copies of one story count once as an origin."""
    outlets = len({c.source for c in item.citations})
    if outlets < 2 or len(item.finding_ids) > 1:
        return ""  # one outlet; or two sides set against each other, which corroborate nothing
    origins = item.independent_sources
    return f" ({outlets} outlets, {origins} independent origin{'s' if origins != 1 else ''})"


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
            corroboration = _corroboration(item)
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


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# injection"): such a cell gets a leading apostrophe, which spreadsheets show as text.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    """A text cell made inert: no formula, control characters as visible escapes."""
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_LEADS):
        value = "'" + value
    return escape_controls(value, keep="\n")


def citations_csv(rows: list[CitationRow], decisions: dict[str, str] | None = None) -> str:
    """The citation rows as CSV for a spreadsheet: text cells are made inert (see
    `_csv_cell`), so a quote may differ from its source here; the JSON keeps it verbatim."""
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
        cells: list[object] = [
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
        writer.writerow([_csv_cell(cell) for cell in cells])
    return buffer.getvalue()


def citations_json(rows: list[CitationRow], decisions: dict[str, str] | None = None) -> str:
    """A JSON list: each row with its `verified` flag and its `review` decision.

    Quotes are verbatim. JSON escapes C0 controls itself; DEL, C1 and bidirectional
    controls are escaped too (\\u009b), so that the text is safe on a terminal and the
    same once parsed.
    """
    listed = [
        {**row.model_dump(mode="json"), "review": (decisions or {}).get(row.claim_id, "pending")}
        for row in rows
    ]
    return escape_controls(json.dumps(listed, indent=2, ensure_ascii=False), keep="\n") + "\n"


# Tab-separated text escapes what would break a row, and any other control character as
# \x1b or \u009b; backslashes are doubled, so a reader can undo it exactly.
_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def citations_tsv(rows: list[CitationRow], decisions: dict[str, str] | None = None) -> str:
    """The table's columns as tab-separated lines, for a pipe or a file rather than a terminal."""
    headers, cells = citation_table_rows(rows, decisions)
    lines = ["\t".join(headers)]
    lines += [
        "\t".join(escape_controls(cell.translate(_TSV_ESCAPES)) for cell in row) for row in cells
    ]
    return "\n".join(lines) + "\n"


def citation_table_rows(
    rows: list[CitationRow], decisions: dict[str, str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Headers and cells for a terminal table (the CLI draws it)."""
    return _TABLE_HEADERS, [
        _row_cells(n, row, decisions or {}) for n, row in enumerate(rows, start=1)
    ]


# One self-contained page: no external script, style, font or image (the CSP says so too).
# Markers show their quote on hover, focus or as the page's #fragment, and link to the
# citation row; the table sorts by a header click and filters as you type. Every piece of
# article text goes through Jinja's autoescaping, and sits in a <bdi> so that its direction
# (a planted U+202E, say) cannot spill onto the dates and numbers beside it; the script
# never writes HTML.
_HTML_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{{ brief.title }}</title>
<style>
:root{--ink:#1b1b1b;--muted:#5c5c5c;--line:#d7d7d7;--accent:#0b57a4}
body{font:16px/1.55 Georgia,"Times New Roman",serif;color:var(--ink);max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid var(--line)}
.meta,.notice,.note{color:var(--muted);font-size:.9rem}.notice{border-left:3px solid var(--line);padding-left:.6rem}
.date{font-weight:bold;white-space:nowrap}.actor{font-style:italic}
li{margin:.35rem 0}
.cite{position:relative;color:var(--accent);text-decoration:none;font-size:.8em;vertical-align:super}
.cite .pop{display:none;position:absolute;z-index:2;left:0;top:1.4em;width:min(22rem,80vw);background:#fff;
 border:1px solid var(--line);box-shadow:0 2px 8px rgba(0,0,0,.2);padding:.5rem;font-size:.85rem;color:var(--ink);vertical-align:baseline}
.cite:hover .pop,.cite:focus .pop,.cite:target .pop{display:block}
table{border-collapse:collapse;width:100%;font-size:.85rem}td,th{border:1px solid var(--line);padding:.3rem;vertical-align:top;text-align:left}
th{cursor:pointer;background:#f4f4f4}tr:target{background:#fff6d5}
#filter{width:100%;padding:.4rem;margin:.5rem 0;font:inherit}
@media (max-width:600px){body{font-size:15px}td:nth-child(2),th:nth-child(2){display:none}}
@media print{ #filter,.cite .pop{display:none!important}.cite{color:var(--ink)}a{color:inherit}tr{break-inside:avoid}}
</style></head><body>
<h1><bdi>{{ brief.title }}</bdi></h1>
<p class="meta">As of {{ brief.as_of }} · period {{ brief.period.since }} to {{ brief.period.until }} · extractor: {{ brief.extractor.name }}{% if brief.extractor.model %} ({{ brief.extractor.model }}){% endif %}</p>
{% if brief.extractor.name == "offline" %}<p class="notice">{{ notice }}</p>{% endif %}
<p><bdi>{{ brief.overview }}</bdi></p>
{% for note in brief.notes %}<p class="note">Note: <bdi>{{ note }}</bdi></p>{% endfor %}
{% set marker = namespace(n=0) %}
{% for section in brief.sections %}<h2>{{ section.heading }}</h2><ul>
{% for item in section.items %}<li>{% if item.actor %}<span class="actor"><bdi>{{ item.actor }}</bdi></span>: {% endif %}<span class="date">{{ item.date_label }}</span> <bdi>{{ item.text }}</bdi>
{% for c in item.citations %}{% set marker.n = marker.n + 1 %}<a class="cite" id="m{{ marker.n }}" href="#row-{{ row_of[(c.claim_id, c.start, c.end)] }}" aria-label="source {{ c.source }}">[{{ c.source }}]<span class="pop" role="tooltip">“<bdi>{{ c.quote }}</bdi>” [{{ c.source }}] <bdi>{{ source_paths[c.source] }}</bdi></span></a>{% endfor %}</li>
{% endfor %}</ul>{% endfor %}
<h2>Sources</h2><ol>
{% for s in brief.sources %}<li id="source-{{ s.id }}" value="{{ s.id }}"><bdi>{{ s.title or s.path }}</bdi>{% if s.outlet %}, <bdi>{{ s.outlet }}</bdi>{% endif %}, {{ s.published or "undated" }}{% if s.published %} ({{ s.date_source }}){% endif %} <code><bdi>{{ s.path }}</bdi></code>{% if not s.in_period %} (an earlier week){% endif %}</li>
{% endfor %}</ol>
<h2>Citations</h2>
<input id="filter" type="search" placeholder="Filter the citations" aria-label="Filter the citations">
<table id="citations"><thead><tr><th>#</th><th>claim</th><th>source</th><th>date</th><th>quote</th><th>verified</th></tr></thead><tbody>
{% for r in brief.citations %}<tr id="row-{{ loop.index }}"><td>{{ loop.index }}</td><td>{{ r.claim_id }}</td><td><a href="#source-{{ r.source }}">[{{ r.source }}]</a></td><td>{{ r.published or "undated" }}</td><td>“<bdi>{{ r.quote }}</bdi>”</td><td>{{ "yes" if r.verified else "NO" }}</td></tr>
{% endfor %}</tbody></table>
{% if brief.rejected_in_review %}<h2>Review appendix: claims rejected in review</h2><ul>
{% for r in brief.rejected_in_review %}<li><code>{{ r.claim_id }}</code> <bdi>{{ r.statement }}</bdi> (<bdi>{{ r.path }}</bdi>), rejected by <bdi>{{ r.reviewer }}</bdi> at {{ r.at }}{% if r.note %}: <bdi>{{ r.note }}</bdi>{% endif %}</li>{% endfor %}</ul>{% endif %}
<script>
(function () {
  var table = document.getElementById("citations");
  var body = table.tBodies[0];
  document.getElementById("filter").addEventListener("input", function (event) {
    var needle = event.target.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (row) {
      row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) === -1;
    });
  });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
    header.addEventListener("click", function () {
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = header.getAttribute("aria-sort") !== "ascending";
      rows.sort(function (a, b) {
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var order = isNaN(x) || isNaN(y) ? x.localeCompare(y) : x - y;
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    });
  });
  document.body.setAttribute("data-ready", "yes");
})();
</script>
</body></html>
"""


def to_html(brief: Brief) -> str:
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    row_of = {(r.claim_id, r.start, r.end): n for n, r in enumerate(brief.citations, start=1)}
    for section in brief.sections:  # a cited quote without its own row points at its claim's row
        for item in section.items:
            for c in item.citations:
                row_of.setdefault(
                    (c.claim_id, c.start, c.end),
                    next((n for (cid, _, _), n in row_of.items() if cid == c.claim_id), 1),
                )
    return environment.from_string(_HTML_TEMPLATE).render(
        brief=brief,
        notice=OFFLINE_NOTICE,
        row_of=row_of,
        source_paths={s.id: s.path for s in brief.sources},
    )
