"""Trial records in the study storage: one user attribute per trial holds its `TrialRecord`.

The record itself is defined once, in `coexplore.results.records`; this module only says where on
an Optuna trial it lives, so a record can be rebuilt from the storage alone, from any machine.
"""

from __future__ import annotations

from typing import Any

from optuna.trial import FrozenTrial, Trial
from pydantic import ValidationError

from coexplore.errors import validation_error
from coexplore.results import TrialRecord

# All of a trial's record lives in one user attribute (one database write per trial, not thirty).
RECORD_ATTR = "coexplore"


def trial_attrs(trial: FrozenTrial | Trial) -> dict[str, Any]:
    """The stored record fields of a trial, as raw JSON (empty for a trial that stored none):
    for samplers and progress checks that read a field or two of many trials."""
    return dict(trial.user_attrs.get(RECORD_ATTR) or {})


def store_record(trial: Trial, record: TrialRecord) -> None:
    trial.set_user_attr(RECORD_ATTR, record.stored_attrs())


def trial_record(trial: FrozenTrial, strategy: str) -> TrialRecord:
    """The record a finished trial stored (one clear error if the storage holds none or a broken one)."""
    try:
        return TrialRecord.from_stored(trial.number, strategy, trial_attrs(trial))
    except ValidationError as exc:
        raise validation_error(exc, f"{strategy} trial {trial.number}: user attribute {RECORD_ATTR!r}",
                               fix="this study was not written by coexplore (or by an incompatible version)") from None
