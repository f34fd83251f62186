"""End to end on the seeds: the issue's "done when", checked by code."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from briefing import generate
from briefing.corpus import load_corpus
from briefing.errors import ConfigurationError, CorpusError
from briefing.store import Store
from tests.factories import count_pools

SINCE = dt.date(2025, 2, 1)


@pytest.fixture
def brief_json(seeds_copy: Path, tmp_path: Path) -> dict:
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "briefs")
    assert [p.name for p in result.paths] == [
        "brief-2025-02-01_2025-05-28.md",
        "brief-2025-02-01_2025-05-28.json",
    ]
    return json.loads(result.paths[1].read_text(encoding="utf-8"))


def test_json_contract_fields(brief_json: dict) -> None:
    assert brief_json["as_of"] == "2025-05-28"
    assert brief_json["period"] == {"since": "2025-02-01", "until": "2025-05-28"}
    assert brief_json["extractor"] == {"name": "offline", "model": None, "prompt_version": None}
    for source in brief_json["sources"]:
        assert set(source) >= {
            "id",
            "article_id",
            "path",
            "title",
            "outlet",
            "published",
            "date_source",
        }
    for section in brief_json["sections"]:
        for item in section["items"]:
            assert item["citations"], item["text"]
            for citation in item["citations"]:
                # the contract's fields, and the key its marker and table row show ("4.2")
                assert set(citation) == {"source", "claim_id", "quote", "start", "end", "key"}
                assert citation["key"].startswith(f"{citation['source']}.")


def test_every_quote_is_the_raw_file_at_its_offsets(brief_json: dict, seeds_copy: Path) -> None:
    sources = {s["id"]: s for s in brief_json["sources"]}
    raw = {
        s["path"]: (seeds_copy.parent / s["path"]).read_bytes().decode("utf-8")
        for s in brief_json["sources"]
    }
    quotes = [c for s in brief_json["sections"] for i in s["items"] for c in i["citations"]]
    assert quotes
    for citation in quotes:
        text = raw[sources[citation["source"]]["path"]]
        assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert all(row["verified"] for row in brief_json["citations"])


def test_brief_cites_all_five_seeds(brief_json: dict) -> None:
    assert len(brief_json["sources"]) == 5
    assert all(source["cited"] for source in brief_json["sources"])
    cited = {
        c["source"] for s in brief_json["sections"] for i in s["items"] for c in i["citations"]
    }
    assert cited == {1, 2, 3, 4, 5}


def test_header_dates_and_undated_sources(brief_json: dict) -> None:
    by_path = {Path(s["path"]).name[:3]: s for s in brief_json["sources"]}
    assert by_path["000"]["published"] == "2025-05-28"
    assert by_path["001"]["published"] == "2025-04-26"
    assert by_path["000"]["date_source"] == by_path["001"]["date_source"] == "header"
    for name in ("002", "003", "004"):
        assert by_path[name]["published"] is None
        assert by_path[name]["date_source"] == "unknown"
    assert any("no publication date" in note for note in brief_json["notes"])


BOILERPLATE = [
    "Sorry!!",
    "page you were looking for",
    "Legal Disclaimer",
    "without warranty",
    "Most popular stories",
    "Bitmex",
    "Zdieľaj",
    "Israeli army raises alert level",
    "Vaša e-mailová",
    "Related content",
    "Images source",
    "CommentsNo comment",
]


def test_no_quote_comes_from_boilerplate(brief_json: dict) -> None:
    for row in brief_json["citations"]:
        for marker in BOILERPLATE:
            assert marker not in row["quote"]


def test_quotes_in_duplicated_bodies_point_at_the_first_copy(
    brief_json: dict, seeds_copy: Path
) -> None:
    for source in brief_json["sources"]:
        raw = (seeds_copy.parent / source["path"]).read_text(encoding="utf-8")
        for row in brief_json["citations"]:
            if row["source"] == source["id"]:
                assert raw.find(row["quote"]) == row["start"]


def test_no_item_is_repeated(brief_json: dict) -> None:
    texts = [i["text"] for s in brief_json["sections"] for i in s["items"]]
    assert len(texts) == len(set(texts))
    # A source discrepancy cites again a sentence that may be an item elsewhere: one
    # sentence has one claim id wherever it is cited. No other claim is cited twice.
    claim_ids = [
        c["claim_id"]
        for s in brief_json["sections"]
        if s["heading"] != "Source discrepancies"
        for i in s["items"]
        for c in i["citations"]
    ]
    assert len(claim_ids) == len(set(claim_ids))


def test_brief_is_at_most_1500_words(brief_json: dict) -> None:
    body = [brief_json["title"], brief_json["overview"]] + [
        i["text"] for s in brief_json["sections"] for i in s["items"]
    ]
    words = sum(len(part.split()) for part in body)
    assert words == brief_json["word_count"]
    assert words <= 1500


# The main developments of every seed, as an analyst would list them.
MAIN_DEVELOPMENTS = {
    "000": [
        "has reportedly been abandoned",
        "declined a request to offer a “backstop”",
        "would not accept the involvement of any NATO forces",
        "at normal pace",
    ],
    "001": [
        "decline in enthusiasm for sending troops",
        "legitimate military targets",
        "World War III",
    ],
    "002": [
        "only six nations",
        "Baltic states",
        "real and substantial",
        "Brekelmans",
        "won’t send troops",
        "Medvedev",
    ],
    "003": [
        "willingness to provide support to a proposed European-led peacekeeping force",
        "may abandon plans to send thousands of ground troops",
        "funeral of Pope Francis",
    ],
    "004": [
        "did not receive a clear endorsement",
        "does not oppose providing security guarantees",
        "25,000 to 30,000 troops",
        "Germany, Italy, Spain, and Poland expressed opposition",
        "Putin is ready to agree",
    ],
}


def test_main_developments_of_every_seed_are_covered(brief_json: dict) -> None:
    sources = {s["id"]: Path(s["path"]).name[:3] for s in brief_json["sources"]}
    quoted: dict[str, str] = {}
    for row in brief_json["citations"]:
        quoted[sources[row["source"]]] = quoted.get(sources[row["source"]], "") + " " + row["quote"]
    for seed, phrases in MAIN_DEVELOPMENTS.items():
        for phrase in phrases:
            assert phrase in " ".join(quoted.get(seed, "").split()), (seed, phrase)


def test_markdown_shows_items_with_markers_sources_and_table(
    seeds_copy: Path, tmp_path: Path
) -> None:
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", formats=("md",))
    markdown = result.paths[0].read_text(encoding="utf-8")
    assert "offline extractive mode" in markdown
    assert "## Key developments" in markdown and "## Positions by actor" in markdown
    assert re.search(r"^- \*\*.+\*\* .+ \[\d+\.\d+\]", markdown, re.M)  # [source.quote]
    assert "## Sources" in markdown and "## Citations" in markdown
    assert markdown.count("| yes |") == len(result.brief.quotes)  # one row per quote


def test_articles_outside_the_period_are_left_out(seeds_copy: Path, tmp_path: Path) -> None:
    result = generate(dt.date(2025, 5, 1), corpus=seeds_copy, out=tmp_path / "b")
    dated = [s for s in result.brief.sources if s.published]
    assert [s.path.split("/")[-1][:3] for s in dated] == ["000"]
    assert result.excluded == 1


def test_undated_exclude_keeps_only_dated_sources(seeds_copy: Path, tmp_path: Path) -> None:
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", undated="exclude")
    assert {s.path[-24:-21] for s in result.brief.sources} == {"000", "001"}
    assert result.excluded == 3


def test_until_before_since_is_a_usage_error(seeds_copy: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="is before since"):
        generate(SINCE, dt.date(2025, 1, 1), corpus=seeds_copy, out=tmp_path / "b")


def test_missing_corpus_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        generate(SINCE, corpus=tmp_path / "nope", out=tmp_path / "b")


def test_second_run_comes_from_the_store(
    seeds_copy: Path, tmp_path: Path, isolated_environment: Path
) -> None:
    first = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b")
    second = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b")
    assert (first.stats.extracted, first.stats.cached) == (5, 0)
    assert (second.stats.extracted, second.stats.cached) == (0, 5)
    assert first.brief == second.brief
    store = Store.open(isolated_environment)
    try:
        assert {row["article_id"] for row in store.claim_rows()} == {
            a.article_id for a in load_corpus(seeds_copy).articles
        }
        assert store.applied_migrations() == [
            "m001_initial",
            "m002_llm_cache",
            "m003_reviews",
            "m004_derived_claims",
            "m005_batches",
        ]
    finally:
        store.close()


def test_articles_read_in_worker_processes_give_the_same_brief(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big corpus is read by worker processes (with the run's lexicon); what they read
    is what the run would read itself."""
    from briefing import workers
    from briefing.offline import backend

    inline = generate(dt.date(2025, 2, 1), corpus=seeds_copy, out=tmp_path / "inline")
    monkeypatch.setenv("BRIEFING_HOME", str(tmp_path / "other-home"))
    monkeypatch.setattr(backend, "POOL_AFTER_ARTICLES", 1)  # all but the first in workers
    pools = count_pools(monkeypatch, workers)
    pooled = generate(dt.date(2025, 2, 1), corpus=seeds_copy, out=tmp_path / "pooled")
    assert len(pools) == 1 and pooled.stats.extracted == 5 and pooled.stats.cached == 0
    assert pooled.brief == inline.brief


def _stored_extractions(home: Path, articles: list) -> dict[str, object]:
    """The extractions the store holds for `articles`, by path (offline, this lexicon)."""
    from briefing import lexicon
    from briefing.offline.backend import OfflineBackend
    from briefing.store import cache_key

    lexicon.use(lexicon.load_lexicon())
    version = OfflineBackend().cache_version
    store = Store.open(home)
    try:
        found = {
            a.path: store.cached_extraction(cache_key(a, "offline", None, version))
            for a in articles
        }
    finally:
        store.close()
    return {path: extraction for path, extraction in found.items() if extraction is not None}


def test_extractions_that_finish_together_are_saved_together_each_under_its_key(
    seeds_copy: Path, tmp_path: Path, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved in transactions of SAVE_EVERY_ARTICLES, the rest when extraction ends: every
    article's stored extraction is the one the extractor gives it alone."""
    from briefing import pipeline
    from briefing.offline.extract import OfflineExtractor

    monkeypatch.setattr(pipeline, "SAVE_EVERY_ARTICLES", 2)
    monkeypatch.setattr(pipeline, "SAVE_AFTER_SECONDS", 600.0)  # never by the clock here
    batches: list[int] = []
    save = Store.save_extractions

    def counted(self: Store, finished: list) -> None:
        batches.append(len(finished))
        save(self, finished)

    monkeypatch.setattr(Store, "save_extractions", counted)
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "briefs")
    assert batches == [2, 2, 1] and result.stats.extracted == 5
    articles = load_corpus(seeds_copy).articles
    stored = _stored_extractions(isolated_environment, articles)
    assert stored == {a.path: OfflineExtractor().extract(a) for a in articles}


def test_an_extraction_is_saved_soon_while_others_are_still_running(
    seeds_copy: Path, tmp_path: Path, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock saves what finished: the last article is answered only once the store
    holds the others, which it would never do if saves waited for the whole run."""
    import asyncio

    from briefing import pipeline
    from briefing.offline.backend import OfflineBackend
    from briefing.schemas import Article, ArticleExtraction

    monkeypatch.setattr(pipeline, "SAVE_AFTER_SECONDS", 0.05)
    articles = load_corpus(seeds_copy).articles
    last = articles[-1].path

    class LastWaitsForTheStore(OfflineBackend):
        async def extract(self, article: Article) -> ArticleExtraction:
            if article.path == last:
                for _ in range(500):
                    if len(_stored_extractions(isolated_environment, articles)) == 4:
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError("the finished extractions were not saved")
            return await super().extract(article)

    result = generate(
        SINCE, corpus=seeds_copy, out=tmp_path / "briefs", backend=LastWaitsForTheStore()
    )
    assert result.stats.extracted == 5
    assert len(_stored_extractions(isolated_environment, articles)) == 5


def test_a_failing_run_keeps_the_extractions_that_finished(
    seeds_copy: Path, tmp_path: Path, isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that stops the run does not lose what was extracted but not yet saved."""
    from briefing import pipeline
    from briefing.offline import backend

    monkeypatch.setattr(pipeline, "SAVE_AFTER_SECONDS", 600.0)
    articles = load_corpus(seeds_copy).articles
    broken = articles[2].path
    extract = backend.OfflineExtractor.extract

    def failing(self: object, article: object) -> object:
        if getattr(article, "path", None) == broken:
            raise RuntimeError("a bug")
        return extract(self, article)  # type: ignore[arg-type]

    monkeypatch.setattr(backend.OfflineExtractor, "extract", failing)
    with pytest.raises(RuntimeError, match="a bug"):
        generate(SINCE, corpus=seeds_copy, out=tmp_path / "briefs")
    stored = _stored_extractions(isolated_environment, articles)
    assert set(stored) == {a.path for a in articles} - {broken}


def test_a_store_that_fails_while_saving_stops_the_run_with_its_error(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save by the clock runs outside any article's task; its failure (a full disk)
    is still the run's error, not a line in the event loop's log."""
    import asyncio

    from briefing import pipeline
    from briefing.errors import StoreError
    from briefing.offline.backend import OfflineBackend
    from briefing.schemas import Article, ArticleExtraction

    saves: list[int] = []
    save = Store.save_extractions

    def full_once(self: Store, finished: list) -> None:
        saves.append(len(finished))
        if len(saves) == 1:  # the clock's save of the first four; the last would go
            raise StoreError("cannot write the store: the disk is full")
        save(self, finished)

    monkeypatch.setattr(Store, "save_extractions", full_once)
    monkeypatch.setattr(pipeline, "SAVE_AFTER_SECONDS", 0.01)
    last = load_corpus(seeds_copy).articles[-1].path

    class LastIsSlow(OfflineBackend):
        async def extract(self, article: Article) -> ArticleExtraction:
            if article.path == last:
                await asyncio.sleep(0.3)  # the others are saved by the clock meanwhile
            return await super().extract(article)

    with pytest.raises(StoreError, match="disk is full"):
        generate(SINCE, corpus=seeds_copy, out=tmp_path / "briefs", backend=LastIsSlow())
    assert saves[0] == 4
    assert not (tmp_path / "briefs").exists()
