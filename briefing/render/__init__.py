"""Rendering a Brief as Markdown, JSON, HTML, and its citation table as a table, Markdown,
CSV, JSON or tab-separated text.

Every format keys a quoted passage the same way, "S.Q" (source S, its Q-th passage: see
`briefing.quotes`): the marker [4.2] in the text, row [4.2] of the table, `key` in the JSON.

Article text is untrusted: Markdown escapes the characters that would change the
table or inject markup, and HTML goes through Jinja's autoescaping and isolates
bidirectional text (<bdi>), so that a right-to-left override in an outlet cannot
reverse the dates beside it. Control characters (an ESC sequence would drive the
reader's terminal) are written as visible escapes in Markdown, CSV and tab-separated
text; CSV cells cannot start a formula. JSON keeps every quote verbatim: what a control
character becomes there is a JSON escape, the same text once parsed.
"""

from __future__ import annotations

import json

from briefing.quotes import keyed
from briefing.render.html import to_html
from briefing.render.markdown import OFFLINE_NOTICE, corroboration, to_markdown
from briefing.render.tables import (
    citation_table_rows,
    citations_csv,
    citations_json,
    citations_markdown,
    citations_tsv,
)
from briefing.render.text import escape_controls
from briefing.schemas import Brief

__all__ = [
    "OFFLINE_NOTICE",
    "citation_table_rows",
    "citations_csv",
    "citations_json",
    "citations_markdown",
    "citations_tsv",
    "corroboration",
    "escape_controls",
    "to_html",
    "to_json",
    "to_markdown",
]


def to_json(brief: Brief) -> str:
    """The JSON contract, keyed as the Markdown and HTML are."""
    return json.dumps(keyed(brief).model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
