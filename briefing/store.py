"""The store: one SQLite file under BRIEFING_HOME with articles, cached extractions and a call log.

An extraction is cached under (article hash, extractor, model, prompt version, schema
version), so the same work is never paid for twice and any change to one of those
parts is a cache miss. Schema changes are named migrations, applied once, in order.

A store damaged, full or read-only after it opened fails as a `StoreError` naming the
file and what to do (see `_guarded`), not as a bare sqlite3 error. `Store.open(home,
read_only=True)` reads without writing anything: no migrations, no switch to WAL.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar, overload

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError

from briefing.errors import StoreError
from briefing.schemas import SCHEMA_VERSION, Article, ArticleExtraction, Claim

DB_FILENAME = "briefing.db"
BUSY_TIMEOUT_MS = 30_000

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(function: Migration) -> Migration:
    MIGRATIONS.append((function.__name__, function))
    return function


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # executescript() would commit the migration's transaction half way; run one by one.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE articles (
            article_id TEXT PRIMARY KEY,
            content_hash TEXT NOT NULL,
            path TEXT NOT NULL,
            title TEXT,
            outlet TEXT,
            published TEXT,
            date_source TEXT NOT NULL,
            first_seen TEXT NOT NULL
        );
        CREATE TABLE extractions (
            cache_key TEXT PRIMARY KEY,
            article_id TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            extractor TEXT NOT NULL,
            model TEXT,
            prompt_version TEXT,
            schema_version TEXT NOT NULL,
            result TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX extractions_article ON extractions(article_id);
        CREATE TABLE claims (
            cache_key TEXT NOT NULL REFERENCES extractions(cache_key) ON DELETE CASCADE,
            claim_id TEXT NOT NULL,
            article_id TEXT NOT NULL,
            statement TEXT NOT NULL,
            quote TEXT NOT NULL,
            quote_start INTEGER NOT NULL,
            quote_end INTEGER NOT NULL,
            PRIMARY KEY (cache_key, claim_id, quote_start)
        );
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            article_id TEXT,
            purpose TEXT NOT NULL,
            model TEXT,
            prompt_version TEXT,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            latency_ms INTEGER,
            status TEXT NOT NULL,
            error TEXT
        );
        """,
    )


@migration
def m002_llm_cache(db: sqlite3.Connection) -> None:
    """Results of calls that are not per article (relating findings, composing the brief)."""
    _run_script(
        db,
        """
        CREATE TABLE llm_cache (
            cache_key TEXT PRIMARY KEY,
            purpose TEXT NOT NULL,
            result TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
    )


@migration
def m003_reviews(db: sqlite3.Connection) -> None:
    """Analysts' decisions on claims; the latest decision per claim counts."""
    _run_script(
        db,
        """
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            claim_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
            reviewer TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT
        );
        CREATE INDEX reviews_claim ON reviews(claim_id)
        """,
    )


@migration
def m004_derived_claims(db: sqlite3.Connection) -> None:
    """Claims that code derives while building a brief (a source discrepancy's sentence),
    kept so that every claim id a brief cites can be reviewed."""
    _run_script(
        db,
        """
        CREATE TABLE derived_claims (
            claim_id TEXT NOT NULL,
            article_id TEXT NOT NULL,
            statement TEXT NOT NULL,
            quote TEXT NOT NULL,
            quote_start INTEGER NOT NULL,
            quote_end INTEGER NOT NULL,
            PRIMARY KEY (claim_id, quote_start)
        )
        """,
    )


@migration
def m005_batches(db: sqlite3.Connection) -> None:
    """Extraction requests sent through the Batch API (briefing/llm/batch.py).

    A submission is one JSONL file of requests, named by its content hash, so that the same
    work submitted twice is one submission; `batch_id` is set once the API has the batch.
    Each request keeps its answer (the completion's JSON) until its article is extracted,
    so a collect that stops after downloading never downloads or pays again.
    """
    _run_script(
        db,
        """
        CREATE TABLE batches (
            submission TEXT PRIMARY KEY,
            batch_id TEXT UNIQUE,
            input_file_id TEXT,
            corpus TEXT NOT NULL,
            model TEXT NOT NULL,
            mode TEXT NOT NULL,
            status TEXT NOT NULL,
            requests INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            downloaded_at TEXT,
            note TEXT
        );
        CREATE TABLE batch_requests (
            submission TEXT NOT NULL REFERENCES batches(submission) ON DELETE CASCADE,
            custom_id TEXT NOT NULL,
            article_id TEXT NOT NULL,
            path TEXT NOT NULL,
            cache_key TEXT NOT NULL,
            messages_key TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'answered', 'failed')),
            answer TEXT,
            error TEXT,
            PRIMARY KEY (submission, custom_id)
        );
        CREATE INDEX batch_requests_key ON batch_requests(cache_key);
        ALTER TABLE calls ADD COLUMN batch_id TEXT
        """,
    )


def cache_key(
    article: Article, extractor: str, model: str | None, prompt_version: str | None
) -> str:
    """Same article, same cleaning and metadata, same extractor, model, prompt and schema."""
    # Extraction reads the cleaned text, title, outlet and date, not only the raw file: a
    # changed `published` in a JSON record, or a change to the cleaning rules, is new work.
    seen = json.dumps(
        [article.text, article.title, article.outlet, str(article.published)], ensure_ascii=False
    )
    return "|".join(
        [
            article.content_hash,
            hashlib.sha256(seen.encode("utf-8", "surrogatepass")).hexdigest()[:16],
            extractor,
            model or "-",
            prompt_version or "-",
            SCHEMA_VERSION,
        ]
    )


@dataclass(frozen=True)
class Review:
    claim_id: str
    decision: str  # "accepted" or "rejected"
    reviewer: str
    at: str
    note: str | None


@dataclass(frozen=True)
class RejectedQuote:
    """A span of an article that an analyst rejected (through one of the claims citing it)."""

    article_id: str
    start: int
    end: int
    review: Review

    def covers(self, article_id: str, start: int, end: int) -> bool:
        """The span overlaps this rejected quote: citing it would cite the rejected words."""
        return article_id == self.article_id and start < self.end and self.start < end


@dataclass(frozen=True)
class Submission:
    """One JSONL file of extraction requests sent (or about to be sent) as one batch."""

    submission: str
    batch_id: str | None
    input_file_id: str | None
    corpus: str
    model: str
    mode: str
    status: str  # "written" until the API has it, then the API's status
    requests: int
    created_at: str
    downloaded_at: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class BatchRequest:
    """One request line of a submission: which part of which article, and its answer."""

    custom_id: str
    article_id: str
    path: str
    cache_key: str
    messages_key: str
    outcome: str = "pending"  # pending, answered, failed
    answer: str | None = None  # the completion, as JSON, once answered
    error: str | None = None


def _set_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL. The switch takes the file's lock without waiting on busy_timeout, so
    two runs opening a new store at once retry it instead of failing."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")


@overload
def _storable(text: str) -> str: ...
@overload
def _storable(text: None) -> None: ...
def _storable(text: str | None) -> str | None:
    """`text` with each lone surrogate replaced by U+FFFD.

    A JSON record may write "\\ud800" in a title, and Python keeps it as a lone
    surrogate, which SQLite (UTF-8) cannot store. Metadata is shown, never cited, so the
    replacement character says what was there without ending the run.
    """
    return _LONE_SURROGATE_RE.sub("\ufffd", text) if text is not None else None


def _storable_json(model: BaseModel) -> str:
    """A model as JSON for the store."""
    try:
        return model.model_dump_json()
    except PydanticSerializationError:
        # pydantic's own JSON fails on a lone surrogate (rare: only a JSON record can
        # carry one); Python's writes it, and _storable replaces it.
        return _storable(json.dumps(model.model_dump(mode="json"), ensure_ascii=False))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# SQLite's result codes, by what a user can do about them.
_DAMAGED = ("SQLITE_CORRUPT", "SQLITE_NOTADB")
_FULL = ("SQLITE_FULL",)
_READ_ONLY = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")
_BUSY = ("SQLITE_BUSY", "SQLITE_LOCKED")


def _is_about_the_file(error: sqlite3.Error) -> bool:
    """The file or disk failed, not our SQL: a constraint or misuse error is a bug, and
    stays a sqlite3 error with its traceback."""
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)
    )


def store_problem(path: Path, error: sqlite3.Error, doing: str = "use") -> str:
    """One line: which store, what SQLite said, and what to do about it."""
    code = getattr(error, "sqlite_errorname", "") or ""
    said = str(error) or code or type(error).__name__
    if code.startswith(_DAMAGED) or "malformed" in said or "not a database" in said:
        hint = (
            "the store file may be damaged: move it aside and run again (a new store is made;"
            " cached extractions are redone, review decisions stay in the moved file)"
        )
    elif code.startswith(_FULL) or "disk is full" in said:
        hint = "the disk is full: free some space and run again; finished work is kept"
    elif code.startswith(_READ_ONLY) or "readonly" in said:
        hint = (
            "the store or its folder is not writable: check their permissions, or set BRIEFING_HOME"
        )
    elif code.startswith(_BUSY) or "locked" in said:
        hint = "another process holds the store: try again when it is done"
    elif code.startswith("SQLITE_IOERR"):
        hint = "the disk or file system failed: check it, then run again"
    else:
        hint = "move the store aside and run again if this persists"
    return f"cannot {doing} the store {path}: {said}; {hint}"


Params = ParamSpec("Params")
Result = TypeVar("Result")


def _guarded(
    method: Callable[Concatenate[Store, Params], Result],
) -> Callable[Concatenate[Store, Params], Result]:
    """A store method whose file or disk failures are StoreErrors naming the store."""

    @functools.wraps(method)
    def guarded(self: Store, /, *args: Params.args, **kwargs: Params.kwargs) -> Result:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as error:
            if not _is_about_the_file(error):
                raise
            raise StoreError(store_problem(self.path, error)) from error

    return guarded


_RECORD_ARTICLE = """INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(article_id) DO UPDATE SET path = excluded.path,
      title = excluded.title, outlet = excluded.outlet,
      published = excluded.published, date_source = excluded.date_source"""


def _article_row(article: Article) -> tuple[str | None, ...]:
    return (
        article.article_id,
        article.content_hash,
        _storable(article.path),
        _storable(article.title),
        _storable(article.outlet),
        article.published.isoformat() if article.published else None,
        article.date_source,
        _now(),
    )


class Store:
    """Access to the SQLite store; open with `Store.open(home)`."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, home: Path, *, read_only: bool = False) -> Store:
        """The store under `home`, made and migrated if need be.

        `read_only` opens an existing store with SQLite's mode=ro: nothing is written (no
        migration, no switch to WAL), so a store in a read-only folder can still be read.
        """
        path = home / DB_FILENAME
        if read_only:
            return cls._open_read_only(path)
        try:
            home.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _set_wal(db)
            # In WAL mode NORMAL never corrupts the store; a power cut may lose the last
            # commits, which a run makes again. FULL would wait for the disk at each article.
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            store = cls(db, path)
            store._migrate()
        except sqlite3.Error as error:
            raise StoreError(store_problem(path, error, "open")) from error
        except OSError as error:
            raise StoreError(f"cannot open the store {path}: {error}") from error
        return store

    @classmethod
    def _open_read_only(cls, path: Path) -> Store:
        if not path.is_file():
            raise StoreError(f"cannot open the store {path}: there is no such file")
        uri = f"{path.resolve().as_uri()}?mode=ro"
        try:
            try:
                db = cls._connect_read_only(uri)
            except sqlite3.OperationalError as error:
                # A WAL store needs its -shm file, which a read-only folder cannot hold
                # once the last writer has gone. Then no writer can be at work there
                # either, and the file can be read as it stands.
                if not getattr(error, "sqlite_errorname", "").startswith(
                    ("SQLITE_READONLY", "SQLITE_CANTOPEN")
                ):
                    raise
                db = cls._connect_read_only(f"{uri}&immutable=1")
        except sqlite3.Error as error:
            raise StoreError(store_problem(path, error, "open")) from error
        return cls(db, path)

    @staticmethod
    def _connect_read_only(uri: str) -> sqlite3.Connection:
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            # SQLite may have rolled back already (a full disk, say); rolling back again
            # would raise "no transaction is active" and hide the real error.
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        with self.transaction() as db:
            applied = {row[0] for row in db.execute("SELECT name FROM _migrations")}
            for name, function in MIGRATIONS:
                if name not in applied:
                    function(db)
                    db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, _now()))

    @_guarded
    def applied_migrations(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT name FROM _migrations ORDER BY name")]

    @_guarded
    def record_article(self, article: Article) -> None:
        """Record an article's metadata; a lone surrogate in it is stored as U+FFFD."""
        self.db.execute(_RECORD_ARTICLE, _article_row(article))

    @_guarded
    def record_articles(self, articles: Sequence[Article]) -> None:
        """`record_article` for each, in one transaction (a commit each cost more)."""
        with self.transaction() as db:
            db.executemany(_RECORD_ARTICLE, [_article_row(a) for a in articles])

    @_guarded
    def cached_extraction(self, key: str) -> ArticleExtraction | None:
        row = self.db.execute(
            "SELECT result FROM extractions WHERE cache_key = ?", (key,)
        ).fetchone()
        return ArticleExtraction.model_validate_json(row[0]) if row else None

    def save_extraction(self, key: str, article: Article, extraction: ArticleExtraction) -> None:
        """Save one article's extraction and its claims atomically."""
        self.save_extractions([(key, article, extraction)])

    @_guarded
    def save_extractions(self, finished: Sequence[tuple[str, Article, ArticleExtraction]]) -> None:
        """Save articles' extractions (cache key, article, extraction) and their claims in
        one transaction: a commit costs more than storing an offline extraction."""
        with self.transaction() as db:
            for key, article, extraction in finished:
                db.execute("DELETE FROM extractions WHERE cache_key = ?", (key,))
                db.execute(
                    "INSERT INTO extractions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        article.article_id,
                        article.content_hash,
                        extraction.extractor,
                        extraction.model,
                        extraction.prompt_version,
                        SCHEMA_VERSION,
                        _storable_json(extraction),
                        _now(),
                    ),
                )
                db.executemany(
                    "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            key,
                            claim.claim_id,
                            claim.article_id,
                            _storable(claim.statement),
                            _storable(e.quote),
                            e.start,
                            e.end,
                        )
                        for claim in extraction.claims
                        for e in claim.evidence
                    ],
                )

    @_guarded
    def cached_result(self, key: str) -> str | None:
        row = self.db.execute("SELECT result FROM llm_cache WHERE cache_key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    @_guarded
    def save_result(self, key: str, purpose: str, result: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO llm_cache VALUES (?, ?, ?, ?)",
            (key, purpose, _storable(result), _now()),
        )

    @_guarded
    def save_derived_claims(self, claims: list[Claim]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO derived_claims VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.claim_id,
                        c.article_id,
                        _storable(c.statement),
                        _storable(e.quote),
                        e.start,
                        e.end,
                    )
                    for c in claims
                    for e in c.evidence
                ],
            )

    @_guarded
    def has_claim(self, claim_id: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM claims WHERE claim_id = ?"
            " UNION ALL SELECT 1 FROM derived_claims WHERE claim_id = ? LIMIT 1",
            (claim_id, claim_id),
        ).fetchone()
        return row is not None

    @_guarded
    def rejected_quotes(self) -> list[RejectedQuote]:
        """The quotes of every claim whose latest decision is a rejection."""
        reviews = self.reviews()
        rejected = [r for r in reviews.values() if r.decision == "rejected"]
        if not rejected:
            return []
        # Every reviewed claim's quotes (no list of ids bound: it may pass SQLite's limit),
        # in a fixed order, so the rejection reported for a quote is the same every run.
        rows = self.db.execute(
            "SELECT claim_id, article_id, quote_start, quote_end FROM claims"
            " WHERE claim_id IN (SELECT claim_id FROM reviews)"
            " UNION SELECT claim_id, article_id, quote_start, quote_end FROM derived_claims"
            " WHERE claim_id IN (SELECT claim_id FROM reviews)"
            " ORDER BY article_id, quote_start, claim_id"
        )
        chosen = {r.claim_id for r in rejected}
        return [
            RejectedQuote(article_id, start, end, reviews[claim_id])
            for claim_id, article_id, start, end in rows
            if claim_id in chosen
        ]

    @_guarded
    def record_review(self, claim_id: str, decision: str, reviewer: str, note: str | None) -> None:
        self.db.execute(
            "INSERT INTO reviews (claim_id, decision, reviewer, at, note) VALUES (?, ?, ?, ?, ?)",
            (claim_id, decision, _storable(reviewer), _now(), _storable(note)),
        )

    @_guarded
    def reviews(self) -> dict[str, Review]:
        """The latest decision on each reviewed claim."""
        latest: dict[str, Review] = {}
        for claim_id, decision, reviewer, at, note in self.db.execute(
            "SELECT claim_id, decision, reviewer, at, note FROM reviews ORDER BY id"
        ):
            latest[claim_id] = Review(claim_id, decision, reviewer, at, note)
        return latest

    @_guarded
    def log_call(
        self,
        *,
        purpose: str,
        status: str,
        article_id: str | None = None,
        model: str | None = None,
        prompt_version: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        latency_ms: int | None = None,
        error: str | None = None,
        batch_id: str | None = None,
    ) -> None:
        self.db.execute(
            "INSERT INTO calls (at, article_id, purpose, model, prompt_version, prompt_tokens,"
            " completion_tokens, latency_ms, status, error, batch_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _now(),
                article_id,
                purpose,
                model,
                prompt_version,
                prompt_tokens,
                completion_tokens,
                latency_ms,
                status,
                _storable(error),
                batch_id,
            ),
        )

    @_guarded
    def claim_rows(self) -> list[dict[str, object]]:
        cursor = self.db.execute("SELECT * FROM claims ORDER BY article_id, quote_start")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    # Batches (briefing/llm/batch.py): submissions, their requests and their answers.

    @_guarded
    def save_submission(self, submission: Submission, requests: list[BatchRequest]) -> None:
        """Record a submission and its requests; one already recorded is left as it is."""
        with self.transaction() as db:
            known = db.execute(
                "SELECT 1 FROM batches WHERE submission = ?", (submission.submission,)
            ).fetchone()
            if known:
                return
            db.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    submission.submission,
                    submission.batch_id,
                    submission.input_file_id,
                    submission.corpus,
                    submission.model,
                    submission.mode,
                    submission.status,
                    submission.requests,
                    submission.created_at,
                    submission.downloaded_at,
                    submission.note,
                ),
            )
            db.executemany(
                "INSERT INTO batch_requests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        submission.submission,
                        r.custom_id,
                        r.article_id,
                        _storable(r.path),
                        r.cache_key,
                        r.messages_key,
                        r.outcome,
                        r.answer,
                        r.error,
                    )
                    for r in requests
                ],
            )

    @_guarded
    def update_submission(
        self,
        submission: str,
        *,
        batch_id: str | None = None,
        input_file_id: str | None = None,
        status: str | None = None,
        note: str | None = None,
    ) -> None:
        """Set the fields given (not None) of a submission."""
        given = {"batch_id": batch_id, "input_file_id": input_file_id, "status": status}
        given["note"] = _storable(note)
        fields = {name: value for name, value in given.items() if value is not None}
        if fields:
            columns = ", ".join(f"{name} = ?" for name in fields)
            self.db.execute(
                f"UPDATE batches SET {columns} WHERE submission = ?", (*fields.values(), submission)
            )

    @_guarded
    def forget_submission(self, submission: str) -> None:
        """Drop a submission the API never received (its requests go with it)."""
        with self.transaction() as db:
            db.execute("DELETE FROM batch_requests WHERE submission = ?", (submission,))
            db.execute("DELETE FROM batches WHERE submission = ?", (submission,))

    @_guarded
    def submissions(self) -> list[Submission]:
        rows = self.db.execute("SELECT * FROM batches ORDER BY created_at, submission")
        return [Submission(*row) for row in rows]

    @_guarded
    def batch_requests(self, submission: str) -> list[BatchRequest]:
        rows = self.db.execute(
            "SELECT custom_id, article_id, path, cache_key, messages_key, outcome, answer, error"
            " FROM batch_requests WHERE submission = ? ORDER BY rowid",
            (submission,),
        )
        return [BatchRequest(*row) for row in rows]

    @_guarded
    def keys_in_batches(self) -> set[str]:
        """Cache keys of articles a batch still holds: sent and not failed, or answered."""
        rows = self.db.execute(
            "SELECT DISTINCT cache_key FROM batch_requests WHERE outcome IN ('pending', 'answered')"
        )
        return {row[0] for row in rows}

    @_guarded
    def save_batch_outcomes(
        self,
        submission: str,
        answers: dict[str, str],
        failures: dict[str, str],
        status: str,
    ) -> None:
        """A finished batch's answers and failures by custom_id, in one transaction; a
        request the batch neither answered nor failed is failed with the batch's status."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE batch_requests SET outcome = 'answered', answer = ?, error = NULL"
                " WHERE submission = ? AND custom_id = ? AND outcome = 'pending'",
                [(_storable(answer), submission, cid) for cid, answer in answers.items()],
            )
            db.executemany(
                "UPDATE batch_requests SET outcome = 'failed', error = ?"
                " WHERE submission = ? AND custom_id = ? AND outcome = 'pending'",
                [(_storable(error), submission, cid) for cid, error in failures.items()],
            )
            db.execute(
                "UPDATE batch_requests SET outcome = 'failed', error = ?"
                " WHERE submission = ? AND outcome = 'pending'",
                (f"the batch ended {status} without an answer for this request", submission),
            )
            db.execute(
                "UPDATE batches SET status = ?, downloaded_at = ? WHERE submission = ?",
                (status, _now(), submission),
            )
