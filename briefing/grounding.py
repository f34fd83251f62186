"""Grounding: every quote must stand verbatim in its article, and every claim must rest on its quotes.

Rules:
- a quote is accepted only where it occurs in the article's cleaned text after
  normalising whitespace, curly quotes and dashes; its offsets are recorded in the
  raw text, and the citation carries the raw text at those offsets, never the
  caller's spelling of it;
- fuzzy matching may propose a span, but a span whose numbers or negations differ
  from the quote is never accepted ("was agreed" is not "was not agreed");
- every number in a claim's statement must appear in its evidence.

Searching the cleaned text (not the raw file) is what keeps quotes out of banners,
disclaimers and the second copy of a duplicated body.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property

from rapidfuzz import fuzz

from briefing.lexicon import active
from briefing.patterns import literal_alternation
from briefing.schemas import Article, Evidence

# A fuzzy candidate must be this similar (0-100) to the normalised quote.
FUZZY_MIN_SCORE = 94.0
# ...and about as long: a short quote must not stretch over a longer, different span.
FUZZY_MAX_LENGTH_RATIO = 1.15
# Two words this similar (0-100) differ by a typo; less similar, they are different words.
TYPO_MIN_SCORE = 80.0
# Quotes shorter than this are too ambiguous to support a claim.
MIN_QUOTE_CHARS = 12

_QUOTE_CHARS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
}
_DASH_CHARS = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
_CHAR_MAP = {**_QUOTE_CHARS, **_DASH_CHARS, "\u00a0": " ", "\u2009": " ", "\u202f": " "}

_NUMBER_WORDS = {
    "zero": 0,
    # "one" is left out: "one of the most effective means" is not a figure.
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "dozen": 12,
}


NUMBER_WORDS = frozenset(_NUMBER_WORDS)


_NUMBER_RE = re.compile(
    r"\d[\d,]*(?:\.\d+)?|\b(?:" + literal_alternation(_NUMBER_WORDS) + r")\b", re.I
)
_MAGNITUDES = {
    "thousand": 3,
    "million": 6,
    "mn": 6,
    "m": 6,
    "billion": 9,
    "bn": 9,
    "trillion": 12,
    "tn": 12,
    "percent": -2,
    "per cent": -2,
    "%": -2,
}
_MAGNITUDE_RE = re.compile(
    r"\s*(thousand|million|billion|trillion|per cent|percent|mn|bn|tn|m|%)(?![a-z])", re.I
)
# A fuzzy match that only adds one of these to a word reverses it ("agreed" -> "disagreed").
_NEGATING_PREFIXES = ("dis", "un", "non", "non-", "in", "im", "il", "ir")


_CHAR_TABLE = str.maketrans(_CHAR_MAP)
# Whitespace that normalising changes: a run of two or more, or one that is not a space
# (\s is exactly what str.isspace calls whitespace).
_IRREGULAR_SPACE_RE = re.compile(r"\s{2,}|[^\S ]")


@dataclass(frozen=True)
class NormalisedText:
    """Text with quotes, dashes and whitespace folded, and a map back to the original."""

    text: str
    folded: str = field(repr=False)  # the original with quotes and dashes folded

    @cached_property
    def origin(self) -> list[int]:
        """origin[i] = index in the original text of normalised char i.

        Built on first use (most normalised texts are only compared), run by run: folding
        keeps every offset, so only the whitespace runs that collapse into one space (at
        the run's first character) shift the map.
        """
        folded = self.folded
        start = len(folded) - len(folded.lstrip())
        end = len(folded.rstrip())
        origin: list[int] = []
        kept_from = start
        for run in _IRREGULAR_SPACE_RE.finditer(folded, start, max(start, end)):
            origin += range(kept_from, run.start())
            origin.append(run.start())
            kept_from = run.end()
        origin += range(kept_from, end)
        return origin

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> NormalisedText:
    """Quotes and dashes folded, each run of whitespace one space, the ends trimmed."""
    folded = text.translate(_CHAR_TABLE)
    # str.split() splits on exactly what str.isspace calls whitespace, at C speed.
    return NormalisedText(" ".join(folded.split()), folded)


def normalised_text(text: str) -> str:
    """`normalise(text).text` without the offset map, at C speed (str.split splits on what
    str.isspace calls whitespace): for comparing texts, not for locating quotes."""
    return " ".join(text.translate(_CHAR_TABLE).split())


def numbers_in(text: str) -> list[str]:
    """Numbers as canonical strings: "25,000" -> "25000", "six" -> "6", "3.5 billion" -> "3.5e9".

    A magnitude word belongs to its number: "3.5 million" is not "3.5 billion".
    """
    found = []
    for match in _NUMBER_RE.finditer(text):
        token = match.group(0).lower()
        number = (
            str(_NUMBER_WORDS[token])
            if token in _NUMBER_WORDS
            else token.replace(",", "").rstrip(".")
        )
        magnitude = _MAGNITUDE_RE.match(text, match.end())
        if magnitude:
            number += "e" + str(_MAGNITUDES[magnitude.group(1).lower()])
        found.append(number)
    return found


def negations_in(text: str) -> int:
    """How many negation words (the lexicon's `negations`, and "n't") the text has."""
    return len(active().negation_regex.findall(text))


class GroundingFailure(ValueError):
    """A quote or claim that cannot be grounded; the message is sent back to an LLM as is."""


@dataclass(frozen=True)
class GroundedQuote:
    evidence: Evidence
    method: str  # "exact", "normalised" or "fuzzy"


def ground_quote(
    quote: str,
    article: Article,
    near: int | None = None,
    within: tuple[int, int] | None = None,
) -> GroundedQuote:
    """Locate a quote in the article's cleaned text and return it as raw-text evidence.

    With `within` (offsets in the cleaned text, e.g. the sentences a claim cites), the
    quote must lie inside that span. Raises GroundingFailure with a reason an LLM can
    act on.
    """
    wanted = normalise(quote)
    if len(wanted.text) < MIN_QUOTE_CHARS:
        raise GroundingFailure(f"quote too short to check: {quote!r}")
    clean = _normalised_clean_text(article)
    # The searched window, in normalised offsets: all of it, or the cited span.
    low, high = 0, len(clean.text)
    if within is not None:
        low, high = bisect_left(clean.origin, within[0]), bisect_left(clean.origin, within[1])
    window = clean.text[low:high]
    where = "in the cited sentences" if within is not None else "in the article"
    spans = [(start + low, end + low) for start, end in _all_occurrences(window, wanted.text)]
    method = "normalised"
    if not spans:
        spans = [(start + low, end + low) for start, end in _fuzzy_candidate(window, wanted.text)]
        method = "fuzzy"
        if not spans:
            raise GroundingFailure(f"quote not found verbatim {where}: {quote!r}")

    def distance(span: tuple[int, int]) -> int:
        # `near` is an offset in the cleaned text (a sentence's start), so compare it with
        # the span's position there, not in the whitespace-collapsed normalised text.
        return abs(clean.origin[span[0]] - near) if near is not None else span[0]

    # An occurrence that crosses removed text is no evidence, but another one may be.
    for start, end in sorted(spans, key=distance):
        if method == "fuzzy":
            _check_same_meaning(wanted.text, clean.text[start:end], quote)
        clean_start, clean_end = clean.original_span(start, end)
        raw = article.raw_span(clean_start, clean_end)
        if raw is None:
            continue
        raw_start, raw_end = raw
        verbatim = article.raw_text[raw_start:raw_end]
        if method == "normalised" and verbatim == quote:
            method = "exact"
        return GroundedQuote(Evidence(quote=verbatim, start=raw_start, end=raw_end), method)
    raise GroundingFailure(f"quote joins text from separate passages: {quote!r}")


def span_evidence(article: Article, clean_start: int, clean_end: int) -> list[Evidence]:
    """A span of the cleaned text (a cited sentence) as raw-text evidence: one quote, or
    one per passage where cleaning joined text that is apart in the raw file."""
    evidence = []
    for segment in article.segments:
        start = max(clean_start, segment.clean_start)
        end = min(clean_end, segment.clean_start + segment.length)
        piece = article.text[start:end]
        if end <= start or not piece.strip():
            continue
        start += len(piece) - len(piece.lstrip())
        end -= len(piece) - len(piece.rstrip())
        offset = segment.raw_start - segment.clean_start
        quote = article.raw_text[start + offset : end + offset]
        evidence.append(Evidence(quote=quote, start=start + offset, end=end + offset))
    return evidence


def check_statement_numbers(statement: str, evidence: list[Evidence]) -> None:
    """Every number in a statement must appear in its evidence."""
    available = set()
    for item in evidence:
        available.update(numbers_in(item.quote))
    missing = [n for n in numbers_in(statement) if n not in available]
    if missing:
        raise GroundingFailure(
            f"statement has numbers not found in its quotes: {', '.join(sorted(set(missing)))}"
        )


def ground_claim(statement: str, quotes: list[str], article: Article) -> list[Evidence]:
    """Ground every quote of a claim and check its statement against them."""
    if not quotes:
        raise GroundingFailure("a claim needs at least one quote")
    evidence = [ground_quote(quote, article).evidence for quote in quotes]
    check_statement_numbers(statement, evidence)
    if negations_in(statement) > sum(negations_in(e.quote) for e in evidence):
        raise GroundingFailure("statement negates what its quotes say: it has a 'not' they lack")
    return evidence


def verify_evidence(evidence: Evidence, raw_text: str) -> bool:
    """The citation contract: the quote is the raw text at its offsets."""
    return 0 <= evidence.start < evidence.end <= len(raw_text) and (
        raw_text[evidence.start : evidence.end] == evidence.quote
    )


_clean_cache: dict[str, NormalisedText] = {}


def _normalised_clean_text(article: Article) -> NormalisedText:
    # Articles are immutable once loaded, and one article is grounded many times. Keyed by
    # the text itself: a content hash is only as unique as whoever built the Article made it.
    key = article.text
    cached = _clean_cache.get(key)
    if cached is None:
        if len(_clean_cache) > 256:
            _clean_cache.clear()
        cached = _clean_cache[key] = normalise(article.text)
    return cached


def _all_occurrences(haystack: str, needle: str) -> list[tuple[int, int]]:
    """Occurrences that do not start or end inside a word or number.

    "12 soldiers" inside "112 soldiers", or "agreed" inside "disagreed", is a different statement.
    """
    spans = []
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        cuts_before = needle[0].isalnum() and start > 0 and haystack[start - 1].isalnum()
        cuts_after = needle[-1].isalnum() and end < len(haystack) and haystack[end].isalnum()
        # "5 million" inside "1.5 million", "000 troops" inside "25,000 troops".
        cuts_before = cuts_before or (
            needle[0].isdigit()
            and start > 1
            and haystack[start - 1] in ".,"
            and haystack[start - 2].isdigit()
        )
        cuts_after = cuts_after or (
            needle[-1].isdigit()
            and end + 1 < len(haystack)
            and haystack[end] in ".,"
            and haystack[end + 1].isdigit()
        )
        if not (cuts_before or cuts_after):
            spans.append((start, end))
        start = haystack.find(needle, start + 1)
    return spans


def _fuzzy_candidate(haystack: str, needle: str) -> list[tuple[int, int]]:
    alignment = fuzz.partial_ratio_alignment(needle, haystack, score_cutoff=FUZZY_MIN_SCORE)
    if alignment is None:
        return []
    start, end = alignment.dest_start, alignment.dest_end
    length_ratio = max(end - start, len(needle)) / max(1, min(end - start, len(needle)))
    if length_ratio > FUZZY_MAX_LENGTH_RATIO:
        return []
    start, end = _widen_to_words(haystack, start, end)
    # The alignment may begin or end on a space; a citation should not.
    while start < end and haystack[start] == " ":
        start += 1
    while end > start and haystack[end - 1] == " ":
        end -= 1
    return [(start, end)] if start < end else []


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow a span to whole words and whole numbers ("5" inside "1.5" becomes "1.5")."""

    def inside_number(i: int) -> bool:
        return (
            text[i] in ".,"
            and 0 < i < len(text) - 1
            and text[i - 1].isdigit()
            and text[i + 1].isdigit()
        )

    while start > 0 and (text[start - 1].isalnum() or inside_number(start - 1)):
        start -= 1
    while end < len(text) and (text[end].isalnum() or inside_number(end)):
        end += 1
    return start, end


def _check_same_meaning(wanted: str, candidate: str, quote: str) -> None:
    if sorted(numbers_in(wanted)) != sorted(numbers_in(candidate)):
        raise GroundingFailure(
            f"quote not found verbatim; the closest passage has different numbers: {quote!r}"
        )
    if negations_in(wanted) != negations_in(candidate) or _negated_word(wanted, candidate):
        raise GroundingFailure(
            f"quote not found verbatim; the closest passage differs in negation: {quote!r}"
        )
    swapped = _swapped_words(wanted, candidate)
    if swapped:
        raise GroundingFailure(
            f"quote not found verbatim; the closest passage says {swapped[1]!r} where the quote"
            f" says {swapped[0]!r}: {quote!r}"
        )


def _swapped_words(wanted: str, candidate: str) -> tuple[str, str] | None:
    """A whole word replaced by another ("increased" for "decreased", "rejected" for
    "accepted"): a typo changes a letter or two, a different word changes the meaning."""
    a = re.findall(r"[\w'-]+", wanted.lower())
    b = re.findall(r"[\w'-]+", candidate.lower())
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for x, y in zip(a[i1:i2], b[j1:j2], strict=False):
            if fuzz.ratio(x, y) < TYPO_MIN_SCORE:
                return x, y
        if tag != "replace" and any(len(w) > 3 for w in a[i1:i2] + b[j1:j2]):
            return " ".join(a[i1:i2]) or "nothing", " ".join(b[j1:j2]) or "nothing"
    return None


def _negated_word(wanted: str, candidate: str) -> bool:
    """Whether a word differs only by a negating prefix ("agreed" / "disagreed")."""
    a = re.findall(r"[\w'-]+", wanted.lower())
    b = re.findall(r"[\w'-]+", candidate.lower())
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for x in a[i1:i2]:
            for y in b[j1:j2]:
                longer, shorter = (x, y) if len(x) > len(y) else (y, x)
                if (
                    len(shorter) >= 4
                    and longer.endswith(shorter)
                    and longer[: -len(shorter)] in _NEGATING_PREFIXES
                ):
                    return True
    return False
