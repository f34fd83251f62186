"""Sentence splitting with offsets, guarded against pysbd's known wrong splits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

import pysbd

# pysbd splits after these even when the sentence goes on ("$5 bn. in aid", "9 a.m. on").
_GUARDED_ENDINGS = re.compile(
    r"(?:\b(?:a\.m|p\.m|bn|mn|m|tn|approx|est|No|Gen|Col|Lt|Sgt|Rep|Sen|Gov|St|Capt|Adm|Maj|Cpl"
    r"|Pres)\.|\b[A-Z]\.)\s*$"
)

# "at 10 a.m. Thursday", "at 3 p.m. GMT", "at 5 a.m. Kyiv time": the clock time goes on.
_AFTER_CLOCK_TIME = re.compile(
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March"
    r"|April|May|June|July|August|September|October|November|December"
    r"|(?:GMT|UTC|EST|EDT|CST|CDT|PST|PDT|CET|CEST|EET|EEST|BST|MSK|ET|PT|CT)\b"
    r"|[A-Z][a-z]+ time\b)"
)
# A title before a name: "Gen. Smith", "Sen. Warren" never ends a sentence.
_TITLE_END = re.compile(r"\b(?:Gen|Col|Lt|Sgt|Rep|Sen|Gov|Capt|Adm|Maj|Cpl|Pres)\.\s*$")
_CLOCK_TIME_END = re.compile(r"\b[ap]\.m\.\s*$", re.I)
# A line ending like this was cut mid-sentence even when the next line opens with a
# capital ("talks with\nPresident Macron").
_WRAPPED_ENDING = re.compile(
    r"(?:,|\b(?:the|a|an|of|to|and|or|but|with|by|for|in|on|at|as|from|that))\s*$"
)

_DATELINE_ONLY = re.compile(r"^\s*\([A-Za-z][\w .&-]{0,30}\)\s*$")


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int  # offsets into the text that was split
    end: int


# pysbd builds its abbreviation patterns as strings, a few per abbreviation found in the
# text, and leaves them to `re`'s cache of compiled patterns, which holds 512 and drops the
# oldest first: a paragraph needs about 800, in the same order every time, so every one was
# compiled again for every paragraph (62% of pysbd's time). A larger cache keeps them all.
RE_CACHE_SIZE = 4096


@cache
def _segmenter() -> pysbd.Segmenter:
    re._MAXCACHE = max(re._MAXCACHE, RE_CACHE_SIZE)  # type: ignore[attr-defined]
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


# pysbd's time grows with the square of the text it is given: 10,000 characters take
# 0.1 s, 50,000 take 2 s, a megabyte on one line many minutes. Real paragraphs are under
# 3,000 characters; a longer one is cut at sentence-like boundaries into pieces of at most
# this many before pysbd sees it, so its cost grows with the length, not its square.
MAX_PYSBD_CHARS = 5_000
# At most this many characters of one text are split (about 2 s of pysbd): news leads with
# its news, and past this a text is a dump, not an article; the rest would cost time only.
MAX_SPLIT_CHARS = 250_000
# A cheap sentence end for cutting pieces: final punctuation, maybe closing quotes, a space.
_CHEAP_BOUNDARY = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
_SPACE = re.compile(r"\s+")


def split_sentences(text: str, limit: int | None = None) -> list[Sentence]:
    """Sentences of each paragraph (blank-line or newline separated), with exact offsets.

    With `limit`, stop after about that many sentences (whole paragraphs, or whole pieces
    of an over-long one): splitting is the costly part, and a caller that reads an
    article's lead need not split all of it. Only the first MAX_SPLIT_CHARS characters
    are read.
    """
    if len(text) > MAX_SPLIT_CHARS:
        text = text[: _cut_point(text, 0, MAX_SPLIT_CHARS)]
    sentences: list[Sentence] = []
    for para_start, para in _paragraphs(text):
        if limit is not None and len(sentences) >= limit:
            break
        merged: list[tuple[int, int]] = []
        for piece_start, piece in _pieces(para):
            if limit is not None and len(sentences) + len(merged) >= limit:
                break
            # pysbd ends a sentence at a newline; inside a wrapped paragraph that is wrong.
            flat = piece.replace("\r", " ").replace("\n", " ")
            for span_start, span_end in _spans(flat):
                start, end = piece_start + span_start, piece_start + span_end
                if merged and _is_wrong_split(para[merged[-1][0] : merged[-1][1]], para[start:end]):
                    merged[-1] = (merged[-1][0], end)
                else:
                    merged.append((start, end))
        for start, end in merged:
            chunk = para[start:end]
            stripped = chunk.strip()
            if not stripped:
                continue
            lead = len(chunk) - len(chunk.lstrip())
            begin = para_start + start + lead
            sentences.append(Sentence(stripped, begin, begin + len(stripped)))
    return sentences


# Punctuation that may end a sentence inside a piece; a piece with none before its final
# full stops and spaces is one sentence, as pysbd would find, and pysbd need not see it.
# Quotes and parentheses are left to pysbd too: it splits off "(MENAFN) " and a closing quote.
_INNER_END = re.compile(r"[.!?;:\u2026()\"\u201c\u201d]")
_TAIL = re.compile(r"[.!?\s]*$")


@lru_cache(maxsize=8192)  # wire copies repeat whole paragraphs
def _spans(flat: str) -> tuple[tuple[int, int], ...]:
    """pysbd's sentence spans of one piece of a paragraph (newlines already flattened)."""
    tail = _TAIL.search(flat)
    body = flat[: tail.start()] if tail else flat
    if body.strip() and not _INNER_END.search(body):
        return ((len(flat) - len(flat.lstrip()), len(flat)),)
    return tuple((span.start, span.end) for span in _segmenter().segment(flat))


def _pieces(para: str) -> Iterator[tuple[int, str]]:
    """(offset, piece): the paragraph, or an over-long one cut into MAX_PYSBD_CHARS pieces."""
    start = 0
    while len(para) - start > MAX_PYSBD_CHARS:
        cut = _cut_point(para, start, MAX_PYSBD_CHARS)
        yield start, para[start:cut]
        start = cut
    yield start, para[start:]


def _cut_point(text: str, start: int, size: int) -> int:
    """Where to end a piece of at most `size` characters from `start`: after the last
    sentence-like end in it, else after its last space, else at `size`."""
    window = text[start : start + size]
    for pattern in (_CHEAP_BOUNDARY, _SPACE):
        end = max((match.end() for match in pattern.finditer(window)), default=0)
        if end:  # past `start`: every piece holds something
            return start + end
    return start + size


def _is_wrong_split(previous: str, following: str) -> bool:
    if _DATELINE_ONLY.match(previous):
        return True  # "(MENAFN)" opens the sentence that follows it
    if not _GUARDED_ENDINGS.search(previous):
        return False
    first = following.lstrip()[:1]
    # A lower-case word or a digit cannot open a sentence; an initial followed by a
    # capitalised surname ("John F. Kennedy") is a name, not a boundary.
    if first.islower() or first.isdigit():
        return True
    if _TITLE_END.search(previous) and first.isupper():
        return True
    if _CLOCK_TIME_END.search(previous) and _AFTER_CLOCK_TIME.match(following.lstrip()):
        return True
    return bool(re.search(r"\b[A-Z]\.\s*$", previous)) and bool(
        re.match(r"[A-Z][a-z]+\b", following.lstrip())
    )


_SENTENCE_OR_CLAUSE_END = re.compile(r"[.!?:;\"”’)\]]\s*$")
# A text is hard-wrapped when this many lines end mid-sentence at about one width.
MIN_WRAPPED_LINES = 3


def _wrap_fill(text: str, lines: list[tuple[int, int]]) -> int | None:
    """The length from which a line counts as filled to a hard-wrapped text's width, or
    None when the text is not hard-wrapped (its lines are paragraphs)."""
    open_lengths = sorted(
        end - start
        for start, end in lines
        if not _SENTENCE_OR_CLAUSE_END.search(text[start:end]) and end - start >= 40
    )
    if len(open_lengths) < MIN_WRAPPED_LINES:
        return None
    width = open_lengths[int(len(open_lengths) * 0.9)]
    # Wrapped lines cluster just under the width; paragraphs would spread far past it.
    close = [n for n in open_lengths if width - 25 <= n <= width]
    if width > 160 or len(close) < MIN_WRAPPED_LINES:
        return None
    return width - 25


def _paragraphs(text: str) -> Iterator[tuple[int, str]]:
    """Lines, except that a hard-wrapped line continues into the next one.

    A line is a paragraph on its own when it ends a sentence or the next line opens
    one; otherwise (no final punctuation, next line starts lower-case) it was wrapped.
    A line ending with a comma or a word such as "the" was wrapped whatever follows.
    """
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]+", text)]
    fill = _wrap_fill(text, lines)
    start: int | None = None
    for index, (line_start, line_end) in enumerate(lines):
        if start is None:
            start = line_start
        following = lines[index + 1] if index + 1 < len(lines) else None
        line = text[line_start:line_end]
        wrapped = (
            following is not None
            and not _SENTENCE_OR_CLAUSE_END.search(line)
            and (
                text[following[0] : following[0] + 1].islower()
                or bool(_WRAPPED_ENDING.search(line))
                # In a hard-wrapped text a line filled to the width was cut, whatever
                # the next line opens with ("...voters backed\nPresident Reyes, ...").
                or (fill is not None and len(line.rstrip()) >= fill)
            )
            and "\n\n" not in text[line_end : following[0]].replace("\r", "")
        )
        if not wrapped:
            yield start, text[start:line_end]
            start = None


@dataclass(frozen=True)
class NumberedSentence:
    """A sentence as a reader cites it: its number (from 1), where it is, how it reads."""

    number: int
    start: int  # offsets into the text that was split
    end: int
    text: str  # whitespace collapsed to single spaces: one line
    opens_paragraph: bool


def number_sentences(text: str) -> list[NumberedSentence]:
    """The text's sentences numbered from 1, each marked when a new paragraph (line) opens."""
    sentences = split_sentences(text)
    numbered = []
    for index, sentence in enumerate(sentences):
        gap = text[sentences[index - 1].end : sentence.start] if index else "\n"
        numbered.append(
            NumberedSentence(
                index + 1,
                sentence.start,
                sentence.end,
                " ".join(sentence.text.split()),
                "\n" in gap or "\r" in gap,
            )
        )
    return numbered
