"""Issue 11 items in the fitting core: degenerate designs, Huber delta, unclear errors.

Each test names the behaviour of version 0.1 it guards against.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.cli import main
from chinchilla_laws.datasets import synthetic_sweep

N8, D8 = (a.ravel() for a in np.meshgrid(np.geomspace(1e7, 1e10, 8), np.geomspace(1e8, 1e12, 8)))
N6, D6 = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6)))
GRID = cl.paper_grid()[::20]


@pytest.mark.parametrize("seed", range(4))
def test_no_n_or_d_dependence_gives_a_flagged_result_not_a_crash(seed: int) -> None:
    # 0.1: OverflowError in ChinchillaLaw.from_theta or "B must be ... got 0.0"
    rng = np.random.default_rng(seed)
    loss = 2.5 * np.exp(0.01 * rng.standard_normal(N8.size))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cl.fit_parametric(N8, D8, loss)
    assert not fit.success
    assert any(issubclass(w.category, cl.ChinchillaWarning) for w in caught)
    assert np.isfinite(fit.objective)


def test_demo_with_pure_noise_does_not_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    # 0.1: `chinchilla-laws demo --noise 1 --seed 0` printed a traceback
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["demo", "--noise", "1", "--seed", "0", "--starts", "random:200"])
    assert code == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("n", "d", "name"),
    [
        (np.repeat([1e8, 1e9], 5), np.tile(np.geomspace(1e9, 1e11, 5), 2), "n_params"),
        (np.repeat(np.geomspace(1e8, 1e10, 6), 2), np.tile([1e9, 1e11], 6), "n_tokens"),
    ],
)
def test_two_distinct_values_are_not_identifiable(n, d, name) -> None:
    # 0.1: SUCCESS with a = 0.11 (truth 0.46) on exact losses
    loss = cl.HOFFMANN_2022_TEX.loss(n, d)
    with pytest.warns(cl.IdentifiabilityWarning, match=f"`{name}` takes only 2 distinct"):
        fit = cl.fit_parametric(n, d, loss, starts=GRID)
    assert fit.status is cl.FitStatus.NOT_IDENTIFIABLE
    assert not fit.success
    assert any(name in note for note in fit.notes)


def test_one_distinct_value_is_refused() -> None:
    n = np.full(10, 1e9)
    d = np.geomspace(1e9, 1e11, 10)
    with pytest.raises(ValueError, match="`n_params` must take at least two distinct values"):
        cl.fit_parametric(n, d, cl.HOFFMANN_2022_TEX.loss(n, d))


def test_a_step_term_on_data_without_a_d_term_is_degenerate() -> None:
    # 0.1: beta = 24, B = 1e190 with SUCCESS and only a GridBoundaryWarning
    rng = np.random.default_rng(0)
    loss = (1.8 + 400.0 / N8**0.34) * np.exp(0.01 * rng.standard_normal(N8.size))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cl.fit_parametric(N8, D8, loss)
    assert fit.status is cl.FitStatus.DEGENERATE
    kinds = {w.category for w in caught}
    assert cl.IdentifiabilityWarning in kinds
    assert cl.GridBoundaryWarning not in kinds


def test_large_delta_reaches_the_least_squares_optimum() -> None:
    # 0.1: delta=1e4 stopped early (0.00311 vs 0.00255); delta=1e9 returned a start
    s = synthetic_sweep(rng=0)
    ref = cl.fit_parametric(s.n_params, s.n_tokens, s.loss, delta=100.0, starts=GRID)
    assert ref.success
    for delta in (1e4, 1e9):
        fit = cl.fit_parametric(s.n_params, s.n_tokens, s.loss, delta=delta, starts=GRID)
        assert fit.success
        # every residual quadratic: the same least-squares objective and optimum
        assert fit.objective == pytest.approx(ref.objective, rel=1e-8)
        np.testing.assert_allclose(fit.theta, ref.theta, rtol=1e-4, atol=1e-6)
        assert fit.gtol == ref.gtol  # the tolerance does not grow with delta


def test_empty_starts_name_the_argument() -> None:
    # 0.1: "attempt to get argmin of an empty sequence"
    loss = cl.HOFFMANN_2022_TEX.loss(N6, D6)
    with pytest.raises(ValueError, match="`starts` must have shape"):
        cl.fit_parametric(N6, D6, loss, starts=np.empty((0, 5)))


def test_max_iter_one_is_a_convergence_status() -> None:
    # 0.1: DEGENERATE, because the degeneracy check ran on an unconverged point first
    loss = cl.HOFFMANN_2022_TEX.loss(N6, D6)
    with pytest.warns(cl.ConvergenceWarning):
        fit = cl.fit_parametric(N6, D6, loss, starts=GRID, max_iter=1)
    assert fit.status in (cl.FitStatus.NO_START_CONVERGED, cl.FitStatus.BEST_NOT_CONVERGED)


def test_random_starts_define_no_grid_boundary() -> None:
    # 0.1: GridBoundaryWarning for random starts (the extreme draws counted as a boundary)
    rng = np.random.default_rng(1)
    loss = cl.HOFFMANN_2022_TEX.loss(N6, D6) * np.exp(0.01 * rng.standard_normal(N6.size))
    starts = cl.random_starts(60, rng=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", cl.GridBoundaryWarning)
        fit = cl.fit_parametric(N6, D6, loss, starts=starts)
    assert not fit.on_grid_boundary
    # a grid whose best start sits on its edge is still flagged
    levels = [(3, 6, 9), (3, 6, 9), (0.0, 0.3, 0.6), (0.3, 0.6, 0.9), (0.3, 0.6, 0.9)]
    edge = np.stack([m.ravel() for m in np.meshgrid(*levels, indexing="ij")], axis=1)
    law = cl.ChinchillaLaw(E=1.0, A=np.exp(9.0) * 3, B=np.exp(9.0) * 3, alpha=0.9, beta=0.9)
    with pytest.warns(cl.GridBoundaryWarning):
        flagged = cl.fit_parametric(N6, D6, law.loss(N6, D6), starts=edge)
    assert flagged.on_grid_boundary


def test_bootstrap_of_a_weighted_fit_uses_the_weights() -> None:
    # 0.1: "`fit` was not made on these data" for any weighted fit
    rng = np.random.default_rng(2)
    loss = cl.HOFFMANN_2022_TEX.loss(N6, D6) * np.exp(0.01 * rng.standard_normal(N6.size))
    w = rng.uniform(0.5, 2.0, N6.size)
    fit = cl.fit_parametric(N6, D6, loss, weights=w, starts=GRID)
    boot = cl.bootstrap_parametric(N6, D6, loss, fit=fit, weights=w, n_resamples=30, rng=0)
    assert boot.n_resamples == 30 and boot.n_failed == 0
    with pytest.raises(ValueError, match="`fit` is a weighted fit; pass the same `weights`"):
        cl.bootstrap_parametric(N6, D6, loss, fit=fit, n_resamples=5, rng=0)
    with pytest.raises(ValueError, match="not made on these data"):
        cl.bootstrap_parametric(N6, D6, loss, fit=fit, weights=w[::-1], n_resamples=5, rng=0)
    # a resampled point carries its weight: the full-data fit is the all-ones resample
    unweighted = cl.bootstrap_parametric(N6, D6, loss, n_resamples=30, rng=0, starts=GRID[:3])
    assert not np.allclose(boot.samples["alpha"], unweighted.samples["alpha"])


def test_bootstrap_of_a_fit_that_did_not_succeed_warns() -> None:
    # 0.1: accepted without a word
    loss = cl.HOFFMANN_2022_TEX.loss(N6, D6)
    with pytest.warns(cl.ConvergenceWarning):
        fit = cl.fit_parametric(N6, D6, loss, starts=GRID, max_iter=3)
    assert not fit.success
    with pytest.warns(cl.ConvergenceWarning, match="full-data fit has status"):
        boot = cl.bootstrap_parametric(N6, D6, loss, fit=fit, n_resamples=10, rng=0)
    assert boot.n_failed == 0
