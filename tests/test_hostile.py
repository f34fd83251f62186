"""A corpus of the seeds plus fifteen hostile files: the run finishes and names every bad file."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from briefing import corpus as corpus_module
from briefing import sentences
from briefing.boilerplate import KeptLines, Line, normalise
from briefing.cli import main
from briefing.config import Settings
from briefing.corpus import Corpus, load_corpus
from briefing.errors import BriefingError
from briefing.pipeline import build_brief, write_brief
from briefing.schemas import Brief
from briefing.sentences import split_sentences
from briefing.store import Store
from tests.factories import make_article

SEED_002 = "002_98495e7bedb7fce5.txt"
INJECTION = Path(__file__).parent / "fixtures" / "articles" / "injection.txt"


@pytest.fixture
def hostile_corpus(seeds_copy: Path) -> tuple[Path, dict[str, str]]:
    """Seeds plus hostile files; returns the folder and {file name: expected reason fragment}."""
    c = seeds_copy
    (c / "empty.txt").write_bytes(b"")
    (c / "blank.md").write_text("  \n\t\n  ")
    (c / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (c / "latin1.txt").write_bytes(
        " date 2025-05-03 200\nLe ministre français a déclaré que les troupes resteraient à Kyiv jusqu'à l'été prochain.\n".encode(
            "latin-1"
        )
    )
    (c / "utf16.txt").write_text(
        " date 2025-05-04 200\nThe Ukrainian foreign ministry said on Sunday that talks with European partners would continue next week.\n",
        encoding="utf-16",
    )
    paragraph = "Officials in Brussels said the reassurance force would need air cover and logistics support from allies. "
    (c / "huge.txt").write_text(
        " date 2025-05-05 200\n" + (paragraph * 3 + "\n\n") * 32_000, encoding="utf-8"
    )
    (c / "page.html").write_text(
        "<html><head><title>Talks resume</title><script>alert('x')</script></head><body><article>"
        "<p>Negotiators from Kyiv and Moscow resumed technical talks in Istanbul on Monday, officials said.</p>"
        "<p>The talks focused on prisoner exchanges and the return of children, according to the mediators.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    (c / "feed.json").write_text(
        json.dumps(
            [
                {
                    "title": "Ok",
                    "published": "2025-05-06",
                    "text": "The Dutch government said it would send two more air defence systems to Ukraine this summer.",
                },
                {"title": "No text"},
            ]
        )
    )
    (c / "wire.jsonl").write_text(
        '{"title": "A", "published": "2025-05-07", "text": "Poland said it would not send troops to Ukraine but would host a logistics hub."}\n{broken\n'
    )
    original = (c / SEED_002).read_text(encoding="utf-8")
    (c / "reprint-of-002.txt").write_text(
        "Reprinted with permission.\n" + original, encoding="utf-8"
    )
    (c / "future.txt").write_text(
        " date 2031-01-01 200\nA report dated in the future says the coalition met again in Paris to plan the deployment.\n"
    )
    (c / "bad-date.txt").write_text(
        " date 2025-13-45 200\nThe coalition met again in Paris to plan the deployment of troops.\n"
    )
    (c / "scan.pdf").write_bytes(b"%PDF-1.4 not an article")
    os.symlink(c / "does-not-exist.txt", c / "dangling.txt")
    (c / "deep.json").write_text("[" * 100_000)
    (c / "injection.txt").write_text(INJECTION.read_text(encoding="utf-8"), encoding="utf-8")
    expected = {
        "empty.txt": "empty file",
        "blank.md": "only whitespace",
        "binary.txt": "binary file",
        "feed.json#1": "record has no text",
        "wire.jsonl#1": "invalid JSON",
        "bad-date.txt": "header date '2025-13-45' is not a date",
        "scan.pdf": "unsupported file type",
        "dangling.txt": "cannot read",
        "deep.json": "nested too deeply",
    }
    return c, expected


def test_hostile_corpus_yields_a_brief_and_names_every_bad_file(
    hostile_corpus: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    corpus, expected = hostile_corpus
    out = tmp_path / "briefs"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "briefing",
            "generate",
            "--since",
            "2025-02-01",
            "--corpus",
            str(corpus),
            "--out",
            str(out),
            "--format",
            "md,json,html",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BRIEFING_HOME": str(tmp_path / "home")},
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name, reason in expected.items():
        line = next((x for x in done.stderr.splitlines() if f"seeds/{name}:" in x), None)
        assert line is not None and reason in line, (name, done.stderr)
    assert "warning: seeds/latin1.txt: not UTF-8; decoded as Latin-1" in done.stderr
    assert "warning: seeds/future.txt: publication date 2031-01-01 is in the future" in done.stderr
    brief = json.loads(next(out.glob("*.json")).read_text())
    sources = {s["path"].split("/")[-1]: s for s in brief["sources"]}
    # the reprint is one source with seed 002, not a second independent one
    assert (
        sources["reprint-of-002.txt"]["syndication_group"] == sources[SEED_002]["syndication_group"]
    )
    assert "future.txt" not in sources  # dated after the period's end: left out
    for name in ("latin1.txt", "utf16.txt", "page.html", "huge.txt", "injection.txt"):
        assert name in sources, name
    everything = "\n".join(p.read_text(encoding="utf-8") for p in out.iterdir())
    assert "90,000" not in everything and "IGNORE ALL PREVIOUS" not in everything
    assert "<script>alert" not in (next(out.glob("*.html"))).read_text(encoding="utf-8")
    assert all(row["verified"] for row in brief["citations"])


# --- bounded work on one file -------------------------------------------------------------


def _line(text: str) -> Line:
    return Line(0, len(text), text, normalise(text))


def test_many_lines_sharing_a_prefix_are_checked_for_repeats_in_bounded_time() -> None:
    """40,000 lines with the same first 40+ characters: each repeat check used to scan
    every earlier line with that prefix (minutes); now it is about constant."""
    kept = KeptLines()
    lead = "Officials in the capital said on Monday that the count"
    started = time.perf_counter()
    for i in range(40_000):
        line = _line(f"{lead} reached {i} people and was still rising.")
        assert kept.repeat_of(line) is None
        kept.append(line)
    assert time.perf_counter() - started < 10  # about 0.3 s; it was over a minute


@pytest.mark.parametrize("cut", [40, 41, 47, 50, 63, 64, 99, 150, 499])
def test_a_truncated_repeat_is_found_at_any_length(cut: int) -> None:
    kept = KeptLines()
    full = " ".join(f"word{i}" for i in range(120))  # 700 characters
    kept.append(_line("An unrelated line that is kept before the article body begins."))
    kept.append(_line(full))
    assert kept.repeat_of(_line(full)) == "repeat"
    assert kept.repeat_of(_line(full[:cut])) == "truncated repeat"
    assert kept.repeat_of(_line(full[:cut] + "x")) is None
    assert kept.repeat_of(_line(full[:39])) is None  # too short to call a copy


ONE_LINE_SENTENCE = (
    "Officials in the capital said on Monday that the count reached 40 people and was rising. "
)


def test_a_200kb_article_on_one_line_splits_into_its_sentences() -> None:
    text = (ONE_LINE_SENTENCE * (200_000 // len(ONE_LINE_SENTENCE) + 1))[:200_000]
    result = split_sentences(text)
    assert len(result) > 1000
    for sentence in result[:50] + result[-50:]:
        assert text[sentence.start : sentence.end] == sentence.text
    assert all(s.text.startswith("Officials") for s in result[:-1])  # cut only at ends


def test_pysbd_never_sees_more_than_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """pysbd's cost grows with the square of a paragraph: a megabyte on one line took
    minutes. An over-long paragraph reaches it in pieces, and only the first
    MAX_SPLIT_CHARS characters of a text are read at all."""
    real = sentences._segmenter()
    seen: list[int] = []

    class Recording:
        def segment(self, text: str) -> Any:
            seen.append(len(text))
            return real.segment(text)

    monkeypatch.setattr(sentences, "_segmenter", Recording)
    no_stops = " ".join(f"word{i}" for i in range(60_000))  # 400 KB, not one full stop
    text = (ONE_LINE_SENTENCE * 12_000) + "\n" + no_stops
    result = split_sentences(text)
    assert seen and max(seen) <= sentences.MAX_PYSBD_CHARS
    assert sum(seen) <= sentences.MAX_SPLIT_CHARS
    assert result[-1].end <= sentences.MAX_SPLIT_CHARS
    assert all(text[s.start : s.end] == s.text for s in result)
    # with a limit, only the pieces needed are split
    seen.clear()
    assert len(split_sentences(text, 100)) < 200
    assert sum(seen) < 3 * sentences.MAX_PYSBD_CHARS


# --- what may be read: regular files inside the corpus, of a bounded size ----------------

ARTICLE = (
    " date 2025-05-05 200\nOfficials in Brussels said the reassurance force would need air"
    " cover and logistics support from allies, according to two diplomats.\n"
)


def _load_in_time(folder: Path, seconds: float = 20) -> Corpus:
    """load_corpus in a thread: opening a FIFO used to block the run for ever."""
    result: list[Corpus] = []
    worker = threading.Thread(target=lambda: result.append(load_corpus(folder)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert result, f"load_corpus did not return within {seconds} s"
    return result[0]


def _reasons(corpus: Corpus) -> dict[str, str]:
    return {p.path.split("/", 1)[1]: p.reason for p in corpus.skipped}


def test_a_fifo_a_socket_and_a_device_are_skipped_without_being_opened(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "good.txt").write_text(ARTICLE, encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    expected = {"pipe.txt": "not a regular file (a FIFO)"}
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(folder / "s.txt"))
        expected["s.txt"] = "not a regular file (a socket)"
    except OSError:
        pass  # a path too long for a socket: the FIFO still makes the point
    try:
        os.mknod(folder / "zero.txt", stat.S_IFCHR | 0o600, os.makedev(1, 5))
        expected["zero.txt"] = "not a regular file (a device)"
    except OSError:
        pass  # not allowed to make device nodes here
    try:
        corpus = _load_in_time(folder)
    finally:
        sock.close()
    assert [a.path for a in corpus.articles] == ["c/good.txt"]
    assert _reasons(corpus) == expected


def test_symlinks_are_followed_only_inside_the_corpus(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    (folder / "sub").mkdir(parents=True)
    (folder / ".cache").mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text(ARTICLE.replace("Brussels", "Paris"), encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "sub" / "real.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / ".cache" / "kept.txt").write_text(ARTICLE.replace("Brussels", "Rome"), "utf-8")
    os.symlink(outside, folder / "leak.txt")
    os.symlink("../secret.txt", folder / "relative-leak.txt")
    os.symlink("/dev/zero", folder / "zero.txt")
    os.symlink(tmp_path / "elsewhere", folder / "outside-folder")
    os.symlink(folder, folder / "sub" / "loop")  # a cycle
    os.symlink(folder / ".cache", folder / "cache")  # a hidden folder, shown on purpose
    os.symlink("sub/real.txt", folder / "alias.txt")
    corpus = _load_in_time(folder)
    reasons = _reasons(corpus)
    for name in ("leak.txt", "relative-leak.txt", "zero.txt", "outside-folder"):
        assert reasons.pop(name) == "symlink points outside the corpus", name
    assert reasons.pop("sub/loop").startswith("symlinked folder not followed")
    assert reasons.pop("sub/real.txt") == "same text as c/alias.txt"  # read once, by its link
    assert reasons == {}
    assert sorted(a.path for a in corpus.articles) == ["c/alias.txt", "c/cache/kept.txt"]
    assert all("Paris" not in a.raw_text for a in corpus.articles)


def test_a_file_over_the_size_limit_is_rejected_from_its_size_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "good.txt").write_text(ARTICLE, encoding="utf-8")
    with (folder / "sparse.txt").open("wb") as handle:  # 1 GB, almost no disk
        handle.truncate(1 << 30)
    opened: list[str] = []
    real_open = os.open

    def spy(path: Any, *args: Any, **kwargs: Any) -> int:
        opened.append(os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    started = time.perf_counter()
    corpus = load_corpus(folder)
    assert time.perf_counter() - started < 5
    assert _reasons(corpus) == {"sparse.txt": "file too large (1074 MB; the limit is 20 MB)"}
    assert not any(path.endswith("sparse.txt") for path in opened)


def test_the_size_limit_is_the_named_constant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "good.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "growing.txt").write_text(ARTICLE * 100, encoding="utf-8")
    monkeypatch.setattr(corpus_module, "MAX_FILE_BYTES", len(ARTICLE) * 10)
    corpus = load_corpus(folder)
    assert _reasons(corpus)["growing.txt"].startswith("file too large")


# --- text that is not Unicode ------------------------------------------------------------


def test_a_lone_surrogate_in_a_records_title_or_outlet_does_not_end_the_run(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    record = (
        '{"title": "\\ud800x", "outlet": "Wire\\udfff", "published": "2025-05-05",'
        ' "text": "Officials in Brussels said the reassurance force would need air cover'
        ' and logistics support from allies, according to two diplomats."}\n'
    )
    (folder / "feed.jsonl").write_text(record, encoding="utf-8")
    out = tmp_path / "briefs"
    code = main(
        [
            "generate",
            "--since",
            "2025-05-01",
            "--corpus",
            str(folder),
            "--out",
            str(out),
            "--extractor",
            "offline",
            "--format",
            "md,json,html",
        ]
    )
    assert code == 0
    brief = json.loads((out / "brief-2025-05-01_2025-05-05.json").read_text(encoding="utf-8"))
    assert brief["sources"][0]["title"] == "\ufffdx"
    assert brief["sources"][0]["outlet"] == "Wire\ufffd"
    for path in out.iterdir():
        path.read_text(encoding="utf-8")  # every file is valid UTF-8


def test_the_store_keeps_metadata_with_lone_surrogates_as_replacement_characters(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "home")
    try:
        article = make_article("Officials said the talks would resume on Monday in Geneva.")
        store.record_article(article.model_copy(update={"title": "a\ud800b", "path": "c/\udc80"}))
        row = store.db.execute("SELECT title, path FROM articles").fetchone()
    finally:
        store.close()
    assert row == ("a\ufffdb", "c/\ufffd")


# --- writing the brief -------------------------------------------------------------------


@pytest.fixture
def small_brief(tmp_path: Path) -> Brief:
    folder = tmp_path / "small"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    return build_brief(
        dt.date(2025, 5, 1), corpus=folder, settings=Settings(backend="offline")
    ).brief


def test_writing_a_brief_does_not_follow_a_planted_partial_symlink(
    small_brief: Brief, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    for fmt in ("md", "json"):
        os.symlink(victim, out / f"brief.{fmt}.partial")
    paths = write_brief(small_brief, out, "brief", ["md", "json"])
    assert victim.read_text(encoding="utf-8") == "precious"
    assert [p.name for p in paths] == ["brief.md", "brief.json"]
    assert all(not p.is_symlink() for p in paths)
    assert sorted(p.name for p in out.iterdir()) == [
        "brief.json",
        "brief.json.partial",  # the planted links are left as they were, unfollowed
        "brief.md",
        "brief.md.partial",
    ]


def test_a_failed_write_leaves_no_partial_file(
    small_brief: Brief, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def failing_replace(source: Any, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(BriefingError, match="No space left on device"):
        write_brief(small_brief, out, "brief", ["md", "json"])
    assert list(out.iterdir()) == []


def test_a_brief_with_a_lone_surrogate_is_written_as_valid_utf8(
    small_brief: Brief, tmp_path: Path
) -> None:
    source = small_brief.sources[0].model_copy(update={"title": "x\ud800y"})
    brief = small_brief.model_copy(update={"sources": [source]})
    for path in write_brief(brief, tmp_path / "out", "brief", ["md", "json", "html"]):
        assert "x\ufffdy" in path.read_text(encoding="utf-8")


def test_an_extraction_with_a_lone_surrogate_is_stored_with_a_replacement_character(
    tmp_path: Path,
) -> None:
    """pydantic's JSON refuses a lone surrogate: the store falls back to Python's JSON."""
    from briefing.offline.extract import OfflineExtractor
    from briefing.store import cache_key

    article = make_article("Officials said the talks would resume on Monday in Geneva.")
    extraction = OfflineExtractor().extract(article)
    assert extraction.claims
    claim = extraction.claims[0].model_copy(update={"statement": "talks \ud800 resume"})
    extraction = extraction.model_copy(update={"claims": [claim]})
    key = cache_key(article, "offline", None, "v")
    store = Store.open(tmp_path / "home")
    try:
        store.save_extraction(key, article, extraction)
        stored = store.cached_extraction(key)
    finally:
        store.close()
    assert stored is not None and stored.claims[0].statement == "talks \ufffd resume"
