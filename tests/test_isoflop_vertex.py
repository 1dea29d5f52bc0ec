"""Vertex estimators, vertex uncertainty, the asymmetry diagnostic and label checks."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from scipy.interpolate import Akima1DInterpolator

import chinchilla_laws as cl
from chinchilla_laws import HOFFMANN_2022_TEX, ChinchillaLaw
from chinchilla_laws.isoflop import (
    IsoFLOPStatus,
    _akima_coefficients,
    _cubic_min,
    isoflop_minima,
    vertex_estimates,
)
from chinchilla_laws.powerlaw import fit_power_law
from chinchilla_laws.warnings import ChinchillaWarning, IsoFLOPWarning

LAW = HOFFMANN_2022_TEX
BUDGETS = np.array([1e18, 1e19, 1e20, 1e21, 1e22])
ESTIMATORS = ["parabola", "local", "spline"]

# the issue's off-centre windows: ln(N / N_opt) offsets
WIDE_ABOVE = np.log(0.5) + np.arange(8) * np.log(2.0)  # N_opt/2 .. 64 N_opt, 8 sizes
WIDE_BELOW = np.linspace(np.log(1 / 64), np.log(2.0), 12)  # N_opt/64 .. 2 N_opt, 12 sizes


def design(
    offsets: np.ndarray, law: ChinchillaLaw = LAW, budgets: np.ndarray = BUDGETS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sizes at N_opt * exp(offsets) per budget, exact losses; returns (n, d, loss, c, n_opt)."""
    n_opt = law.optimal(budgets).n_params
    n = (n_opt[:, None] * np.exp(offsets)[None, :]).ravel()
    c = np.repeat(budgets, offsets.size)
    d = c / (6 * n)
    return n, d, law.loss(n, d), c, n_opt


def quiet(*args: Any, **kwargs: Any) -> cl.IsoFLOPResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChinchillaWarning)
        return isoflop_minima(*args, **kwargs)


# ---------------------------------------------------------------------- acceptance: exact
@pytest.mark.parametrize("offsets", [WIDE_ABOVE, WIDE_BELOW], ids=["above", "below"])
def test_off_centre_windows_local_and_spline_recover_the_optimum(offsets: np.ndarray) -> None:
    n, d, loss, c, n_opt = design(offsets)
    # the issue's numbers: the parabola is 8% (above) and 15% (below) off, at every budget
    with pytest.warns(IsoFLOPWarning, match="ASYMMETRIC") as rec:
        par = isoflop_minima(n, d, loss, budgets=c)
    message = str(rec[0].message)
    assert "vertex='local'" in message and "vertex='spline'" in message
    for bc in BUDGETS:
        assert f"C={bc:.4g}" in message
    ratio = par.n_params / n_opt
    expected = 1.0828 if offsets is WIDE_ABOVE else 0.8543
    np.testing.assert_allclose(ratio, expected, rtol=1e-4)  # measured 1.08282, 0.85433
    assert all(b.status is IsoFLOPStatus.ASYMMETRIC for b in par.budgets)
    assert par.used.all()  # ASYMMETRIC minima stay in the power laws
    for vertex in ("local", "spline"):
        res = isoflop_minima(n, d, loss, budgets=c, vertex=vertex)  # no warning: OK budgets
        assert all(b.ok and b.vertex == vertex for b in res.budgets)
        # acceptance: within 2% of the law's N_opt at every budget
        np.testing.assert_allclose(res.n_params / n_opt, 1.0, atol=0.02)


def test_off_centre_parabola_ratio_is_the_issue_figure() -> None:
    # the issue quotes 8% and 15% for the parabola on these windows
    for offsets, lo, hi in ((WIDE_ABOVE, 0.07, 0.09), (WIDE_BELOW, -0.16, -0.14)):
        n, d, loss, c, n_opt = design(offsets)
        res = quiet(n, d, loss, budgets=c)
        rel = res.n_params / n_opt - 1.0
        assert np.all((rel > lo) & (rel < hi))


@pytest.mark.parametrize("vertex", ESTIMATORS)
@pytest.mark.parametrize(
    "law",
    [LAW, cl.BESIROGLU_2024],
    ids=["hoffmann", "besiroglu"],
)
def test_centred_windows_all_estimators_give_the_exponent(vertex: str, law: ChinchillaLaw) -> None:
    n, d, loss, c, _ = design(np.linspace(-1.5, 1.5, 9), law=law)
    res = isoflop_minima(n, d, loss, budgets=c, vertex=vertex)
    assert not res.flagged  # centred exact valleys: nothing to flag
    assert res.a == pytest.approx(law.beta / (law.alpha + law.beta), abs=0.005)


def test_exact_parabola_is_never_asymmetric() -> None:
    # a valley that is a parabola: the local and global fits agree to rounding
    x0 = np.log([3e8, 1e9, 4e9])
    x = (x0[:, None] + np.linspace(-2.0, 3.0, 11)[None, :]).ravel()
    loss = 2.0 + 0.03 * (x - np.repeat(x0, 11)) ** 2
    res = isoflop_minima(np.exp(x), loss=loss, compute=np.repeat([1e19, 1e20, 1e21], 11))
    assert all(b.ok for b in res.budgets)
    assert max(abs(b.asymmetry) for b in res.budgets) < 1e-9
    assert res.noise_sd < 1e-12


# ---------------------------------------------------------------------- acceptance: noise
def _noisy_draws(vertex: str, draws: int = 200) -> tuple[np.ndarray, int]:
    """7 budgets x 9 sizes centred on the optimum (ln N_opt ± 1.5), sd 0.01 on ln L."""
    budgets = np.geomspace(1e18, 1e21, 7)
    n, d, loss, c, n_opt = design(np.linspace(-1.5, 1.5, 9), budgets=budgets)
    rng = np.random.default_rng(12345)
    covered = []
    asymmetric = 0
    for _ in range(draws):
        y = loss * np.exp(rng.normal(0.0, 0.01, loss.size))
        res = quiet(n, d, y, budgets=c, vertex=vertex)
        z = np.log(res.n_params / n_opt) / res.vertex_se
        covered.extend((np.abs(z) <= 1.0).tolist())  # NaN (no minimum) counts as a miss
        asymmetric += sum(b.status is IsoFLOPStatus.ASYMMETRIC for b in res.budgets)
    return np.array(covered), asymmetric


def test_vertex_standard_errors_cover_with_noise_parabola() -> None:
    covered, asymmetric = _noisy_draws("parabola")
    # acceptance: ±1 se covers the true ln N_opt in 60% to 76% of budget-draws (1400);
    # measured 0.689
    assert 0.60 <= covered.mean() <= 0.76
    # the asymmetry test's false alarms on valleys this close to parabolas: the design
    # aims at 1% of sweeps (0.14% of budgets); measured 4 of 1400 budgets (heavy tails of
    # the vertex at weak curvature); 1% of budgets is a clear failure
    assert asymmetric <= 14


@pytest.mark.slow
def test_vertex_standard_errors_cover_with_noise_spline() -> None:
    covered, _ = _noisy_draws("spline")
    assert 0.60 <= covered.mean() <= 0.76  # measured 0.650


# ---------------------------------------------------------------------- estimators
def test_akima_coefficients_match_scipy() -> None:
    # oracle: scipy's Akima1DInterpolator, on random curves incl. flat stretches
    rng = np.random.default_rng(3)
    for k in (3, 4, 7, 12):
        x = np.sort(rng.uniform(0, 5, k))
        x = x + np.arange(k) * 1e-3  # strictly increasing
        ys = rng.normal(size=(20, k))
        ys[0, : min(3, k)] = 1.0  # a flat run (Akima's undefined-slope branch)
        ours = _akima_coefficients(x, ys)
        for row in range(ys.shape[0]):
            ref = Akima1DInterpolator(x, ys[row]).c
            np.testing.assert_allclose(ours[row], ref, rtol=1e-10, atol=1e-12)


def test_cubic_min_is_the_spline_minimum() -> None:
    # oracle: a dense grid of the scipy spline (grid error ~ (range/200000)^2 * curvature)
    rng = np.random.default_rng(4)
    x = np.linspace(-2, 2, 9)
    ys = 0.1 * x**2 + 0.02 * rng.normal(size=(30, 9))
    xm, pm, curv, edge = _cubic_min(x, _akima_coefficients(x, ys))
    grid = np.linspace(-2, 2, 200001)
    for row in range(30):
        spl = Akima1DInterpolator(x, ys[row])
        vals = spl(grid)
        assert pm[row] <= vals.min() + 1e-12
        assert pm[row] == pytest.approx(float(spl(xm[row])), abs=1e-12)
        assert xm[row] == pytest.approx(grid[np.argmin(vals)], abs=1e-4)
        assert edge[row] == (xm[row] in (x[0], x[-1]))
        if not edge[row]:
            assert curv[row] == pytest.approx(float(spl(xm[row], 2)), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("vertex", ESTIMATORS)
def test_vertex_estimates_match_isoflop_minima(vertex: str) -> None:
    # the batched estimator gives isoflop_minima's numbers on rectangular designs
    rng = np.random.default_rng(5)
    offsets = np.sort(rng.uniform(-2.0, 2.5, 11))
    n, d, loss, c, _ = design(offsets)
    noisy = loss * np.exp(rng.normal(0, 2e-3, loss.size))
    res = quiet(n, d, noisy, budgets=c, vertex=vertex)
    x = np.log(n).reshape(5, 11)
    est = vertex_estimates(x, noisy.reshape(5, 11), vertex=vertex)  # type: ignore[arg-type]
    np.testing.assert_allclose(est.log_vertex, np.log(res.n_params), rtol=0, atol=1e-9)
    np.testing.assert_allclose(est.loss, res.loss, rtol=1e-10)
    np.testing.assert_allclose(est.curvature, [b.curvature for b in res.budgets], rtol=1e-6)
    assert est.bracketed.tolist() == [b.bracketed for b in res.budgets]
    assert est.vertex == vertex
    assert [s.name for s in est.status] == [
        "OK" if b.bracketed else "NOT_BRACKETED" for b in res.budgets
    ]


def test_vertex_estimates_shared_sizes_and_statuses() -> None:
    x = np.linspace(-1.0, 1.0, 9)
    y = np.stack([(x - 0.2) ** 2, (x - 3.0) ** 2, -(x**2)])
    par = vertex_estimates(x, y)
    assert par.log_vertex[0] == pytest.approx(0.2, abs=1e-12)
    assert [s.name for s in par.status] == ["OK", "NOT_BRACKETED", "NO_VALLEY"]
    loc = vertex_estimates(x, y, vertex="local", window=3)
    assert loc.log_vertex[0] == pytest.approx(0.2, abs=1e-12)
    assert loc.bracketed.tolist() == [True, False, False]  # argmin at the last size; then edge
    spl = vertex_estimates(x, y, vertex="spline")
    assert spl.bracketed.tolist() == [True, False, False]
    assert spl.log_vertex[1] == x[-1]
    with pytest.raises(ValueError, match="read-only"):
        par.log_vertex[0] = 1.0


def test_local_window_picks_nearest_sizes_and_edge_is_not_bracketed() -> None:
    # uneven sizes: the 3 nearest to the lowest-loss size are not the index-centred ones
    x = np.log(1e9) + np.array([-2.0, -1.0, -0.1, 0.0, 0.05, 1.0, 2.0])
    n = np.exp(x)
    loss = 2.0 + 0.1 * (x - np.log(1e9)) ** 2 + np.array([0, 0, 0, 0, 0, 0.3, 0.3])
    with pytest.warns(IsoFLOPWarning, match="Only 1 usable"):
        res = isoflop_minima(n, loss=loss, compute=np.full(7, 1e20), vertex="local", window=3)
    bud = res.budgets[0]
    assert bud.window_range == pytest.approx((n[2], n[4]), rel=1e-12)
    assert bud.ok and bud.n_params == pytest.approx(1e9, rel=1e-9)
    # lowest loss at the largest size: NOT_BRACKETED (and warned, left out)
    with pytest.warns(IsoFLOPWarning, match="outside the sampled sizes"):
        edge = isoflop_minima(
            n, loss=3.0 + 0.01 * (x - x[-1] - 1.0) ** 2, compute=np.full(7, 1e20), vertex="local"
        )
    assert edge.budgets[0].status is IsoFLOPStatus.NOT_BRACKETED
    assert math.isnan(edge.budgets[0].vertex_se)


def test_spline_combines_equal_sizes_and_says_so() -> None:
    x = np.log(1e9) + np.linspace(-1.5, 1.5, 7)
    base = 2.0 + 0.1 * (x - np.log(1e9)) ** 2
    n = np.exp(np.concatenate([x, x[2:4]]))
    loss = np.concatenate([base, base[2:4] + np.array([0.02, -0.04])])
    with pytest.warns(IsoFLOPWarning, match="Only 1 usable"):
        res = isoflop_minima(n, loss=loss, compute=np.full(9, 1e20), vertex="spline")
    bud = res.budgets[0]
    assert bud.n_combined == 2 and bud.n_sizes == 7 and bud.n_points == 9
    knots_x, knots_y = bud.knots
    np.testing.assert_allclose(knots_x, x, rtol=1e-15)
    np.testing.assert_allclose(knots_y[2:4], base[2:4] + np.array([0.01, -0.02]), rtol=1e-14)
    # the curve the figure draws is the spline through the knots
    np.testing.assert_allclose(bud.curve(np.exp(x)), knots_y, rtol=1e-14)
    assert math.isnan(float(bud.curve([1e3])[0]))  # no extrapolation


def test_curve_follows_the_estimator() -> None:
    n, d, loss, c, _ = design(WIDE_ABOVE)
    par = quiet(n, d, loss, budgets=c)
    loc = isoflop_minima(n, d, loss, budgets=c, vertex="local")
    b_par, b_loc = par.budgets[0], loc.budgets[0]
    c0, c1, c2 = b_par.coefficients
    xs = np.log(n[:8])
    np.testing.assert_allclose(b_par.curve(n[:8]), c0 + c1 * xs + c2 * xs**2, rtol=1e-14)
    l0, l1, l2 = b_loc.local_coefficients
    np.testing.assert_allclose(b_loc.curve(n[:8]), l0 + l1 * xs + l2 * xs**2, rtol=1e-14)
    assert b_loc.local_coefficients == b_par.local_coefficients  # always computed
    assert b_loc.window_range == pytest.approx((n[0], n[4]), rel=1e-12)
    # the local minimum is that parabola's vertex
    assert math.log(b_loc.n_params) == pytest.approx(-l1 / (2 * l2), abs=1e-12)


# ---------------------------------------------------------------------- power-law weights
def test_inverse_variance_power_law_weights() -> None:
    rng = np.random.default_rng(6)
    n, d, loss, c, _ = design(np.linspace(-1.5, 1.5, 9))
    y = loss * np.exp(rng.normal(0, 3e-3, loss.size))
    w = np.ones(n.size)
    w[c == 1e20] = 0.02  # runs of one budget 50x noisier in variance
    y[c == 1e20] = loss[c == 1e20] * np.exp(rng.normal(0, 3e-3 / math.sqrt(0.02), 9))
    equal = quiet(n, d, y, budgets=c, weights=w)
    iv = quiet(n, d, y, budgets=c, weights=w, power_law_weights="inverse_variance")
    assert iv.power_law_weights == "inverse_variance" and equal.power_law_weights == "equal"
    np.testing.assert_array_equal(iv.vertex_se, equal.vertex_se)
    # the noisy budget's standard error is the largest, and it counts least
    assert int(np.argmax(iv.vertex_se)) == 2
    ref = fit_power_law(iv.compute, iv.n_params, weights=1.0 / iv.vertex_se**2)
    assert iv.a == pytest.approx(ref.exponent, rel=1e-12)
    ref_eq = fit_power_law(equal.compute, equal.n_params)
    assert equal.a == pytest.approx(ref_eq.exponent, rel=1e-12)
    assert iv.a != pytest.approx(equal.a, abs=1e-6)


def test_inverse_variance_on_noise_free_data_is_equal_weights() -> None:
    x0 = np.log([3e8, 1e9, 4e9])
    x = (x0[:, None] + np.linspace(-1.0, 1.0, 7)[None, :]).ravel()
    loss = 2.0 + 0.03 * (x - np.repeat(x0, 7)) ** 2
    c = np.repeat([1e19, 1e20, 1e21], 7)
    a = isoflop_minima(np.exp(x), loss=loss, compute=c)
    b = isoflop_minima(np.exp(x), loss=loss, compute=c, power_law_weights="inverse_variance")
    assert b.a == pytest.approx(a.a, rel=1e-12)


# ---------------------------------------------------------------------- labels
def test_labels_rolled_or_scaled_fire_the_check() -> None:
    # issue 11, item 9: labels that contradict the runs' 6ND no longer pass silently
    n, d, loss, c, _ = design(np.linspace(-1.0, 1.0, 7))
    good = isoflop_minima(n, d, loss, budgets=c)
    assert good.labels_consistent
    np.testing.assert_allclose(good.label_ratio, 1.0, rtol=1e-12)
    rolled = np.roll(c, 7)  # each budget's runs labelled with the previous budget
    with pytest.warns(IsoFLOPWarning, match="out of order"):
        res = isoflop_minima(n, d, loss, budgets=rolled)
    assert not res.labels_consistent
    with pytest.warns(IsoFLOPWarning, match=r"0\.333 × their budget label"):
        res3 = isoflop_minima(n, d, loss, budgets=3 * c)
    assert not res3.labels_consistent
    np.testing.assert_allclose(res3.label_ratio, 1 / 3, rtol=1e-12)


def test_one_mislabelled_budget_is_named() -> None:
    n, d, loss, c, _ = design(np.linspace(-1.0, 1.0, 7))
    labels = c.copy()
    labels[c == 1e20] = 2.5e20  # still in order, runs at 0.4 x the label
    with pytest.warns(IsoFLOPWarning, match=r"worst budget is C=2\.5e\+20"):
        res = isoflop_minima(n, d, loss, budgets=labels)
    assert not res.labels_consistent


def test_labels_within_a_factor_two_pass() -> None:
    # attention FLOPs, rounded sizes: labels 1.3x or 0.75x the runs' 6ND are legitimate
    n, d, loss, c, _ = design(np.linspace(-1.0, 1.0, 7))
    for factor in (1.3, 0.75, 1.9):
        res = isoflop_minima(n, d, loss, budgets=factor * c)
        assert res.labels_consistent
    with pytest.warns(IsoFLOPWarning, match="compute is"):
        isoflop_minima(n, loss=loss, compute=c, budgets=2.0 * c)


# ---------------------------------------------------------------------- bad input
N3 = np.exp(np.linspace(18, 21, 5))
C3 = np.full(5, 1e20)
L3 = 3.0 + 0.1 * (np.log(N3) - 19.5) ** 2

BAD: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("vertex unknown", {"vertex": "cubic"}, ValueError, "`vertex` must be one of"),
    ("vertex type", {"vertex": 1}, TypeError, "`vertex`"),
    ("window small", {"window": 1}, ValueError, "`window` must be an integer >= 3"),
    ("window even", {"window": 4}, ValueError, "`window` must be an odd integer"),
    ("window float", {"window": 5.0}, TypeError, "`window`"),
    (
        "window too large",
        {"vertex": "local", "window": 7},
        ValueError,
        "`window` must not exceed .* at most 5 distinct sizes",
    ),
    ("plw", {"power_law_weights": "inverse"}, ValueError, "`power_law_weights` must be one of"),
]


@pytest.mark.parametrize(("kwargs", "exc", "match"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(kwargs: dict[str, Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        isoflop_minima(N3, loss=L3, compute=C3, **kwargs)


def test_vertex_estimates_bad_input() -> None:
    x = np.linspace(0, 1, 5)
    y = x**2
    with pytest.raises(ValueError, match="`vertex`"):
        vertex_estimates(x, y, vertex="poly")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`window` must be an odd"):
        vertex_estimates(x, y, window=6)
    with pytest.raises(ValueError, match="`window` must not exceed the 5 sizes"):
        vertex_estimates(x, y, vertex="local", window=7)
    with pytest.raises(ValueError, match="strictly increasing"):
        vertex_estimates(x[::-1], y)
    with pytest.raises(ValueError, match="at least 3 sizes"):
        vertex_estimates(x[:2], y[:2])
    with pytest.raises(ValueError, match="one column per size"):
        vertex_estimates(x, np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"`loss`.*finite"):
        vertex_estimates(x, [0.0, 1.0, math.nan, 1.0, 2.0])
    with pytest.raises(TypeError, match="`log_size`"):
        vertex_estimates("abc", y)  # type: ignore[arg-type]


def test_inverse_variance_needs_standard_errors() -> None:
    # an unbracketed spline minimum has no standard error: refuse to weight it
    n, d, loss, c, _ = design(np.linspace(-1.0, 1.0, 7))
    n = n.copy()
    last = c == 1e22
    n[last] = n[last] * np.exp(3.0)
    d = c / (6 * n)
    loss = LAW.loss(n, d)
    with pytest.raises(ValueError, match="`power_law_weights`='inverse_variance' needs"):
        quiet(
            n,
            d,
            loss,
            budgets=c,
            vertex="spline",
            include_flagged=True,
            power_law_weights="inverse_variance",
        )


# ---------------------------------------------------------------------- bootstrap
def test_bootstrap_with_three_runs_per_budget_is_refused() -> None:
    # issue 11: 3 runs per budget lost 46 of 50 resamples and still reported an interval
    n, d, loss, c, _ = design(np.array([-1.0, 0.0, 1.0]))
    y = loss * np.exp(np.random.default_rng(7).normal(0, 1e-3, loss.size))
    with pytest.raises(ValueError, match=r"only \d+ of 50 resamples gave power laws"):
        cl.bootstrap_isoflop(n, d, y, budgets=c, n_resamples=50, rng=0)


@pytest.mark.parametrize("vertex", ["local", "spline"])
def test_bootstrap_passes_the_estimator_options(vertex: str) -> None:
    rng = np.random.default_rng(8)
    n, d, loss, c, _ = design(np.linspace(-1.5, 1.5, 9))
    n, d, loss, c = (np.repeat(v, 2) for v in (n, d, loss, c))  # 2 runs per size
    y = loss * np.exp(rng.normal(0, 2e-3, loss.size))
    opts: dict[str, Any] = {"budgets": c, "vertex": vertex, "power_law_weights": "inverse_variance"}
    full = quiet(n, d, y, **opts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChinchillaWarning)
        boot = cl.bootstrap_isoflop(n, d, y, n_resamples=40, rng=1, **opts)
    assert boot.estimate["a"] == pytest.approx(full.a, rel=1e-12)
    assert boot.n_resamples == 40 and boot.a.size >= 36
    # the resampled exponents scatter around the estimate (not all equal to it)
    assert np.std(boot.a) > 0
    assert abs(np.median(boot.a) - full.a) < 3 * np.std(boot.a)


# ---------------------------------------------------------------------- docs numbers
def test_howto_numbers_shared_ladder() -> None:
    # docs/howto_vertex.rst: one ladder of 13 sizes (1e8..1e11) at 5 budgets (1e19..1e21)
    budgets = np.array([1e19, 3e19, 1e20, 3e20, 1e21])
    ladder = np.geomspace(1e8, 1e11, 13)
    n = np.tile(ladder, 5)
    c = np.repeat(budgets, 13)
    d = c / (6 * n)
    loss = LAW.loss(n, d)
    with pytest.warns(IsoFLOPWarning, match="5 of 5 IsoFLOP budgets ASYMMETRIC"):
        par = isoflop_minima(n, d, loss, budgets=c)
    assert par.a == pytest.approx(0.4187, abs=5e-5)  # the page prints 4 decimals
    ratio = par.n_params / LAW.optimal(budgets).n_params
    assert ratio[0] == pytest.approx(1.27, abs=0.005) and ratio[3] == pytest.approx(1.04, abs=0.005)
    loc = isoflop_minima(n, d, loss, budgets=c, vertex="local")
    spl = isoflop_minima(n, d, loss, budgets=c, vertex="spline")
    assert loc.a == pytest.approx(0.4569, abs=5e-5)
    assert spl.a == pytest.approx(0.4568, abs=5e-5)
    assert abs(spl.a - LAW.a) < 1e-3 and abs(loc.a - LAW.a) < 1e-3


@pytest.mark.parametrize(
    ("offsets", "numbers"),
    [(WIDE_ABOVE, (1.0828, 1.0061, 1.0018)), (WIDE_BELOW, (0.8543, 1.0055, 1.0013))],
    ids=["above", "below"],
)
def test_howto_numbers_off_centre(offsets: np.ndarray, numbers: tuple[float, ...]) -> None:
    n, d, loss, c, n_opt = design(offsets)
    for vertex, expected in zip(ESTIMATORS, numbers, strict=True):
        res = quiet(n, d, loss, budgets=c, vertex=vertex)
        np.testing.assert_allclose(res.n_params / n_opt, expected, atol=5e-5)


# ---------------------------------------------------------------------- CLI and figure
def _sweep_csv(tmp_path: Any) -> Any:
    from chinchilla_laws.io import save_runs

    n, d, loss, c, _ = design(WIDE_ABOVE)
    path = tmp_path / "sweep.csv"
    save_runs({"n_params": n, "n_tokens": d, "loss": loss, "budget": c}, path)
    return path


def test_cli_isoflop_vertex_options(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from chinchilla_laws.cli import main

    path = _sweep_csv(tmp_path)
    code = main(["isoflop", str(path), "--vertex", "spline", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)["isoflop"]
    n, d, loss, c, _ = design(WIDE_ABOVE)
    ref = isoflop_minima(n, d, loss, budgets=c, vertex="spline")
    assert out["vertex"] == "spline" and out["a"] == pytest.approx(ref.a, rel=1e-12)
    assert [b["status"] for b in out["budgets"]] == ["OK"] * 5
    assert out["budgets"][0]["vertex_se"] == pytest.approx(ref.vertex_se[0], rel=1e-12)
    # the default parabola: ASYMMETRIC budgets in the table and the warning on stderr
    code = main(["isoflop", str(path)])
    captured = capsys.readouterr()
    assert code == 0
    assert "ASYMMETRIC" in captured.out and "se(ln N*)" in captured.out
    assert "IsoFLOPWarning" in captured.err and "vertex='spline'" in captured.err
    code = main(
        [
            *["isoflop", str(path), "--vertex", "local", "--window", "3"],
            *["--power-law-weights", "inverse_variance"],
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "local parabolas (3 sizes)" in captured.out and "inverse-variance" in captured.out
    # bad options: exit 2 with one line naming the argument
    for argv in (["--window", "4"], ["--vertex", "cubic"]):
        code = main(["isoflop", str(path), *argv])
        captured = capsys.readouterr()
        assert code == 2
        assert "window" in captured.err or "vertex" in captured.err
        assert "Traceback" not in captured.err


def test_plot_isoflop_draws_the_estimators() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chinchilla_laws.plot import plot_isoflop

    n, d, loss, c, _ = design(WIDE_ABOVE)
    res = isoflop_minima(n, d, loss, budgets=c, vertex="spline")
    fig = plot_isoflop(n, loss, res, vertex=["spline", "parabola", "local"])
    ax0 = fig.axes[0]

    def gid(name: str) -> list[Any]:
        return [a for a in [*ax0.lines, *ax0.collections] if a.get_gid() == name]

    assert len(gid("spline")) == 5  # the result's own curves
    assert len(gid("parabola-compare")) == 5 and len(gid("local-compare")) == 5
    # the spline curve is the Akima spline through the runs
    line = gid("spline")[0]
    xs, ys = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    ref = Akima1DInterpolator(np.log(n[:8]), loss[:8])(np.log(xs))
    np.testing.assert_allclose(ys, ref, rtol=1e-12)
    # the compared minima sit where each estimator puts them
    par = quiet(n, d, loss, budgets=c)
    loc = isoflop_minima(n, d, loss, budgets=c, vertex="local")
    drawn_par = np.vstack([np.asarray(p.get_offsets()) for p in gid("vertex-parabola")])
    drawn_loc = np.vstack([np.asarray(p.get_offsets()) for p in gid("vertex-local")])
    np.testing.assert_allclose(drawn_par[:, 0], par.n_params, rtol=1e-9)
    np.testing.assert_allclose(drawn_loc[:, 0], loc.n_params, rtol=1e-9)
    plt.close(fig)
    with pytest.raises(ValueError, match="`vertex`"):
        plot_isoflop(n, loss, res, vertex="cubic")
    with pytest.raises(TypeError, match="`vertex`"):
        plot_isoflop(n, loss, res, vertex=3)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- from the mutation pass
def test_simulated_standard_errors_match_an_independent_simulation() -> None:
    # oracle for the local and spline standard errors: the same draws of the noise model
    # through numpy's weighted polyfit and scipy's Akima1DInterpolator, one draw at a time
    from chinchilla_laws.isoflop import _NOISE_SEED, NOISE_DRAWS

    x = np.log(1e9) + np.linspace(-1.5, 1.5, 9)
    base = 3.0 + 0.05 * (x - np.log(1e9)) ** 2 + 0.01 * np.sin(7 * x)
    w = np.array([1.0, 2.0, 0.5, 3.0, 1.0, 4.0, 0.25, 1.0, 2.0])
    n = np.exp(x)
    for vertex in ("local", "spline"):
        with pytest.warns(IsoFLOPWarning, match="Only 1 usable"):
            res = isoflop_minima(
                n, loss=base, compute=np.full(9, 1e20), weights=w, vertex=vertex, window=5
            )
        sigma = res.noise_sd
        noise = np.random.default_rng(_NOISE_SEED).standard_normal((NOISE_DRAWS, 9))
        draws = base + sigma * noise / np.sqrt(w)
        minima = []
        for y in draws:
            if vertex == "local":
                best = int(np.argmin(y))
                lo = min(max(best - 2, 0), 4)
                sel = slice(lo, lo + 5)
                c2, c1, _ = np.polyfit(x[sel], y[sel], 2, w=np.sqrt(w[sel]))
                if c2 > 0:
                    minima.append(-c1 / (2 * c2))
            else:
                spl = Akima1DInterpolator(x, y)
                grid = np.linspace(x[0], x[-1], 20001)
                minima.append(grid[np.argmin(spl(grid))])
        # rtol 1e-6: same draws; the spline oracle's grid step is 4e-5 in ln N
        expected = float(np.std(minima, ddof=1))
        assert res.vertex_se[0] == pytest.approx(expected, rel=1e-6 if vertex == "local" else 2e-3)


def test_akima_fill_slope_between_straight_runs() -> None:
    # Akima's slope is undefined between two straight runs (|m2 - m1| = |m4 - m3| = 0);
    # scipy then averages the outer slopes: check against scipy on a kink -1 / +2
    x = np.arange(8.0)
    y = np.where(x <= 3, -(x - 3), 2 * (x - 3)) + 0.0
    ours = _akima_coefficients(x, y[None, :])[0]
    np.testing.assert_allclose(ours, Akima1DInterpolator(x, y).c, rtol=1e-12, atol=1e-12)


def test_cubic_min_exact_quadratic_piece_and_edges() -> None:
    # a piece with zero cubic coefficient (a3 = 0): its minimum is -a1 / (2 a2)
    x = np.array([0.0, 1.0, 2.0])
    c = np.zeros((1, 4, 2))
    c[0, :, 0] = [0.0, 1.0, -0.8, 1.0]  # 1 - 0.8 s + s^2 on [0, 1]: minimum at s = 0.4
    c[0, :, 1] = [0.0, 1.0, 1.2, 1.2]  # continues upwards from x = 1
    xm, pm, curv, edge = _cubic_min(x, c)
    assert xm[0] == pytest.approx(0.4, abs=1e-15) and pm[0] == pytest.approx(0.84, abs=1e-15)
    assert curv[0] == pytest.approx(2.0, abs=1e-15) and not edge[0]
    # a minimum inside the first interval is bracketed; at the last knot it is not, and
    # the curvature there is the last piece's
    xs = np.linspace(0.0, 4.0, 9)
    ys = np.stack([(xs - 0.2) ** 2, np.exp(-xs)])
    xm, _, curv, edge = _cubic_min(xs, _akima_coefficients(xs, ys))
    assert edge.tolist() == [False, True] and xm[1] == 4.0
    assert curv[1] == pytest.approx(float(Akima1DInterpolator(xs, ys[1])(4.0, 2)), rel=1e-9)


def test_vertex_estimates_local_bracketing_and_three_sizes() -> None:
    x = np.linspace(0.0, 6.0, 7)
    rows = [(x - c) ** 2 for c in (0.0, 1.0, 5.0, 6.0)]  # lowest loss at sizes 0, 1, 5, 6
    est = vertex_estimates(x, np.stack(rows), vertex="local", window=3)
    assert est.bracketed.tolist() == [False, True, True, False]
    # three sizes are enough for every estimator
    for vertex in ESTIMATORS:
        three = vertex_estimates(x[:3], (x[:3] - 1.0) ** 2, vertex=vertex, window=3)  # type: ignore[arg-type]
        assert three.log_vertex[0] == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="strictly increasing"):
        vertex_estimates([0.0, 1.0, 1.0, 2.0], [1.0, 0.0, 0.0, 1.0])


def test_budget_grouping_and_its_errors() -> None:
    # budgets 1.3x apart are separate groups; a chain of 3 wider than the tolerance is refused
    x = np.log(1e9) + np.linspace(-1, 1, 5)
    n = np.exp(np.concatenate([x, x]))
    c = np.repeat([1e20, 1.3e20], 5)
    loss = 3.0 + 0.1 * (np.log(n) - np.log(1e9)) ** 2
    res = isoflop_minima(n, loss=loss, compute=c)
    np.testing.assert_allclose(res.compute, [1e20, 1.3e20], rtol=1e-12)
    with pytest.raises(ValueError, match=r"span 0\.08"):
        isoflop_minima(n[:3], loss=loss[:3], compute=[1.0e18, 1.04e18, 1.08e18])
    with pytest.raises(ValueError, match="`compute` must contain only positive"):
        res.optimal([1e21, -1.0])


def test_spline_curve_of_a_budget_without_knots_is_nan() -> None:
    n = np.exp(np.log(1e9) + np.linspace(-1, 1, 5))
    loss = 3.0 + 0.1 * (np.log(n) - np.log(1e9)) ** 2
    nn = np.concatenate([n, n[:2]])
    c = np.repeat([1e20, 1e21], [5, 2])
    ll = np.concatenate([loss, loss[:2]])
    with pytest.warns(IsoFLOPWarning, match="too few points"):
        res = isoflop_minima(nn, loss=ll, compute=c, vertex="spline")
    small = res.budgets[1]
    assert small.status is IsoFLOPStatus.TOO_FEW_POINTS and small.knots == ((), ())
    out = small.curve([1e9, 2e9])
    assert out.shape == (2,) and np.all(np.isnan(out))


def test_isoflop_bias_with_estimators_and_conventions() -> None:
    n, _, _, c, _ = design(WIDE_ABOVE)
    bias = cl.isoflop_bias(LAW, n, c, vertex="spline")
    assert bias.law is LAW and bias.fit.vertex == "spline"
    np.testing.assert_allclose(bias.n_params_ratio, 1.0018, atol=5e-5)
    with pytest.warns(IsoFLOPWarning, match="ASYMMETRIC"):
        par = cl.isoflop_bias(LAW, n, c)
    np.testing.assert_allclose(par.n_params_ratio, 1.0828, atol=5e-5)
    loc = cl.isoflop_bias(LAW, n, c, vertex="local", window=3)
    assert loc.fit.window == 3
    # another FLOP convention: the truth follows it, so the ratios do not move
    k8 = cl.isoflop_bias(LAW, n, c * 8 / 6, flops_per_param_token=8.0, vertex="spline")
    np.testing.assert_allclose(k8.n_params_ratio, bias.n_params_ratio, rtol=1e-9)
    # three sizes per budget are enough (min_points 3); unbracketed budgets stay out
    three = cl.isoflop_bias(LAW, *design(np.array([-1.0, 0.0, 1.0]))[::3][:2])
    assert three.fit.used.all()
    for args, match in (
        ((LAW, -n, c), "`n_params`"),
        ((LAW, n, -c), "`compute`"),
        ((LAW, n[:0], c[:0]), "`n_params` must have at least 1"),
    ):
        with pytest.raises(ValueError, match=match):
            cl.isoflop_bias(*args)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`flops_per_param_token`"):
        cl.isoflop_bias(LAW, n, c, flops_per_param_token=0.0)


def test_result_message_and_summary() -> None:
    n, d, loss, c, _ = design(WIDE_ABOVE)
    par = quiet(n, d, loss, budgets=3 * c)
    assert par.message == (
        "power laws through 5 of 5 budget minima (parabola); 5 ASYMMETRIC (use "
        "vertex='local' or vertex='spline'); budget labels disagree with the runs."
    )
    text = par.summary()
    assert "se(ln N*)" in text and text.count("ASYMMETRIC") == 6
    spl = isoflop_minima(n, d, loss, budgets=c, vertex="spline")
    assert spl.message == "power laws through 5 of 5 budget minima (spline)."
    with pytest.warns(IsoFLOPWarning):
        one = isoflop_minima(n[:8], d[:8], loss[:8], budgets=c[:8])
    assert one.message.startswith("no power laws: 1 usable budget(s) of 1 (parabola); 1 ASYMM")
