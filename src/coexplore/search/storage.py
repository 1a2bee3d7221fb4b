"""Optuna storages: a URL becomes an RDBStorage with heartbeats and retry of dead workers' trials.

SQLite in the run folder is the default (one machine, several processes); PostgreSQL is for several
machines. A trial whose worker died (kill -9, preemption) stops sending heartbeats; after the grace
period the next `fail_stale_trials` marks it FAIL and `RetryHeartbeatStaleTrialCallback` queues the
same parameters again as a WAITING trial, so the in-flight work is retried and nothing completed is
lost (REFERENCES.md, "Search"). A worker killed before its trial's first heartbeat is caught too.
PostgreSQL URLs are `postgresql://USER@HOST:PORT/DB` (SQLAlchemy's psycopg 3 driver, installed).

Reading a finished search (`coexplore results`, `coexplore worker`) goes through
`open_existing_storage`, which refuses a missing or empty database instead of creating one.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
import sqlalchemy.orm
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages._rdb import models as optuna_models  # the heartbeat table (see fail_stale_trials)
from optuna.trial import TrialState

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


def _driver_fix(url: str) -> str:
    if "+psycopg2" in url.split("://", 1)[0]:
        return ("write postgresql://USER@HOST:PORT/DB: coexplore installs psycopg 3, which SQLAlchemy uses "
                "for that form (psycopg2 is not installed)")
    return "check the URL"


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
                                 fix=_driver_fix(url)) from None
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
        _fail_trials_without_heartbeat(study)


# (database URL, trial id) -> when this process first saw the RUNNING trial without a heartbeat
_SILENT_SINCE: dict[tuple[str, int], float] = {}


def _fail_trials_without_heartbeat(study: optuna.Study) -> None:
    """A worker killed inside `study.ask` (after its trial became RUNNING, before the first
    heartbeat) leaves a trial that Optuna never sees go stale: it has no heartbeat to be old.
    A live worker sends its first heartbeat right after `ask`, so a trial this process sees
    RUNNING without one for a whole grace period is failed and retried like any stale trial.
    Timed by this process's own clock (the machines' clocks need not agree)."""
    cached = study._storage  # noqa: SLF001 - Optuna keeps no public handle on a study's storage
    backend = getattr(cached, "_backend", cached)
    if not isinstance(backend, RDBStorage) or backend.heartbeat_interval is None:
        return
    grace_s = backend.grace_period or 2 * backend.heartbeat_interval
    silent = _running_without_heartbeat(backend, study._study_id)  # noqa: SLF001
    now, url = time.monotonic(), str(backend.engine.url)
    for key in [key for key in _SILENT_SINCE if key[0] == url and key[1] not in silent]:
        del _SILENT_SINCE[key]
    failed = []
    for trial_id in silent:
        since = _SILENT_SINCE.setdefault((url, trial_id), now)
        if now - since < grace_s:
            continue
        try:
            if cached.set_trial_state_values(trial_id, state=TrialState.FAIL):
                failed.append(trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:
            pass  # another worker failed it first, or it finished after all
        _SILENT_SINCE.pop((url, trial_id), None)
    retry = backend.get_heartbeat_stale_trial_callback()
    for trial_id in failed:
        if retry is not None:
            retry(study, cached.get_trial(trial_id))


def _running_without_heartbeat(storage: RDBStorage, study_id: int) -> set[int]:
    with sqlalchemy.orm.Session(storage.engine) as session:
        trials = (
            session.query(optuna_models.TrialModel)
            .options(sqlalchemy.orm.selectinload(optuna_models.TrialModel.heartbeats))
            .filter(optuna_models.TrialModel.state == TrialState.RUNNING)
            .filter(optuna_models.TrialModel.study_id == study_id)
            .all()
        )
        return {trial.trial_id for trial in trials if not trial.heartbeats}


READ_FIX = "give the run folder of a `coexplore search` (it holds study.db), or --storage with the URL the search used"


def open_existing_storage(url: str, study_names: list[str], *, heartbeat_s: int = 10, grace_s: int = 30,
                          fix: str = READ_FIX) -> RDBStorage:
    """The storage of an earlier search, for reading or joining it: a missing or empty database,
    or one that holds none of `study_names`, is refused, and nothing is created there."""
    check_url(url)
    wanted = "no study named " + " or ".join(repr(name) for name in study_names)
    parsed = sqlalchemy.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if parsed.database in (None, "", ":memory:") or not path.is_file():
            raise CoexploreError(f"{wanted}: the study database does not exist", field=str(path), fix=fix)
        if path.stat().st_size == 0:
            raise CoexploreError(f"{wanted}: the study database is empty", field=str(path), fix=fix)
    if not _has_optuna_tables(url):
        raise CoexploreError(f"{wanted}: the database holds no Optuna study", field=_shown(url), fix=fix)
    storage = make_storage(url, heartbeat_s=heartbeat_s, grace_s=grace_s)
    if not set(study_names) & set(optuna.get_all_study_names(storage)):
        raise CoexploreError(f"{wanted} in the database", field=_shown(url), fix=fix)
    return storage


def _shown(url: str) -> str:
    return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)


def _has_optuna_tables(url: str) -> bool:
    """Whether the database has Optuna's tables, looked up without creating anything."""
    try:
        engine = sqlalchemy.create_engine(url, **engine_kwargs_for(url))
        try:
            return sqlalchemy.inspect(engine).has_table(optuna_models.StudyModel.__tablename__)
        finally:
            engine.dispose()
    except sqlalchemy.exc.SQLAlchemyError as exc:
        raise CoexploreError(f"cannot read the study storage ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                             field=_shown(url), fix="check that it is the study database of a search") from None
    except ImportError as exc:
        raise CoexploreError(f"cannot open the study storage ({exc})", field="--storage", fix=_driver_fix(url)) from None
