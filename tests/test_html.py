"""The HTML brief: self-contained, escaped, and working in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from briefing import generate

HOSTILE = (
    " date 2025-05-02 200\n"
    "Officials said <script>document.title='pwned'</script> the convoy was stopped at the border"
    " <img src=x onerror=alert(1)> near the town of Kupiansk on Friday evening after talks.\n"
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=900,1000",
]


@pytest.fixture
def html_brief(seeds_copy: Path, tmp_path: Path) -> Path:
    (seeds_copy / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    result = generate(dt.date(2025, 2, 1), corpus=seeds_copy, out=tmp_path / "b", formats=("html",))
    return result.paths[0]


def test_article_markup_is_escaped_and_nothing_loads_from_outside(html_brief: Path) -> None:
    page = html_brief.read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page and page.count("<script>") == 1  # ours, inline
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # the CSP forbids loading anything else


CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Set by .ci/run, which installs Chromium: there a missing browser fails instead of skipping.
REQUIRE_BROWSER = "BRIEFING_REQUIRE_BROWSER"


def _chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    reason = (
        f"no Chromium on PATH (looked for {', '.join(CHROMIUM_NAMES)}): the browser test needs"
        " one (Debian/Ubuntu: apt-get install chromium)"
    )
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{reason}; {REQUIRE_BROWSER}=1 requires it")
    pytest.skip(reason)


def _chromium_run(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _png_rows(path: Path) -> list[bytes]:
    """The rows of an 8-bit RGB(A) PNG as stored (filtered): equal pixels give equal rows,
    since a row's filter depends only on its own and the row above's pixels."""
    data = path.read_bytes()
    position, chunks, header = 8, [], b""
    while position < len(data):
        length = struct.unpack(">I", data[position : position + 4])[0]
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    stride = width * (3 if colour == 2 else 4) + 1
    raw = zlib.decompress(b"".join(chunks))
    return [raw[y * stride : (y + 1) * stride] for y in range(height)]


def test_the_page_renders_its_script_runs_and_a_marker_shows_its_quote(
    html_brief: Path, tmp_path: Path
) -> None:
    url = html_brief.resolve().as_uri()
    dom = _chromium_run(["--dump-dom", url], tmp_path / "p0").stdout
    assert 'data-ready="yes"' in dom  # the inline script ran
    assert "<title>Situation brief" in dom
    # A viewport taller than the page: opening it at a marker scrolls nothing, so the only
    # pixels that change are the marker's popover with its quote.
    plain, marked = tmp_path / "plain.png", tmp_path / "marked.png"
    tall = "--window-size=1000,16000"
    _chromium_run([tall, f"--screenshot={plain}", url], tmp_path / "p1")
    _chromium_run([tall, f"--screenshot={marked}", f"{url}#m1"], tmp_path / "p2")
    before, after = _png_rows(plain), _png_rows(marked)
    changed = [y for y, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed, "opening the page at a marker showed nothing"
    assert changed[-1] - changed[0] < 400  # one popover, not a page that moved
    assert changed[-1] < len(after) - 50  # and the page ends above the viewport's bottom
    assert any(len(set(row)) > 1 for row in before[:200])  # the page is not blank
    screenshots = Path(os.environ.get("BRIEFING_SCREENSHOTS", tmp_path))
    screenshots.mkdir(parents=True, exist_ok=True)
    shutil.copy(marked, screenshots / "brief-marker.png")
