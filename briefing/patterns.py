"""Regular expressions for long lists of literal words and names.

Python's `re` tries the branches of `a|b|c` one after another at every position of the
text, so an alternation of a gazetteer's thousand spellings costs a thousand tries per
character. The same strings as a trie (`Ma(?:cron|drid)`) cost one try per branching
letter, with the same matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_Trie = dict[str, "_Trie"]
_END = ""  # the key that marks the end of a string in the trie (no string's letter is "")


def literal_alternation(strings: Iterable[str]) -> str:
    """Pattern source for any of `strings`, as `|`.join of them longest first would match:
    where several start at one place, the longest that lets the rest of the pattern match.

    Empty strings are ignored; the result is "" when none is left. Callers matching with
    re.IGNORECASE should pass the strings in one case ("Paris" and "paris" would be two
    branches, each of which the other's text matches).
    """
    trie: _Trie = {}
    for string in strings:
        if not string:
            continue
        node = trie
        for letter in string:
            node = node.setdefault(letter, {})
        node[_END] = {}
    return _render(trie)


def _render(node: _Trie) -> str:
    """A node's continuations; a greedy `(?:...)?` tries them before it settles for the
    string that ends at the node, and backtracks to it when the rest of the pattern fails,
    which is the longest-first order. Branches start with different letters, so their
    order does not change what matches (they are sorted only to make the pattern stable)."""
    branches = [re.escape(letter) + _render(node[letter]) for letter in sorted(node) if letter]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "(?:" + body + ")?" if _END in node else body
