"""asv benchmarks of the data-constrained and over-training laws."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import chinchilla_laws as cl
from chinchilla_laws import _family_kernels as FK
from chinchilla_laws.data_constrained import IDENTITY_AUX


def muennighoff182() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 182 runs (N, D, U, loss); a synthetic stand-in drawn from the preset without them."""
    for parent in Path(__file__).resolve().parents:
        path = parent / "shared" / "data" / "muennighoff2023_data_constrained.csv"
        if path.exists():
            with path.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            cols = ("params", "tokens", "unique_tokens", "loss")
            n, d, u, loss = (np.array([float(r[k]) for r in rows]) for k in cols)
            return n, d, u, loss
    rng = np.random.default_rng(0)
    n = np.exp(rng.uniform(np.log(7e6), np.log(9e9), 182))
    u = np.exp(rng.uniform(np.log(1e8), np.log(2e11), 182))
    d = u * np.exp(rng.uniform(0.0, np.log(500.0), 182))
    loss = cl.MUENNIGHOFF_2023.loss(n, d, u) * np.exp(0.01 * rng.standard_normal(182))
    return n, d, u, loss


class DataConstrainedOptimal:
    """``MUENNIGHOFF_2023.optimal`` under a unique-token limit, by number of budgets."""

    params = [1, 100, 1000]
    param_names = ["n_budgets"]

    def setup(self, n_budgets: int) -> None:
        self.compute = np.geomspace(1e19, 1e26, n_budgets)

    def time_optimal(self, n_budgets: int) -> None:
        cl.MUENNIGHOFF_2023.optimal(self.compute, unique_tokens=25e9)


class DataConstrainedKernel:
    """Objective + gradient of the data-constrained law on the 182 runs."""

    def setup(self) -> None:
        n, d, u, loss = muennighoff182()
        self.args = (
            np.ascontiguousarray(np.stack([np.log(n), np.log(d), np.log(u)], axis=1)),
            IDENTITY_AUX,
            np.log(loss),
            np.ones(n.size),
            1e-3,
        )
        self.theta = cl.MUENNIGHOFF_2023.theta
        self.g = np.empty(7)
        FK.dc_objective_grad(self.theta, *self.args, self.g)  # JIT warm-up

    def time_objective_grad(self) -> None:
        FK.dc_objective_grad(self.theta, *self.args, self.g)


class DataConstrainedFit:
    """Fits of the 182 runs from the default starts: stage 2 (R_D*, R_N* free) and all seven."""

    timeout = 300

    def setup(self) -> None:
        self.n, self.d, self.u, self.loss = muennighoff182()
        law = cl.MUENNIGHOFF_2023
        self.five = {k: law.params[k] for k in ("E", "A", "B", "alpha", "beta")}
        self.fit(fixed=self.five)  # JIT warm-up of both solver variants
        self.fit(starts=cl.get_family("data_constrained").default_starts()[:2])

    def fit(self, **kw: object) -> cl.ParametricFit:
        return cl.fit_parametric(
            self.n,
            self.d,
            self.loss,
            unique_tokens=self.u,
            family="data_constrained",
            warn=False,
            **kw,  # type: ignore[arg-type]
        )

    def time_stage2(self) -> None:
        self.fit(fixed=self.five)

    def time_full(self) -> None:
        self.fit()

    def track_stage2_objective(self) -> float:
        return self.fit(fixed=self.five).objective

    track_stage2_objective.unit = "Huber objective"  # type: ignore[attr-defined]


class OverTrainingFit:
    """The over-training law on 24 synthetic runs from the default starts (1,080)."""

    timeout = 300

    def setup(self) -> None:
        law = cl.OverTrainingLaw(E=1.9, A=250.0, B=900.0, eta=0.3)
        self.n = np.repeat(np.geomspace(1e7, 3e9, 6), 4)
        self.d = self.n * np.tile([5.0, 20.0, 80.0, 320.0], 6)
        rng = np.random.default_rng(1)
        self.loss = law.loss(self.n, self.d) * np.exp(0.001 * rng.standard_normal(24))
        cl.fit_parametric(self.n, self.d, self.loss, family="overtraining", warn=False)

    def time_fit(self) -> None:
        cl.fit_parametric(self.n, self.d, self.loss, family="overtraining", warn=False)
