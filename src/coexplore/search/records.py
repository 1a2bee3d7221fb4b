"""Trial records in the study storage: one user attribute per trial holds its `TrialRecord`.

The record itself is defined once, in `coexplore.results.records`; this module only says where on
an Optuna trial it lives, so a record can be rebuilt from the storage alone, from any machine.
Beside that packed record (the source of truth that `coexplore results` reads), each trial carries
flat user attributes — spec, the design fields, the latency split, status and reason — and its
constraint values, so Optuna's own tools (optuna-dashboard, `trials_dataframe`) can name, sort and
filter them. The genes need no copy: the sampler's network and hardware genes are the trial's
Optuna parameters, flat already. Each attribute is one storage write (about 3 ms on SQLite), so
the flat set is kept to what a person sorts or filters on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from optuna.trial import FrozenTrial, Trial
from pydantic import ValidationError

from coexplore.errors import CoexploreError, validation_error
from coexplore.results import TrialRecord

# All of a trial's record lives in one user attribute (one database write to read it back whole).
RECORD_ATTR = "coexplore"
# Where optuna-dashboard (0.21) reads a trial's constraints: a system attribute holding the list.
# Optuna's samplers read the same list (`trial.constraints` keys "0".."3"; the names are the
# study's CONSTRAINT_NAMES_ATTR).
CONSTRAINTS_SYSTEM_ATTR = "constraints"
CONSTRAINT_NAMES_ATTR = "constraint_names"
_CORRUPT_FIX = "this study was not written by coexplore (or by an incompatible version)"


def trial_attrs(trial: FrozenTrial | Trial) -> dict[str, Any]:
    """The stored record fields of a trial, as raw JSON (empty for a trial that stored none):
    for samplers and progress checks that read a field or two of many trials. A corrupt record
    (not a mapping) reads as empty here; `trial_record` names it."""
    stored = trial.user_attrs.get(RECORD_ATTR)
    return dict(stored) if isinstance(stored, dict) else {}


def store_record(trial: Trial, record: TrialRecord) -> None:
    """The packed record, then its flat attributes (the packed one first: readers need only it)."""
    trial.set_user_attr(RECORD_ATTR, record.stored_attrs())
    for key, value in record.flat_attrs().items():
        trial.set_user_attr(key, value)


def store_constraints(trial: Trial, values: Sequence[float]) -> None:
    """The constraint values (each <= 0 when satisfied) as the one list both Optuna's samplers and
    optuna-dashboard read (`Trial.set_constraint` writes one key per name, which the dashboard
    does not show)."""
    trial.storage.set_trial_system_attr(trial._trial_id, CONSTRAINTS_SYSTEM_ATTR, [float(v) for v in values])


def trial_record(trial: FrozenTrial, strategy: str) -> TrialRecord:
    """The record a finished trial stored (one clear error if the storage holds none or a broken one)."""
    where = f"{strategy} trial {trial.number}: user attribute {RECORD_ATTR!r}"
    stored = trial.user_attrs.get(RECORD_ATTR)
    if not isinstance(stored, dict):
        raise CoexploreError(f"holds {type(stored).__name__} {str(stored)[:40]!r}, not a trial record",
                             field=where, fix=_CORRUPT_FIX)
    try:
        return TrialRecord.from_stored(trial.number, strategy, stored)
    except ValidationError as exc:
        raise validation_error(exc, where, fix=_CORRUPT_FIX) from None
