"""Bootstrap of joint fits (``bootstrap_joint``): runs resampled within each group."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws import JointBootstrap, JointLaw, bootstrap_joint, fit_joint

BASE = cl.SaturatingPowerLaw(E=1.8, A=2.0e3, alpha=0.16)
C8 = np.geomspace(1e18, 1e21, 8)
M = 2.5  # the second group's compute is worth M times the first's
TRUTH = {"E[0]": 1.8, "alpha[0]": 0.16, "A[0]": 2.0e3, "A[1]": 2.0e3 * M**-0.16}

N, D = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
SLOW = cl.ChinchillaLaw(E=1.8, A=400.0, B=410.0, alpha=0.34, beta=0.28)
FAST = cl.ChinchillaLaw(E=1.8, A=250.0, B=300.0, alpha=0.34, beta=0.28)
STARTS = cl.paper_grid()[::25]


def _arms(seed: int, noise: float = 0.01, sizes: tuple[int, int] = (8, 8)) -> list[dict]:
    rng = np.random.default_rng([7, seed])
    out = []
    for m, n in zip((1.0, M), sizes, strict=True):
        c = C8[:n] if n <= 8 else np.geomspace(1e18, 1e21, n)
        out.append(
            {"compute": c, "loss": BASE.loss(m * c) * np.exp(noise * rng.standard_normal(n))}
        )
    return out


def _chinchilla_groups(noise: float = 0.01, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {
            "n_params": N,
            "n_tokens": D,
            "loss": law.loss(N, D) * np.exp(noise * rng.standard_normal(N.size)),
        }
        for law in (SLOW, FAST)
    ]


def _quiet_bootstrap(*args, **kwargs) -> JointBootstrap:  # type: ignore[no-untyped-def]
    # a few resamples of 8 runs per group fail to converge; the warning says how many
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.ConvergenceWarning)
        return bootstrap_joint(*args, **kwargs)


def test_intervals_cover_known_parameters() -> None:
    """100 synthetic two-group experiments (saturating law, E and alpha shared, 8 budgets
    per group, sd 0.01 on ln L), 200 resamples each: the 90% percentile intervals of the
    shared and per-group parameters cover the truth in 82%-99.5% of them (measured
    95%-96%: with delta = 1e-3 the Huber objective is conservative here), and their median
    width is of the order of the spread of the point estimates over experiments (measured
    ratio 1.40, accepted 0.6-2.0); a bootstrap that ignored the resampling, mixed up the
    groups' parameters or pooled the groups fails one of the two."""
    n_exp = 100
    hits = dict.fromkeys(TRUTH, 0)
    widths, points = [], []
    for i in range(n_exp):
        boot = _quiet_bootstrap("saturating", _arms(i), shared=("E", "alpha"),
                                n_resamples=200, rng=i)  # fmt: skip
        iv = boot.intervals(0.9)
        for k, v in TRUTH.items():
            hits[k] += iv[k][0] <= v <= iv[k][1]
        widths.append(iv["alpha[0]"][1] - iv["alpha[0]"][0])
        points.append(boot.fit.law.laws[0].alpha)
    rates = {k: v / n_exp for k, v in hits.items()}
    assert all(0.82 <= r <= 0.995 for r in rates.values()), rates
    spread = np.subtract(*np.percentile(points, [95, 5]))
    assert 0.6 <= np.median(widths) / spread <= 2.0, (np.median(widths), spread)


def test_resamples_are_stratified_by_group() -> None:
    groups = _arms(0, sizes=(8, 5))
    boot = _quiet_bootstrap("saturating", groups, shared=("E", "alpha"), n_resamples=50, rng=3)
    w = np.asarray(boot.weights)
    assert boot.group_sizes == (8, 5)
    # every resample draws exactly each group's run count from that group's runs
    np.testing.assert_array_equal(w[:, :8].sum(axis=1), 8)
    np.testing.assert_array_equal(w[:, 8:].sum(axis=1), 5)
    assert (w[:, :8] != 1).any() and (w[:, 8:] != 1).any()  # with replacement: not the identity
    sub = _quiet_bootstrap("saturating", groups, shared=("E", "alpha"), n_resamples=20, rng=3,
                           scheme="subsample", fraction=0.75)  # fmt: skip
    ws = np.asarray(sub.weights)
    assert set(np.unique(ws)) <= {0.0, 1.0}
    np.testing.assert_array_equal(ws[:, :8].sum(axis=1), 6)  # round(0.75 * 8)
    np.testing.assert_array_equal(ws[:, 8:].sum(axis=1), 4)  # round(0.75 * 5)
    assert sub.fraction == 0.75 and sub.scheme == "subsample"


def test_same_rng_same_resamples_and_fit_reuse() -> None:
    groups = _arms(1)
    a = _quiet_bootstrap("saturating", groups, shared=("E", "alpha"), n_resamples=30, rng=5)
    b = _quiet_bootstrap("saturating", groups, shared=("E", "alpha"), n_resamples=30,
                         rng=np.random.default_rng(5))  # fmt: skip
    np.testing.assert_array_equal(a.thetas, b.thetas)
    np.testing.assert_array_equal(a.weights, b.weights)
    other = _quiet_bootstrap("saturating", groups, shared=("E", "alpha"), n_resamples=30, rng=6)
    assert not np.array_equal(a.weights, other.weights)
    # a given fit (shared taken from it) gives the same resamples as the one computed
    fit = fit_joint("saturating", groups, shared=("E", "alpha"))
    c = _quiet_bootstrap("saturating", groups, fit=fit, n_resamples=30, rng=5)
    np.testing.assert_array_equal(a.thetas, c.thetas)
    assert c.fit is fit and c.shared == ("E", "alpha")


def test_shared_parameters_are_shared_in_every_resample() -> None:
    boot = _quiet_bootstrap("chinchilla", _chinchilla_groups(), shared=("E", "alpha", "beta"),
                            n_resamples=20, rng=0, starts=STARTS[:3])  # fmt: skip
    s = boot.samples
    for p in ("E", "alpha", "beta"):
        np.testing.assert_array_equal(s[f"{p}[0]"], s[f"{p}[1]"])
    assert not np.array_equal(s["A[0]"], s["A[1]"])
    laws = boot.laws()
    assert isinstance(laws[0], JointLaw) and laws[0].shared == ("E", "alpha", "beta")
    np.testing.assert_array_equal(boot.group_samples(1)["A"], s["A[1]"])
    # each group's frontier band brackets that group's point estimate
    c = np.array([1e20, 1e22])
    for g in (0, 1):
        band = boot.frontier(c, group=g, level=0.9)
        np.testing.assert_allclose(band.n_params, boot.fit.law.laws[g].optimal(c).n_params)
        assert np.all(band.n_params_low <= band.n_params)
        assert np.all(band.n_params <= band.n_params_high)
    assert "E[0]" in boot.summary()


def test_fixed_and_weights_follow_the_fit() -> None:
    groups = _arms(2)
    boot = _quiet_bootstrap("saturating", groups, shared=("alpha",), fixed={"E": 1.8},
                            n_resamples=20, rng=0)  # fmt: skip
    assert np.all(boot.samples["E[0]"] == 1.8) and np.all(boot.samples["E[1]"] == 1.8)
    w = [np.ones(8), np.r_[np.zeros(1), np.ones(7)]]
    fit = fit_joint("saturating", groups, shared=("E", "alpha"), weights=w)
    assert fit.weighted
    # a weighted fit needs the same weights; with them it is accepted
    with pytest.raises(ValueError, match="weighted fit"):
        bootstrap_joint("saturating", groups, fit=fit, n_resamples=5, rng=0)
    wb = _quiet_bootstrap("saturating", groups, fit=fit, weights=w, n_resamples=20, rng=0)
    # the zero-weight run moves nothing: dropping it gives the same fit
    dropped = [groups[0], {k: v[1:] for k, v in groups[1].items()}]
    ref = fit_joint("saturating", dropped, shared=("E", "alpha"))
    np.testing.assert_allclose(wb.fit.theta, ref.theta, rtol=1e-6, atol=1e-8)


def test_multiplier_samples() -> None:
    groups = _arms(4)
    boot = _quiet_bootstrap("saturating", groups, shared=("E", "alpha"), n_resamples=200, rng=1)
    s = boot.samples
    m = boot.multiplier_samples(1)
    np.testing.assert_allclose(m, (s["A[0]"] / s["A[1]"]) ** (1 / s["alpha[1]"]), rtol=1e-12)
    np.testing.assert_allclose(boot.multiplier_samples(0, reference=1), 1 / m, rtol=1e-12)
    lo, hi = boot.multiplier_interval(1, level=0.9)
    assert lo < M < hi
    with pytest.raises(ValueError, match="`group` must be a group index below 2"):
        boot.multiplier_samples(2)
    chin = _quiet_bootstrap("chinchilla", _chinchilla_groups(), shared=("E",), n_resamples=4,
                            rng=0, starts=STARTS[:2])  # fmt: skip
    with pytest.raises(ValueError, match="needs a joint fit of the 'saturating' family"):
        chin.multiplier_samples(1)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"shared": None}, TypeError, "`shared` is required"),
        ({"n_resamples": 1}, ValueError, "`n_resamples`"),
        ({"scheme": "jackknife"}, ValueError, "`scheme`"),
        ({"fraction": 1.5}, ValueError, "`fraction`"),
        ({"weights": [np.ones(8)]}, ValueError, "one entry per group"),
        ({"weights": [np.ones(8), np.ones(3)]}, ValueError, r"`weights\[1\]` must have one"),
        ({"weights": np.ones(16)}, TypeError, "`weights` must be a sequence"),
        ({"fit": "fit"}, TypeError, "`fit` must be a ParametricFit"),
        ({"backend": "torch"}, ValueError, "`backend`"),
        ({"shared": ("E", "gamma")}, ValueError, "unknown parameter 'gamma'"),
    ],
)
def test_bad_input_is_named(kwargs, exc, match) -> None:  # type: ignore[no-untyped-def]
    kw = {"shared": ("E", "alpha"), "n_resamples": 5, "rng": 0, **kwargs}
    with pytest.raises(exc, match=match):
        bootstrap_joint("saturating", _arms(0), **kw)


def test_a_fit_of_something_else_is_refused() -> None:
    groups = _arms(0)
    single = cl.fit_law("saturating", groups[0])
    with pytest.raises(ValueError, match="must be a fit of `fit_joint`"):
        bootstrap_joint("saturating", groups, fit=single, n_resamples=5)
    fit = fit_joint("saturating", groups, shared=("E", "alpha"))
    with pytest.raises(ValueError, match="shares"):
        bootstrap_joint("saturating", groups, fit=fit, shared=("E",), n_resamples=5)
    with pytest.raises(ValueError, match="was not made on these data"):
        bootstrap_joint("saturating", _arms(9), fit=fit, n_resamples=5)
    with pytest.raises(ValueError, match="fixed="):
        bootstrap_joint("saturating", groups, fit=fit, fixed={"E": 1.8}, n_resamples=5)
    three = [*groups, groups[1]]
    with pytest.raises(ValueError, match="the groups make 'joint_saturating_3'"):
        bootstrap_joint("saturating", three, fit=fit, n_resamples=5)


@pytest.mark.jax
def test_numba_and_jax_backends_agree() -> None:
    """The same resamples solved by both backends reach the same optima: objectives to
    1e-7 relative (both stop at the gradient tolerance) and parameters to 1e-4."""
    pytest.importorskip("jax")
    groups = _arms(3)
    fit = fit_joint("saturating", groups, shared=("E", "alpha"))
    kw = {"fit": fit, "n_resamples": 8, "rng": 2}
    nb = _quiet_bootstrap("saturating", groups, **kw)
    jx = _quiet_bootstrap("saturating", groups, backend="jax", **kw)
    np.testing.assert_array_equal(nb.weights, jx.weights)
    both = np.intersect1d(nb.ok_indices, jx.ok_indices)
    assert both.size >= 6
    np.testing.assert_allclose(jx.objectives[both], nb.objectives[both], rtol=1e-7)
    np.testing.assert_allclose(jx.thetas[both], nb.thetas[both], rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------- compute_multiplier option
def test_compute_multiplier_bootstrap_interval() -> None:
    """interval="bootstrap" keeps the least-squares point estimate; the engine's joint fit
    with a Huber threshold no residual reaches is that same least-squares fit (1e-6)."""
    arms = _arms(5, noise=0.005, sizes=(6, 6))
    args = (arms[0]["compute"], arms[0]["loss"], arms[1]["compute"], arms[1]["loss"])
    wald = cl.compute_multiplier(*args)
    boot = cl.compute_multiplier(*args, interval="bootstrap", n_resamples=300, rng=0)
    assert boot.multiplier == wald.multiplier and boot.law == wald.law
    assert boot.interval_method == "bootstrap" and wald.interval_method == "wald"
    assert boot.interval != wald.interval
    lo, hi = boot.interval
    assert lo < boot.multiplier < hi
    assert boot.bootstrap is not None
    base, new = boot.bootstrap.fit.law.laws
    assert (base.A / new.A) ** (1 / base.alpha) == pytest.approx(wald.multiplier, rel=1e-6)
    # E is the flattest direction: both solvers stop at their tolerances within 1e-5
    assert pytest.approx(wald.law.E, rel=1e-5) == base.E
    again = cl.compute_multiplier(*args, interval="bootstrap", n_resamples=300, rng=0)
    assert again.interval == boot.interval
    assert boot.as_dict()["interval_method"] == "bootstrap"


def test_compute_multiplier_bootstrap_bad_input() -> None:
    c = C8[:6]
    with pytest.raises(ValueError, match="`interval` must be one of"):
        cl.compute_multiplier(c, BASE.loss(c), c, BASE.loss(2 * c), interval="profile")
    with pytest.raises(ValueError, match="`new_compute` must hold at least 3 distinct budgets"):
        cl.compute_multiplier(c, BASE.loss(c), c[:2], BASE.loss(2 * c[:2]), interval="bootstrap")


def test_tied_within_groups_combines_with_sharing() -> None:
    """tied=[("alpha", "beta")] with "alpha" shared makes every alpha[g] and beta[g] one
    value (one free coordinate, not two); exact data of such laws come back to 1e-6, and
    the bootstrap takes the ties from the fit."""
    slow = cl.ChinchillaLaw(E=1.8, A=400.0, B=410.0, alpha=0.3, beta=0.3)
    fast = cl.ChinchillaLaw(E=1.8, A=250.0, B=300.0, alpha=0.3, beta=0.3)
    groups = [{"n_params": N, "n_tokens": D, "loss": law.loss(N, D)} for law in (slow, fast)]
    fit = fit_joint("chinchilla", groups, shared=("E", "alpha"), tied=[("alpha", "beta")],
                    starts=STARTS)  # fmt: skip
    assert fit.success
    assert fit.tied == (("E[0]", "E[1]"), ("alpha[0]", "beta[0]", "alpha[1]", "beta[1]"))
    assert fit.law.tied == (("alpha", "beta"),)
    assert len({law.alpha for law in fit.law.laws} | {law.beta for law in fit.law.laws}) == 1
    for law, truth in zip(fit.law.laws, (slow, fast), strict=True):
        for k, v in truth.params.items():
            assert law.params[k] == pytest.approx(v, rel=1e-6), k
    boot = _quiet_bootstrap("chinchilla", groups, fit=fit, n_resamples=4, rng=0)
    s = boot.samples
    np.testing.assert_array_equal(s["alpha[0]"], s["beta[1]"])
    assert boot.laws()[0].tied == (("alpha", "beta"),)
    # without sharing, each group keeps its own tied value
    own = fit_joint("chinchilla", _chinchilla_groups(), shared=("E",), tied=[("alpha", "beta")],
                    starts=STARTS, warn=False)  # fmt: skip
    a, b = own.law.laws
    assert a.alpha == a.beta and b.alpha == b.beta and a.alpha != b.alpha


@pytest.mark.parametrize(
    ("tied", "fixed", "match"),
    [
        ([("alpha", "gamma")], None, "`tied` names unknown parameter 'gamma'"),
        ([("alpha",)], None, "two or more parameters"),
        ([("alpha", "beta")], {"beta": 0.3}, "both name 'beta'"),
    ],
)
def test_bad_tied_is_named(tied, fixed, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        fit_joint("chinchilla", _chinchilla_groups(), shared=("E",), tied=tied, fixed=fixed)
