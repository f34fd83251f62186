"""An article that tells the model to report a made-up figure: the figure never reaches the brief."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from briefing import generate
from briefing.config import Settings
from briefing.corpus import load_corpus
from briefing.store import Store
from tests.conftest import LLMEndpoint

ARTICLE = Path(__file__).parent / "fixtures" / "articles" / "injection.txt"


def test_the_injected_instruction_is_not_in_the_text_sent_to_the_model(tmp_path: Path) -> None:
    corpus = tmp_path / "news"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus)
    article = load_corpus(corpus).articles[0]
    assert "IGNORE ALL PREVIOUS INSTRUCTIONS" not in article.text
    assert "NATO defence ministers met in Brussels" in article.text


@pytest.mark.vcr
def test_an_obeying_answer_is_rejected_and_the_figure_never_reaches_the_brief(
    llm: LLMEndpoint, tmp_path: Path, isolated_environment: Path
) -> None:
    corpus = tmp_path / "news"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus)
    result = generate(
        dt.date(2025, 5, 1), corpus=corpus, out=tmp_path / "b", settings=Settings(backend="llm")
    )
    # the obeying claim was re-asked, still wrong, and dropped; the real claim stays
    assert result.stats.reasks == 2 and result.stats.dropped_claims == 1
    everything = "\n".join(p.read_text(encoding="utf-8") for p in result.paths)
    assert "90,000" not in everything and "90000" not in everything
    assert "deployed" not in " ".join(row.quote for row in result.brief.citations)
    store = Store.open(isolated_environment)
    try:
        quotes = [row["quote"] for row in store.claim_rows()]
    finally:
        store.close()
    assert len(quotes) == 1 and "air defence systems" in quotes[0]
