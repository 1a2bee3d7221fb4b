"""The evaluation cache and the training-budget ledger, in the same database as the studies.

* `EvalCache`: one row per (network spec, training config key, data source). Every strategy and
  study that shares the storage shares it, so the same network is never trained twice. Race-safe by
  the primary key: two workers finishing the same network both insert, the second insert is ignored.
* `BudgetLedger`: numbered training slots per study. A trial takes slot `n` (the next number) by
  inserting it; the primary key makes two workers racing for the same number serialise, so a study
  never spends more than its budget even with many workers. The slot of a trial that later FAILs
  (its worker died) no longer counts, so its retry can take a fresh one.

Both work on any SQLAlchemy URL Optuna accepts (SQLite, PostgreSQL); `MemoryCache` and
`MemoryLedger` are their one-process twins for in-memory replays (the benchmark).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from coexplore.search.storage import engine_kwargs_for, tune_engine

_METADATA = sa.MetaData()
CACHE_TABLE = sa.Table(
    "coexplore_eval_cache",
    _METADATA,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("train_key", sa.String(128), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("accuracy", sa.Float, nullable=True),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("created", sa.DateTime, nullable=False),
)
SLOT_TABLE = sa.Table(
    "coexplore_budget_slots",
    _METADATA,
    sa.Column("study", sa.String(512), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("trial_number", sa.Integer, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
)
# Racing claimers retry with the next slot number; more attempts than this means a broken database.
MAX_CLAIM_ATTEMPTS = 1000


def cache_key(spec: str, train_key: str, data: str) -> str:
    return hashlib.sha256(f"{spec}\n{train_key}\n{data}".encode()).hexdigest()[:40]


# A claim's answer: a slot was granted, the budget is spent, or (an int) the number of the live
# trial that already holds a slot for the same network.
GRANTED = "granted"
SPENT = "spent"
Claim = str | int


def _claim_rule(held: list[tuple[int, str]], trial_number: int, spec: str, budget: int, failed: set[int]) -> Claim | None:
    """The answer to a claim given the (trial number, spec) of the slots taken so far, or None
    when the trial should take the next free slot. Slots of failed trials do not count."""
    live = [(number, network) for number, network in held if number not in failed]
    if any(number == trial_number for number, _ in live):
        return GRANTED  # already holds one (idempotent)
    holder = next((number for number, network in live if network == spec), None)
    if holder is not None:
        return holder
    return SPENT if len(live) >= budget else None


_ENGINES: dict[str, sa.Engine] = {}
_ENGINES_LOCK = threading.Lock()
# Workers starting together all try to create the tables; the losers of that race retry.
CREATE_ATTEMPTS = 5


def shared_engine(url: str) -> sa.Engine:
    """One engine per URL and process, with the coexplore tables created."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = sa.create_engine(url, **engine_kwargs_for(url))
            tune_engine(url, engine)
            _create_tables(engine)
            _ENGINES[url] = engine
    return engine


def _create_tables(engine: sa.Engine) -> None:
    for attempt in range(CREATE_ATTEMPTS):
        try:
            _METADATA.create_all(engine)
            return
        except SQLAlchemyError:  # another process created them between the check and the CREATE
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


class _InDatabase:
    """Opens the database on first use: checking a config must not create a study file."""

    def __init__(self, url: str):
        self.url = url

    @property
    def engine(self) -> sa.Engine:
        return shared_engine(self.url)


class EvalCache(_InDatabase):
    """Evaluations of (spec, training config, data) stored in the study database."""

    def get(self, spec: str, train_key: str, data: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(CACHE_TABLE.c.result).where(CACHE_TABLE.c.key == cache_key(spec, train_key, data))
            ).first()
        return json.loads(row[0]) if row else None

    def put(self, spec: str, train_key: str, data: str, result: dict) -> bool:
        """Store a result; False if another worker stored the same evaluation first (kept as is)."""
        values = {
            "key": cache_key(spec, train_key, data),
            "spec": spec,
            "train_key": train_key,
            "data": data,
            "status": str(result.get("status", "complete")),
            "accuracy": result.get("accuracy"),
            "result": json.dumps(result, default=str),
            "created": datetime.now(timezone.utc).replace(tzinfo=None),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(CACHE_TABLE.insert().values(**values))
        except IntegrityError:
            return False
        return True


class BudgetLedger(_InDatabase):
    """Training slots per study, claimed atomically through the primary key."""

    def _rows(self, conn: sa.Connection, study: str) -> list[tuple[int, int, str]]:
        query = sa.select(SLOT_TABLE.c.slot, SLOT_TABLE.c.trial_number, SLOT_TABLE.c.spec).where(SLOT_TABLE.c.study == study)
        return [(int(r.slot), int(r.trial_number), str(r.spec)) for r in conn.execute(query)]

    def used(self, study: str, failed: set[int]) -> int:
        """Slots held by trials that did not fail."""
        with self.engine.connect() as conn:
            return sum(1 for _, number, _ in self._rows(conn, study) if number not in failed)

    def claim(self, study: str, trial_number: int, spec: str, budget: int, failed: set[int]) -> Claim:
        """Take one training slot for `trial_number`.

        Returns GRANTED, SPENT (the budget is used up), or the number of another live trial that
        holds a slot for the same network (wait for it and reuse its result instead of training
        the network twice).
        """
        for _ in range(MAX_CLAIM_ATTEMPTS):
            with self.engine.connect() as conn:
                rows = self._rows(conn, study)
            answer = _claim_rule([(number, held) for _, number, held in rows], trial_number, spec, budget, failed)
            if answer is not None:
                return answer
            next_slot = max((slot for slot, _, _ in rows), default=-1) + 1
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        SLOT_TABLE.insert().values(study=study, slot=next_slot, trial_number=trial_number, spec=spec)
                    )
                return GRANTED
            except IntegrityError:
                continue  # another worker took that slot number: count again
        raise RuntimeError(f"could not claim a training slot for {study} after {MAX_CLAIM_ATTEMPTS} attempts")


class MemoryCache:
    def __init__(self) -> None:
        self._rows: dict[str, dict] = {}

    def get(self, spec: str, train_key: str, data: str) -> dict | None:
        return self._rows.get(cache_key(spec, train_key, data))

    def put(self, spec: str, train_key: str, data: str, result: dict) -> bool:
        key = cache_key(spec, train_key, data)
        if key in self._rows:
            return False
        self._rows[key] = dict(result)
        return True


class MemoryLedger:
    """One process, no races: a list of (trial number, spec) per study."""

    def __init__(self) -> None:
        self._slots: dict[str, list[tuple[int, str]]] = {}

    def used(self, study: str, failed: set[int]) -> int:
        return sum(1 for n, _ in self._slots.get(study, []) if n not in failed)

    def claim(self, study: str, trial_number: int, spec: str, budget: int, failed: set[int]) -> Claim:
        slots = self._slots.setdefault(study, [])
        answer = _claim_rule(slots, trial_number, spec, budget, failed)
        if answer is not None:
            return answer
        slots.append((trial_number, spec))
        return GRANTED


# The database versions and their in-memory twins answer the same calls.
Cache = EvalCache | MemoryCache
Ledger = BudgetLedger | MemoryLedger
