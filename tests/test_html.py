"""The HTML brief: self-contained, escaped, and working in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from briefing import generate
from briefing.config import Settings
from tests.browser import FLAGS, chromium
from tests.conftest import CASSETTES, LLMEndpoint

HOSTILE = (
    " date 2025-05-02 200\n"
    "Officials said <script>document.title='pwned'</script> the convoy was stopped at the border"
    " <img src=x onerror=alert(1)> near the town of Kupiansk on Friday evening after talks.\n"
)
# The shared headless flags, less the hidden scrollbars: this test reads the page as drawn.
CHROMIUM_FLAGS = [
    *(flag for flag in FLAGS if flag != "--hide-scrollbars"),
    "--window-size=900,1000",
]


@pytest.fixture
def html_brief(seeds_copy: Path, tmp_path: Path) -> Path:
    (seeds_copy / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    result = generate(
        dt.date(2025, 2, 1), corpus=seeds_copy, out=tmp_path / "b", formats=("html", "json")
    )
    return result.paths[0]


def test_article_markup_is_escaped_and_nothing_loads_from_outside(html_brief: Path) -> None:
    page = html_brief.read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img" not in page and page.count("<script>") == 1  # ours, inline
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # the CSP forbids loading anything else


def _chromium_run(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
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


# --- at a phone's width and a desktop's, in the browser (tests/browser.py) -------------

# Widths the page must hold at: phones (320, 360, 390, 414), a tablet, desktops.
WIDTHS = (320, 360, 390, 414, 768, 1024, 1280)
SCREENSHOT_WIDTHS = (390, 1280)

# Opens every marker as a tap does (the page's own click handler), and measures.
OPEN_EVERY_MARKER = """(() => {
  const width = document.documentElement.clientWidth;
  const opened = [];
  for (const marker of document.querySelectorAll("a.cite")) {
    marker.scrollIntoView({block: "center"});
    marker.click();
    const pop = marker.nextElementSibling;
    const box = pop.getBoundingClientRect();
    opened.push({id: marker.id, key: marker.dataset.key, width: width,
      shown: getComputedStyle(pop).display !== "none" && box.width > 0,
      scrollWidth: document.documentElement.scrollWidth, left: box.left, right: box.right,
      text: pop.textContent});
    marker.click();  // and closes it
  }
  return opened;
})()"""
# A marker is an orphan when it sits on a line with neither the sentence's last letter nor
# another marker.
ORPHAN_MARKERS = """(() => {
  const orphans = [];
  for (const item of document.querySelectorAll("ul.items > li")) {
    const text = item.querySelector(":scope > bdi").lastChild;
    const range = document.createRange();
    range.setStart(text, text.textContent.length - 1);
    range.setEnd(text, text.textContent.length);
    const letters = range.getClientRects();
    const last = letters[letters.length - 1];
    const boxes = Array.from(item.querySelectorAll("a.cite"), (m) => [m.id, m.getClientRects()[0]]);
    const sameLine = (a, b) => a.top < b.bottom && b.top < a.bottom;
    for (const [id, box] of boxes) {
      const beside = boxes.filter(([other, b]) => other !== id && sameLine(box, b)).length;
      if (!sameLine(box, last) && beside === 0) orphans.push(id);
    }
  }
  return orphans;
})()"""
CLAIM_CELLS = """Array.from(document.querySelectorAll("#citations td[data-label=claims]"), (td) => {
  const box = td.getBoundingClientRect();
  return {text: td.textContent, shown: box.width > 0 && box.height > 0,
          inside: box.left >= 0 && box.right <= document.documentElement.clientWidth};
})"""
MARKER_KEYS = """Array.from(document.querySelectorAll("ul.items > li"),
  (item) => Array.from(item.querySelectorAll("a.cite"), (m) => m.dataset.key))"""


def _png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int(struct.unpack(">I", data[16:20])[0])


def check_page_at_every_width(
    html: Path, brief: dict[str, Any], profile: Path, name: str
) -> dict[str, int]:
    """Every popover inside the screen and no horizontal scroll once it is open, no orphan
    marker, the claim ids shown, markers in the JSON's order; at each of WIDTHS. Writes the
    screenshots when BRIEFING_SCREENSHOTS names a folder. Returns the widest scrollWidth."""
    from tests.browser import Browser

    json_keys = [[c["key"] for c in i["citations"]] for s in brief["sections"] for i in s["items"]]
    claim_ids = {q["key"]: q["claim_ids"] for q in brief["quotes"]}
    screenshots = os.environ.get("BRIEFING_SCREENSHOTS")
    widest: dict[str, int] = {}
    browser = Browser(profile)
    try:
        for width in WIDTHS:
            page = browser.open(html.resolve().as_uri(), width)
            assert page.evaluate("document.body.dataset.ready") == "yes"
            assert page.evaluate(MARKER_KEYS) == json_keys
            opened = page.evaluate(OPEN_EVERY_MARKER)
            assert len(opened) == sum(map(len, json_keys)) > 0
            for marker in opened:
                where = f"{marker['id']} [{marker['key']}] at {width} px"
                assert marker["shown"], f"{where}: the popover did not open"
                assert marker["scrollWidth"] <= width, f"{where}: the page scrolls sideways"
                assert marker["left"] >= 0 and marker["right"] <= width, f"{where}: cut off"
                # the claim id is in the popover, at every width
                assert all(cid in marker["text"] for cid in claim_ids[marker["key"]]), where
            widest[str(width)] = max(m["scrollWidth"] for m in opened)
            assert page.evaluate(ORPHAN_MARKERS) == [], f"a marker alone on a line at {width} px"
            cells = page.evaluate(CLAIM_CELLS)
            assert cells and all(c["shown"] and c["inside"] for c in cells), width
            if screenshots and width in SCREENSHOT_WIDTHS:
                folder = Path(screenshots)
                folder.mkdir(parents=True, exist_ok=True)
                page.evaluate(
                    'document.getElementById("m1").scrollIntoView({block: "center"});'
                    ' document.getElementById("m1").click()'
                )
                shot = folder / f"{name}-{width}.png"
                page.screenshot(shot)
                assert _png_width(shot) == width
    finally:
        browser.close()
    return widest


def test_popovers_stay_on_screen_and_markers_never_wrap_alone(
    html_brief: Path, tmp_path: Path
) -> None:
    brief = json.loads(html_brief.with_suffix(".json").read_text(encoding="utf-8"))
    widest = check_page_at_every_width(html_brief, brief, tmp_path / "profile", "brief-offline")
    assert widest["390"] == 390 and widest["320"] == 320


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES / "test_llm")  # read only: the full LLM run's exchanges


@pytest.mark.default_cassette("test_llm_brief_is_grounded_dated_and_complete.yaml")
@pytest.mark.vcr(record_mode="none")
def test_the_llm_brief_holds_on_a_phone_too(
    llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path
) -> None:
    # Paraphrases cite up to five quotes: the longest runs of markers a brief has.
    result = generate(
        dt.date(2025, 2, 1),
        corpus=seeds_copy,
        out=tmp_path / "b",
        formats=("html", "json"),
        settings=Settings(backend="llm"),
    )
    brief = json.loads(result.paths[1].read_text(encoding="utf-8"))
    assert max(len(i["citations"]) for s in brief["sections"] for i in s["items"]) > 4
    widest = check_page_at_every_width(result.paths[0], brief, tmp_path / "profile", "brief-llm")
    assert widest["390"] == 390


PRINTED = """(() => {
  const marker = document.getElementById("m1");
  marker.click();  // even an open popover is not printed over the text
  const shown = (el) => getComputedStyle(el).display !== "none";
  return {
    popover: shown(marker.nextElementSibling),
    filter: shown(document.getElementById("filter")),
    header: shown(document.querySelector("#citations thead")),
    scrollWidth: document.documentElement.scrollWidth,
    width: document.documentElement.clientWidth,
  };
})()"""


def test_the_page_prints_as_the_markdown_reads(html_brief: Path, tmp_path: Path) -> None:
    from tests.browser import Browser

    browser = Browser(tmp_path / "profile")
    try:
        page = browser.open(html_brief.resolve().as_uri(), 794)  # A4 at 96 dpi
        page.send("Emulation.setEmulatedMedia", {"media": "print"})
        printed = page.evaluate(PRINTED)
    finally:
        browser.close()
    assert printed["popover"] is False and printed["filter"] is False
    assert printed["header"] is True  # the citation table stays a table on paper
    assert printed["scrollWidth"] <= printed["width"]
