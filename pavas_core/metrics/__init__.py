"""Metrics: APCC (reconstructed) and APCC-Δ, the PAVAS audio–physics correlation, with null baselines.

numpy only (scipy.signal when audio must be resampled); nothing here imports torch.
"""

from .apcc import (
    LABEL,
    ApccConfig,
    ApccDeltaResult,
    ApccEvent,
    ApccResult,
    CategoryCorrelation,
    apcc,
    apcc_delta,
    onset_intensity,
)
from .baselines import circular_shift, segment_shuffle

__all__ = [
    "LABEL",
    "ApccConfig",
    "ApccDeltaResult",
    "ApccEvent",
    "ApccResult",
    "CategoryCorrelation",
    "apcc",
    "apcc_delta",
    "circular_shift",
    "onset_intensity",
    "segment_shuffle",
]
