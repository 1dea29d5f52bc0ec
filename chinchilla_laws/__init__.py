"""chinchilla_laws: compute-optimal scaling laws after Hoffmann et al. (2022)."""

from __future__ import annotations

from .laws import (
    BESIROGLU_2024,
    HOFFMANN_2022_PRINTED,
    HOFFMANN_2022_TEX,
    PRESETS,
    ChinchillaLaw,
    Frontier,
    get_preset,
)
from .powerlaw import PowerLaw, fit_power_law
from .warnings import (
    ChinchillaWarning,
    ConvergenceWarning,
    EnvelopeWarning,
    GridBoundaryWarning,
    IsoFLOPWarning,
)

__version__ = "0.1.0"

__all__ = [
    "BESIROGLU_2024",
    "HOFFMANN_2022_PRINTED",
    "HOFFMANN_2022_TEX",
    "PRESETS",
    "ChinchillaLaw",
    "ChinchillaWarning",
    "ConvergenceWarning",
    "EnvelopeWarning",
    "Frontier",
    "GridBoundaryWarning",
    "IsoFLOPWarning",
    "PowerLaw",
    "__version__",
    "fit_power_law",
    "get_preset",
]
