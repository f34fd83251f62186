"""Grounding: quotes are found in the cleaned text and cited by their raw offsets.

Every grounding rule (see briefing/grounding.py) has a case here, including the refusals:
a quote that differs in a number or a negation must never be accepted.
"""

from __future__ import annotations

import random

import pytest

from briefing.grounding import (
    _CHAR_MAP,
    MIN_QUOTE_CHARS,
    GroundingFailure,
    check_statement_numbers,
    ground_claim,
    ground_quote,
    normalise,
    numbers_in,
    span_evidence,
    verify_evidence,
)
from briefing.schemas import Article, Evidence
from tests.factories import make_article

BANNER = "Error! We're sorry, but the page you were looking for doesn't exist."


def article_from_raw(raw: str) -> Article:
    """An article cleaned the way the corpus loader cleans it."""
    return make_article(raw)


def plain_article(raw: str, content_hash: str | None = None) -> Article:
    """An article whose cleaned text is its raw text."""
    return make_article(raw, clean=False, content_hash=content_hash)


# Two passages under a removed banner, with a newsletter plug removed between them: two
# segments, each at another offset in the raw text than in the cleaned text.
HEAD = BANNER + "\n"
PART_ONE = "Talks ended. The envoy left Geneva on Monday after three days."
PLUG = "\nSubscribe to our newsletter for the latest updates!\n"
PART_TWO = "Talks ended. Talks resumed today in Vienna, officials said."
SPLIT_RAW = HEAD + PART_ONE + PLUG + PART_TWO + "\n"


def split_article() -> Article:
    article = make_article(SPLIT_RAW)
    # what the tests below rely on: cleaning removed the banner and the plug
    assert article.text == PART_ONE + "\n\n" + PART_TWO and len(article.segments) == 2
    assert article.segments[0].raw_start == len(HEAD)
    return article


def assert_cites_raw(article: Article, evidence: Evidence) -> None:
    assert verify_evidence(evidence, article.raw_text)
    assert article.raw_text[evidence.start : evidence.end] == evidence.quote


# --- exact and normalised matches ------------------------------------------------------


def test_exact_quote_is_cited_by_raw_offsets_past_removed_banner() -> None:
    raw = (
        BANNER
        + "\n\nThe foreign ministers agreed to send 25,000 troops to the border region.\n"
        + "A second meeting is planned for next month in Paris.\n"
    )
    article = article_from_raw(raw)
    assert BANNER not in article.text  # the offsets below must skip removed text
    quote = "agreed to send 25,000 troops to the border"
    grounded = ground_quote(quote, article)
    assert grounded.method == "exact"
    assert grounded.evidence.quote == quote
    assert grounded.evidence.start == raw.index(quote)
    assert raw[grounded.evidence.start : grounded.evidence.end] == quote


def test_straight_quotes_and_dashes_find_curly_text_and_cite_the_raw_spelling() -> None:
    raw = "The minister said the plan was “dead on arrival” — and Kyiv’s allies agreed.\n"
    article = article_from_raw(raw)
    grounded = ground_quote('the plan was "dead on arrival" - and Kyiv\'s allies agreed', article)
    assert grounded.method == "normalised"
    assert grounded.evidence.quote == "the plan was “dead on arrival” — and Kyiv’s allies agreed"
    assert_cites_raw(article, grounded.evidence)


@pytest.mark.parametrize("brk", ["\n", "\r\n", "\n   "])
def test_line_break_in_raw_matches_a_space_in_the_quote(brk: str) -> None:
    raw = (
        f"European leaders said on Friday that the ceasefire{brk}had been broken twice overnight.\n"
    )
    article = article_from_raw(raw)
    grounded = ground_quote("the ceasefire had been broken twice overnight", article)
    assert grounded.evidence.quote == f"the ceasefire{brk}had been broken twice overnight"
    assert_cites_raw(article, grounded.evidence)


def test_quote_with_extra_whitespace_and_outer_spaces_is_found() -> None:
    article = plain_article("The ceasefire had been broken twice overnight, officials said.")
    grounded = ground_quote("  The ceasefire  had been\nbroken twice ", article)
    assert grounded.evidence.quote == "The ceasefire had been broken twice"
    assert_cites_raw(article, grounded.evidence)


# --- meaning-changing near misses are refused ------------------------------------------


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("The truce was not agreed by the council.", "The truce was agreed by the council"),
        ("The truce was agreed by the council.", "The truce was not agreed by the council"),
        ("Some 12 observers will be deployed to the border.", "42 observers will be deployed"),
        ("He won't sign the agreement on Friday.", "He will sign the agreement on Friday"),
        ("He will sign the agreement on Friday.", "He won't sign the agreement on Friday"),
        ("He will sign the agreement on Friday.", "He won’t sign the agreement on Friday"),
        # a quote must not start or end inside a word or a number
        ("Some 112 soldiers were killed in the attack.", "12 soldiers were killed in the attack"),
        ("The total rose to 42 people overnight.", "The total rose to 4"),
        (
            "The minister disagreed with the proposal on Monday.",
            "agreed with the proposal on Monday",
        ),
    ],
)
def test_quotes_that_change_numbers_or_negation_are_refused(text: str, quote: str) -> None:
    with pytest.raises(GroundingFailure):
        ground_quote(quote, plain_article(text))


LONG_TEXT = (
    "Officials in Brussels confirmed on Tuesday that the framework for the ceasefire between "
    "the two governments was not agreed by all members of the council, and 42 observers "
    "will be deployed along the border. The minister disagreed with the proposal on Monday."
)


def test_fuzzy_near_miss_with_a_typo_is_accepted_and_cites_the_raw_text() -> None:
    article = plain_article(LONG_TEXT)
    quote = "the framework for the ceasefire between the two governments was not agred by all"
    grounded = ground_quote(quote, article)
    assert grounded.method == "fuzzy"
    assert grounded.evidence.quote == (
        "the framework for the ceasefire between the two governments was not agreed by all"
    )
    assert_cites_raw(article, grounded.evidence)


def test_fuzzy_near_miss_that_drops_a_negation_is_refused_and_says_so() -> None:
    quote = "the framework for the ceasefire between the two governments was agreed by all members"
    with pytest.raises(GroundingFailure, match="negation"):
        ground_quote(quote, plain_article(LONG_TEXT))


def test_fuzzy_near_miss_that_changes_a_number_is_refused_and_says_so() -> None:
    quote = "all members of the council, and 12 observers will be deployed along the border"
    with pytest.raises(GroundingFailure, match="different numbers"):
        ground_quote(quote, plain_article(LONG_TEXT))


def test_fuzzy_near_miss_inside_a_longer_number_is_refused() -> None:
    with pytest.raises(GroundingFailure, match="different numbers"):
        ground_quote("12 soldiers were killed", plain_article("Some 112 soldiers were killed."))


def test_fuzzy_near_miss_that_drops_a_negating_prefix_is_refused() -> None:
    # found inside "disagreed", widened to the whole word, and refused
    quote = "agreed with the proposal on Monday"
    with pytest.raises(GroundingFailure, match="negation"):
        ground_quote(quote, plain_article(LONG_TEXT))


def test_unrelated_quote_is_not_found() -> None:
    with pytest.raises(GroundingFailure, match="not found verbatim"):
        ground_quote("Russia announced new sanctions on Monday", plain_article(LONG_TEXT))


# --- repeats, short quotes, removed text -----------------------------------------------


def test_quote_occurring_twice_returns_a_valid_occurrence_and_near_picks_the_nearer() -> None:
    raw = (
        "Officials said the ceasefire held overnight in the east. Later, shelling resumed. "
        "By the evening the ceasefire held overnight in the east again."
    )
    article = plain_article(raw)
    quote = "the ceasefire held overnight"
    first = raw.index(quote)
    second = raw.index(quote, first + 1)
    default = ground_quote(quote, article).evidence
    assert default.start in (first, second)
    assert_cites_raw(article, default)
    assert ground_quote(quote, article, near=second - 10).evidence.start == second
    assert ground_quote(quote, article, near=first + 2).evidence.start == first


def test_near_is_measured_in_cleaned_text_offsets_despite_collapsed_whitespace() -> None:
    # 300 characters of whitespace collapse to one in the normalised text; `near` is a
    # cleaned-text offset (a sentence start) and must still pick the occurrence there.
    raw = (
        "Intro line." + " \n" * 150 + "The ceasefire held overnight. The ceasefire held overnight."
    )
    article = plain_article(raw)
    quote = "The ceasefire held overnight"
    first = raw.index(quote)
    assert ground_quote(quote, article, near=first).evidence.start == first


def test_too_short_quote_is_refused() -> None:
    article = plain_article("The deal was agreed. The deal was agreed again.")
    short = "deal agreed"
    assert len(short) < MIN_QUOTE_CHARS
    with pytest.raises(GroundingFailure, match="too short"):
        ground_quote(short, article)
    with pytest.raises(GroundingFailure, match="too short"):
        ground_quote("   " + "x" * (MIN_QUOTE_CHARS - 1) + "\n", article)


def test_two_segment_article_maps_offsets_into_raw_text() -> None:
    article = split_article()
    # sanity: the hand-built segments copy the raw text exactly
    for seg in article.segments:
        raw_part = article.raw_text[seg.raw_start : seg.raw_start + seg.length]
        assert raw_part == article.text[seg.clean_start : seg.clean_start + seg.length]
    quote = "Talks resumed today in Vienna"
    grounded = ground_quote(quote, article).evidence
    assert grounded.start == SPLIT_RAW.index(quote)
    assert grounded.start != article.text.index(quote)  # clean and raw offsets differ
    assert_cites_raw(article, grounded)
    first = ground_quote("The envoy left Geneva on Monday", article).evidence
    assert first.start == SPLIT_RAW.index("The envoy left Geneva")
    assert_cites_raw(article, first)


def test_quote_crossing_removed_text_is_refused() -> None:
    with pytest.raises(GroundingFailure, match="separate passages"):
        ground_quote("after three days. Talks ended. Talks resumed", split_article())


def test_a_crossing_first_occurrence_is_skipped_for_a_valid_one() -> None:
    part_one = "Observers counted the damage. Talks ended."
    part_two = "Talks resumed today. Officials said talks ended. Talks resumed today."
    raw = part_one + "\nAdvertisement\n" + part_two
    article = make_article(raw)
    assert article.text == part_one + "\n\n" + part_two  # the advertisement line is removed
    grounded = ground_quote("ended. Talks resumed today", article).evidence
    assert grounded.start == raw.rindex("ended. Talks resumed today")
    assert_cites_raw(article, grounded)


def test_boilerplate_only_in_raw_text_is_refused() -> None:
    with pytest.raises(GroundingFailure):
        ground_quote("Subscribe to our newsletter for the latest updates", split_article())


def test_removed_banner_from_clean_text_cannot_be_quoted() -> None:
    raw = BANNER + "\n\nThe foreign ministers agreed to send troops to the border region.\n"
    article = article_from_raw(raw)
    with pytest.raises(GroundingFailure):
        ground_quote("the page you were looking for doesn't exist", article)


def test_articles_sharing_a_content_hash_are_not_confused() -> None:
    one = plain_article("Ministers met in Paris on Monday to discuss aid.", content_hash="same")
    two = plain_article("Generals met in Paris on Friday to discuss arms.", content_hash="same")
    assert len(one.text) == len(two.text)
    ground_quote("Ministers met in Paris on Monday", one)
    grounded = ground_quote("Generals met in Paris on Friday", two)
    assert_cites_raw(two, grounded.evidence)
    with pytest.raises(GroundingFailure):
        ground_quote("Ministers met in Paris on Monday", two)


# --- numbers in statements -------------------------------------------------------------


def ev(quote: str) -> Evidence:
    return Evidence(quote=quote, start=0, end=len(quote))


def test_numbers_in_canonicalises_digits_and_words() -> None:
    assert numbers_in("25,000 troops, six nations and 3.5 percent in 2024.") == [
        "25000",
        "6",
        "3.5e-2",
        "2024",
    ]


@pytest.mark.parametrize(
    ("statement", "quote"),
    [
        ("NATO will send 25,000 troops.", "as many as 25,000 soldiers"),
        ("NATO will send 25000 troops.", "as many as 25,000 soldiers"),
        ("Just six nations back the plan.", "only 6 western nations support it"),
        ("Just 6 nations back the plan.", "only six western nations support it"),
        ("The ministers met.", "the ministers met on Monday"),
    ],
)
def test_statement_numbers_supported(statement: str, quote: str) -> None:
    check_statement_numbers(statement, [ev(quote)])


@pytest.mark.parametrize(
    ("statement", "quotes", "missing"),
    [
        ("40 observers were sent.", ["14 observers were sent"], "40"),
        ("Seven nations back the plan.", ["six nations back it"], "7"),
        ("25,000 troops and 40 tanks.", ["25,000 troops"], "40"),
        ("It costs 3.5 billion.", ["it costs 35 billion"], "3.5e9"),
    ],
)
def test_statement_numbers_not_supported(statement: str, quotes: list[str], missing: str) -> None:
    with pytest.raises(GroundingFailure, match=f"not found in its quotes: {missing}$"):
        check_statement_numbers(statement, [ev(q) for q in quotes])


def test_statement_numbers_may_come_from_any_quote() -> None:
    check_statement_numbers("25,000 troops and 40 tanks.", [ev("25,000 troops"), ev("40 tanks")])


# --- claims end to end, and the citation contract ---------------------------------------


CLAIM_RAW = (
    BANNER + "\n\n"
    "Just six western nations have committed to sending troops to Ukraine, officials said.\r\n"
    "Britain and France would provide as many as 25,000 soldiers for the force.\r\n"
)


def test_ground_claim_end_to_end() -> None:
    article = article_from_raw(CLAIM_RAW)
    evidence = ground_claim(
        "Six nations, led by Britain and France, would send up to 25,000 troops.",
        ["Just six western nations have committed", "as many as 25,000 soldiers"],
        article,
    )
    assert [e.quote for e in evidence] == [
        "Just six western nations have committed",
        "as many as 25,000 soldiers",
    ]
    for item in evidence:
        assert_cites_raw(article, item)
        assert item.start > len(BANNER)


def test_ground_claim_refuses_unsupported_number_missing_quote_and_no_quotes() -> None:
    article = article_from_raw(CLAIM_RAW)
    with pytest.raises(GroundingFailure, match="numbers not found"):
        ground_claim("Up to 50,000 troops will go.", ["as many as 25,000 soldiers"], article)
    with pytest.raises(GroundingFailure, match="not found"):
        ground_claim("Troops will go.", ["Germany will send its own brigade"], article)
    with pytest.raises(GroundingFailure, match="at least one quote"):
        ground_claim("Troops will go.", [], article)


def test_verify_evidence_good_and_tampered() -> None:
    article = article_from_raw(CLAIM_RAW)
    good = ground_quote("as many as 25,000 soldiers", article).evidence
    raw = article.raw_text
    assert verify_evidence(good, raw)
    shifted = Evidence(quote=good.quote, start=good.start + 1, end=good.end + 1)
    assert not verify_evidence(shifted, raw)
    altered = Evidence(quote="as many as 52,000 soldiers", start=good.start, end=good.end)
    assert not verify_evidence(altered, raw)
    beyond = Evidence(quote=good.quote, start=len(raw) - 3, end=len(raw) + 20)
    assert not verify_evidence(beyond, raw)
    empty_span = Evidence(quote=good.quote, start=good.start, end=good.start)
    assert not verify_evidence(empty_span, raw)
    # the cleaned-text offsets are not raw offsets when text was removed before the quote
    clean_start = article.text.index(good.quote)
    in_clean = Evidence(quote=good.quote, start=clean_start, end=clean_start + len(good.quote))
    assert not verify_evidence(in_clean, raw)


REVIEW_TEXT = (
    "Officials said that 1.5 million people were displaced by the fighting, and 25,000 troops"
    " could be sent. The budget increased sharply in the last quarter of the year. The parties"
    " accepted the proposal after long talks. Aid worth 3.5 billion dollars was pledged by donors."
)


@pytest.mark.parametrize(
    "quote",
    [
        "5 million people were displaced by the fighting",  # inside "1.5 million"
        "000 troops could be sent",  # inside "25,000"
        "budget decreased sharply in the last quarter",  # a different word
        "parties rejected the proposal after long talks",
        "Aid worth 3.5 million dollars was pledged by donors",  # a different magnitude
    ],
)
def test_quotes_that_change_the_meaning_are_refused(quote: str) -> None:
    with pytest.raises(GroundingFailure):
        ground_quote(quote, article_from_raw(REVIEW_TEXT))


def test_a_typo_is_still_found_and_cited_verbatim() -> None:
    grounded = ground_quote(
        "The budget incresed sharply in the last quarter", article_from_raw(REVIEW_TEXT)
    )
    assert grounded.method == "fuzzy"
    assert grounded.evidence.quote == "The budget increased sharply in the last quarter"


def test_a_statement_may_not_negate_its_quote() -> None:
    with pytest.raises(GroundingFailure, match="negates"):
        ground_claim(
            "Officials said 1.5 million people were not displaced.",
            ["1.5 million people were displaced by the fighting"],
            article_from_raw(REVIEW_TEXT),
        )


# --- cited sentences and quotes within them -------------------------------------------


def test_a_cited_span_becomes_one_quote_per_passage_never_joining_removed_text() -> None:
    article = split_article()
    evidence = span_evidence(article, 0, len(article.text))
    assert [e.quote for e in evidence] == [PART_ONE, PART_TWO]
    for item in evidence:
        assert_cites_raw(article, item)
    # a span inside one passage is one quote
    start = article.text.index("The envoy")
    (only,) = span_evidence(article, start, start + len("The envoy left Geneva"))
    assert only.quote == "The envoy left Geneva" and only.start == SPLIT_RAW.index("The envoy")


def test_a_quote_within_cited_sentences_is_found_there_and_only_there() -> None:
    article = split_article()
    second = (article.text.index(PART_TWO), len(article.text))
    # "Talks ended." opens both passages: within the second, the second is cited
    found = ground_quote("Talks ended.", article, within=second).evidence
    assert found.start == SPLIT_RAW.index(PART_TWO)
    assert_cites_raw(article, found)
    with pytest.raises(GroundingFailure, match="not found verbatim in the cited sentences"):
        ground_quote("The envoy left Geneva on Monday", article, within=second)
    # a typo is matched inside the window too, and the citation carries the raw text
    typo = ground_quote("Talks resumed today in Viena, officials said.", article, within=second)
    assert typo.method == "fuzzy"
    assert typo.evidence.quote == "Talks resumed today in Vienna, officials said"


def _normalise_char_by_char(text: str) -> tuple[str, list[int]]:
    """The definition of `normalise`, one character at a time: fold quotes, dashes and
    spaces, collapse whitespace runs to one space at the run's first character, trim."""
    chars: list[str] = []
    origin: list[int] = []
    in_space = False
    for index, char in enumerate(text):
        char = _CHAR_MAP.get(char, char)
        if char.isspace():
            if in_space or not chars:
                continue
            char, in_space = " ", True
        else:
            in_space = False
        chars.append(char)
        origin.append(index)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return "".join(chars), origin


def test_normalise_matches_its_character_by_character_definition() -> None:
    # Every kind of whitespace str.isspace knows (and U+200B, which it does not), every
    # folded quote and dash, at the ends, in runs and alone.
    spaces = " \t\n\r\x0b\x0c\x1c\x85\u00a0\u1680\u2000\u2009\u2028\u2029\u202f\u3000\u200b"
    alphabet = [*spaces, *_CHAR_MAP, "a", "7", ".", "é"]
    rng = random.Random(14)
    texts = ["", " ", "\n \u00a0", "a", " a ", "“It was — agreed”,\n\n  she said. "]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(0, 16))) for _ in range(20_000)]
    for text in texts:
        folded = normalise(text)
        assert (folded.text, folded.origin) == _normalise_char_by_char(text), repr(text)


def test_a_quote_across_collapsed_whitespace_is_cited_at_its_raw_offsets() -> None:
    raw = "Officials said on Monday that the \u201cport will\n   reopen\u201d \u2014  soon.\n"
    article = article_from_raw(raw)
    evidence = ground_quote('the "port will reopen" - soon', article).evidence
    assert raw[evidence.start : evidence.end] == evidence.quote
    assert evidence.quote == "the \u201cport will\n   reopen\u201d \u2014  soon"
