"""`briefing citations`: the brief's rows (one per finding, claim and quote, each with
its review decision) as Markdown, CSV, JSON, tab-separated text or a terminal table.

The first column is the quote's key ("4.2"), the marker the brief shows: two rows with
one key are one passage backing two claims, each reviewed on its own.
"""

from __future__ import annotations

import csv
import io
import json

from briefing.render.text import escape_controls, md_escape
from briefing.schemas import CitationRow

TABLE_HEADERS = [
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
        row.key or str(number),
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
    headers = TABLE_HEADERS if decisions is not None else TABLE_HEADERS[:-1]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    for number, row in enumerate(rows, start=1):
        cells = _row_cells(number, row, decisions)
        # The quote cell holds the quote alone: marks around it would double its own.
        for column in (3, 4, 6):
            cells[column] = md_escape(cells[column])
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
            "key",  # last, so that the columns before it keep their places
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
            row.key or "",
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
    return TABLE_HEADERS, [
        _row_cells(n, row, decisions or {}) for n, row in enumerate(rows, start=1)
    ]
