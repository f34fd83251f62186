"""briefing.support: whether a text says no more than what it rests on; its words are
lexicon data that users extend."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.errors import ConfigurationError
from briefing.grounding import negations_in
from briefing.lexicon import load_lexicon, using
from briefing.support import dropped_hedge, missing_names, reversed_stance, unsupported_by


def test_a_capitalised_may_is_a_month_or_a_name_not_a_hedge() -> None:
    assert dropped_hedge("Talks resumed in May.", "Talks resumed in May.") is None
    assert dropped_hedge("Theresa May visited Kyiv.", "Theresa May visited Kyiv.") is None
    assert dropped_hedge("Ministers will meet.", "Ministers may meet.") == (
        "uncertain",
        "may ... meet",
    )
    # at the start of a sentence a capital is no name
    assert dropped_hedge("Ministers met.", "Reportedly, ministers met.") is not None


def test_a_hedge_on_other_words_of_the_source_is_not_required() -> None:
    source = "Ministers met on Monday, and the talks may resume in June."
    assert dropped_hedge("Ministers met on Monday.", source) is None
    assert dropped_hedge("The talks resume in June.", source) == ("uncertain", "may ... resume")


def test_stance_is_read_with_its_negation() -> None:
    source = "The council declined to back the plan."
    assert reversed_stance("The council backed the plan.", source) is not None
    assert reversed_stance("The council refused the plan.", source) is None
    assert (
        reversed_stance("The council did not reject the plan.", "The council accepted it.") is None
    )


def test_names_joined_by_a_dash_are_names() -> None:
    source = (
        "only the three Baltic states\u2014Estonia, Latvia, and Lithuania\u2014have pledged troops"
    )
    assert missing_names("Estonia, Latvia and Lithuania have pledged troops.", source) == []
    assert missing_names("Poland has pledged troops.", source) == ["Poland"]


def test_negation_and_hedge_words_come_from_the_lexicon(tmp_path: Path) -> None:
    extra = tmp_path / "words.toml"
    extra.write_text(
        'negations = ["hardly"]\n[hedges.uncertain]\nmarkers = ["rumoured to"]\n',
        encoding="utf-8",
    )
    text, source = "Troops will arrive.", "Troops are rumoured to arrive."
    assert negations_in("They hardly agreed.") == 0
    assert unsupported_by(text, source) is None
    with using(load_lexicon([extra], environment=False)):
        assert negations_in("They hardly agreed.") == 1
        reason = unsupported_by(text, source)
        assert reason is not None and "'rumoured to ... arrive' (uncertain)" in reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[hedges.uncertain]\nwords = ['x']\n", "hedges.uncertain.words is not a known field"),
        ("[hedges.uncertain]\nmarkers = 'x'\n", None),  # a single string is one word
        ("[hedges.uncertain]\nmarkers = [1]\n", "hedges.uncertain.markers must be a list"),
        ("negations = [2]\n", "negations must be a list of strings"),
    ],
)
def test_a_bad_hedge_or_negation_entry_names_the_file_and_field(
    tmp_path: Path, content: str, message: str | None
) -> None:
    extra = tmp_path / "bad.toml"
    extra.write_text(content, encoding="utf-8")
    if message is None:
        load_lexicon([extra], environment=False)
        return
    with pytest.raises(ConfigurationError) as error:
        load_lexicon([extra], environment=False)
    assert message in str(error.value) and "bad.toml" in str(error.value)
