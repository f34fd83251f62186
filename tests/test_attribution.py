"""Who speaks: the subject of the reporting verb, never any other name in the sentence."""

from __future__ import annotations

import pytest

from briefing.attribution import named_doer, proper_names, speaker_of
from briefing.lexicon import active, find_people


def _speaker(sentence: str, before: tuple[str, ...] = ()) -> str | None:
    lexicon = active()
    lexicon = lexicon.with_entities(find_people(sentence, lexicon))
    return speaker_of(sentence, lexicon, before)


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        # The accuser speaks; the accused is only an actor.
        ("The Tarn Front said the Velian army had broken the truce overnight.", "Tarn Front"),
        (
            "Cases rose to 146 in Dravona, the provincial health department said on Monday.",
            "provincial health department",
        ),
        (
            "Cases rose to 146, the health department said on Monday, as officials urged calm.",
            "health department",
        ),
        (
            '"The vaccine is free," Dr Amara Kell, the provincial health chief, told reporters.',
            "Amara Kell",
        ),
        ("The department's head, Dr Amara Kell, said the rise reflected travel.", "Amara Kell"),
        ("Cases reached 389, according to the Orrin Gazette's own count.", "Orrin Gazette"),
        ('"We will not be moved," said Bram Okoro, the union leader.', "Bram Okoro"),
        # The subject, however plain: "officials", "traders" (after the conjunction).
        ("The talks collapsed, officials said, and the strike went on.", "officials"),
        ("Prices rose sharply as traders said supplies were short.", "traders"),
        # A possessive is no name, and a sentence without a reporting verb has no speaker.
        ("About 2,400 dockworkers walked out on Monday, their union said.", None),
        ("Three ferries were cancelled on Sunday after the storm.", None),
    ],
)
def test_the_speaker_is_the_subject_of_the_reporting_verb(
    sentence: str, speaker: str | None
) -> None:
    assert _speaker(sentence) == speaker


def test_she_said_is_the_person_named_last() -> None:
    assert _speaker('"It is free," she said.', ("Bram Okoro", "Amara Kell")) == "Amara Kell"
    assert _speaker('"It is free," she said.') is None


@pytest.mark.parametrize(
    ("sentence", "doer"),
    [
        ("The Vell Water Board has rejected claims that it held back water.", "Vell Water Board"),
        ("The Regional Council ordered residents to leave by 6 p.m.", "Regional Council"),
        ("About 2,400 dockworkers walked off the job on Monday.", None),
        ("Officials closed the bridge overnight.", None),
    ],
)
def test_a_named_subject_is_who_acted(sentence: str, doer: str | None) -> None:
    assert named_doer(sentence, active()) == doer


@pytest.mark.parametrize(
    ("sentence", "speaker"),
    [
        # The speaker is the subject of the LAST reporting verb, back to its comma.
        (
            "A child died in Lubbock, the first death reported this year, the state health"
            " service confirmed on Wednesday.",
            "state health service",
        ),
        # An aside after the attribution is not it.
        (
            "Cases rose to 146, the health department said on Monday, as officials urged calm.",
            "health department",
        ),
        # A clause is no name.
        (
            "The strike threatens to plug up an estimated $2 billion in trade, analysts said.",
            "analysts",
        ),
        ("The walkout threatens to plug up an estimated $2 billion in trade.", None),
    ],
)
def test_the_attribution_is_the_last_reporting_clause(sentence: str, speaker: str | None) -> None:
    assert _speaker(sentence) == speaker


def test_the_body_named_before_is_who_the_body_said() -> None:
    lexicon = active()
    before = ["Members of the Saltmarch Ferry Federation voted on Saturday."]
    names = [n for s in before for n in proper_names(s)]
    said = speaker_of("The federation said 1,870 members voted.", lexicon, (), (), names)
    assert said == "Saltmarch Ferry Federation"


def test_a_state_inside_a_longer_name_or_an_adjective_is_not_the_speaker() -> None:
    from briefing.offline.extract import _subject_actor

    lexicon = active()
    assert _subject_actor("The United States Maritime Alliance had offered 50%.", lexicon) is None
    assert _subject_actor("US dockworkers and port operators reached a deal.", lexicon) is None
    assert _subject_actor("Russia has consistently warned against the plan.", lexicon) == "Russia"
    assert "Germany" not in lexicon.known_actors("a German-language newspaper printed a letter")


def test_an_attribution_closing_the_sentence_names_the_speaker() -> None:
    assert _speaker("The government denied the report, the opposition said.") == "opposition"
    assert (
        _speaker("The army confirmed two deaths on Monday, the health ministry said.")
        == "health ministry"
    )


def test_according_to_a_role_names_the_person_in_apposition() -> None:
    sentence = (
        "According to the guild's chair, Petra Lindqvist, the owners agreed to meet again"
        " but would not name a day."
    )
    assert _speaker(sentence) == "Petra Lindqvist"


def test_a_capitalised_common_noun_is_no_surname() -> None:
    # "Tenants" opens sentences and names a group; the text also writes "tenants".
    text = (
        "Tenants of Harrow Vale say the landlord ignored them. Harrow Vale Tenants met on"
        " Monday. Tenants want repairs, and other tenants agree."
    )
    names = [e.name for e in find_people(text, active())]
    assert "Harrow Vale Tenants" not in names
