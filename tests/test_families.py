"""Law families beyond Chinchilla, the family contract and the registry."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import chinchilla_laws as cl
from chinchilla_laws import _kernels as K
from chinchilla_laws import _lbfgs

NO_AUX = np.empty(0)

# ----------------------------------------------------------------------------- oracles


def huber_np(r: np.ndarray, delta: float) -> np.ndarray:
    return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))


def kaplan_np(u, X, logl, w, delta):
    """Plain-numpy oracle of the Kaplan kernel: value from the law, gradient by hand."""
    x, y = X[:, 0], X[:, 1]
    an, ad = u[2], u[3]
    t1 = an / ad * (u[0] - x)
    t2 = u[1] - y
    lse = np.logaddexp(t1, t2)
    r = ad * lse - logl
    s1 = np.exp(t1 - lse)
    c = w * np.clip(r, -delta, delta)
    g = np.array(
        [
            np.sum(c * s1 * an),
            np.sum(c * (1 - s1) * ad),
            np.sum(c * s1 * (u[0] - x)),
            np.sum(c * (lse - s1 * t1)),
        ]
    )
    return float(np.sum(w * huber_np(r, delta))), g


def saturating_np(u, X, logl, w, delta):
    x = X[:, 0]
    p1 = u[0] - u[2] * x
    lse = np.logaddexp(p1, u[1])
    r = lse - logl
    s1 = np.exp(p1 - lse)
    c = w * np.clip(r, -delta, delta)
    g = np.array([np.sum(c * s1), np.sum(c * (1 - s1)), -np.sum(c * s1 * x)])
    return float(np.sum(w * huber_np(r, delta))), g


def _problem(seed: int, k: int, n: int = 40):
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(rng.normal(size=(n, k)))
    logl = 1.0 + 0.3 * rng.normal(size=n)
    w = rng.integers(0, 3, size=n).astype(float)
    return rng, X, logl, w


KERNELS = [
    (K.kaplan_objective_grad, kaplan_np, 2, lambda rng: np.r_[rng.normal(size=2), 0.3, 0.5]),
    (K.saturating_objective_grad, saturating_np, 1, lambda rng: np.r_[rng.normal(size=2), 0.8]),
]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("delta", [1e-3, 0.1, 10.0])
@pytest.mark.parametrize(("kernel", "oracle", "k", "draw"), KERNELS)
def test_family_kernel_matches_numpy_oracle(seed, delta, kernel, oracle, k, draw) -> None:
    rng, X, logl, w = _problem(seed, k)
    u = draw(rng)
    g = np.empty(u.size)
    f = kernel(u, X, NO_AUX, logl, w, delta, g)
    f0, g0 = oracle(u, X, logl, w, delta)
    # same arithmetic up to summation order and the log-sum-exp form: a few ulps
    assert f == pytest.approx(f0, rel=1e-11)
    np.testing.assert_allclose(g, g0, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("kernel", "oracle", "k", "draw"), KERNELS)
def test_family_kernel_gradient_matches_finite_differences(seed, kernel, oracle, k, draw) -> None:
    rng, X, logl, w = _problem(seed, k)
    u = draw(rng)
    delta = 10.0  # every residual quadratic: no Huber kink between u +- h
    g = np.empty(u.size)
    kernel(u, X, NO_AUX, logl, w, delta, g)
    scratch = np.empty(u.size)
    h = 1e-6
    fd = np.empty(u.size)
    for j in range(u.size):
        e = np.zeros(u.size)
        e[j] = h
        fd[j] = (
            kernel(u + e, X, NO_AUX, logl, w, delta, scratch)
            - kernel(u - e, X, NO_AUX, logl, w, delta, scratch)
        ) / (2 * h)
    # central differences: O(h^2) truncation plus roundoff eps*f/h
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_kaplan_kernel_predicts_the_law() -> None:
    law = cl.KAPLAN_2020
    n = np.geomspace(1e7, 1e11, 7)
    d = np.geomspace(1e9, 1e13, 7)
    fam = cl.KAPLAN
    data = fam.check_data({"n_params": n, "n_tokens": d, "loss": law.loss(n, d)})
    design = fam.design(data)
    u = design.scale @ fam.theta_from_params(law.params) + design.offset
    g = np.empty(4)
    # exact losses: every residual is zero to rounding, so the objective is ~0
    f = fam.kernel(u, design.X, design.aux, design.target, np.ones(7), 1e-3, g)
    assert f < 1e-28


# ----------------------------------------------------------------------------- Kaplan


def test_kaplan_frontier_matches_brute_force() -> None:
    law = cl.KAPLAN_2020
    for c in (1e19, 1e22, 1e25):
        fr = law.optimal(c)

        def loss_at(log_n: float, c: float = c) -> float:
            n = math.exp(log_n)
            return float(law.loss(n, c / (6.0 * n)))

        res = minimize_scalar(loss_at, bounds=(math.log(1e3), math.log(1e16)), method="bounded",
                              options={"xatol": 1e-10})  # fmt: skip
        # a flat minimum: the brute-force argmin is good to ~sqrt(eps) relative in log N
        assert fr.n_params[0] == pytest.approx(math.exp(res.x), rel=1e-4)
        assert fr.loss[0] == pytest.approx(res.fun, rel=1e-12)
        assert 6.0 * fr.n_params[0] * fr.n_tokens[0] == pytest.approx(c, rel=1e-12)


def test_kaplan_frontier_exponent_is_not_the_published_073() -> None:
    fr = cl.KAPLAN_2020.optimal([1e20, 1e24])
    slope = math.log(fr.n_params[1] / fr.n_params[0]) / math.log(1e4)
    p = 0.076 / 0.103
    assert slope == pytest.approx(1.0 / (1.0 + p), rel=1e-12)
    assert slope == pytest.approx(0.575, abs=5e-4)


def test_kaplan_fit_recovers_a_known_law() -> None:
    law = cl.KaplanLaw(alpha_N=0.08, alpha_D=0.1, N_c=5e13, D_c=2e13)
    n, d = np.meshgrid(np.geomspace(1e7, 1e10, 6), np.geomspace(1e9, 1e12, 6))
    n, d = n.ravel(), d.ravel()
    fit = cl.fit_parametric(n, d, law.loss(n, d), family="kaplan")
    assert fit.success and fit.family == "kaplan"
    assert isinstance(fit.law, cl.KaplanLaw)
    # exact data: the optimum is the truth to the gradient tolerance
    for k, v in law.params.items():
        assert fit.params[k] == pytest.approx(v, rel=1e-4), k
    assert fit.objective < 1e-16


def test_kaplan_abandonment_keeps_the_optimum_but_not_the_converged_starts(epoch240) -> None:
    # the documented reason the family leaves abandonment off by default (kaplan.py):
    # with it, the same optimum, but only a handful of the 900 starts converge
    on = cl.fit_parametric(*epoch240, family="kaplan", abandon=True, warn=False)
    off = cl.fit_parametric(*epoch240, family="kaplan", warn=False)
    assert off.n_abandoned == 0 and on.n_abandoned > on.n_starts // 2
    assert on.success and off.success
    assert on.objective == pytest.approx(off.objective, rel=1e-9)
    np.testing.assert_allclose(on.theta, off.theta, rtol=1e-5)
    assert off.n_converged > off.n_starts // 2
    assert on.n_converged < off.n_converged // 10


# ----------------------------------------------------------------------------- saturating


def test_saturating_fit_recovers_a_known_law_and_holds_a_fixed_e() -> None:
    law = cl.SaturatingPowerLaw(E=1.9, A=800.0, alpha=0.15)
    c = np.geomspace(1e18, 1e23, 15)
    rng = np.random.default_rng(2)
    loss = law.loss(c) * np.exp(0.002 * rng.standard_normal(c.size))
    fit = cl.fit_law("saturating", {"compute": c, "loss": loss})
    assert fit.success
    assert pytest.approx(1.9, rel=0.05) == fit.law.E
    assert fit.law.alpha == pytest.approx(0.15, rel=0.2)
    fixed = cl.fit_law("saturating", {"compute": c, "loss": loss}, fixed={"E": 1.9})
    assert fixed.success and fixed.law.E == 1.9
    # holding E at its true value cannot fit better than the free optimum
    assert fixed.objective >= fit.objective * (1 - 1e-12)


def test_saturating_with_two_budgets_is_not_identifiable() -> None:
    c = np.repeat([1e19, 1e21], 4)
    loss = np.array([3.0, 3.01, 2.99, 3.0, 2.5, 2.51, 2.49, 2.5])
    with pytest.warns(cl.IdentifiabilityWarning, match="`compute` takes only 2 distinct"):
        fit = cl.fit_law("saturating", {"compute": c, "loss": loss})
    assert fit.status is cl.FitStatus.NOT_IDENTIFIABLE


def test_fit_law_checks_the_data_keys() -> None:
    with pytest.raises(ValueError, match=r"missing \['loss'\], unknown \['losses'\]"):
        cl.fit_law("saturating", {"compute": [1.0, 2.0], "losses": [1.0, 2.0]})
    with pytest.raises(TypeError, match="`data` must be a mapping"):
        cl.fit_law("saturating", [1.0, 2.0])
    with pytest.raises(ValueError, match="use fit_law"):
        cl.fit_parametric([1.0] * 8, [1.0] * 8, [1.0] * 8, family="saturating")


# ----------------------------------------------------------------------------- registry


def test_registry_names_and_errors() -> None:
    assert {"chinchilla", "kaplan", "saturating"} <= set(cl.family_names())
    assert cl.get_family("kaplan") is cl.KAPLAN
    assert cl.get_family(cl.KAPLAN) is cl.KAPLAN
    with pytest.raises(ValueError, match="`family` must be one of"):
        cl.get_family("hoffmann")
    with pytest.raises(TypeError, match="`family` must be a family name"):
        cl.get_family(3)
    with pytest.raises(ValueError, match="already registered"):
        cl.register_family(cl.KaplanFamily())
    with pytest.raises(TypeError, match="LawFamily instance"):
        cl.register_family("kaplan")


def test_backend_registry_and_option_warning() -> None:
    n, d = np.meshgrid(np.geomspace(1e8, 1e10, 3), np.geomspace(2e9, 2e11, 3))
    loss = cl.HOFFMANN_2022_TEX.loss(n, d).ravel()
    with pytest.raises(ValueError, match="`backend` must be one of"):
        cl.fit_parametric(n.ravel(), d.ravel(), loss, backend="torch")
    with pytest.raises(TypeError, match="`backend` must be one of"):
        cl.fit_parametric(n.ravel(), d.ravel(), loss, backend=None)


def test_an_option_a_backend_does_not_use_warns() -> None:
    from chinchilla_laws._backends import SolverOptions, check_options

    class NoRounds:
        name = "norounds"
        options_honoured = frozenset({"max_iter", "gtol"})

    with pytest.warns(cl.BackendOptionWarning, match="does not use `abandon`"):
        check_options(NoRounds(), SolverOptions(abandon=True))  # type: ignore[arg-type]
    # the default (None: the backend's own choice) and False ask nothing of it
    check_options(NoRounds(), SolverOptions())  # type: ignore[arg-type]
    check_options(NoRounds(), SolverOptions(abandon=False))  # type: ignore[arg-type]


@pytest.mark.jax
def test_jax_backend_matches_numba_on_kaplan() -> None:
    pytest.importorskip("jax")
    law = cl.KaplanLaw(alpha_N=0.08, alpha_D=0.1, N_c=5e13, D_c=2e13)
    n, d = np.meshgrid(np.geomspace(1e7, 1e10, 6), np.geomspace(1e9, 1e12, 6))
    n, d = n.ravel(), d.ravel()
    loss = law.loss(n, d) * np.exp(0.01 * np.random.default_rng(0).standard_normal(n.size))
    starts = cl.KAPLAN.default_starts()[::60]
    fj = cl.fit_parametric(n, d, loss, family="kaplan", starts=starts, backend="jax", warn=False)
    fn = cl.fit_parametric(n, d, loss, family="kaplan", starts=starts, warn=False)
    # both reach the same optimum of the same objective (well conditioned: 1e-8)
    assert fj.objective == pytest.approx(fn.objective, rel=1e-8)
    assert fj.backend == "jax"


@pytest.mark.jax
@pytest.mark.parametrize("family", ["kaplan", "saturating"])
def test_jax_objective_matches_numba_kernel(family: str) -> None:
    jax = pytest.importorskip("jax")
    from chinchilla_laws import _jax

    fam = cl.get_family(family)
    _, X, logl, w = _problem(3, 2 if family == "kaplan" else 1)
    vg = jax.jit(jax.value_and_grad(fam.jax_objective))
    for draw in range(3):
        u = KERNELS[0 if family == "kaplan" else 1][3](np.random.default_rng(draw))
        g = np.empty(u.size)
        f = fam.kernel(u, X, NO_AUX, logl, w, 0.1, g)
        with _jax._x64():
            fj, gj = vg(u, X, NO_AUX, logl, w, 0.1)
        # same float64 expression, different summation order
        np.testing.assert_allclose(float(fj), f, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(gj), g, rtol=1e-9, atol=1e-13)


# ----------------------------------------------------------------------------- Numba cache


def test_each_family_gets_its_own_compiled_rounds() -> None:
    a = _lbfgs.rounds_for("chinchilla", K.objective_grad)
    b = _lbfgs.rounds_for("kaplan", K.kaplan_objective_grad)
    names = {r.py_func.__qualname__ for r in (*a, *b)}
    # 3 entry points per family, each under its own cache name
    assert len(names) == 6
    digest = _lbfgs.source_digest(K.objective_grad)
    assert a.round.py_func.__qualname__ == f"lbfgs_round__chinchilla_{digest}"
    # the clone's globals bind the family's kernel
    assert a.evaluate.py_func.__globals__["_objective"] is K.objective_grad
    assert b.evaluate.py_func.__globals__["_objective"] is K.kaplan_objective_grad
    assert _lbfgs.rounds_for("chinchilla", K.objective_grad) is a


CACHE_SCRIPT = textwrap.dedent(
    """
    import json, time, sys
    import numpy as np
    t0 = time.perf_counter()
    import chinchilla_laws as cl
    from chinchilla_laws import _lbfgs, _kernels as K
    n, d = np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6))
    n, d = n.ravel(), d.ravel()
    out = {}
    for fam, law in (("chinchilla", cl.HOFFMANN_2022_TEX), ("kaplan", cl.KAPLAN_2020)):
        t = time.perf_counter()
        fit = cl.fit_parametric(n, d, law.loss(n, d), family=fam, warn=False)
        out[fam + "_s"] = time.perf_counter() - t
        out[fam + "_objective"] = fit.objective
    stats = {}
    for key, kern in (("chinchilla", K.objective_grad), ("kaplan", K.kaplan_objective_grad)):
        r = _lbfgs.rounds_for(key, kern)
        stats[key] = [sum(f.stats.cache_hits.values()) for f in r] + [
            sum(f.stats.cache_misses.values()) for f in r]
    out["stats"] = stats
    out["total_s"] = time.perf_counter() - t0
    print(json.dumps(out))
    """
)


@pytest.mark.slow
def test_on_disk_cache_serves_a_fresh_process_and_families_do_not_collide(tmp_path: Path) -> None:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    root = Path(__file__).resolve().parents[1]

    def run() -> dict:
        out = subprocess.run([sys.executable, "-c", CACHE_SCRIPT], env=env, cwd=root,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])

    cold = run()
    warm = run()
    # the second process compiles nothing: every used function comes from the cache
    for fam in ("chinchilla", "kaplan"):
        hits, misses = warm["stats"][fam][:3], warm["stats"][fam][3:]
        assert sum(misses) == 0, (fam, warm["stats"])
        assert hits[2] > 0  # the round function
        # and it finds the same optima (a wrong family's code would not)
        assert warm[fam + "_objective"] == cold[fam + "_objective"]
    files = {p.name.split("-")[0] for p in tmp_path.rglob("*.nbi")}
    # one index file per family and function
    for fam, kern in (("chinchilla", K.objective_grad), ("kaplan", K.kaplan_objective_grad)):
        tag = f"{fam}_{_lbfgs.source_digest(kern)}"
        assert f"_lbfgs.lbfgs_round__{tag}" in files
        assert f"_lbfgs.lbfgs_advance__{tag}" in files


def test_the_rounds_cache_names_follow_the_kernel_source(tmp_path: Path) -> None:
    # numba checks a cached function against its own file only: the rounds' names
    # carry a digest of the kernel's sources (and its callees'), so an edited kernel
    # is compiled into fresh rounds instead of loading ones that inline the old code
    helper_v1 = textwrap.dedent(
        """
        from chinchilla_laws._jit import kernel

        @kernel()
        def helper(r):
            return 0.5 * r * r
        """
    )
    kernel_src = textwrap.dedent(
        """
        from chinchilla_laws._jit import kernel

        @kernel()
        def objective(u, X, aux, target, w, delta, grad):
            return helper(u[0])
        """
    )
    hp, kp = tmp_path / "helper_mod.py", tmp_path / "kernel_mod.py"
    kp.write_text(kernel_src)

    def load(path: Path, name: str):  # type: ignore[no-untyped-def]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
        return mod

    digests = []
    for k, text in enumerate((helper_v1, helper_v1.replace("0.5 * r * r", "r * r"), None)):
        if text is not None:
            hp.write_text(text)
        kmod = load(kp, f"_digest_kernel{k}")
        kmod.helper = load(hp, f"_digest_helper{k}").helper  # the kernel's file is unchanged
        digests.append(_lbfgs.source_digest(kmod.objective))
    # editing only the called helper changes the digest; reloading unchanged files does not
    assert digests[0] != digests[1]
    assert digests[1] == digests[2]
    assert _lbfgs.source_digest(K.objective_grad) == _lbfgs.source_digest(K.objective_grad)
    files: set[str] = set()
    _lbfgs._source_files(K.objective_grad, files, set())
    assert files == {K.__file__}


def test_bootstrap_frontier_takes_the_compute_convention() -> None:
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
    rng = np.random.default_rng(4)
    loss = cl.HOFFMANN_2022_TEX.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    boot = cl.bootstrap_parametric(n, d, loss, n_resamples=20, rng=0,
                                   starts=cl.paper_grid()[::300])  # fmt: skip
    c = np.array([1e21, 1e23])
    b12 = boot.frontier(c, flops_per_param_token=12.0)
    b6 = boot.frontier(c / 2.0, flops_per_param_token=6.0)
    # N_opt depends on C / k only: C = 12 N D at C is C = 6 N D at C / 2
    np.testing.assert_allclose(b12.n_params_low, b6.n_params_low, rtol=1e-12)
    np.testing.assert_allclose(b12.n_tokens_high, b6.n_tokens_high, rtol=1e-12)
    with pytest.raises(ValueError, match="`flops_per_param_token`"):
        boot.frontier(c, flops_per_param_token=0.0)
