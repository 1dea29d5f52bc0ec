"""The optional JAX backend (``backend="jax"``): batched L-BFGS in rounds.

Parity is checked on *best* objectives: both backends abandon stuck starts by the
same rule, but their rounds differ (Numba: a fixed number of iterations per
start; JAX: a fixed number of objective evaluations per lane), so per-start end
points and abandonment decisions differ while the optimum they find must agree.

JAX compiles a round once per (batch size, points, parameters) shape, which costs
seconds on 2 CPU cores: the tests use few shapes (every problem with at most 64
starts runs in the 64-lane bucket) and the full grid is marked slow.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws import _jax, _kernels
from chinchilla_laws import _lbfgs as K
from chinchilla_laws._backends import SolverOptions, get_backend
from chinchilla_laws._problem import WeightSets, prepare


def _prepare(n: np.ndarray, d: np.ndarray, loss: np.ndarray) -> Any:
    data = {"n_params": n, "n_tokens": d, "loss": loss}
    return prepare(cl.CHINCHILLA, data, delta=1e-3, reduction="sum", weights=None)


EPOCH_OBJECTIVE = 1.01827402e-3  # Besiroglu et al. (2024) refit, 240 points, delta 1e-3
CODES = {K.CONVERGED, K.MAX_ITER, K.LINE_SEARCH_FAILED, K.NON_FINITE, K.ABANDONED}

# both backends converge to max|grad| <= 2.4e-8 on an objective ~1e-3 whose Hessian
# is well conditioned in the solver's coordinates: the optimum is located to far
# better than 1e-9 relative in the objective (observed: ~1e-15)
PARITY_RTOL = 1e-9


def _synthetic(seed: int, noise: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, d = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6))
    n, d = n.ravel(), d.ravel()
    loss = cl.HOFFMANN_2022_TEX.loss(n, d)
    rng = np.random.default_rng(seed)
    return n, d, loss * np.exp(noise * rng.standard_normal(n.size))


SYNTH_STARTS = cl.paper_grid()[::300]  # 15 starts
EPOCH_STARTS = cl.paper_grid()[::100]  # 45 starts, every coordinate level represented


# --------------------------------------------------------------------------- no JAX


def test_import_does_not_load_jax() -> None:
    code = "import chinchilla_laws, sys; assert 'jax' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_jax_raises_import_error_with_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)  # makes `import jax` fail
    with pytest.raises(ImportError, match=r"pip install 'chinchilla_laws\[jax\]'"):
        _jax._load()
    n, d, loss = _synthetic(0, 0.0)
    with pytest.raises(ImportError, match=r"chinchilla_laws\[jax\]"):
        cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS[:2], backend="jax")
    with pytest.raises(ImportError, match=r"chinchilla_laws\[jax\]"):
        cl.bootstrap_parametric(n, d, loss, n_resamples=2, rng=0, backend="jax")


@pytest.mark.parametrize(
    ("n_active", "current", "want"),
    [
        (4500, 4500, 4500),  # nothing finished
        (3000, 4500, 4500),  # 4096 would not halve the batch: no new compilation
        (513, 4500, 4500),
        (512, 4500, 512),
        (10, 4500, 512),  # 512 is the smallest compaction target
        (1, 512, 512),
        (1, 64, 64),  # a small first batch is never compacted
        (40000, 100000, 100000),  # 65536 is no bucket; 262144 is larger
        (30000, 100000, 32768),
        (4000, 32768, 4096),
    ],
)
def test_bucket_size(n_active: int, current: int, want: int) -> None:
    assert _jax.bucket_size(n_active, current) == want


def _host(f: list[float], nit: list[int], f_check: list[float], it_check: list[int]) -> Any:
    k = len(f)
    return _jax._Host(
        u=np.ones((k, 5)),
        f=np.array(f),
        g=np.zeros((k, 5)),
        nit=np.array(nit, dtype=np.int64),
        nfev=np.ones(k, dtype=np.int64),
        status=np.full(k, K.RUNNING, dtype=np.int64),
        f_check=np.array(f_check),
        it_check=np.array(it_check, dtype=np.int64),
    )


def _positive_exponents(u: np.ndarray) -> np.ndarray:
    return (u[:, 3] > 0) & (u[:, 4] > 0)


def test_abandon_rule_decision_table() -> None:
    # group 0: best 1.0 (start 0); group 1: best 2.0 (start 5). Defaults: after 4
    # iterations, gap > 5 % of the best, progress since the last check < 0.5 % of the gap
    opts = SolverOptions()
    host = _host(
        f=[1.0, 2.0, 2.0, 2.0, 1.04, 2.0, 3.0],
        nit=[6, 6, 3, 6, 6, 6, 5],
        f_check=[1.0, 2.001, 2.0, 2.5, 1.04, 2.0, 3.0],
        it_check=[4, 4, 0, 4, 4, 4, 4],
    )
    widx = np.array([0, 0, 0, 0, 0, 1, 1], dtype=np.int64)
    running = np.arange(7, dtype=np.int64)
    dropped = _jax._abandon(host, running, widx, 2, opts, _positive_exponents)
    # 0: the best; 1: stuck (gap 1.0, gained 0.001 < 0.005); 2: too few iterations;
    # 3: still descending (gained 0.5); 4: within 5 %; 5: group 1's best;
    # 6: checked one iteration after its last check (< round_iters): not due
    np.testing.assert_array_equal(dropped, [1])
    # the checked starts move their checkpoint; the one not due keeps it
    np.testing.assert_array_equal(host.it_check, [6, 6, 3, 6, 6, 6, 4])
    np.testing.assert_array_equal(host.f_check[:6], host.f[:6])


def test_abandon_ignores_inadmissible_best() -> None:
    # a lower objective reached with a non-positive exponent must not set the bar
    host = _host(f=[0.5, 1.0], nit=[6, 6], f_check=[0.5, 1.0], it_check=[4, 4])
    host.u[0, 3] = -0.1
    widx = np.zeros(2, dtype=np.int64)
    running = np.arange(2, dtype=np.int64)
    dropped = _jax._abandon(host, running, widx, 1, SolverOptions(), _positive_exponents)
    assert dropped.size == 0
    host = _host(f=[0.5, 1.0], nit=[6, 6], f_check=[0.5, 1.0], it_check=[4, 4])
    dropped = _jax._abandon(host, running, widx, 1, SolverOptions(), _positive_exponents)
    np.testing.assert_array_equal(dropped, [1])


# ------------------------------------------------------------------------ with JAX


@pytest.fixture(scope="module")
def jax_modules() -> Any:
    pytest.importorskip("jax")
    return _jax._load()


@pytest.mark.jax
def test_objective_matches_numba_kernel(jax_modules: Any) -> None:
    jax = jax_modules.jax
    n, d, loss = _synthetic(1, 0.02)
    data = _prepare(n, d, loss)
    rng = np.random.default_rng(5)
    w = rng.uniform(0.0, 2.0, n.size)
    # the family's objective through the backend's adapter (u = z: no constraints)
    vg = jax.jit(jax.value_and_grad(_jax.family_objective(cl.CHINCHILLA)))
    for _ in range(5):
        u = rng.normal(0.0, 2.0, 5)
        g_ref = np.empty(5)
        f_ref = _kernels.objective_grad(u, data.X, data.aux, data.target, w, data.delta, g_ref)
        with _jax._x64():
            f, g = vg(u, w, data.kernel_args, data.delta)
        # same float64 expression, different summation order: a few ulps
        np.testing.assert_allclose(float(f), f_ref, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(g), g_ref, rtol=1e-10, atol=1e-14 * abs(f_ref))


@pytest.fixture(scope="module")
def epoch_fits(
    jax_modules: Any, epoch240: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[cl.ParametricFit, cl.ParametricFit, list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        calls.append((done, total))

    # the subset grid is coarse: its box may not contain the optimum (boundary warning)
    fj = cl.fit_parametric(
        *epoch240, starts=EPOCH_STARTS, backend="jax", warn=False, progress=progress
    )
    fn = cl.fit_parametric(*epoch240, starts=EPOCH_STARTS, backend="numba", warn=False)
    return fj, fn, calls


@pytest.mark.jax
def test_epoch_parity_with_numba(epoch_fits: Any) -> None:
    fj, fn, _ = epoch_fits
    assert fj.n_points == 240
    np.testing.assert_allclose(fj.objective, fn.objective, rtol=PARITY_RTOL)
    # the published refit value is printed to 9 significant digits
    np.testing.assert_allclose(fj.objective, EPOCH_OBJECTIVE, rtol=1e-8)
    assert fj.success
    # parameters at the optimum: the objective is flat to ~1e-9, parameters to ~1e-6
    np.testing.assert_allclose(fj.theta, fn.theta, rtol=1e-5, atol=1e-6)


@pytest.mark.jax
def test_epoch_result_fields(epoch_fits: Any) -> None:
    fj, _, calls = epoch_fits
    assert fj.backend == "jax"
    assert fj.n_starts == 45
    assert set(np.unique(fj.start_status)) <= CODES
    # most of this grid sits on plateaus: the rounds abandon them, as on Numba
    assert 0 < fj.n_abandoned < fj.n_starts
    conv = fj.start_status == K.CONVERGED
    assert np.all(fj.start_grad_norms[conv] <= fj.gtol)
    assert np.all(fj.start_grad_norms[~conv] > fj.gtol)
    assert np.all(fj.start_nit <= 1000)
    assert np.all(fj.start_nfev >= fj.start_nit + 1)  # the start, then >= 1 per iteration
    for arr in (fj.start_objectives, fj.end_thetas, fj.start_nit):
        assert arr.dtype.kind in "fi" and arr.dtype.itemsize == 8
    # progress after every round: several rounds, never backwards, ends complete
    done = [c[0] for c in calls]
    assert len(calls) > 3 and all(c[1] == 45 for c in calls)
    assert done == sorted(done) and done[-1] == 45


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
def test_deterministic_and_abandon_off(jax_modules: Any) -> None:
    n, d, loss = _synthetic(0, 0.01)
    a = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, backend="jax", warn=False)
    b = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, backend="jax", warn=False)
    np.testing.assert_array_equal(a.end_thetas, b.end_thetas)
    np.testing.assert_array_equal(a.start_nfev, b.start_nfev)
    np.testing.assert_array_equal(a.start_status, b.start_status)
    c = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, backend="jax", warn=False, abandon=False)
    assert c.n_abandoned == 0
    np.testing.assert_allclose(c.objective, a.objective, rtol=PARITY_RTOL)


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
    data = _prepare(n, d, loss)
    rng = np.random.default_rng(3)
    weight_sets = np.stack(
        [np.bincount(rng.integers(0, n.size, n.size), minlength=n.size) for _ in range(3)]
    ).astype(np.float64)
    starts = data.to_z(cl.paper_grid()[::900])  # 5 starts
    u0 = np.concatenate([starts, starts, starts, np.full((1, 5), np.nan)])
    index = np.repeat(np.arange(3), starts.shape[0]).astype(np.int64)
    index = np.append(index, 0)
    g_abs = data.abs_gtol(1e-7, weight_sets[0])
    opts = SolverOptions(max_iter=1000, gtol=g_abs)
    ws = WeightSets(sets=weight_sets, index=index)
    res = get_backend("jax").solve(data, u0, ws, opts, None)
    ref = get_backend("numba").solve(data, u0, ws, opts, None)
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


@pytest.mark.jax
def test_bootstrap_parity_with_numba(jax_modules: Any) -> None:
    n, d, loss = _synthetic(3, 0.01)
    fit = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, warn=False)
    calls: list[tuple[int, int]] = []
    kw: dict[str, Any] = {"n_resamples": 24, "rng": 7, "fit": fit}
    bj = cl.bootstrap_parametric(
        n, d, loss, backend="jax", progress=lambda a, b: calls.append((a, b)), **kw
    )
    bn = cl.bootstrap_parametric(n, d, loss, backend="numba", **kw)
    np.testing.assert_array_equal(bj.weights, bn.weights)  # same resamples
    ok = (bj.resample_status == K.CONVERGED) & (bn.resample_status == K.CONVERGED)
    assert ok.sum() >= 20
    np.testing.assert_allclose(bj.objectives[ok], bn.objectives[ok], rtol=PARITY_RTOL)
    assert calls[-1] == (24, 24) and len(calls) > 1


@pytest.mark.jax
def test_bootstrap_chunk_size_warns_on_jax(jax_modules: Any) -> None:
    n, d, loss = _synthetic(3, 0.01)
    fit = cl.fit_parametric(n, d, loss, starts=SYNTH_STARTS, warn=False)
    with pytest.warns(RuntimeWarning, match="does not use `chunk_size`"):
        cl.bootstrap_parametric(
            n, d, loss, n_resamples=4, rng=0, fit=fit, backend="jax", chunk_size=2
        )


def _saturating_objective(u: Any, w: Any, data: Any, delta: Any) -> Any:
    """A law family the solver has never seen: log L = LSE(e, a - alpha x), 3 parameters."""
    jnp = _jax._load().jnp
    x, logl = data
    r = jnp.logaddexp(u[0], u[1] - u[2] * x) - logl
    c = jnp.clip(r, -delta, delta)
    return jnp.sum(w * c * (r - 0.5 * c))


@pytest.mark.jax
def test_solver_is_generic_over_the_objective(jax_modules: Any) -> None:
    # L(C) = E + A C^-alpha on 20 noise-free points, standardised log C
    x = np.linspace(-1.5, 1.5, 20)
    truth = np.array([np.log(1.7), np.log(2.5), 0.6])
    logl = np.logaddexp(truth[0], truth[1] - truth[2] * x)
    starts = np.array([[0.0, 0.0, 0.1], [1.0, 2.0, 1.0], [-1.0, 0.5, 0.3], [np.nan, 0.0, 0.0]])
    opts = SolverOptions(gtol=1e-12)
    res = _jax.solve_rounds(
        _saturating_objective,
        starts,
        np.ones((1, x.size)),
        np.zeros(4, dtype=np.int64),
        (x, logl),
        1e-3,
        opts,
    )
    assert res.u.shape == (4, 3) and res.grad.shape == (4, 3)
    assert res.status[-1] == K.NON_FINITE
    best = int(np.argmin(np.where(np.isfinite(res.f), res.f, np.inf)))
    assert res.status[best] == K.CONVERGED
    # noise-free data, quadratic Huber regime: the truth to the gradient tolerance
    np.testing.assert_allclose(res.u[best], truth, rtol=1e-6, atol=1e-8)
    assert res.f[best] < 1e-20


@pytest.mark.jax
@pytest.mark.slow
def test_full_grid_parity_with_numba(
    jax_modules: Any, epoch240: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    fj = cl.fit_parametric(*epoch240, backend="jax", warn=False)
    fn = cl.fit_parametric(*epoch240, backend="numba", warn=False)
    assert fj.n_starts == 4500 and fj.success
    np.testing.assert_allclose(fj.objective, fn.objective, rtol=PARITY_RTOL)
    np.testing.assert_allclose(fj.objective, EPOCH_OBJECTIVE, rtol=1e-8)
    assert fj.n_abandoned > fj.n_starts // 2  # most starts are plateaus, abandoned


# ------------------------------------------------------------- every law family


def _family_case(name: str) -> tuple[str, dict[str, np.ndarray], dict[str, Any]]:
    """Noisy synthetic data of one family (data dict, extra fit options)."""
    rng = np.random.default_rng(11)
    if name == "chinchilla-tied":  # the constrained path: u = Q z + m0
        n, d, loss = _synthetic(5, 0.01)
        kw = {"tied": [("alpha", "beta")], "fixed": {"E": 1.7}}
        return "chinchilla", {"n_params": n, "n_tokens": d, "loss": loss}, kw
    if name == "kaplan":
        law = cl.KaplanLaw(alpha_N=0.08, alpha_D=0.1, N_c=5e13, D_c=2e13)
        n, d = np.meshgrid(np.geomspace(1e7, 1e10, 6), np.geomspace(1e9, 1e12, 6))
        n, d = n.ravel(), d.ravel()
        loss = law.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
        return name, {"n_params": n, "n_tokens": d, "loss": loss}, {}
    if name == "saturating":
        c = np.geomspace(1e18, 1e23, 15)
        loss = cl.SaturatingPowerLaw(E=1.9, A=800.0, alpha=0.15).loss(c)
        return name, {"compute": c, "loss": loss * np.exp(0.002 * rng.standard_normal(c.size))}, {}
    if name == "data_constrained":  # (N, D, U): repeated data, 7 parameters
        n, d = np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5))
        n, d = n.ravel(), d.ravel()
        u = np.minimum(d, np.resize([1e9, 4e9, 3e10], n.size))
        loss = cl.MUENNIGHOFF_2023.loss(n, d, u) * np.exp(0.01 * rng.standard_normal(n.size))
        return name, {"n_params": n, "n_tokens": d, "unique_tokens": u, "loss": loss}, {}
    if name == "overtraining":
        n, d = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e12, 6))
        n, d = n.ravel(), d.ravel()
        loss = cl.GADRE_2024.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
        return name, {"n_params": n, "n_tokens": d, "loss": loss}, {}
    raise AssertionError(name)


# Chinchilla itself is covered above (Epoch subset, synthetic sets, the slow full grid)
FAMILY_CASES = ["chinchilla-tied", "kaplan", "saturating", "data_constrained", "overtraining"]


def _family_parity(case: str, stride: int | None) -> None:
    name, data, kw = _family_case(case)
    family = cl.get_family(name)
    grid = family.default_starts()
    starts = grid if stride is None else grid[:: max(1, grid.shape[0] // 45)][:45]
    fits = {
        be: cl.fit_law(name, data, starts=starts, backend=be, warn=False, **kw)
        for be in ("jax", "numba")
    }
    fj, fn = fits["jax"], fits["numba"]
    assert fj.backend == "jax" and fj.start_status[fj.best_start] == K.CONVERGED
    np.testing.assert_allclose(fj.objective, fn.objective, rtol=PARITY_RTOL)


@pytest.mark.jax
@pytest.mark.parametrize("case", FAMILY_CASES)
def test_family_parity_with_numba(jax_modules: Any, case: str) -> None:
    _family_parity(case, stride=45)


@pytest.mark.jax
@pytest.mark.slow
@pytest.mark.parametrize("case", FAMILY_CASES)
def test_family_full_grid_parity_with_numba(jax_modules: Any, case: str) -> None:
    _family_parity(case, stride=None)
