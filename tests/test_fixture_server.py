"""The fixture server's extra answer folders and its synthesized compose."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixture_server import load_fixtures, load_relations, synthesized_compose

DEV_ANSWERS = Path(__file__).resolve().parent.parent / "bench" / "devcorpus" / "llm"


def test_an_extra_folder_adds_answers_and_judged_pairs_after_the_seeds() -> None:
    seeds = load_fixtures()
    both = load_fixtures(extra=[DEV_ANSWERS])
    assert both[: len(seeds)] == seeds
    assert len(both) == len(seeds) + len(list(DEV_ANSWERS.rglob("*.json"))) - 1  # relations
    assert any(f["article"].startswith("port_strike/pages/") for f in both)
    seed_pairs = load_relations()
    assert load_relations([DEV_ANSWERS])[: len(seed_pairs)] == seed_pairs
    assert len(load_relations([DEV_ANSWERS])) > len(seed_pairs)


def test_synthesized_compose_reports_each_listed_conflict_citing_both_sides() -> None:
    findings = [
        {"claim_ids": ["a1"], "statement": "The talks were abandoned."},
        {"claim_ids": ["b1", "b2"], "statement": "The minister says the talks continue."},
    ]
    prompt = (
        "<findings>\n"
        + "".join(json.dumps(f) + "\n" for f in findings)
        + "</findings>\n<conflicts>\n"
        + json.dumps({"first": ["a1"], "second": ["b1", "b2"]})
        + "\n</conflicts>"
    )
    sections = {s["heading"]: s["sentences"] for s in synthesized_compose(prompt)["sections"]}
    assert len(sections["Key developments"]) == 2
    [conflict] = sections["Conflicting reports"]
    assert conflict["claim_ids"] == ["a1", "b1", "b2"]
    assert "abandoned" in conflict["text"] and "continue" in conflict["text"]


def test_synthesized_compose_has_no_conflicts_section_without_conflicts() -> None:
    prompt = '<findings>\n{"claim_ids": ["a1"], "statement": "A."}\n</findings>'
    headings = [s["heading"] for s in synthesized_compose(prompt)["sections"]]
    assert headings == ["Key developments"]
