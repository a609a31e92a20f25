"""QKD link physics, pulse-level Monte Carlo and trusted-node networks.

* :mod:`qrisk.qkd.channel` — fibre and free-space loss budgets, receiver figures.
* :mod:`qrisk.qkd.rates` — key-rate models (decoy/efficient/no-decoy BB84, SNS TF-QKD, GG02),
  the PLOB bound, finite-size corrections.
* :mod:`qrisk.qkd.montecarlo` — vectorised BB84 with decoys, Cascade and Toeplitz privacy amplification.
* :mod:`qrisk.qkd.network` — max-flow key capacity over trusted relays, exposure, key pools.
* :mod:`qrisk.qkd.cli` — the ``qrisk qkd`` command group.

Parameter sets and validation points live in ``qrisk/catalog/qkd.yaml``, each with its source.
"""

from __future__ import annotations

from qrisk.qkd.channel import Channel, FreeSpaceDownlink, ParameterError
from qrisk.qkd.rates import (
    CvDetection,
    DecoyMethod,
    FiniteKey,
    KeyRate,
    Protocol,
    key_rate,
    max_distance_km,
    plob_bound,
)

__all__ = [
    "Channel",
    "CvDetection",
    "DecoyMethod",
    "FiniteKey",
    "FreeSpaceDownlink",
    "KeyRate",
    "ParameterError",
    "Protocol",
    "key_rate",
    "max_distance_km",
    "plob_bound",
]
