"""A corpus of the seeds plus fifteen hostile files: the run finishes and names every bad file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
