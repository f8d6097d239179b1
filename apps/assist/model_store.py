"""Fitted scikit-learn models to and from bytes with skops, never pickle: loading refuses any
type outside `TRUSTED` (skops' own safe defaults plus the few we list), so a row changed in the
database cannot make the worker run arbitrary code. Advisory models only."""

from __future__ import annotations

from typing import Any

from skops.io import dumps, get_untrusted_types, loads

# Types skops does not trust by default that our models are made of: the Platt calibration
# inside `CalibratedClassifierCV` (attachment classifier). The risk model (DictVectorizer,
# TfidfVectorizer, LogisticRegression) needs nothing beyond skops' defaults. Nothing callable.
TRUSTED = frozenset(
    {
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
    }
)


class UntrustedModel(ValueError):
    """The stored model holds types we do not load (stable code: assist.untrusted_model)."""

    code = "assist.untrusted_model"

    def __init__(self, types: list[str]) -> None:
        self.types = types
        super().__init__(f"Refusing to load a model with untrusted types: {', '.join(types)}.")


def _refused(data: bytes) -> list[str]:
    return sorted(set(get_untrusted_types(data=data)) - TRUSTED)


def model_dumps(model: Any) -> bytes:
    """Bytes of a fitted model; refuses to write one we would refuse to read."""
    data: bytes = dumps(model)
    refused = _refused(data)
    if refused:
        raise UntrustedModel(refused)
    return data


def model_loads(data: bytes) -> Any:
    """The model back, only if every type in it is trusted."""
    refused = _refused(bytes(data))
    if refused:
        raise UntrustedModel(refused)
    return loads(bytes(data), trusted=sorted(set(get_untrusted_types(data=bytes(data)))))
