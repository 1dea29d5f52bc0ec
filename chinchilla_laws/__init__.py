"""chinchilla_laws: compute-optimal scaling laws after Hoffmann et al. (2022)."""

from __future__ import annotations

from . import datasets
from .bootstrap import (
    FrontierBand,
    ParametricBootstrap,
    PowerLawBootstrap,
    bootstrap_envelope,
    bootstrap_isoflop,
    bootstrap_parametric,
)
from .data_constrained import (
    MUENNIGHOFF_2023,
    DataConstrainedFrontier,
    DataConstrainedLaw,
    data_constrained_objective,
)
from .datasets import Curves, Sweep, synthetic_curves, synthetic_sweep
from .envelope import EnvelopeResult, envelope, envelope_from_frame, envelope_from_runs
from .flops import (
    TABLE_A4_SHAPES,
    TransformerShape,
    compute_6nd,
    flops_per_token,
    flops_ratio_to_6nd,
    params_from_compute,
    tokens_from_compute,
)
from .io import Runs, load_runs, save_runs
from .isoflop import (
    IsoFLOPBias,
    IsoFLOPBudget,
    IsoFLOPResult,
    IsoFLOPStatus,
    VertexEstimates,
    isoflop_bias,
    isoflop_minima,
    vertex_estimates,
)
from .laws import (
    BESIROGLU_2024,
    HOFFMANN_2022_PRINTED,
    HOFFMANN_2022_TEX,
    PRESETS,
    ChinchillaLaw,
    Frontier,
    get_preset,
)
from .overtraining import (
    GADRE_2024,
    GADRE_2024_DOWNSTREAM,
    DownstreamErrorFit,
    DownstreamErrorLaw,
    DownstreamFitStatus,
    OverTrainingLaw,
    fit_downstream_error,
)
from .parametric import (
    FitStatus,
    ParametricFit,
    StartStatus,
    fit_parametric,
    paper_grid,
    random_starts,
)
from .powerlaw import PowerLaw, fit_power_law
from .warnings import (
    ChinchillaWarning,
    ConvergenceWarning,
    EnvelopeWarning,
    GridBoundaryWarning,
    IdentifiabilityWarning,
    IsoFLOPWarning,
    ThreadingLayerWarning,
)

__version__ = "0.1.0"

__all__ = [
    "BESIROGLU_2024",
    "GADRE_2024",
    "GADRE_2024_DOWNSTREAM",
    "HOFFMANN_2022_PRINTED",
    "HOFFMANN_2022_TEX",
    "MUENNIGHOFF_2023",
    "PRESETS",
    "TABLE_A4_SHAPES",
    "ChinchillaLaw",
    "ChinchillaWarning",
    "ConvergenceWarning",
    "Curves",
    "DataConstrainedFrontier",
    "DataConstrainedLaw",
    "DownstreamErrorFit",
    "DownstreamErrorLaw",
    "DownstreamFitStatus",
    "EnvelopeResult",
    "EnvelopeWarning",
    "FitStatus",
    "Frontier",
    "FrontierBand",
    "GridBoundaryWarning",
    "IdentifiabilityWarning",
    "IsoFLOPBias",
    "IsoFLOPBudget",
    "IsoFLOPResult",
    "IsoFLOPStatus",
    "IsoFLOPWarning",
    "OverTrainingLaw",
    "ParametricBootstrap",
    "ParametricFit",
    "PowerLaw",
    "PowerLawBootstrap",
    "Runs",
    "StartStatus",
    "Sweep",
    "ThreadingLayerWarning",
    "TransformerShape",
    "VertexEstimates",
    "__version__",
    "bootstrap_envelope",
    "bootstrap_isoflop",
    "bootstrap_parametric",
    "compute_6nd",
    "data_constrained_objective",
    "datasets",
    "envelope",
    "envelope_from_frame",
    "envelope_from_runs",
    "fit_downstream_error",
    "fit_parametric",
    "fit_power_law",
    "flops_per_token",
    "flops_ratio_to_6nd",
    "get_preset",
    "isoflop_bias",
    "isoflop_minima",
    "load_runs",
    "paper_grid",
    "params_from_compute",
    "random_starts",
    "save_runs",
    "synthetic_curves",
    "synthetic_sweep",
    "tokens_from_compute",
    "vertex_estimates",
]
