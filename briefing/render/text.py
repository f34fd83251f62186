"""Untrusted text made safe to show: control characters as visible escapes, and Markdown
that cannot change a table or inject markup."""

from __future__ import annotations

import re

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


def md_escape(text: str) -> str:
    """Neutralise Markdown, HTML and control characters in untrusted text without
    changing its words."""
    text = " ".join(text.split())
    for char in "\\`*_[]|#":
        text = text.replace(char, "\\" + char)
    # Entities rather than backslashes: every Markdown renderer shows them as text.
    return escape_controls(text.replace("<", "&lt;").replace(">", "&gt;"))
