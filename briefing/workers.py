"""Worker processes for CPU work: offline extraction, and preparing articles for LLM calls.

A worker reads with the run's lexicon, and leaves interrupts to the run: Ctrl-C in a
terminal signals the whole process group, and a worker that took it would die printing a
traceback while the run, which handles it, stops and shuts the pool down (a worker then
finishes the article in hand, a few milliseconds, and exits).
"""

from __future__ import annotations

import signal

from briefing import lexicon


def initialize(active: lexicon.Lexicon) -> None:
    """The initializer of every pool's workers (`ProcessPoolExecutor(initializer=...)`)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    lexicon.use(active)
