"""asv benchmarks of the envelope (Approach 1) and IsoFLOP minima (Approach 2)."""

from __future__ import annotations

import numpy as np

import chinchilla_laws as cl


class Envelope:
    """1,000 runs x 1,000 logged points (the issue's target: <= 2 s)."""

    timeout = 120

    def setup(self) -> None:
        rng = np.random.default_rng(0)
        n_runs, n_steps = 1000, 1000
        sizes = np.exp(rng.uniform(np.log(1e7), np.log(1e10), n_runs))
        horizon = sizes * rng.uniform(5, 80, n_runs)
        frac = np.linspace(0.01, 1.0, n_steps)
        tokens = horizon[:, None] * frac[None, :]
        loss = cl.HOFFMANN_2022_TEX.loss(sizes[:, None], tokens)
        self.args = (
            np.repeat(np.arange(n_runs), n_steps),
            np.repeat(sizes, n_steps),
            tokens.ravel(),
            loss.ravel(),
        )

    def time_envelope(self) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cl.envelope(*self.args, smoothing=10)


class IsoFLOP:
    params = [10, 100]
    param_names = ["n_budgets"]

    def setup(self, n_budgets: int) -> None:
        law = cl.HOFFMANN_2022_TEX
        budgets = np.geomspace(1e18, 1e23, n_budgets)
        ns, cs = [], []
        for c in budgets:
            n_opt = law.optimal(c).n_params[0]
            ns.extend(n_opt * np.exp(np.linspace(-1, 1, 9)))
            cs.extend([c] * 9)
        self.n = np.array(ns)
        self.c = np.array(cs)
        self.loss = law.loss(self.n, self.c / (6 * self.n))

    def time_isoflop(self, n_budgets: int) -> None:
        cl.isoflop_minima(self.n, compute=self.c, loss=self.loss, budgets=self.c)
