"""Worker processes for CPU work: offline extraction, and preparing articles for LLM calls.

A worker reads with the run's lexicon, and leaves interrupts to the run: Ctrl-C in a
terminal signals the whole process group, and a worker that took it would die printing a
traceback while the run, which handles it, stops and shuts the pool down (a worker then
finishes the article in hand, a few milliseconds, and exits).
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor

from briefing import lexicon

# The signals that stop a run (briefing/cli.py turns them into `Interrupted`).
STOPPING = frozenset({signal.SIGINT, signal.SIGTERM})


def start_pool(count: int | None = None) -> ProcessPoolExecutor:
    """A pool of `count` workers (one per core by default) reading with the run's lexicon,
    started now with the stopping signals held. A signal that lands while a worker is being
    forked is raised inside fork's callbacks, which swallow exceptions, and the run would go
    on as if never stopped; held, it is raised the moment the workers are running."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    pool = None
    try:
        pool = ProcessPoolExecutor(
            count or max(1, os.cpu_count() or 1),
            initializer=initialize,
            initargs=(lexicon.active(),),
        )
        pool.submit(int).result()  # the workers start with the first task
    finally:
        try:
            # A signal held meanwhile is raised here, as the mask is restored.
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        except BaseException:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            raise
    return pool


def initialize(active: lexicon.Lexicon) -> None:
    """The initializer of every pool's workers."""
    for signum in STOPPING:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)  # held by start_pool in the parent
    lexicon.use(active)
