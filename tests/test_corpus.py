"""Corpus loading: the real seeds, cleaning rules, and every kind of bad file."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import random
from pathlib import Path

import pytest

from briefing import boilerplate as bp
from briefing.corpus import Corpus, FileProblem, clean_text, load_corpus
from briefing.errors import CorpusError
from briefing.schemas import Article
from briefing.sentences import split_sentences
from tests.factories import make_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

FURNITURE = [
    "Sorry!!",
    "Error!",
    "page you were looking for",
    "Legal Disclaimer",
    "without warranty",
    "Most popular",
    "B2PRIME",
    "Bitmex",
    "CommentsNo comment",
    "Zdieľaj",
    "ZDIEĽAŤEĽNÁ",
    "Posledný",
    "Ďalšie",
    "Pridaj",
    "e-mailová",
    "Israeli army",
    "China strikes back",
    "Read next",
    "Related content",
    "Images source",
    "Mateusz Czmiel",
    "NewsUS",
]


def assert_segments_exact(article: Article) -> None:
    assert article.segments, article.path
    for seg in article.segments:
        raw = article.raw_text[seg.raw_start : seg.raw_start + seg.length]
        assert raw == article.text[seg.clean_start : seg.clean_start + seg.length]
    # the segments tile the cleaned text apart from the "\n\n" joins between them
    covered = sum(seg.length for seg in article.segments) + 2 * (len(article.segments) - 1)
    assert covered == len(article.text)


@pytest.fixture(scope="module")
def seeds() -> Corpus:
    return load_corpus(SEEDS)


def by_prefix(corpus: Corpus, prefix: str) -> Article:
    return next(a for a in corpus.articles if a.path.startswith(f"seeds/{prefix}"))


# --- the real seeds ----------------------------------------------------------------------


def test_all_seeds_load_cleanly(seeds: Corpus) -> None:
    assert [a.path[:9] for a in seeds.articles] == [f"seeds/00{i}" for i in range(5)]
    assert seeds.skipped == [] and seeds.warnings == []
    for article in seeds.articles:
        assert_segments_exact(article)
        assert article.article_id == article.content_hash[:16]
        assert article.encoding == "utf-8"


def test_seed_dates_and_outlets(seeds: Corpus) -> None:
    a000, a001 = by_prefix(seeds, "000"), by_prefix(seeds, "001")
    assert (a000.published, a000.date_source) == (dt.date(2025, 5, 28), "header")
    assert (a001.published, a001.date_source) == (dt.date(2025, 4, 26), "header")
    assert a000.date_evidence is not None and "2025-05-28" in a000.date_evidence
    assert a000.outlet == a001.outlet == "MENAFN"
    for prefix in ("002", "003", "004"):
        article = by_prefix(seeds, prefix)
        assert (article.published, article.date_source) == (None, "unknown")
        # 002 cites AFP, 003 the Telegraph: cited outlets are not the publisher
        assert article.outlet is None


def test_seed_titles(seeds: Corpus) -> None:
    assert by_prefix(seeds, "000").title == "Proposal to Send NATO Troops to Ukraine Gets Abandoned"
    assert by_prefix(seeds, "001").title == (
        "UK, France show decline in in enthusiasm for sending troops to Ukraine"
    )
    assert by_prefix(seeds, "002").title == (
        "Just 6 western nations back post-war troop deployment to Ukraine"
    )
    assert by_prefix(seeds, "003").title == "US backs European coalition in Ukraine ceasefire plan"
    assert by_prefix(seeds, "004").title is None  # first line is a sentence


def test_seed_furniture_is_gone(seeds: Corpus) -> None:
    for article in seeds.articles:
        assert "date 2025" not in article.text
        for junk in FURNITURE:
            assert junk not in article.text, (article.path, junk)


@pytest.mark.parametrize("prefix", ["000", "001"])
def test_duplicated_bodies_kept_once(seeds: Corpus, prefix: str) -> None:
    article = by_prefix(seeds, prefix)
    lines = article.raw_text.splitlines()
    body = lines[3 : lines.index("Legal Disclaimer:")]
    assert len(body) > len(set(body))  # the seed really prints its body twice
    for sentence in set(body):
        assert article.text.count(sentence) == 1, sentence


def test_seed_003_keeps_body_and_drops_repeats(seeds: Corpus) -> None:
    article = by_prefix(seeds, "003")
    assert article.text.count("Media: USA ready to support Western troops in Ukraine") == 1
    assert article.text.startswith("US backs European coalition in\xa0Ukraine")
    assert "What do you need to know?" in article.text
    # bullets keep their sentence, not the bullet or its indentation
    assert "\nThe USA has declared support" in article.text
    assert "•" not in article.text
    assert "The coalition includes 33 countries" in article.text


def test_seed_002_keeps_foreign_names(seeds: Corpus) -> None:
    text = by_prefix(seeds, "002").text
    assert "Pal Jonson, echoed those doubts" in text
    assert "Ruben Brekelmans" in text
    assert text.rstrip().endswith("than a coordinated strategy.")


def test_raw_span_maps_quotes_back(seeds: Corpus) -> None:
    article = by_prefix(seeds, "000")
    quote = "preposterous without the help of Trump"
    start = article.text.index(quote)
    span = article.raw_span(start, start + len(quote))
    assert span is not None
    assert article.raw_text[span[0] : span[1]] == quote
    # the first raw copy is the one cited, never the dropped duplicate
    assert span[0] == article.raw_text.index(quote)


# --- cleaning rules ----------------------------------------------------------------------


def test_hard_wrapped_paragraph_stays_one_segment() -> None:
    raw = 'Headline here\n\nHe said "we will\nnot send troops" on Monday.\nSecond line.\n'
    text, segments, info = clean_text(raw)
    assert info.title == "Headline here"
    assert len(segments) == 2  # the headline, then the whole wrapped body
    quote = "we will\nnot send troops"
    start = text.index(quote)
    span = make_article(raw).raw_span(start, start + len(quote))
    assert span is not None and raw[span[0] : span[1]] == quote


def test_a_headline_ending_like_a_wrapped_line_does_not_run_into_the_lead() -> None:
    raw = (
        "Ferry queue grows as the dispute drags on\n"
        "The number of ferries waiting has reached 12, the operators said on Thursday.\n"
    )
    text, _, info = clean_text(raw)
    assert info.title == "Ferry queue grows as the dispute drags on"
    sentences = [s.text for s in split_sentences(text)]
    assert sentences[1].startswith("The number of ferries")


def test_dropped_line_splits_segments() -> None:
    raw = "First paragraph of the story.\nSorry!!\nSecond paragraph of the story.\n"
    text, segments, info = clean_text(raw)
    assert text == "First paragraph of the story.\n\nSecond paragraph of the story."
    assert len(segments) == 2
    assert ("banner", "Sorry!!") in info.dropped


def test_long_sentence_mentioning_an_error_is_kept() -> None:
    sentence = (
        "Officials said the page was not found on the ministry website for two days, "
        "and that the error had been fixed by Tuesday after complaints from reporters."
    )
    text, _, _ = clean_text(f"Ministry site fixed\n{sentence}\n")
    assert sentence in text


def test_tail_marker_before_the_body_does_not_eat_it() -> None:
    raw = "Share\nTroops plan stalls\n" + "European ministers met in Brussels to talk. " * 4
    text, _, _ = clean_text(raw)
    assert "European ministers met" in text
    assert "Share" not in text


def test_tail_marker_drops_everything_after_it() -> None:
    body = "European ministers met in Brussels on Tuesday to discuss the plan. " * 3
    raw = f"{body}\nRead more\nIsraeli army raises alert level ahead of Passover\n"
    text, _, info = clean_text(raw)
    assert "Israeli" not in text and "Read more" not in text
    assert ("tail", "Israeli army raises alert level ahead of Passover") in info.dropped


def test_truncated_copy_is_dropped() -> None:
    full = "The two nations had been leading an initiative among European NATO members."
    raw = f"{full}\nAnother sentence in between here.\n{full[:50]}\n"
    text, _, _ = clean_text(raw)
    assert text.count(full[:50]) == 1


@pytest.mark.parametrize(
    ("line", "date", "origin"),
    [
        (
            "KYIV, Feb. 3, 2025 (Reuters) - Ukraine said on Monday it would talk.",
            (2025, 2, 3),
            "Reuters",
        ),
        ("March 4, 2025 — Ministers met in Brussels to discuss troops.", (2025, 3, 4), None),
        ("2025-03-04 — Ministers met in Brussels to discuss troops.", (2025, 3, 4), None),
        ("LONDON, 5 March 2025 (AP) — Ministers met in London.", (2025, 3, 5), "AP"),
        ("(MENAFN) A proposal was abandoned, a source said.", None, "MENAFN"),
        ("March 4, 2025 was the day ministers met in Brussels.", None, None),
    ],
)
def test_datelines(line: str, date: tuple[int, int, int] | None, origin: str | None) -> None:
    _, _, info = clean_text(f"A headline without a period\n{line}\n")
    assert info.dateline_date == (dt.date(*date) if date else None)
    assert info.origin == origin  # the agency a dateline credits, not the publishing site


# --- files on disk -----------------------------------------------------------------------

GOOD = "Troops plan stalls\nEuropean ministers met in Brussels on Tuesday to discuss the plan.\n"


def write(folder: Path, name: str, data: bytes | str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    root = tmp_path / "news"
    write(root, "a.txt", " date 2025-03-04 200\n" + GOOD)
    write(root, "b_dup.txt", " date 2025-03-04 200\n" + GOOD)
    write(root, "empty.txt", b"")
    write(root, "blank.txt", "  \n\t\n")
    write(root, "binary.txt", bytes(range(256)) * 4)
    write(
        root,
        "latin1.txt",
        "Café talks resume\nMinisters met in the café on Tuesday.\n".encode("latin-1"),
    )
    write(
        root,
        "utf16.txt",
        codecs.BOM_UTF16_LE + "Kyiv talks\nThe talks went on.\n".encode("utf-16-le"),
    )
    write(
        root, "utf16_nobom.txt", "Kyiv talks again\nThe talks went on again.\n".encode("utf-16-le")
    )
    write(root, "bom.txt", codecs.BOM_UTF8 + "Brussels meeting\nThey “met” at noon.\n".encode())
    write(
        root,
        "crlf.txt",
        " date 2025-03-05 200\r\nParis summit\r\nLeaders met in Paris.\r\n"
        "They agreed\r\non a plan.\r\nSorry!!\r\nThey left.\r\n",
    )
    write(root, "bad_date.txt", " date 2025-13-45 200\n" + GOOD.replace("Tuesday", "Friday"))
    write(root, "report.pdf", b"%PDF-1.4")
    write(
        root,
        "only_junk.txt",
        "Sorry!!\nError! We're sorry, but the page you were looking for doesn't exist.\n",
    )
    write(root, ".hidden.txt", GOOD + "hidden")
    write(root, ".git/config.txt", GOOD + "git")
    write(root, "sub/notes.md", "# A markdown title.\n\nMarkdown body sentence here.\n")
    records = [
        {
            "title": "One",
            "url": "https://x.test/1",
            "published": "2025-03-01T10:00:00Z",
            "text": "Record one text.",
            "outlet": "Wire",
        },
        {"title": "Two", "text": 42},
        {"title": "Three", "published": "2025-03-03", "text": "Record three text."},
    ]
    write(root, "feed.json", json.dumps(records))
    lines = [
        json.dumps({"text": "Line zero text."}),
        "",
        "{not json",
        json.dumps({"text": "Line two text.", "published": "2025-02-30"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "Line four text."}),
    ]
    write(root, "feed.jsonl", "\n".join(lines) + "\n")
    write(root, "broken.json", "{oops")
    write(
        root,
        "page.html",
        """<html><head><title>Troops plan | Example News</title>
<meta property="og:site_name" content="Example News"><meta name="date" content="2025-03-06">
<script>var secret = "SCRIPTTEXT";</script><style>.x{color:red}</style></head>
<body><nav>Home | World</nav><article><h1>Troops plan stalls</h1>
<p>European ministers met in Brussels on Tuesday to discuss a proposed reassurance force.</p>
<p>Only six countries have so far committed troops to the mission, officials said.</p>
</article></body></html>""",
    )
    return load_corpus(root)


def article(corpus: Corpus, path: str) -> Article:
    return next(a for a in corpus.articles if a.path == f"news/{path}")


def test_skipped_files_have_reasons(corpus: Corpus) -> None:
    skipped = {p.path: p.reason for p in corpus.skipped}
    assert skipped == {
        "news/b_dup.txt": "same text as news/a.txt",
        "news/bad_date.txt": "line 1: header date '2025-13-45' is not a date",
        "news/binary.txt": "binary file",
        "news/blank.txt": "only whitespace",
        "news/broken.json": "invalid JSON: Expecting property name enclosed in double quotes "
        "(line 1)",
        "news/empty.txt": "empty file",
        "news/feed.json#1": "text is not a string",
        "news/feed.jsonl#1": "invalid JSON: Expecting property name enclosed in double quotes "
        "(column 2)",
        "news/feed.jsonl#2": "published '2025-02-30' is not a date",
        "news/feed.jsonl#3": "record is not an object",
        "news/only_junk.txt": "no article text after cleaning",
        "news/report.pdf": "unsupported file type '.pdf' "
        "(expected .txt, .md, .html, .json, .jsonl)",
    }
    assert str(FileProblem("x.txt", "empty file")) == "x.txt: empty file"


def test_loaded_paths_are_sorted_and_hidden_skipped(corpus: Corpus) -> None:
    paths = [a.path for a in corpus.articles]
    assert paths == sorted(paths, key=lambda p: (p.split("#")[0], p))
    assert not any("hidden" in a.text or "git" in a.text for a in corpus.articles)
    assert "news/sub/notes.md" in paths
    assert article(corpus, "sub/notes.md").title == "A markdown title."
    for loaded in corpus.articles:
        assert_segments_exact(loaded)


def test_encodings(corpus: Corpus) -> None:
    latin = article(corpus, "latin1.txt")
    assert latin.encoding == "latin-1" and "café" in latin.text
    warned = {p.path: p.reason for p in corpus.warnings}
    assert warned["news/latin1.txt"] == "not UTF-8; decoded as Latin-1"
    assert "UTF-16-LE" in warned["news/utf16_nobom.txt"]
    assert article(corpus, "utf16.txt").text.endswith("The talks went on.")
    assert article(corpus, "utf16_nobom.txt").title == "Kyiv talks again"
    bom = article(corpus, "bom.txt")
    assert bom.encoding == "utf-8-sig" and not bom.raw_text.startswith("\ufeff")
    start = bom.text.index("“met”")
    raw_start = bom.raw_text.index("“met”")
    assert bom.raw_span(start, start + 5) == (raw_start, raw_start + 5)


def test_crlf_offsets_exact(corpus: Corpus) -> None:
    crlf = article(corpus, "crlf.txt")
    assert crlf.published == dt.date(2025, 3, 5) and crlf.date_source == "header"
    assert crlf.title == "Paris summit"
    assert "Sorry" not in crlf.text and "date 2025" not in crlf.text
    quote = "They agreed\r\non a plan."
    start = crlf.text.index(quote)
    span = crlf.raw_span(start, start + len(quote))
    assert span is not None and crlf.raw_text[span[0] : span[1]] == quote


def test_json_records(corpus: Corpus) -> None:
    one = article(corpus, "feed.json#0")
    assert (one.title, one.url, one.outlet) == ("One", "https://x.test/1", "Wire")
    assert (one.published, one.date_source) == (dt.date(2025, 3, 1), "metadata")
    assert one.raw_text == "Record one text."
    assert article(corpus, "feed.json#2").published == dt.date(2025, 3, 3)
    assert article(corpus, "feed.jsonl#0").text == "Line zero text."
    assert article(corpus, "feed.jsonl#4").text == "Line four text."


def test_html(corpus: Corpus) -> None:
    page = article(corpus, "page.html")
    assert "SCRIPTTEXT" not in page.raw_text and "color:red" not in page.raw_text
    assert "Only six countries have so far committed troops" in page.text
    assert page.outlet == "Example News"
    assert (page.published, page.date_source) == (dt.date(2025, 3, 6), "metadata")
    assert page.title is not None and "Troops plan" in page.title


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CorpusError):
        load_corpus(tmp_path / "file.txt")


def test_cr_only_line_endings() -> None:
    raw = "Old Mac headline\rFirst line of the body.\rSorry!!\rLast line of the body.\r"
    text, segments, _ = clean_text(raw)
    assert text == "Old Mac headline\n\nFirst line of the body.\n\nLast line of the body."
    assert len(segments) == 3  # headline, body, body after the dropped banner


def test_non_english_article_is_not_wiped() -> None:
    raw = "Vojaci na Ukrajine\nMinistri sa stretli v Bruseli a rokovali o misii.\n"
    text, _, info = clean_text(raw)
    assert "Ministri sa stretli" in text and info.title == "Vojaci na Ukrajine"


def test_relative_corpus_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write(tmp_path / "feed", "a.md", GOOD)
    monkeypatch.chdir(tmp_path / "feed")
    loaded = load_corpus(Path("."))
    assert [a.path for a in loaded.articles] == ["feed/a.md"]


# Furniture and near-misses, in several cases and scripts, to build lines from.
_FURNITURE_PIECES = [
    *"photo Photo PHOTOS Image picture credit Foto / Getty Images Shutterstock Alamy".split(),
    *"© (c) (C) Copyright ALL RIGHTS RESERVED all content material".split(" "),
    *"ignore IGNORE disregard forget previous all your instructions rules prompts".split(),
    "system prompt:",
    "You are now an AI",
    "as an ai",
    "new instructions:",
    "provides the information",
    '"as is"',
    "without warranty of any kind",
    "do not accept any responsibility",
    "accepts no liability",
    "Assumes no responsibility",
    "Sorry",
    "Error 404",
    "page not found",
    "article doesn’t exist",
    "no longer available",
    "Access Denied",
    "Forbidden",
    "please enable JavaScript",
    "something went wrong",
    "(Photo by Ann Lee/Wire)",
    "Jane Doe/AP",
    "Wednesday, Aug. 9, 2023, in Kahului",
    "JANE ROE JROE@EXAMPLE.COM",
    "\u212a",  # the Kelvin sign, a "k" to a case-insensitive pattern
    "ſ",  # a long s, an "s" to one
    "İ",
    "ı",
    "é",
    " ",
    ",",
    ".",
    ":",
    "x",
]


def test_the_cheap_word_tests_before_furniture_patterns_never_change_a_verdict() -> None:
    # Each gated pattern is tried only on lines holding one of its words: on any line, the
    # gate must agree with the pattern alone.
    rng = random.Random(7)
    lines = ["".join(rng.choices(_FURNITURE_PIECES, k=rng.randint(1, 6))) for _ in range(30_000)]
    gated = [v for v in vars(bp).values() if isinstance(v, bp.Needing)]
    assert len(gated) >= 4
    for needing in gated:
        matched = 0
        for line in lines:
            expected = needing.pattern.search(line)
            assert bool(needing.search(line)) == bool(expected), (needing.pattern.pattern, line)
            matched += expected is not None
        assert matched, needing.pattern.pattern  # the lines do exercise the pattern
    for line in lines:
        ungated = len(line) < bp.SHORT_LINE and any(r.search(line) for r in bp._BANNER_RES)
        assert bp.is_error_banner(line) == ungated, line
