"""Whether a text says no more than the text it rests on.

Two callers: a claim's statement against the article sentences it cites
(llm/extract), and a composed sentence against the claims it cites (llm/compose).
Each check returns a reason an LLM can act on, or None. What the checks know of
English (negation, stance and hedge words) is lexicon data; the checks are mechanisms:

- numbers: every number in the text is in its source ("25,000" is not "30,000");
- names: every name the text gives is in its source;
- stance: the text does not turn its source's refusal into support, or the reverse
  ("welcomed NATO forces" against "would not accept NATO forces");
- hedges: a source's "reportedly", "allegedly" or "may" is kept, not stated as fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from briefing.grounding import numbers_in
from briefing.lexicon import Lexicon, active, canonical_outlet, find_labels, find_people

# A negation this many words before a stance word reverses it ("would not accept").
NEGATION_REACH_WORDS = 3
# Capitalised word runs that are names ("Jane Roe", "Vell Water Board"), not at the start.
_NAME_RUN = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?: [A-Z][a-z]+)+")
_WORD = re.compile(r"[\w'’-]+")
# A hedge governs the first of this many words after it that is not an auxiliary.
GOVERNED_REACH_WORDS = 4
# Words compared by their first letters: "abandon", "abandoned", "abandoning".
STEM_CHARS = 6
# English auxiliaries and adverbs that stand between a hedge and the word it governs
# ("may also be sent", "has reportedly been abandoned"): grammar, not knowledge.
_AUXILIARIES = frozenset(
    "be been being have has had is are was were also still yet even already soon now"
    " then further eventually ultimately well to the a an".split()
)
_DASH_BEFORE_NAME = re.compile(r"\s*[\u2012-\u2015]\s*")


@dataclass(frozen=True)
class Stance:
    sign: int  # +1 support, acceptance; -1 refusal, rejection
    phrase: str  # the words read, with any negation before them: "would not accept"


def missing_numbers(text: str, source: str) -> list[str]:
    """Numbers of `text` that `source` lacks, as canonical strings."""
    return sorted(set(numbers_in(text)) - set(numbers_in(source)))


def missing_names(
    text: str, source: str, lexicon: Lexicon | None = None, allowed: Iterable[str] = ()
) -> list[str]:
    """Names in `text` that `source` does not give (by any spelling the lexicon knows).

    People are known by the text itself: "Jane Roe said" names Jane Roe. A caller that
    knows the article passes a lexicon that already has its people.
    """
    lexicon = lexicon or active()
    lexicon = lexicon.with_entities(find_people(text, lexicon))
    known = lexicon.known_actors
    # "the Baltic states—Estonia": a dash between two names is not part of either.
    text, source = _DASH_BEFORE_NAME.sub(" - ", text), _DASH_BEFORE_NAME.sub(" - ", source)
    missing = set(known(text)) - set(known(source)) - set(allowed)
    for name in _NAME_RUN.findall(text):
        if name not in source and not known(name):
            missing.add(name)
    # Outlets are names too: "the Telegraph reported" needs a source that says so.
    cited_outlets = {canonical_outlet(outlet) for outlet in lexicon.outlets_in(source)}
    allowed_outlets = {canonical_outlet(name) for name in allowed}
    for outlet in lexicon.outlets_in(text):
        if canonical_outlet(outlet) not in cited_outlets | allowed_outlets:
            missing.add(outlet)
    return sorted(missing)


def stances(text: str, lexicon: Lexicon | None = None) -> list[Stance]:
    """Support and refusal words in the text, each reversed by a negation shortly before it
    ("not accept") or, for support, by a refusal that governs it ("declined to back")."""
    lexicon = lexicon or active()
    text = lexicon.without_names(text)
    found = []
    for regex, sign in ((lexicon.positive_regex, 1), (lexicon.negative_regex, -1)):
        for match in regex.finditer(text):
            before = _WORD.findall(text[: match.start()])[-NEGATION_REACH_WORDS:]
            negated = bool(lexicon.negation_regex.search(" ".join(before)))
            governed = (
                sign == 1
                and len(before) >= 2
                and before[-1].lower() == "to"
                and bool(lexicon.negative_regex.fullmatch(before[-2]))
            )
            reversed_ = negated or governed
            phrase = " ".join([*before, match.group(0)]) if reversed_ else match.group(0)
            found.append(Stance(-sign if reversed_ else sign, phrase))
    return found


def reversed_stance(
    text: str, source: str, lexicon: Lexicon | None = None
) -> tuple[Stance, Stance] | None:
    """(the text's stance, the source's) when the text supports what its source only
    refuses, or refuses what it only supports; else None."""
    lexicon = lexicon or active()
    # A name the source gives in quotes ("the so-called 'ready group'") is a name in
    # the text too, where it may stand without them: its words are not a stance.
    lexicon = lexicon.with_entities(find_labels(source, lexicon))
    said = stances(source, lexicon)
    signs = {stance.sign for stance in said}
    for stance in stances(text, lexicon):
        if stance.sign not in signs and -stance.sign in signs:
            return stance, next(s for s in said if s.sign == -stance.sign)
    return None


def hedge_markers(text: str, regex: re.Pattern[str]) -> list[re.Match[str]]:
    """The hedge words of `text` that `regex` finds, leaving out names: a capitalised
    word inside a sentence ("in May", "Theresa May") is not a hedge."""
    found = []
    for match in regex.finditer(text):
        opens_sentence = match.start() == 0 or bool(
            re.search(r"[.!?:;\"“‘(]\s*$", text[max(0, match.start() - 3) : match.start()])
        )
        if match.group(0)[0].isupper() and not opens_sentence:
            continue
        found.append(match)
    return found


def governed_word(source: str, marker: re.Match[str]) -> re.Match[str] | None:
    """The word a hedge governs: the first after it that is not an auxiliary or a
    negation ("could be deployed" -> "deployed"), or None at the end of the text."""
    words = _WORD.finditer(source, marker.end(), min(len(source), marker.end() + 80))
    for _, word in zip(range(GOVERNED_REACH_WORDS), words, strict=False):
        text = word.group(0)
        if text.lower() not in _AUXILIARIES and not active().negation_regex.fullmatch(text):
            return word
    return None


def dropped_hedge(text: str, source: str, lexicon: Lexicon | None = None) -> tuple[str, str] | None:
    """(kind, the source's words) when the text repeats what a hedge of its source
    governs and keeps no word of that kind: "has reportedly been abandoned" stated as
    "has been abandoned". A text that leaves the hedged words out drops nothing, nor
    does one that may repeat them from where the source says them unhedged."""
    lexicon = lexicon or active()
    repeated = {_stem(word.group(0)) for word in _WORD.finditer(text)}
    for kind, markers, keepers in lexicon.hedge_regexes:
        if hedge_markers(text, keepers):
            continue
        hedged = [
            (marker, governed_word(source, marker)) for marker in hedge_markers(source, markers)
        ]
        governed_at = {word.start() for _, word in hedged if word is not None}
        unhedged = {
            _stem(word.group(0))
            for word in _WORD.finditer(source)
            if word.start() not in governed_at
        }
        for marker, word in hedged:
            if word is None:  # a hedge at the very end governs the whole text
                return kind, marker.group(0)
            stem = _stem(word.group(0))
            if stem in repeated and stem not in unhedged:
                return kind, f"{marker.group(0)} ... {word.group(0)}"
    return None


def _stem(word: str) -> str:
    return word.lower()[:STEM_CHARS]


def unsupported_by(
    text: str,
    source: str,
    *,
    lexicon: Lexicon | None = None,
    allowed_names: Iterable[str] = (),
    sources: str = "its sources",
    hedge_remedy: str = "keep that hedge rather than state it as fact",
) -> str | None:
    """Why `text` says more than `source` (numbers, names, stance, hedges), or None.

    `sources` names the source in the reason ("the cited sentences", "the cited
    claims"); `hedge_remedy` says what to do about a dropped hedge.
    """
    lexicon = lexicon or active()
    numbers = missing_numbers(text, source)
    if numbers:
        return f"numbers not in {sources}: {', '.join(numbers)}"
    names = missing_names(text, source, lexicon, allowed_names)
    if names:
        return f"names not in {sources}: {', '.join(names)}"
    if len(lexicon.negation_regex.findall(text)) > len(lexicon.negation_regex.findall(source)):
        return f"it negates what {sources} say: it has a 'not' they lack"
    reversal = reversed_stance(text, source, lexicon)
    if reversal:
        mine, theirs = reversal
        return f"it says {mine.phrase!r} where {sources} say {theirs.phrase!r}"
    hedge = dropped_hedge(text, source, lexicon)
    if hedge:
        kind, word = hedge
        return f"{sources} say {word!r} ({kind}): {hedge_remedy}"
    return None
