"""Coverage of compute_multiplier's two intervals (Wald and joint bootstrap).

The experiments of ``tests/test_planning.py::test_compute_multiplier_interval_covers_the_truth``
(two arms of 6 budgets, sd 0.005 on ln L, true multiplier 2.5), each with both
intervals. Usage: ``python benchmarks/multiplier_coverage.py [n_experiments] [n_resamples]``.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

import chinchilla_laws as cl


def main(n_exp: int = 200, n_resamples: int = 1000) -> None:
    base = cl.SaturatingPowerLaw(E=1.8, A=2.0e3, alpha=0.16)
    budgets = np.geomspace(1e18, 1e21, 6)
    rng = np.random.default_rng(0)
    hit_w = hit_b = failed = 0
    widths = []
    t0 = time.perf_counter()
    for i in range(n_exp):
        lb = base.loss(budgets) * np.exp(0.005 * rng.standard_normal(6))
        ln = base.loss(2.5 * budgets) * np.exp(0.005 * rng.standard_normal(6))
        wald = cl.compute_multiplier(budgets, lb, budgets, ln)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cl.ConvergenceWarning)  # a few failed resamples
            boot = cl.compute_multiplier(
                budgets, lb, budgets, ln, interval="bootstrap", n_resamples=n_resamples, rng=i
            )
        assert boot.bootstrap is not None
        failed += boot.bootstrap.n_failed
        hit_w += wald.interval[0] <= 2.5 <= wald.interval[1]
        hit_b += boot.interval[0] <= 2.5 <= boot.interval[1]
        widths.append([np.log(iv[1] / iv[0]) for iv in (wald.interval, boot.interval)])
    med = np.median(np.array(widths), axis=0)
    print(
        f"{n_exp} experiments, {n_resamples} resamples: 95% coverage wald {hit_w / n_exp:.3f}, "
        f"bootstrap {hit_b / n_exp:.3f}; median width in ln m wald {med[0]:.3f}, "
        f"bootstrap {med[1]:.3f}; failed resamples {failed}; {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
