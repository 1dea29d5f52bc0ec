"""asv benchmarks of the planning tools (targets: inference_optimal over 1,000 pairs
<= 50 ms; a rolling backtest over 10 splits of the Epoch set <= 5 s warm)."""

from __future__ import annotations

import warnings

import numpy as np

import chinchilla_laws as cl

from ._data import epoch240


class InferenceOptimal:
    """1,000 (loss, inference demand) pairs, solved at once."""

    def setup(self) -> None:
        rng = np.random.default_rng(0)
        law = cl.HOFFMANN_2022_TEX
        self.loss = law.E + rng.uniform(0.05, 2.0, 1000)
        self.demand = 10.0 ** rng.uniform(6.0, 16.0, 1000)
        cl.inference_optimal(law, self.loss, self.demand)

    def time_inference_optimal_1000(self) -> None:
        cl.inference_optimal(cl.HOFFMANN_2022_TEX, self.loss, self.demand)


class RollingBacktest:
    """10 splits of the Epoch 240-point set, each fitted from the paper's grid."""

    timeout = 300

    def setup(self) -> None:
        self.data = epoch240()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cl.backtest(*self.data, split_compute=1e21)  # warm the JIT cache

    def time_rolling_backtest_10(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cl.rolling_backtest(*self.data, splits=10)

    def track_epoch_split_1e21_mean_abs_relative_error(self) -> float:
        return cl.backtest(*self.data, split_compute=1e21).mean_abs_relative_error


class DesignIsoFLOP:
    """4 budgets x 9 sizes, 200 simulated sweeps."""

    def setup(self) -> None:
        self.budgets = np.geomspace(1e18, 1e21, 4)
        cl.design_isoflop(self.budgets, cl.HOFFMANN_2022_TEX, n_sims=10, rng=0)

    def time_design_isoflop_200_sims(self) -> None:
        cl.design_isoflop(self.budgets, cl.HOFFMANN_2022_TEX, n_sims=200, rng=0)

    def time_design_for_se(self) -> None:
        cl.design_isoflop_for_se(0.01, cl.HOFFMANN_2022_TEX, rng=0)


class OtherLaws:
    """The numerical search (data-constrained law, 100 pairs) and the two-arm fit."""

    def setup(self) -> None:
        rng = np.random.default_rng(0)
        self.loss = 2.2 + rng.uniform(0.0, 0.6, 100)
        self.demand = 10.0 ** rng.uniform(9.0, 13.0, 100)
        from chinchilla_laws import SaturatingPowerLaw

        base = SaturatingPowerLaw(E=1.8, A=2.0e3, alpha=0.16)
        self.c = np.geomspace(1e18, 1e21, 6)
        self.lb = base.loss(self.c) * np.exp(0.005 * rng.standard_normal(6))
        self.ln = base.loss(2.5 * self.c) * np.exp(0.005 * rng.standard_normal(6))
        cl.compute_multiplier(self.c, self.lb, self.c, self.ln)

    def time_inference_optimal_data_constrained_100(self) -> None:
        cl.inference_optimal(cl.MUENNIGHOFF_2023, self.loss, self.demand, unique_tokens=25e9)

    def time_compute_multiplier(self) -> None:
        cl.compute_multiplier(self.c, self.lb, self.c, self.ln)
