"""Figures: one quantity counted differently is a conflict between origins and an update
within one; measures and generic counts are neither."""

from __future__ import annotations

import datetime as dt

from briefing import Settings, build_brief
from briefing.aggregate import group_syndicated, merge_findings
from briefing.backend import Related
from briefing.figures import figures_in
from briefing.llm.backend import _with_figures
from briefing.offline.extract import OfflineExtractor
from tests.factories import make_article


def test_what_a_figure_counts() -> None:
    assert {f.text for f in figures_in("Officials counted 38 vessels at anchor.")} == {"38"}
    assert next(iter(figures_in("The port counted 38 vessels at anchor."))).counted == {
        "vessel",
        "anchor",
    }
    risen = figures_in("Measles cases in the province have risen to 146 since January.")
    assert [f.counted for f in risen] == [frozenset({"case"})]
    # Measures, years and clock times are no counts.
    assert (
        figures_in("Rain fell for 36 hours; the wall was built in 2009 and shut at 4.10 a.m.") == []
    )
    assert figures_in("The union asked for a 6 percent rise.") == []


def _brief(tmp_path, pages: dict[str, str]):  # type: ignore[no-untyped-def]
    corpus = tmp_path / "c"
    corpus.mkdir()
    for name, text in pages.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return build_brief(
        dt.date(2025, 1, 1), corpus=corpus, settings=Settings(backend="offline")
    ).brief


def test_differing_counts_from_two_origins_conflict_and_a_versions_count_is_an_update(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    brief = _brief(
        tmp_path,
        {
            "a.txt": " date 2025-03-05 200\nPort queue grows as strike goes on\n"
            "The harbour authority said on Wednesday that 38 vessels were waiting at anchor.\n",
            "b.txt": " date 2025-03-05 200\nAgents count more ships waiting off the port\n"
            "The shipping agents said on Wednesday that 52 vessels were waiting at anchor.\n",
            "c.txt": " date 2025-03-05 200\nFerry strike spreads\nSALTMARCH, March 5 (Reuters) - "
            "About 2,400 ferry crew members walked out on Wednesday, their union said.\n",
            "d.txt": " date 2025-03-05 200\nFerry strike spreads to night shift\nSALTMARCH, March 5"
            " (Reuters) - About 3,100 ferry crew members walked out on Wednesday, the union said"
            " in an evening update.\n",
        },
    )
    sections = {s.heading: [i.text for i in s.items] for s in brief.sections}
    conflicts = " ".join(sections.get("Conflicting reports", []))
    assert "38 vessels" in conflicts and "52 vessels" in conflicts
    updates = " ".join(sections.get("Differing estimates and later updates", []))
    assert "2,400" in updates and "3,100" in updates
    assert "2,400" not in conflicts and "3,100" not in conflicts


def test_the_llm_path_compares_figures_by_code_too() -> None:
    """The model judges only candidate pairs; counts are compared by code in both modes, and
    a pair the model already judged is not added twice."""
    pages = [
        make_article(
            "The harbour authority said on Wednesday that 38 vessels were waiting at anchor.",
            path="c/a.txt",
            published="2025-03-05",
            outlet="Harbour Times",
        ),
        make_article(
            "The shipping agents said on Wednesday that 52 vessels were waiting at anchor.",
            path="c/b.txt",
            published="2025-03-05",
            outlet="Coast Radio",
        ),
    ]
    articles = {a.article_id: a for a in pages}
    groups = group_syndicated(pages)
    claims = [c for a in pages for c in OfflineExtractor().extract(a).claims]
    findings = merge_findings(claims, articles, groups)
    related = _with_figures(Related(findings), articles, groups)
    assert len(related.conflicts) == 1
    texts = {f.statement for f in related.conflicts[0]}
    assert any("38 vessels" in t for t in texts) and any("52 vessels" in t for t in texts)
    again = _with_figures(Related(findings, conflicts=list(related.conflicts)), articles, groups)
    assert len(again.conflicts) == 1


def test_a_figure_revised_from_one_value_to_another_is_one_update() -> None:
    revised = figures_in("The office revised the number of cases from 146 to 131 on Monday.")
    assert [(f.text, f.previous, f.counted) for f in revised] == [
        ("131", 146.0, frozenset({"case"}))
    ]
    rose = figures_in("The number of dead also rose from 8 to 17 on the southern bank.")
    assert [(f.text, f.previous, f.counted) for f in rose] == [("17", 8.0, frozenset({"dead"}))]
    # A range is no revision, and no count.
    assert figures_in("Between 100 and 150 boats, from 100 to 150, were seen.") == []


def test_a_revision_of_anothers_count_is_shown_as_an_update_not_a_conflict(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    brief = _brief(
        tmp_path,
        {
            "a.txt": " date 2025-03-05 200\nOutbreak grows in the valley\n"
            "The district health office said on Wednesday 146 cases had been confirmed.\n",
            "b.txt": " date 2025-03-09 200\nValley count corrected\n"
            "The district health office revised the number of cases from 146 to 131 after"
            " removing duplicates, a regional paper reported on Sunday.\n",
        },
    )
    sections = {s.heading: [i.text for i in s.items] for s in brief.sections}
    assert "Conflicting reports" not in sections
    updates = " ".join(sections.get("Differing estimates and later updates", []))
    assert "146 cases had been confirmed" in updates and "from 146 to 131" in updates
    assert updates.index("146 cases had been") < updates.index("from 146 to 131")
