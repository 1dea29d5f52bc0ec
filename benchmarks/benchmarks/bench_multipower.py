"""asv benchmarks of the multi-power law (Luo et al. 2025): kernel, fit, schedule optimum.

Goals (issue 16): one objective+gradient over the three 24,000-step training curves
<= 50 ms warm (plain numpy takes about 0.25 s for the value alone); a full multi-start
fit of one size <= 30 s; the 24,000-step schedule optimisation <= 30 s.

The curves are drawn from the published 400M law at Luo et al.'s logged steps (every
128 steps from 2,176) under their three training schedules, with 0.2% log-normal noise:
the same 451 points and 2.8 million (point, change point) pairs as the real data.
"""

from __future__ import annotations

import warnings

import numpy as np

import chinchilla_laws as cl
from chinchilla_laws import _mpl_kernels as MK
from chinchilla_laws.multipower import PARAM_NAMES
from chinchilla_laws.multipower_fit import FAMILY
from chinchilla_laws.schedules import luo2025_schedule

TRAIN = ("constant_24000", "cosine_24000", "wsdcon_9")


def training_curves(seed: int = 0) -> list[cl.LossCurve]:
    rng = np.random.default_rng(seed)
    out = []
    for name in TRAIN:
        eta = luo2025_schedule(name)
        steps = np.arange(2176, eta.size, 128)
        loss = cl.LUO_2025_400M.loss(eta, steps) * np.exp(2e-3 * rng.standard_normal(steps.size))
        out.append(cl.LossCurve(name=name, steps=steps, loss=loss, schedule=eta))
    return out


def numpy_value(p: np.ndarray, curves: list[cl.LossCurve]) -> float:
    """The summed Huber objective in plain numpy, one vectorised sum per point."""
    l0, a, alpha, b, c, beta, gamma = p
    total = 0.0
    for cv in curves:
        eta = cv.schedule
        cs = np.cumsum(eta)
        for t, loss in zip(cv.steps, cv.loss, strict=True):
            k = np.arange(1, t + 1)
            d = eta[k - 1] - eta[k]
            s = cs[t] - cs[k - 1]
            ld = np.sum(d * (1 - (1 + c * eta[k] ** (-gamma) * s) ** (-beta)))
            r = np.log(l0 + a * cs[t] ** (-alpha) - b * ld) - np.log(loss)
            total += 0.5 * r * r if abs(r) <= 1e-3 else 1e-3 * (abs(r) - 5e-4)
    return total


class Objective:
    """Objective + gradient over the three 24,000-step training curves (2.8M pairs)."""

    timeout = 300

    def setup(self) -> None:
        self.curves = training_curves()
        self.design = FAMILY.design(self.curves)
        self.w = np.ones(self.design.target.size)
        self.theta = FAMILY.theta_from_params(
            dict(zip(PARAM_NAMES, cl.LUO_2025_400M.param_vector, strict=True))
        )
        self.g = np.empty(7)
        self.time_objective_grad()  # JIT warm-up
        self.time_engine_kernel()

    def time_objective_grad(self) -> None:
        """The kernels parallel over points (Jacobian, then the Huber sum), as
        :func:`chinchilla_laws.multi_power_objective` uses them."""
        pred, jac = self.design.packed.jacobian(cl.LUO_2025_400M.param_vector)
        MK.huber_objective_grad(pred, jac, self.design.target, self.w, 1e-3, self.g)

    def time_engine_kernel(self) -> None:
        """The serial kernel of the engine contract (one start per thread), which
        :func:`chinchilla_laws.fit_multi_power` runs."""
        d = self.design
        MK.objective_grad(self.theta, d.X, d.aux, d.target, self.w, 1e-3, self.g)

    def time_numpy_value_only(self) -> None:
        """Baseline: the value alone in plain numpy."""
        numpy_value(cl.LUO_2025_400M.param_vector, self.curves)


class Fit:
    """fit_multi_power on the three training curves from the four default starts.

    Since the standalone solver was replaced by the engine (issue 12), this times the
    engine on the ``"multi_power"`` family; ``bootstrap`` times 20 block-bootstrap
    resamples (one batched engine solve).
    """

    timeout = 600
    number = 1
    repeat = 1

    def setup(self) -> None:
        self.curves = training_curves()
        small = [
            cl.LossCurve(name=c.name, steps=c.steps[:5], loss=c.loss[:5], schedule=c.schedule)
            for c in self.curves
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cl.fit_multi_power(small, max_iter=3)  # JIT warm-up
        self.fit = cl.fit_multi_power(self.curves)

    def time_fit(self) -> None:
        cl.fit_multi_power(self.curves)

    def time_bootstrap(self) -> None:
        cl.bootstrap_multi_power(self.curves, n_resamples=20, rng=0, fit=self.fit)

    def track_objective_vs_published(self) -> float:
        fit = cl.fit_multi_power(self.curves)
        return fit.objective / cl.multi_power_objective(cl.LUO_2025_400M, self.curves)

    track_objective_vs_published.unit = "ratio"  # type: ignore[attr-defined]


class OptimizeSchedule:
    """The 400M preset, 24,000 steps, 2,160-step warmup to 3e-4, floor 1e-10."""

    timeout = 300
    number = 1
    repeat = 3

    def setup(self) -> None:
        cl.optimize_schedule(cl.LUO_2025_400M, 3000, warmup=300, peak=3e-4)  # JIT warm-up

    def time_optimize(self) -> None:
        cl.optimize_schedule(cl.LUO_2025_400M, 24000, warmup=2160, peak=3e-4, floor=1e-10)

    def track_final_loss(self) -> float:
        res = cl.optimize_schedule(cl.LUO_2025_400M, 24000, warmup=2160, peak=3e-4, floor=1e-10)
        return res.final_loss

    track_final_loss.unit = "predicted loss"  # type: ignore[attr-defined]
