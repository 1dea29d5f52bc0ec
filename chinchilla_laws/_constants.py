"""Constants shared by the modules of the package (private; re-exported where public)."""

from __future__ import annotations

import math

FLOPS_PER_PARAM_TOKEN = 6.0
"""The ``C = 6 N D`` convention: 2 FLOPs per parameter per token forward, 4 backward."""

HALF_LOG_FLOPS_PER_PARAM_TOKEN = 0.5 * math.log(FLOPS_PER_PARAM_TOKEN)
"""``ln(6) / 2``, used where the over-training law switches between ``(C, M)`` and ``(N, D)``."""
