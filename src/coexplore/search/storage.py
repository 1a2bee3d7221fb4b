"""Optuna storages: a URL becomes an RDBStorage with heartbeats and retry of dead workers' trials.

SQLite in the run folder is the default (one machine, several processes); PostgreSQL is for several
machines. A trial whose worker died (kill -9, preemption) stops sending heartbeats; after the grace
period the next `fail_stale_trials` marks it FAIL and `RetryHeartbeatStaleTrialCallback` queues the
same parameters again as a WAITING trial, so the in-flight work is retried and nothing completed is
lost (REFERENCES.md, "Search").
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

from coexplore.errors import CoexploreError

DEFAULT_DB_NAME = "study.db"
# SQLite serialises writers; several workers wait on the file lock rather than fail at once.
SQLITE_LOCK_TIMEOUT_S = 120
OPEN_ATTEMPTS = 5
OPEN_RETRY_S = 0.2
SQLITE_JOURNAL_MODE = "WAL"
SQLITE_SYNCHRONOUS = "NORMAL"
SUPPORTED_SCHEMES: tuple[str, ...] = ("sqlite", "postgresql", "mysql")


def default_storage_url(run_dir: str | Path) -> str:
    return f"sqlite:///{(Path(run_dir) / DEFAULT_DB_NAME).resolve()}"


def engine_kwargs_for(url: str) -> dict[str, Any]:
    """Connection settings that make concurrent workers wait instead of erroring."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT_S}}
    return {"pool_pre_ping": True}


def check_url(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    if scheme not in SUPPORTED_SCHEMES:
        raise CoexploreError(
            f"unsupported storage URL {url!r}",
            field="--storage",
            fix="use sqlite:///PATH/study.db or postgresql://USER@HOST:PORT/DB",
        )
    return url


def make_storage(url: str, *, heartbeat_s: int = 10, grace_s: int = 30, max_retry: int = 3) -> RDBStorage:
    """An RDBStorage with heartbeats; stale trials are failed and retried up to `max_retry` times."""
    check_url(url)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for attempt in range(OPEN_ATTEMPTS):
        try:
            storage = _open(url, heartbeat_s, grace_s, max_retry)
            break
        except sqlalchemy.exc.SQLAlchemyError as exc:
            # processes opening a fresh database together race to create its tables; the losers
            # see "already exists" and simply open it again
            if attempt == OPEN_ATTEMPTS - 1 or "already exists" not in str(exc):
                raise CoexploreError(
                    f"cannot open the study storage ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                    field="--storage",
                    fix="check the URL, that the database server runs and the folder exists",
                ) from None
            time.sleep(OPEN_RETRY_S * (attempt + 1))
        except (ImportError, ValueError) as exc:  # a missing driver, a malformed URL
            raise CoexploreError(f"cannot open the study storage ({exc})", field="--storage",
                                 fix="check the URL") from None
    tune_engine(url, storage.engine)
    return storage


def _open(url: str, heartbeat_s: int, grace_s: int, max_retry: int) -> RDBStorage:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return RDBStorage(
            url,
            engine_kwargs=engine_kwargs_for(url),
            heartbeat_interval=heartbeat_s,
            grace_period=grace_s,
            heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=max_retry),
        )


def tune_engine(url: str, engine: sqlalchemy.Engine) -> None:
    """SQLite: write-ahead log and normal sync. Readers no longer block the writer, and a commit
    costs no fsync of the main file (a default-journal commit took ~20 ms on these disks; a trial
    does dozens). Durable across process kills; for several machines use PostgreSQL anyway."""
    if not url.startswith("sqlite"):
        return

    @sqlalchemy.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 (DB-API objects)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode={SQLITE_JOURNAL_MODE}")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.close()

    engine.dispose()  # connections opened before the listener existed are replaced


def fail_stale_trials(study: optuna.Study) -> None:
    """Mark trials of dead workers FAIL (and queue their retries); a no-op without heartbeats."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)

