"""Headless Chromium driven over the DevTools protocol on a pipe (no network, no package).

Chromium's headless mode will not open a window narrower than 500 px, so a phone's width
is set the way DevTools sets it: by device-metrics emulation (`mobile: true` also honours
the page's viewport meta tag). Commands go to the browser as NUL-terminated JSON on its
fd 3 and answers come back on its fd 4 (`--remote-debugging-pipe`).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Set by .ci/run, which installs Chromium: there a missing browser fails instead of skipping.
REQUIRE_BROWSER = "BRIEFING_REQUIRE_BROWSER"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
ANSWER_SECONDS = 60.0


def chromium() -> str:
    """Chromium's path; skips the test when there is none (fails under REQUIRE_BROWSER=1)."""
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


class Browser:
    """One headless Chromium; `open` gives a page at a viewport width."""

    def __init__(self, profile: Path) -> None:
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()

        def on_fds_3_and_4() -> None:  # in the child, before exec
            # Lifted above 9 first, so that moving one onto 3 cannot close the other.
            reading = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            writing = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self._process = subprocess.Popen(
            [chromium(), *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}"],
            pass_fds=(3, 4),
            preexec_fn=on_fds_3_and_4,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._commands = os.fdopen(to_browser_write, "wb", buffering=0)
        self._answers = from_browser_read
        self._pending = b""
        self._last_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self._last_id += 1
        message: dict[str, Any] = {"id": self._last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._commands.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + ANSWER_SECONDS
        while True:
            while b"\0" not in self._pending:
                left = deadline - time.monotonic()
                ready, _, _ = select.select([self._answers], [], [], max(0.0, left))
                if not ready:
                    raise TimeoutError(f"Chromium did not answer {method} in {ANSWER_SECONDS} s")
                chunk = os.read(self._answers, 1 << 16)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the pipe during {method}")
                self._pending += chunk
            raw, self._pending = self._pending.split(b"\0", 1)
            answer = json.loads(raw)
            if answer.get("id") == self._last_id:  # events and others' answers are skipped
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def open(self, url: str, width: int, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"])
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        page.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + ANSWER_SECONDS
        while page.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load")
            time.sleep(0.05)
        return page

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.send("Browser.close")
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._commands.close()
        os.close(self._answers)


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self._browser = browser
        self._session = session

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self._browser.send(method, params, self._session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (the page's CSP does not apply)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise RuntimeError(f"in the page: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def screenshot(self, path: Path) -> None:
        """The viewport as a PNG."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
