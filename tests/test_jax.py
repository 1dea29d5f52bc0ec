"""The optional JAX backend (``fit_parametric(..., backend="jax")``).

Parity is checked on *best* objectives: the Numba backend abandons stuck starts
and both solvers follow different paths, so per-start end points differ, but the
optimum they find must agree. Start subsets keep the suite fast on 2 CPU cores;
``benchmarks/bench_jax.py`` runs the full 4,500-start grid.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws import _jax
from chinchilla_laws import _kernels as K
from chinchilla_laws._solver import SolverOptions
from chinchilla_laws._solver import solve_batch as numba_solve_batch
from chinchilla_laws.parametric import _prepare

EPOCH = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "chinchilla_epoch_reconstruction.csv"
)
EPOCH_OBJECTIVE = 1.01827402e-3  # Besiroglu et al. (2024) refit, 240 points, delta 1e-3
CODES = {K.CONVERGED, K.MAX_ITER, K.LINE_SEARCH_FAILED, K.NON_FINITE}

# both backends converge to max|grad| <= 2.4e-8 on an objective ~1e-3 whose Hessian
# is well conditioned in the solver's coordinates: the optimum is located to far
# better than 1e-9 relative in the objective (observed: ~1e-15)
PARITY_RTOL = 1e-9


def _epoch() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not EPOCH.exists():  # pragma: no cover - shared data always present in CI
        pytest.skip(f"missing {EPOCH}")
    t = np.genfromtxt(EPOCH, delimiter=",", names=True, dtype=None, encoding="utf-8", comments=None)
    n = np.asarray(t["Model_Size"], dtype=np.float64)
    c = np.asarray(t["Training_FLOP"], dtype=np.float64)
    loss = np.asarray(t["loss"], dtype=np.float64)
    keep = loss < np.sort(loss)[-5]
    return n[keep], c[keep] / (6.0 * n[keep]), loss[keep]


def _synthetic(seed: int, noise: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, d = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6))
    n, d = n.ravel(), d.ravel()
    loss = cl.HOFFMANN_2022_TEX.loss(n, d)
    rng = np.random.default_rng(seed)
    return n, d, loss * np.exp(noise * rng.standard_normal(n.size))


SYNTH_STARTS = cl.paper_grid()[::300]  # 15 starts


# --------------------------------------------------------------------------- no JAX


def test_import_does_not_load_jax() -> None:
    code = (
        "import chinchilla_laws, sys; "
        "assert 'jax' not in sys.modules and 'jaxopt' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("missing", ["jax", "jaxopt"])
def test_missing_jax_raises_import_error_with_hint(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # makes `import missing` fail
    with pytest.raises(ImportError, match=r"pip install 'chinchilla_laws\[jax\]'"):
        _jax._load()
    n, d, loss = _synthetic(0, 0.0)
    with pytest.raises(ImportError, match=r"chinchilla_laws\[jax\]"):
        cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS[:2], backend="jax")


def test_statuses_from_exit_state() -> None:
    # pure numpy: the status decision table, one row per case
    g_abs = 1e-6
    exit_ = _jax._Exit(
        u=np.zeros((5, 5)),
        f=np.array([1.0, 1.0, 1.0, np.nan, 1.0]),
        grad=np.array([[1e-7] * 5, [1e-3] * 5, [1e-3] * 5, [0.0] * 5, [np.inf] + [0.0] * 4]),
        nit=np.zeros(5, dtype=np.int64),
        nfev=np.ones(5, dtype=np.int64),
        failed=np.array([False, False, True, False, False]),
    )
    got = _jax._statuses(exit_, g_abs)
    want = [K.CONVERGED, K.MAX_ITER, K.LINE_SEARCH_FAILED, K.NON_FINITE, K.NON_FINITE]
    np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------ with JAX


@pytest.fixture(scope="module")
def jax_modules() -> Any:
    pytest.importorskip("jax")
    pytest.importorskip("jaxopt")
    return _jax._load()


@pytest.mark.jax
def test_objective_matches_numba_kernel(jax_modules: Any) -> None:
    jax = jax_modules.jax
    n, d, loss = _synthetic(1, 0.02)
    data = _prepare(n, d, loss, delta=1e-3, reduction="sum", weights=None)
    rng = np.random.default_rng(5)
    w = rng.uniform(0.0, 2.0, n.size)
    vg = jax.jit(jax.value_and_grad(_jax._objective))
    for _ in range(5):
        u = rng.normal(0.0, 2.0, 5)
        g_ref = np.empty(5)
        f_ref = K.objective_grad(u, data.x, data.y, data.logl, w, data.delta, g_ref)
        with _jax._x64():
            f, g = vg(u, w, data.x, data.y, data.logl, data.delta)
        # same float64 expression, different summation order: a few ulps
        np.testing.assert_allclose(float(f), f_ref, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(g), g_ref, rtol=1e-10, atol=1e-14 * abs(f_ref))


@pytest.fixture(scope="module")
def epoch_fits(jax_modules: Any) -> tuple[cl.ParametricFit, cl.ParametricFit]:
    n, d, loss = _epoch()
    starts = cl.paper_grid()[::100]  # 45 starts, every coordinate level represented
    # the subset grid is coarse: its box may not contain the optimum (boundary warning)
    fj = cl.fit_parametric(n, d, loss, starts=starts, backend="jax", warn=False)
    fn = cl.fit_parametric(n, d, loss, starts=starts, backend="numba", warn=False)
    return fj, fn


@pytest.mark.jax
def test_epoch_parity_with_numba(epoch_fits: tuple[cl.ParametricFit, cl.ParametricFit]) -> None:
    fj, fn = epoch_fits
    assert fj.n_points == 240
    np.testing.assert_allclose(fj.objective, fn.objective, rtol=PARITY_RTOL)
    # the published refit value is printed to 9 significant digits
    np.testing.assert_allclose(fj.objective, EPOCH_OBJECTIVE, rtol=1e-8)
    assert fj.success
    # parameters at the optimum: the objective is flat to ~1e-9, parameters to ~1e-6
    np.testing.assert_allclose(fj.theta, fn.theta, rtol=1e-5, atol=1e-6)


@pytest.mark.jax
def test_epoch_result_fields(epoch_fits: tuple[cl.ParametricFit, cl.ParametricFit]) -> None:
    fj, _ = epoch_fits
    assert fj.backend == "jax"
    assert fj.n_starts == 45
    assert set(np.unique(fj.start_status)) <= CODES
    assert fj.n_abandoned == 0  # the JAX backend runs every start to the end
    conv = fj.start_status == K.CONVERGED
    assert np.all(fj.start_grad_norms[conv] <= fj.gtol)
    assert np.all(fj.start_grad_norms[~conv] > fj.gtol)
    assert np.all(fj.start_nit <= 1000)
    assert np.all(fj.start_nfev >= fj.start_nit)
    for arr in (fj.start_objectives, fj.end_thetas, fj.start_nit):
        assert arr.dtype.kind in "fi" and arr.dtype.itemsize == 8


@pytest.mark.jax
@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_parity_with_numba(jax_modules: Any, seed: int) -> None:
    n, d, loss = _synthetic(seed, 0.01)
    fj = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, backend="jax", warn=False)
    fn = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, backend="numba", warn=False)
    assert fj.backend == "jax"
    assert fj.start_status[fj.best_start] == K.CONVERGED
    np.testing.assert_allclose(fj.objective, fn.objective, rtol=PARITY_RTOL)


@pytest.mark.jax
def test_noise_free_recovers_law(jax_modules: Any) -> None:
    n, d, loss = _synthetic(0, 0.0)
    fj = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, backend="jax", warn=False)
    law = cl.HOFFMANN_2022_TEX
    # exact data: objective ~0 and exponents recovered to the gradient tolerance
    assert fj.objective < 1e-12
    np.testing.assert_allclose([fj.alpha, fj.beta], [law.alpha, law.beta], rtol=1e-4)


@pytest.mark.jax
def test_max_iter_status(jax_modules: Any) -> None:
    n, d, loss = _synthetic(0, 0.01)
    fj = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, backend="jax", max_iter=2, warn=False)
    assert np.all(fj.start_nit <= 2)
    assert set(np.unique(fj.start_status)) <= {K.CONVERGED, K.MAX_ITER, K.LINE_SEARCH_FAILED}
    assert np.count_nonzero(fj.start_status == K.MAX_ITER) >= len(SYNTH_STARTS) - 2
    assert not fj.success


@pytest.mark.jax
def test_batch_with_weight_sets_matches_numba(jax_modules: Any) -> None:
    # the bootstrap's call: one weight set per resample, a NaN start flagged
    n, d, loss = _synthetic(2, 0.01)
    data = _prepare(n, d, loss, delta=1e-3, reduction="sum", weights=None)
    rng = np.random.default_rng(3)
    weight_sets = np.stack(
        [np.bincount(rng.integers(0, n.size, n.size), minlength=n.size) for _ in range(3)]
    ).astype(np.float64)
    starts = data.scaling.to_u(cl.paper_grid()[::900])  # 5 starts
    u0 = np.concatenate([starts, starts, starts, np.full((1, 5), np.nan)])
    index = np.repeat(np.arange(3), starts.shape[0]).astype(np.int64)
    index = np.append(index, 0)
    g_abs = data.abs_gtol(1e-7, weight_sets[0])
    res = _jax.solve_batch(u0, weight_sets, index, data, 1000, g_abs)
    ref = numba_solve_batch(
        u0, weight_sets, index, data.x, data.y, data.logl, data.delta,
        SolverOptions(max_iter=1000, gtol=g_abs),
    )  # fmt: skip
    assert res.u.shape == (u0.shape[0], 5) and res.grad.shape == (u0.shape[0], 5)
    assert res.nit.dtype == np.int64 and res.nfev.dtype == np.int64
    assert res.status.dtype == np.int64
    assert res.status[-1] == K.NON_FINITE
    assert set(np.unique(res.status)) <= CODES
    for k in range(3):
        sel = index[:-1] == k
        best_j = np.min(res.f[:-1][sel])
        best_n = np.min(ref.f[:-1][sel])
        np.testing.assert_allclose(best_j, best_n, rtol=PARITY_RTOL)
