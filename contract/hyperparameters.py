"""The training job's hyperparameters: names, types, defaults and ranges."""

from __future__ import annotations

from dataclasses import dataclass


# --- Hyperparameters ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Hyperparameter:
    name: str
    kind: type  # int, float or str
    default: object
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None


HYPERPARAMETERS: tuple[Hyperparameter, ...] = (
    Hyperparameter("hidden_channels", int, 10, minimum=1, maximum=1024),
    Hyperparameter("kernel_size", int, 5, minimum=1, maximum=7),
    Hyperparameter("dropout", float, 0.2, minimum=0.0, maximum=0.95),
    Hyperparameter("optimizer", str, "sgd", choices=("sgd", "adam")),
    Hyperparameter("lr", float, 0.1, minimum=1e-6, maximum=10.0),
    Hyperparameter("momentum", float, 0.5, minimum=0.0, maximum=0.999),
    Hyperparameter("epochs", int, 2, minimum=1, maximum=1000),
    Hyperparameter("batch_size", int, 32, minimum=1, maximum=65536),
    Hyperparameter("seed", int, 1, minimum=0, maximum=2**31 - 1),
)
HYPERPARAMETERS_BY_NAME = {h.name: h for h in HYPERPARAMETERS}
