"""asv benchmarks of the IsoFLOP vertex estimators (issue goals, on a warm process).

* 100 budgets x 15 runs with ``vertex="spline"``: < 0.2 s;
* the same with each estimator's default vertex uncertainty (delta method for the
  parabola, 200 simulated draws for local and spline, computed on every call): < 2 s;
* ``vertex_estimates`` on 10,000 simulated curves, for sweep design studies.
"""

from __future__ import annotations

import warnings

import numpy as np

import chinchilla_laws as cl


def _sweep(n_budgets: int, n_sizes: int, noise: float) -> tuple[np.ndarray, ...]:
    law = cl.HOFFMANN_2022_TEX
    budgets = np.geomspace(1e18, 1e23, n_budgets)
    n_opt = law.optimal(budgets).n_params
    u = np.linspace(-1.5, 1.5, n_sizes)
    n = (n_opt[:, None] * np.exp(u)[None, :]).ravel()
    c = np.repeat(budgets, n_sizes)
    d = c / (6 * n)
    rng = np.random.default_rng(0)
    loss = law.loss(n, d) * np.exp(noise * rng.standard_normal(n.size))
    return n, d, loss, c


class IsoFLOPVertex:
    """100 budgets x 15 runs (noise sd 0.003 on ln L)."""

    params = ["parabola", "local", "spline"]
    param_names = ["vertex"]

    def setup(self, vertex: str) -> None:
        self.n, self.d, self.loss, self.c = _sweep(100, 15, 0.003)
        self.run(vertex)  # warm: imports, scipy

    def run(self, vertex: str) -> cl.IsoFLOPResult:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cl.IsoFLOPWarning)
            return cl.isoflop_minima(
                self.n,
                self.d,
                self.loss,
                budgets=self.c,
                vertex=vertex,  # type: ignore[arg-type]
            )

    def time_isoflop_minima(self, vertex: str) -> None:
        self.run(vertex)

    def time_isoflop_inverse_variance(self, vertex: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cl.IsoFLOPWarning)
            cl.isoflop_minima(
                self.n,
                self.d,
                self.loss,
                budgets=self.c,
                vertex=vertex,  # type: ignore[arg-type]
                power_law_weights="inverse_variance",
            )


class VertexEstimates:
    """10,000 curves of 15 sizes through the batched estimators."""

    params = ["parabola", "local", "spline"]
    param_names = ["vertex"]

    def setup(self, vertex: str) -> None:
        rng = np.random.default_rng(1)
        self.x = np.linspace(-1.5, 1.5, 15)
        base = np.exp(-0.34 * self.x) / 0.34 + np.exp(0.28 * self.x) / 0.28
        self.y = base[None, :] + 0.01 * rng.standard_normal((10_000, 15))

    def time_vertex_estimates(self, vertex: str) -> None:
        cl.vertex_estimates(self.x, self.y, vertex=vertex)  # type: ignore[arg-type]


class ExponentBias:
    """Exponent error on one shared ladder of sizes (exact losses): quality, not speed."""

    params = ["parabola", "local", "spline"]
    param_names = ["vertex"]

    def setup(self, vertex: str) -> None:
        law = cl.HOFFMANN_2022_TEX
        budgets = np.array([1e19, 3e19, 1e20, 3e20, 1e21])
        ladder = np.geomspace(1e8, 1e11, 13)
        n = np.tile(ladder, budgets.size)
        c = np.repeat(budgets, ladder.size)
        d = c / (6 * n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cl.IsoFLOPWarning)
            res = cl.isoflop_minima(n, d, law.loss(n, d), budgets=c, vertex=vertex)  # type: ignore[arg-type]
        self.error = abs(res.a - law.a)

    def track_exponent_error(self, vertex: str) -> float:
        return self.error

    track_exponent_error.unit = "exponent"  # type: ignore[attr-defined]
