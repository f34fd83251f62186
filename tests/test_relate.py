"""Corroboration by origin, conflicting reports, source discrepancies."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from briefing import generate
from briefing.aggregate import group_syndicated, independent_origins, merge_findings
from briefing.corpus import load_corpus
from briefing.discrepancies import _articles_naming, _name_regex, source_discrepancies
from briefing.lexicon import Lexicon
from briefing.offline.extract import OfflineExtractor
from briefing.offline.relate import relate_offline
from briefing.relations import candidate_pairs, parties_of, stance
from briefing.schemas import Claim, Finding
from tests.factories import make_article, make_finding
from tests.test_aggregate import make_claim

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("The United States has declined a request to offer a backstop.", -1),
        ("The USA has declared support for the coalition of the willing.", 1),
        ("Putin is ready to agree to the deployment of European peacekeepers.", 1),
        ("Russia has categorically rejected any NATO troops in Ukraine.", -1),
        ("The UK has not completely abandoned the proposal.", 1),
        ("Moscow declared it would not accept the involvement of NATO forces.", -1),
        ("Despite backing from European allies, the United States has declined a request.", -1),
        # A quoted label is a name, not a stance (an unquoted one needs a lexicon entry:
        # see test_lexicon.py).
        ("The “coalition of the willing” met in Brussels on Thursday.", 0),
        ("Ministers met in what is dubbed the ‘coalition of the willing,’ on Friday.", 0),
    ],
)
def test_stance(statement: str, expected: int) -> None:
    assert stance(statement) == expected


@pytest.fixture(scope="module")
def seed_findings() -> list[Finding]:
    articles = load_corpus(SEEDS).articles
    claims = [c for a in articles for c in OfflineExtractor().extract(a).claims]
    return merge_findings(claims, {a.article_id: a for a in articles}, group_syndicated(articles))


def test_offline_conflicts_hold_the_seeds_disagreements(seed_findings: list[Finding]) -> None:
    by_id = {f.finding_id: f for f in seed_findings}
    parties = parties_of(seed_findings)
    pairs = [
        (by_id[r.first].statement, by_id[r.second].statement)
        for r in relate_offline(
            candidate_pairs(seed_findings, limit=None, parties=parties), parties
        )
    ]
    joined = [" || ".join(p) for p in pairs]
    assert any(
        "declined a request to offer a “backstop”" in j and "declared support" in j for j in joined
    )
    assert any(
        "Putin is ready to agree" in j and ("rejected" in j or "warned" in j) for j in joined
    )
    for first, second in pairs:  # both sides of a conflict come from different claims
        assert first != second


def test_reports_citing_the_same_outlet_are_one_origin() -> None:
    a = make_article(
        "MENAFN says the UK has shelved its plan to send troops, citing The Times today.",
        "c/a.txt",
        "2025-04-26",
    )
    b = make_article(
        "According to The Times, the UK has shelved its plan to send troops to Kyiv soon.",
        "c/b.txt",
        "2025-04-27",
    )
    c = make_article(
        "The Guardian learned that the UK has shelved its plan to send troops to Kyiv now.",
        "c/c.txt",
        "2025-04-27",
    )
    articles = {x.article_id: x for x in (a, b, c)}
    groups = group_syndicated(list(articles.values()))

    def cited(article_raw: object, chain: list[str]) -> Claim:
        claim = make_claim(article_raw, article_raw.raw_text)  # type: ignore[arg-type, attr-defined]
        return claim.model_copy(update={"reporting_chain": chain})

    via_times = [cited(a, ["MENAFN", "The Times"]), cited(b, ["Times"])]
    assert independent_origins(via_times, articles, groups) == 1
    assert independent_origins([*via_times, cited(c, ["The Guardian"])], articles, groups) == 2


def test_source_discrepancies_in_the_seeds() -> None:
    found = {
        d.person: (d.first.phrase, d.second.phrase)
        for d in source_discrepancies(load_corpus(SEEDS).articles)
    }
    assert found["Keir Starmer"] == (
        "UK opposition leader Sir Keir Starmer",
        "British Prime Minister Keir Starmer",
    )
    assert "former U.S. President Donald Trump" in found["Donald Trump"]


def test_offline_brief_has_conflict_and_discrepancy_sections(
    seeds_copy: Path, tmp_path: Path
) -> None:
    brief = generate(dt.date(2025, 2, 1), corpus=seeds_copy, out=tmp_path / "b").brief
    sections = {s.heading: s for s in brief.sections}
    conflicts = sections["Conflicting reports"].items
    assert conflicts and all(
        len({c.source for c in item.citations}) >= 1 and len(item.citations) >= 2
        for item in conflicts
    )
    discrepancies = sections["Source discrepancies"].items
    assert any("opposition leader" in item.text for item in discrepancies)
    assert all(len({c.source for c in item.citations}) == 2 for item in discrepancies)


def test_one_speaker_does_not_contradict_itself_on_one_day() -> None:
    from briefing.offline.relate import _may_contradict

    finding = _finding
    refused = finding("Roe refused to order the crews back.", "a1", "2025-03-07", "Jane Roe")
    resisting = finding("Roe resisted calls to order crews back.", "b2", "2025-03-07", "Jane Roe")
    assert not _may_contradict(refused, resisting)  # the same speaker, the same day
    months_later = finding("Roe backed an order for crews.", "c3", "2025-06-20", "Jane Roe")
    other = finding("Doe backed an order for the crews.", "d4", "2025-03-08", "John Doe")
    assert not _may_contradict(refused, months_later)  # a change over time
    assert _may_contradict(refused, other)  # two speakers, two days apart


def _finding(statement: str, article: str, day: str, speaker: str | None) -> Finding:
    return make_finding(statement, article, day, speaker)


def test_opposite_states_and_denials_of_one_matter_conflict() -> None:
    from briefing.lexicon import active
    from briefing.offline.relate import contradictions

    lifted = _finding(
        "The council said the evacuation order for the harbour district was lifted on Thursday.",
        "a1",
        "2025-03-07",
        "council",
    )
    in_force = _finding(
        "The mayor said the evacuation order for the harbour district remains in force.",
        "b2",
        "2025-03-07",
        "mayor",
    )
    halted = _finding(
        "The opposition said the province halted its school vaccination campaign in December.",
        "c3",
        "2025-03-07",
        "opposition",
    )
    never = _finding(
        "The ministry said the school vaccination campaign was never halted.",
        "d4",
        "2025-03-08",
        "ministry",
    )
    plan = _finding(
        "The flood wall along the harbour will not be completed until 2027.",
        "e5",
        "2025-03-08",
        "council",
    )
    done = _finding(
        "Residents may return once engineers have completed the harbour flood wall checks.",
        "f6",
        "2025-03-08",
        "council",
    )
    unrelated = _finding(
        "The winter ferry timetable remains in force, the operator said.",
        "g7",
        "2025-03-07",
        "operator",
    )
    found = {
        frozenset((r.first, r.second))
        for r in contradictions([lifted, in_force, halted, never, plan, done, unrelated], active())
    }
    assert frozenset((lifted.finding_id, in_force.finding_id)) in found
    assert frozenset((halted.finding_id, never.finding_id)) in found
    # A plan and a condition deny nothing; a timetable in force is not the order.
    assert frozenset((plan.finding_id, done.finding_id)) not in found
    assert all(unrelated.finding_id not in pair for pair in found)


def test_an_aside_about_the_subject_is_not_the_statements_stance() -> None:
    # ", who has long opposed ...," describes the mayor; the sentence states a plan.
    described = (
        "Mayor Jane Roe, who has long opposed the bypass, said the council would meet in May."
    )
    assert stance(described) == 0
    assert stance("Mayor Jane Roe said she opposed the bypass.") == -1


def test_each_side_of_a_conflict_shows_who_reported_it_and_when(
    seeds_copy: Path, tmp_path: Path
) -> None:
    brief = generate(dt.date(2025, 2, 1), corpus=seeds_copy, out=tmp_path / "b").brief
    conflicts = next(s for s in brief.sections if s.heading == "Conflicting reports")
    dated = [i for i in conflicts.items if i.date_label.startswith("reported 2025-05-28")]
    assert dated and all("(MENAFN, 2025-05-28)" in i.text for i in dated)


def test_what_adds_or_reports_is_no_denial() -> None:
    """ "not only targeted" adds to what was targeted; "has not confirmed" and "confirmed"
    are about reporting two different things, not one matter stated and denied."""
    from briefing.lexicon import active
    from briefing.offline.relate import contradictions

    pairs = [
        (
            "The shelling targeted the bridge over the river and the depot, the army said.",
            "The shelling not only targeted the bridge over the river but homes, the mayor said.",
        ),
        (
            "The defence ministry confirmed that two drones were shot down over the river.",
            "The interior ministry has not confirmed that three boats sank on the river.",
        ),
    ]
    for first, second in pairs:
        a = _finding(first, "a1", "2025-05-07", "army")
        b = _finding(second, "b2", "2025-05-07", "mayor")
        assert contradictions([a, b], active()) == []


def test_opposed_pairs_are_the_opposite_stances_among_all_candidate_pairs(
    seed_findings: list[Finding],
) -> None:
    from briefing.relations import opposed_pairs, stance

    parties = parties_of(seed_findings)

    def ids(pairs: list[tuple[Finding, Finding]]) -> set[frozenset[str]]:
        return {frozenset((a.finding_id, b.finding_id)) for a, b in pairs}

    every = candidate_pairs(seed_findings, limit=None, parties=parties)
    opposite = [
        (a, b)
        for a, b in every
        if stance(a.statement, parties.lexicon) * stance(b.statement, parties.lexicon) == -1
    ]
    found = opposed_pairs(seed_findings, parties)
    assert opposite and ids(found) == ids(opposite)
    assert relate_offline(found, parties) == relate_offline(every, parties)


def _dispute_lexicon() -> Lexicon:
    """The packaged lexicon with three invented states, each with its capital."""
    from briefing.lexicon import Entity, active

    return active().with_entities(
        [
            Entity("Norland", "state", demonyms=("Norlandic",), capitals=("Brask",)),
            Entity("Sudmark", "state", demonyms=("Sudmarkish",), capitals=("Velm",)),
            Entity("Ostria", "state", demonyms=("Ostrian",), capitals=("Kell",)),
        ]
    )


def test_an_accusation_and_the_accused_partys_denial_are_set_together() -> None:
    """ "X accuses Y of V" against "Y denies any involvement" about one matter, whichever
    article or outlet carries each side; nothing else that only looks like one side."""
    from briefing.offline.relate import contradictions

    lexicon = _dispute_lexicon()
    accused = _finding(
        "Norlandic President Ada Vos accused Sudmark of shelling the Orrin water plant.",
        "a1",
        "2025-05-07",
        None,
    )
    denied = _finding(
        "Velm has strongly denied any role in the shelling of the Orrin water plant.",
        "b2",
        "2025-05-08",
        None,
    )
    third_party = _finding(
        "Ostria denied any involvement in the shelling of the Orrin water plant.",
        "c3",
        "2025-05-08",
        None,
    )
    no_party = _finding(
        "Two men accused of the shelling of the Orrin water plant were charged in Brask.",
        "d4",
        "2025-05-08",
        None,
    )
    both_sides = _finding(
        "Brask blamed Sudmark for the shelling of the Orrin water plant, a charge Velm denied.",
        "e5",
        "2025-05-08",
        None,
    )
    other_matter = _finding(
        "Brask accused Velm of doing too little to rescue residents from the floods.",
        "f6",
        "2025-05-08",
        None,
    )
    months_later = _finding(
        "Sudmark denied any connection with the shelling of the Orrin water plant.",
        "g7",
        "2025-09-20",
        None,
    )
    findings = [accused, denied, third_party, no_party, both_sides, other_matter, months_later]
    found = {frozenset((r.first, r.second)) for r in contradictions(findings, lexicon)}
    assert found == {frozenset((accused.finding_id, denied.finding_id))}


def test_the_speaker_denies_when_no_party_is_named_and_a_negated_accusation_is_none() -> None:
    from briefing.offline.relate import accusation, denier

    lexicon = _dispute_lexicon()
    said = _finding(
        "“We have nothing to do with the blast at the depot,” the spokesman said.",
        "a1",
        "2025-05-07",
        "Velm",
    )
    assert denier(said, lexicon) == "Sudmark"
    not_blamed = _finding(
        "Brask did not blame Sudmark for the blast at the depot.", "b2", "2025-05-07", None
    )
    assert accusation(not_blamed, lexicon) is None
    assert accusation(
        _finding("Brask blamed Sudmark for the blast at the depot.", "c3", "2025-05-07", None),
        lexicon,
    ) == ("Norland", "Sudmark")
    # Denying someone access is not denying an accusation.
    access = _finding(
        "Officials said Velm was denying aid workers access to the depot.", "d4", "2025-05-07", None
    )
    assert denier(access, lexicon) is None


def test_one_dispute_is_shown_by_at_most_a_few_pairs() -> None:
    from briefing.offline.relate import MAX_PAIRS_PER_DISPUTE, denied_accusations

    lexicon = _dispute_lexicon()
    accusations = [
        _finding(
            f"Brask accused Sudmark of shelling the Orrin water plant, report {n} said.",
            f"a{n}",
            "2025-05-07",
            None,
        )
        for n in range(5)
    ]
    denials = [
        _finding(
            f"Velm denied any involvement in shelling the Orrin water plant, outlet {n} said.",
            f"b{n}",
            "2025-05-08",
            None,
        )
        for n in range(5)
    ]
    relations = denied_accusations(accusations + denials, lexicon)
    assert len(relations) == MAX_PAIRS_PER_DISPUTE
    ids = [r.first for r in relations] + [r.second for r in relations]
    assert len(set(ids)) == len(ids)  # each report in one pair at most


def test_each_side_blaming_the_other_is_one_dispute_and_a_denied_accusation_is_a_denial() -> None:
    from briefing.offline.relate import accusation, contradictions, denier

    lexicon = _dispute_lexicon()
    blames = _finding(
        "Brask blamed Sudmark for the breach of the Orrin river dam.", "a1", "2025-05-07", None
    )
    blames_back = _finding(
        "Velm accuses Brask of sabotaging the Orrin river dam.", "b2", "2025-05-07", None
    )
    denies = _finding(
        "Brask denied accusations by Velm that it had breached the Orrin river dam.",
        "c3",
        "2025-05-08",
        None,
    )
    assert accusation(denies, lexicon) is None  # it answers an accusation
    assert denier(denies, lexicon) == "Norland"
    for first, second in ((blames, blames_back), (blames_back, denies)):
        [relation] = contradictions([first, second], lexicon)
        assert {relation.first, relation.second} == {first.finding_id, second.finding_id}
    # Each report takes part in one pair of a dispute: three reports make one pair.
    assert len(contradictions([blames, blames_back, denies], lexicon)) == 1


def test_the_word_index_keeps_every_article_that_names_a_person() -> None:
    # Spellings with dots, apostrophes, hyphens, accents and a particle, in texts that name
    # them whole, inside longer words (not a mention) and split over punctuation.
    spellings = [
        ("Jane Roe", "Roe"),
        ("Seán O’Neill", "O’Neill"),
        ("Abdel al-Sisi", "al-Sisi"),
        ("Ludwig van Beek", "Beek"),
        ("J.D. Vance", "Vance"),
    ]
    rng = random.Random(4)
    pieces = [name for names in spellings for name in names]
    pieces += ["Roebuck", "Sisi", "O’", "Neill", "J.D.", "former President", ",", "-", "\n"]
    texts = [" ".join(rng.choices(pieces, k=rng.randint(1, 6))) + " said." for _ in range(400)]
    articles = [make_article(f"{text}\n", path=f"{n}.txt") for n, text in enumerate(texts)]
    naming = _articles_naming(articles, spellings)
    for names, indices in zip(spellings, naming, strict=True):
        regex = _name_regex(tuple(sorted(set(names), key=len, reverse=True)))
        named = [i for i, article in enumerate(articles) if regex.search(article.text)]
        assert set(named) <= set(indices), names
        assert indices == sorted(indices)
        assert len(indices) < len(articles)  # the index does rule articles out
