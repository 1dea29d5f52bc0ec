"""Warning classes of chinchilla_laws.

Numerical trouble is reported as a status on the result *and* one of these
warnings, so that it can be filtered precisely (``warnings.simplefilter("error",
ConvergenceWarning)``).
"""

from __future__ import annotations

__all__ = [
    "BackendOptionWarning",
    "ChinchillaWarning",
    "ConvergenceWarning",
    "EnvelopeWarning",
    "GridBoundaryWarning",
    "IdentifiabilityWarning",
    "IsoFLOPWarning",
    "ThreadingLayerWarning",
]


class ChinchillaWarning(UserWarning):
    """Base class of every warning this package emits."""


class ConvergenceWarning(ChinchillaWarning):
    """An optimiser did not verifiably converge (gradient too large at exit)."""


class IdentifiabilityWarning(ChinchillaWarning):
    """The data do not determine the fitted law (too few distinct values, or a term is
    dead or constant at the optimum)."""


class GridBoundaryWarning(ChinchillaWarning):
    """The best start of a multi-start fit lies on the boundary of its grid."""


class IsoFLOPWarning(ChinchillaWarning):
    """An IsoFLOP budget was flagged (unbracketed vertex, no valley, too few points)."""


class EnvelopeWarning(ChinchillaWarning):
    """The training-curve envelope is suspect (few runs, selected points early in schedules)."""


class ThreadingLayerWarning(ChinchillaWarning):
    """Numba's threading layer (forced by ``NUMBA_THREADING_LAYER``) does not survive fork()."""


class BackendOptionWarning(ChinchillaWarning):
    """An option was passed that the chosen backend does not use."""
