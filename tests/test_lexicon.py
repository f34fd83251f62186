"""The lexicon: general knowledge as data, the seeds' cast nowhere in the package, and
the offline rules on lexicons and texts of their own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from briefing.errors import ConfigurationError
from briefing.lexicon import (
    LEXICON_ENV,
    Entity,
    active,
    find_labels,
    find_people,
    load_lexicon,
    using,
)
from briefing.offline.extract import OfflineExtractor
from briefing.relations import parties_of, share_subject, stance
from briefing.schemas import Article, Claim, Finding
from tests.factories import make_article

PACKAGE = Path(__file__).resolve().parent.parent / "briefing"
DATA = Path(__file__).resolve().parent / "data"

# Read from seeds/: the people only these five articles name (everyone but the heads of
# state and government any news of the period names), their author, and phrases of their
# story. No file of the package may contain them: the rules must work without them.
SEED_ONLY = (
    "Brekelmans",
    "Jonson",
    "Healey",
    "Shoigu",
    "Medvedev",
    "Czmiel",
    "Sir Keir",
    "coalition of the willing",
    "reassurance force",
    "backstop",
    "preposterous",
    "at normal pace",
    "25,000 to 30,000",
)


def test_no_file_of_the_package_names_the_seeds_cast() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".toml", ".j2", ".md", ".txt"):
            continue
        text = path.read_text("utf-8").lower()
        found += [f"{path.relative_to(PACKAGE)}: {s}" for s in SEED_ONLY if s.lower() in text]
    assert found == []


def test_the_packaged_lexicon_is_general_knowledge() -> None:
    lexicon = load_lexicon(environment=False)
    kinds = [e.kind for e in lexicon.entities.values()]
    assert kinds.count("person") == 0  # people are found in the text
    assert kinds.count("state") >= 60
    assert lexicon.known_actors("The Kremlin said Moscow and the U.S. disagree.") == [
        "Kremlin",
        "Russia",
        "United States",
    ]
    assert lexicon.party("Kremlin") == "Russia" and lexicon.is_state("Kremlin")
    assert "French" in lexicon.demonyms and lexicon.is_outlet('"Times,"')
    # An outlet is not the state in its name.
    assert lexicon.known_actors("The Washington Post reported it.") == []


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_a_user_file_adds_a_person_an_alias_a_party_and_a_stance_word(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        "mine.toml",
        """
        [entities]
        "Jane Roe" = { kind = "person", spellings = ["Roe"], party = "France" }
        "Coalition of the Ready" = { kind = "organisation" }
        [aliases]
        "Hexagon" = "France"
        [parties]
        "Palace of Nowhere" = "Ruritania"
        [stance]
        positive = ["endorse*"]
        """,
    )
    lexicon = load_lexicon([user], environment=False)
    assert lexicon.known_actors("Roe met the Hexagon's envoys.") == ["Jane Roe", "France"]
    assert lexicon.is_person("Jane Roe") and lexicon.party("Jane Roe") == "France"
    assert lexicon.party("Palace of Nowhere") == "Ruritania"
    assert stance("Roe endorsed the plan.", lexicon) == 1
    assert lexicon.files[-1] == str(user)
    # The packaged file is still there underneath.
    assert lexicon.party("Kremlin") == "Russia"


def test_files_merge_in_order_env_then_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = write(tmp_path, "a.toml", '[entities]\n"Jane Roe" = { kind = "person" }\n')
    second = write(tmp_path, "b.toml", '[entities]\n"Jane Roe" = { spellings = ["Roe"] }\n')
    monkeypatch.setenv(LEXICON_ENV, str(first))
    lexicon = load_lexicon([second])
    assert lexicon.files[1:] == (str(first), str(second))
    roe = lexicon.entities["Jane Roe"]
    assert (roe.kind, roe.spellings) == ("person", ("Roe",))
    assert active().known_actors("Jane Roe spoke.") == ["Jane Roe"]  # the default reads the env


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[entities]\n"X" = { kind = "planet" }\n', "entities.X.kind"),
        ('[entities]\n"X" = { spellings = "x" , colour = 1 }\n', "entities.X.colour"),
        ('[entities]\n"X" = { spellings = [1] }\n', "entities.X.spellings"),
        ('[aliases]\n"Y" = "Nowhere"\n', "aliases.Y"),
        ('[stance]\npositive = "good"\nneutral = []\n', "stance.neutral"),
        ("outlets = [3]\n", "outlets"),
        ('[disputes]\naccuse = ["blam*"]\nretort = []\n', "disputes.retort"),
        ("[disputes]\ndeny = [2]\n", "disputes.deny"),
        ("speakers = []\n", "speakers"),
        ("[entities\n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_a_configuration_error_naming_file_and_field(
    tmp_path: Path, text: str, field: str
) -> None:
    bad = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigurationError) as error:
        load_lexicon([bad], environment=False)
    assert str(bad) in str(error.value) and field in str(error.value)


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"missing\.toml"):
        load_lexicon([tmp_path / "missing.toml"], environment=False)


# -- the mechanisms, on texts of their own -------------------------------------------


def article_from(raw: str) -> Article:
    return make_article(raw, "test/a.txt")


def claims_of(raw: str) -> list[Claim]:
    return OfflineExtractor().extract(article_from(raw)).claims


def test_people_are_found_by_title_appositive_reporting_verb_and_surname() -> None:
    lexicon = load_lexicon(environment=False)
    text = (
        "Norwegian Fisheries Minister Ola Tveit opened the talks in Bergen on Monday. "
        "Marta Kowalczyk, the Polish trade envoy, left early. "
        "Henrik Aalborg said the quotas would hold. Later, Tveit met the delegates again."
    )
    people = {p.name: p for p in find_people(text, lexicon)}
    assert set(people) == {"Ola Tveit", "Marta Kowalczyk", "Henrik Aalborg"}
    assert people["Ola Tveit"].spellings == ("Tveit",)
    assert people["Ola Tveit"].party == "Norway"
    assert people["Marta Kowalczyk"].party == "Poland"
    assert people["Henrik Aalborg"].party is None


def test_a_speaker_no_lexicon_knows_is_found_by_the_reporting_verb() -> None:
    claims = claims_of(
        "Port Director Ines Valdivia said the port of Arica would reopen to cargo ships next week.\n\n"
        "Valdivia added that repairs to the northern pier had cost far more than planned.\n"
    )
    assert [c.speaker for c in claims] == ["Ines Valdivia", "Ines Valdivia"]
    assert all("Ines Valdivia" in c.actors for c in claims)


def test_an_unnamed_source_is_named_by_a_demonym_of_the_lexicon() -> None:
    (claim,) = claims_of(
        "A Chilean official told reporters that the port of Arica would reopen to cargo next week.\n"
    )
    assert "A Chilean official" in claim.reporting_chain or "Chilean official" in " ".join(
        claim.reporting_chain
    )


def finding(statement: str, actors: list[str], speaker: str | None = None) -> Finding:
    return Finding(
        finding_id=hashlib.sha256(statement.encode()).hexdigest()[:8],
        statement=statement,
        claims=[],
        claim_type="position",
        attribution="asserted",
        speaker=speaker,
        actors=actors,
        event_date=None,
        published=None,
        independent_sources=1,
        salience=1.0,
    )


def test_a_user_partys_map_makes_a_person_and_a_state_one_side(tmp_path: Path) -> None:
    user = write(
        tmp_path,
        "parties.toml",
        '[entities]\n"Jane Roe" = { kind = "person", spellings = ["Roe"], party = "Chile" }\n',
    )
    roe = finding("Roe rejected the fishing quota on Monday.", ["Jane Roe"], "Jane Roe")
    chile = finding("Chile has accepted the fishing quota, officials say.", ["Chile"])
    assert not share_subject(roe, chile, parties_of([roe, chile], load_lexicon(environment=False)))
    lexicon = load_lexicon([user], environment=False)
    assert share_subject(roe, chile, parties_of([roe, chile], lexicon))


def test_a_role_phrase_in_the_findings_gives_a_persons_party() -> None:
    lexicon = load_lexicon(environment=False)
    roe = finding(
        "Chilean Fisheries Minister Jane Roe rejected the quota.", ["Jane Roe", "Chile"], "Jane Roe"
    )
    later = finding("Roe has since accepted a smaller quota.", ["Jane Roe"], "Jane Roe")
    chile = finding("Chile has agreed to the quota, officials say.", ["Chile"])
    parties = parties_of([roe, later, chile], lexicon)
    assert parties.party("Jane Roe") == "Chile"
    assert share_subject(later, chile, parties)


def test_an_entity_name_is_masked_before_stance(tmp_path: Path) -> None:
    statement = "The Coalition of the Ready met in Oslo on Thursday."
    general = load_lexicon(environment=False)
    assert stance(statement, general) == 1  # "Ready" read as a stance word
    user = write(tmp_path, "c.toml", '[entities]\n"Coalition of the Ready" = {}\n')
    assert stance(statement, load_lexicon([user], environment=False)) == 0
    assert stance("Norway backs the Coalition of the Ready.", load_lexicon([user])) == 1


def test_a_quoted_label_becomes_an_actor_and_is_no_stance() -> None:
    lexicon = load_lexicon(environment=False)
    text = "Ministers formed a group dubbed the “alliance of the willing.” It met on Friday."
    (label,) = find_labels(text, lexicon)
    assert label.name == "alliance of the willing"
    with_label = lexicon.with_entities([label])
    assert with_label.known_actors("The alliance of the willing met again.") == [label.name]
    assert stance("The alliance of the willing met again.", with_label) == 0


def test_broad_actors_come_from_the_lexicon_and_from_frequency() -> None:
    lexicon = load_lexicon(environment=False)
    setting = [finding(f"Talks on Chile number {i} went on.", ["Chile", "Peru"]) for i in range(9)]
    other = [finding("Peru rejected it.", ["Peru"]), finding("Bolivia agreed.", ["Bolivia"])]
    parties = parties_of(setting + other, lexicon)
    assert "Europe" in parties.broad  # the lexicon's
    assert {"Chile", "Peru"} <= parties.broad and "Bolivia" not in parties.broad


def test_using_restores_the_previous_lexicon() -> None:
    before = active()
    custom = load_lexicon(environment=False).with_entities([Entity("Jane Roe", "person")])
    with using(custom):
        assert active() is custom
    assert active() is before


def test_user_lexicon_files_in_tests_data_load() -> None:
    lexicon = load_lexicon(sorted(DATA.glob("*.toml")), environment=False)
    assert lexicon.kind("Jane Roe") == "person"


def test_the_fingerprint_is_the_same_in_every_process() -> None:
    """It is part of the cache key: two runs on one store must agree on it."""
    import subprocess
    import sys

    code = "from briefing.lexicon import active; print(active().fingerprint)"
    prints = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(prints) == 1


def test_an_extended_lexicon_finds_names_as_one_alternation_would() -> None:
    """A text's own people are added without recompiling the lexicon's names; the longest
    spelling at a place still wins, across the two layers."""
    from briefing.lexicon import Entity, active

    base = active()
    extended = base.with_entities(
        [
            Entity(name="Jane Roe", kind="person", spellings=("Roe",)),
            Entity(name="France Roe", kind="person"),
        ]
    )
    assert extended.extends is base
    assert extended._alias_regexes[0] is base._alias_regexes[0]
    text = "France Roe met Jane Roe in France; Roe then left for Germany."
    assert extended.known_actors(text) == ["France Roe", "Jane Roe", "France", "Germany"]
    again = extended.with_entities([Entity(name="John Doe", kind="person")])
    assert again.extends is base and again.known_actors("John Doe met Roe.") == [
        "John Doe",
        "Jane Roe",
    ]


def test_find_people_judges_each_lexicon_apart(tmp_path: Path) -> None:
    # What one lexicon taught find_people ("Vell" may be part of a name) must not decide
    # for another that knows Vell as a river.
    text = "Defence Minister Ana Vell said the bridge was closed. Vell added that it would reopen."
    plain = load_lexicon(environment=False)
    extra = tmp_path / "river.toml"
    extra.write_text('format = 1\n[entities."Vell"]\nkind = "region"\n', encoding="utf-8")
    with_river = load_lexicon([extra], environment=False)
    assert [p.name for p in find_people(text, plain)] == ["Ana Vell"]
    assert find_people(text, with_river) == []
    assert [p.name for p in find_people(text, plain)] == ["Ana Vell"]


def test_known_actors_are_remembered_per_lexicon_and_handed_out_as_fresh_lists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from briefing import lexicon as module
    from briefing.lexicon import Entity, active

    extended = active().with_entities([Entity(name="Jane Roe", kind="person")])
    text = "Jane Roe met officials from France and Germany."
    first = extended.known_actors(text)
    first.insert(0, "someone a caller added")  # callers may change what they are given
    assert extended.known_actors(text) == ["Jane Roe", "France", "Germany"]
    assert active().known_actors(text) == ["France", "Germany"]  # each lexicon its own
    monkeypatch.setattr(module, "KNOWN_ACTORS_MEMO_SIZE", 3)
    for number in range(10):
        extended.known_actors(f"France, {number}.")
    assert len(extended._known_actors_memo) <= 3
