"""The optional jaxopt backend (``backend="jaxopt"``): one vmapped ``jaxopt.LBFGS`` solve.

The backend runs every start to convergence (no abandonment), so its best
objective must equal the Numba backend's to the parity tolerance. JAX compiles
the solve once per (starts, points, weight sets) shape, which costs seconds on 2
CPU cores: the tests share two shapes (45 Epoch starts; 45 Kaplan starts).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws import _jaxopt
from chinchilla_laws import _lbfgs as K
from chinchilla_laws._backends import SolverOptions, backend_names, get_backend

PARITY_RTOL = 1e-9
EPOCH_STARTS = cl.paper_grid()[::100]  # 45 starts, every coordinate level represented
CODES = {K.CONVERGED, K.MAX_ITER, K.LINE_SEARCH_FAILED, K.NON_FINITE}


# --------------------------------------------------------------------------- no JAX


def test_registered_and_import_does_not_load_jaxopt() -> None:
    assert "jaxopt" in backend_names()
    code = "import chinchilla_laws, sys; assert 'jaxopt' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_jaxopt_raises_import_error_with_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jaxopt", None)  # makes `import jaxopt` fail
    with pytest.raises(ImportError, match=r"jaxopt.*pip install 'chinchilla_laws\[jax\]'"):
        _jaxopt._load()
    n = np.geomspace(1e8, 1e10, 6).repeat(2)
    d = np.tile([2e9, 2e10], 6)
    loss = cl.HOFFMANN_2022_TEX.loss(n, d)
    with pytest.raises(ImportError, match=r"backend='jaxopt'.*chinchilla_laws\[jax\]"):
        cl.fit_parametric(n, d, loss, starts=EPOCH_STARTS[:2], backend="jaxopt", warn=False)


def test_statuses_from_the_final_state() -> None:
    opts = SolverOptions(max_iter=10, gtol=1e-6)
    f = np.array([1.0, 1.0, np.nan, 1.0, 1.0, 1.0])
    g = np.array([[1e-7, 0.0], [1e-3, 0.0], [0.0, 0.0], [0.0, np.inf], [1e-3, 0.0], [1e-9, 0]])
    nit = np.array([3, 10, 2, 2, 4, 10])
    failed = np.array([False, False, False, False, True, True])
    status = _jaxopt._statuses(f, g, nit, failed, opts)
    # converged by the gradient at exit beats a failed flag or the iteration cap
    np.testing.assert_array_equal(
        status,
        [K.CONVERGED, K.MAX_ITER, K.NON_FINITE, K.NON_FINITE, K.LINE_SEARCH_FAILED, K.CONVERGED],
    )


# ------------------------------------------------------------------------ with jaxopt


@pytest.fixture(scope="module")
def jaxopt_modules() -> Any:
    pytest.importorskip("jax")
    pytest.importorskip("jaxopt")
    return _jaxopt._load()


def test_import_warning_is_filtered() -> None:
    pytest.importorskip("jax")
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "from chinchilla_laws import _jaxopt; _jaxopt._load()"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def epoch_fits(
    jaxopt_modules: Any, epoch240: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[cl.ParametricFit, cl.ParametricFit, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []
    fo = cl.fit_parametric(
        *epoch240,
        starts=EPOCH_STARTS,
        backend="jaxopt",
        warn=False,
        progress=lambda a, b: calls.append((a, b)),
    )
    fn = cl.fit_parametric(*epoch240, starts=EPOCH_STARTS, backend="numba", warn=False)
    return fo, fn, calls


@pytest.mark.jax
def test_epoch_parity_with_numba(epoch_fits: Any) -> None:
    fo, fn, calls = epoch_fits
    assert fo.backend == "jaxopt" and fo.n_starts == 45 and fo.success
    np.testing.assert_allclose(fo.objective, fn.objective, rtol=PARITY_RTOL)
    np.testing.assert_allclose(fo.theta, fn.theta, rtol=1e-5, atol=1e-6)
    assert calls == [(45, 45)]


@pytest.mark.jax
def test_epoch_statuses(epoch_fits: Any) -> None:
    fo, _, _ = epoch_fits
    assert set(np.unique(fo.start_status)) <= CODES
    assert fo.n_abandoned == 0  # no rounds: nothing is abandoned
    conv = fo.start_status == K.CONVERGED
    assert conv.sum() > 0
    assert np.all(fo.start_grad_norms[conv] <= fo.gtol)
    assert np.all(fo.start_grad_norms[~conv] > fo.gtol)
    assert np.all(fo.start_nit <= 1000)


@pytest.mark.jax
def test_abandon_warns_and_max_iter_status(
    jaxopt_modules: Any, epoch240: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    # same shapes as the parity fit: no new compilation
    with pytest.warns(cl.BackendOptionWarning, match="'jaxopt' does not use `abandon`"):
        fo = cl.fit_parametric(
            *epoch240, starts=EPOCH_STARTS, backend="jaxopt", warn=False, abandon=True, max_iter=2
        )
    assert np.all(fo.start_nit <= 2)
    assert np.count_nonzero(fo.start_status == K.MAX_ITER) >= 40
    assert not fo.success


@pytest.mark.jax
def test_kaplan_parity_with_numba(jaxopt_modules: Any) -> None:
    rng = np.random.default_rng(11)
    law = cl.KaplanLaw(alpha_N=0.08, alpha_D=0.1, N_c=5e13, D_c=2e13)
    n, d = np.meshgrid(np.geomspace(1e7, 1e10, 6), np.geomspace(1e9, 1e12, 6))
    n, d = n.ravel(), d.ravel()
    loss = law.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    data = {"n_params": n, "n_tokens": d, "loss": loss}
    grid = cl.get_family("kaplan").default_starts()
    starts = grid[:: max(1, grid.shape[0] // 45)][:45]
    fo = cl.fit_law("kaplan", data, starts=starts, backend="jaxopt", warn=False)
    fn = cl.fit_law("kaplan", data, starts=starts, backend="numba", warn=False)
    assert fo.backend == "jaxopt" and fo.start_status[fo.best_start] == K.CONVERGED
    np.testing.assert_allclose(fo.objective, fn.objective, rtol=PARITY_RTOL)


@pytest.mark.jax
def test_weight_sets_one_solve(jaxopt_modules: Any) -> None:
    # the bootstrap's call: start j weighted by sets[index[j]]; a NaN start flagged
    from chinchilla_laws._problem import WeightSets, prepare

    n, d = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6))
    n, d = n.ravel(), d.ravel()
    rng = np.random.default_rng(2)
    loss = cl.HOFFMANN_2022_TEX.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    data = {"n_params": n, "n_tokens": d, "loss": loss}
    problem = prepare(cl.CHINCHILLA, data, delta=1e-3, reduction="sum", weights=None)
    sets = np.stack([np.bincount(rng.integers(0, n.size, n.size), minlength=n.size)
                     for _ in range(3)]).astype(np.float64)  # fmt: skip
    z = problem.to_z(cl.paper_grid()[::900])  # 5 starts
    u0 = np.concatenate([z, z, z, np.full((1, 5), np.nan)])
    index = np.append(np.repeat(np.arange(3), z.shape[0]), 0).astype(np.int64)
    opts = SolverOptions(gtol=problem.abs_gtol(1e-7, sets[0]))
    ws = WeightSets(sets=sets, index=index)
    res = get_backend("jaxopt").solve(problem, u0, ws, opts, None)
    ref = get_backend("numba").solve(problem, u0, ws, opts, None)
    assert res.u.shape == (16, 5) and res.status.dtype == np.int64
    assert res.status[-1] == K.NON_FINITE
    for k in range(3):
        sel = index[:-1] == k
        np.testing.assert_allclose(
            np.min(res.f[:-1][sel]), np.min(ref.f[:-1][sel]), rtol=PARITY_RTOL
        )
