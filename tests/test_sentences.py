"""Sentence splitting: pysbd's wrong splits are merged and offsets stay exact."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from briefing import sentences
from briefing.sentences import Sentence, split_sentences


def texts(text: str) -> list[str]:
    result = split_sentences(text)
    assert_exact(text, result)
    return [s.text for s in result]


def assert_exact(text: str, result: list[Sentence]) -> None:
    """Offsets are exact, in order, disjoint, and every visible character is in a sentence."""
    covered = [False] * len(text)
    previous_end = 0
    for sentence in result:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
        assert sentence.start >= previous_end
        previous_end = sentence.end
        for index in range(sentence.start, sentence.end):
            covered[index] = True
    lost = [c for c, seen in zip(text, covered, strict=True) if not seen and not c.isspace()]
    assert not lost, f"characters in no sentence: {''.join(lost)!r}"


# --- pysbd's wrong splits ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The vote is set for 10 a.m. Thursday in Brussels.",
        "The strike hit at 3 a.m. Kyiv time on Friday.",
        "Sirens sounded at 4 p.m. GMT near the port.",
        "Shelling started at 5 a.m. and went on for hours.",
        "The EU pledged $5 bn. in aid to the region.",
        "It cost $2.5 bn. in total, said the minister.",
        "It cost 40 mn. dollars.",
        "A speech by John F. Kennedy was quoted at length.",
        "He met H. R. McMaster in Washington.",
    ],
)
def test_abbreviations_and_initials_do_not_end_a_sentence(text: str) -> None:
    assert texts(text) == [text]


def test_real_boundaries_after_abbreviations_are_kept() -> None:
    assert texts("The EU pledged $5 bn. Ministers welcomed it.") == [
        "The EU pledged $5 bn.",
        "Ministers welcomed it.",
    ]
    assert texts("Shelling started at 5 a.m. Residents fled to shelters.") == [
        "Shelling started at 5 a.m.",
        "Residents fled to shelters.",
    ]
    assert texts("A speech by John F. Kennedy was quoted. It drew applause.") == [
        "A speech by John F. Kennedy was quoted.",
        "It drew applause.",
    ]


def test_us_followed_by_a_new_sentence_is_split_or_merged_but_exact() -> None:
    # pysbd splits here; the initials guard ("S." then a capitalised word) merges it back
    # today. Either is acceptable: "U.S." followed by a capital is ambiguous
    # ("the U.S. Senate" must stay whole), and a merged sentence is still a true quote.
    text = "Talks were held in the U.S. The president attended."
    assert texts(text) in (
        [text],
        ["Talks were held in the U.S.", "The president attended."],
    )
    assert texts("The U.S. Senate voted on Monday.") == ["The U.S. Senate voted on Monday."]


@dataclass
class _Span:
    start: int
    end: int


class _SplitAfter:
    """A stand-in for pysbd that splits after each marker, as pysbd sometimes does."""

    def __init__(self, *markers: str) -> None:
        self.markers = markers

    def segment(self, text: str) -> list[_Span]:
        cuts = sorted(text.index(marker) + len(marker) for marker in self.markers if marker in text)
        bounds = [0, *cuts, len(text)]
        return [_Span(a, b) for a, b in itertools.pairwise(bounds) if a < b]


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("President John F. Kennedy visited Berlin in 1963.", "F. "),
        ("The meeting began at 9 a.m. on Tuesday.", "a.m. "),
        ("The meeting began at 9 a.m. Tuesday in Geneva.", "a.m. "),
        ("(MENAFN) A proposal to extend the truce was tabled.", "(MENAFN) "),
        ("Gen. Smith arrived in the capital on Monday.", "Gen. "),
    ],
)
def test_guard_merges_wrong_splits_whatever_pysbd_version(
    monkeypatch: pytest.MonkeyPatch, text: str, marker: str
) -> None:
    monkeypatch.setattr(sentences, "_segmenter", lambda: _SplitAfter(marker))
    assert texts(text) == [text]


def test_guard_keeps_a_real_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentences, "_segmenter", lambda: _SplitAfter("attended. "))
    assert texts("The president attended. Officials left.") == [
        "The president attended.",
        "Officials left.",
    ]


def test_menafn_dateline_opens_the_first_sentence() -> None:
    text = "(MENAFN) A proposal to extend the truce was tabled on Monday. It was rejected."
    assert texts(text) == [
        "(MENAFN) A proposal to extend the truce was tabled on Monday.",
        "It was rejected.",
    ]


# --- lines and paragraphs ---------------------------------------------------------------


def test_hard_wrapped_lines_join_and_a_headline_stays_separate() -> None:
    text = (
        "Ceasefire talks resume in Geneva\n"
        "The delegations arrived on Sunday, officials said.\n"
        "The talks were described as\n"
        "contentious by several diplomats. A vote is due."
    )
    assert texts(text) == [
        "Ceasefire talks resume in Geneva",
        "The delegations arrived on Sunday, officials said.",
        "The talks were described as\ncontentious by several diplomats.",
        "A vote is due.",
    ]


def test_wrapped_line_before_a_capitalised_name_joins() -> None:
    text = "Macron held talks with\nPresident Zelensky on Monday, aides said."
    assert texts(text) == [text]
    text = "Troops, tanks and\r\nartillery were moved,\r\nUkrainian officials said."
    assert texts(text) == [text]


def test_blank_line_always_separates() -> None:
    assert texts("Macron held talks with\n\nPresident Zelensky on Monday.") == [
        "Macron held talks with",
        "President Zelensky on Monday.",
    ]


def test_crlf_paragraphs_and_wraps() -> None:
    text = "He said that the talks were \r\nproductive.\r\nA second paragraph\r\nfollows here."
    assert texts(text) == [
        "He said that the talks were \r\nproductive.",
        "A second paragraph\r\nfollows here.",
    ]


def test_offsets_exact_in_a_messy_article() -> None:
    text = (
        "  Leaders meet in Paris\n\n"
        "Hello there.  Hello there. Hello there.\n"
        "(MENAFN) The EU pledged $5 bn. in aid at 9 a.m. on Monday, said John F. Kennedy Jr.\r\n"
        "\u201cWe will not stop,\u201d he said. Then he left.\n\n\n"
        "Officials in the U.S. and the U.K. disagreed\n"
        "about the next steps? Yes! Perhaps...   Later.\n"
    )
    result = split_sentences(text)
    assert_exact(text, result)
    assert [s.text for s in result][:4] == [
        "Leaders meet in Paris",
        "Hello there.",
        "Hello there.",
        "Hello there.",
    ]
    assert sum(s.text == "Hello there." for s in result) == 3
    assert any(
        s.text.startswith("(MENAFN) The EU pledged $5 bn. in aid at 9 a.m. on") for s in result
    )


def test_empty_and_blank_text() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\r\n  \n") == []


def test_one_sentence_pieces_skip_pysbd_and_split_as_it_would() -> None:
    """The fast path (a piece with no inner sentence end) gives pysbd's own spans, on every
    paragraph of the seeds and the development corpus."""
    from pathlib import Path

    from briefing.sentences import _paragraphs, _pieces, _segmenter, _spans

    root = Path(__file__).resolve().parent.parent
    files = [*root.glob("seeds/*"), *root.glob("bench/devcorpus/*/pages/*")]
    pieces = [
        piece.replace("\r", " ").replace("\n", " ")
        for path in files
        for _, para in _paragraphs(path.read_text(encoding="utf-8", errors="replace"))
        for _, piece in _pieces(para)
    ]
    assert len(pieces) > 300
    for flat in pieces:
        assert _spans(flat) == tuple((s.start, s.end) for s in _segmenter().segment(flat)), flat


def test_pysbd_compiles_its_patterns_once_not_for_every_paragraph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re._compiler

    paragraph = (
        "Dr. Roe met Gen. Doe at 9 a.m. on Jan. 5 in St. Paul, Minn., with Prof. Lee and"
        " Mr. Ng of the U.S. Dept. of State; no. 4 on the list, vs. the Co. Ltd. bid of"
        " approx. $3 bn. It was, e.g., a late call. Sen. Ray, Rep. Fox and Gov. Kim agreed."
    )
    segmenter = sentences._segmenter()
    first = segmenter.segment(paragraph)
    compiled: list[object] = []
    original = re._compiler.compile

    def counting(pattern: object, flags: int = 0) -> object:
        compiled.append(pattern)
        return original(pattern, flags)

    monkeypatch.setattr(re._compiler, "compile", counting)
    # Another paragraph between, with its own abbreviations, as an article has.
    segmenter.segment("The Inc. and the Corp. met at No. 10 with Lt. Col. Ash, Ph.D., Jr.")
    compiled.clear()
    again = segmenter.segment(paragraph)
    assert [s.start for s in again] == [s.start for s in first]
    assert compiled == []
