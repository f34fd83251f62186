"""Who speaks: the subject of the reporting verb, never any other name in the sentence."""

from __future__ import annotations

import pytest

from briefing.attribution import named_doer, speaker_of
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
