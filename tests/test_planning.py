"""Planning tools: loss targets, inference-aware allocation, backtests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chinchilla_laws import (
    BESIROGLU_2024,
    HOFFMANN_2022_PRINTED,
    HOFFMANN_2022_TEX,
    ChinchillaLaw,
    random_starts,
)
from chinchilla_laws.planning import (
    Backtest,
    InferenceOptimal,
    RollingBacktest,
    backtest,
    inference_optimal,
    optimal_for_loss,
    rolling_backtest,
)

SARDANA = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283)
"""The law behind Sardana et al. (2024)'s Figure 1 (REFERENCE.md §6)."""

TINY_EXPONENTS = ChinchillaLaw(E=1.0, A=1.0, B=1.0, alpha=0.01, beta=0.01)
"""A law whose models for a loss near E overflow float64."""

LAWS = [HOFFMANN_2022_TEX, HOFFMANN_2022_PRINTED, BESIROGLU_2024, SARDANA]


# --------------------------------------------------------------------------- oracles
def brute_force_inference(
    law: ChinchillaLaw, loss: float, demand: float, k: float = 6.0, k_inf: float = 2.0
) -> tuple[float, float, float]:
    """Total cost minimised over a log grid of N, refined twice around the best point.

    Along ``L(N, D) = loss`` the tokens follow from N in closed form; the oracle never
    uses the stationarity condition.
    """
    r = loss - law.E
    n_min = (law.A / r) ** (1.0 / law.alpha)  # below this no D reaches the loss
    lo, hi = math.log(n_min) + 1e-12, math.log(n_min) + 40.0
    for _ in range(4):
        x = np.linspace(lo, hi, 20001)
        n = np.exp(x)
        rest = r - law.A * n**-law.alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(rest > 0, (law.B / rest) ** (1.0 / law.beta), np.inf)
        total = n * (k * d + k_inf * demand)
        i = int(np.argmin(total))
        step = x[1] - x[0]
        lo, hi = x[max(i - 2, 0)], x[min(i + 2, x.size - 1)]
        assert step > 0
    n_best = math.exp(x[i])
    d_best = (law.B / (r - law.A * n_best**-law.alpha)) ** (1.0 / law.beta)
    return n_best, d_best, float(total[i])


# --------------------------------------------------------------------------- loss targets
@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.name or "sardana")
def test_optimal_for_loss_lies_on_the_compute_frontier(law: ChinchillaLaw) -> None:
    """The model for a loss is the frontier's model at its compute (round trip, 1e-10)."""
    targets = law.E + np.array([0.05, 0.3, 1.0, 3.0])
    f = optimal_for_loss(law, targets)
    np.testing.assert_allclose(law.loss(f.n_params, f.n_tokens), targets, rtol=1e-12)
    np.testing.assert_allclose(f.compute, 6.0 * f.n_params * f.n_tokens, rtol=1e-14)
    back = law.optimal(f.compute)
    np.testing.assert_allclose(back.n_params, f.n_params, rtol=1e-10)
    np.testing.assert_allclose(back.n_tokens, f.n_tokens, rtol=1e-10)
    np.testing.assert_allclose(back.loss, targets, rtol=1e-12)


def test_optimal_for_loss_minimises_compute_brute_force() -> None:
    """No other (N, D) on the loss contour needs less compute (grid of 200,001, 1e-6)."""
    law = HOFFMANN_2022_TEX
    target = 2.1
    f = law.optimal_for_loss(target)
    n_best, d_best, _ = brute_force_inference(law, target, 0.0)
    assert f.n_params[0] == pytest.approx(n_best, rel=1e-6)
    assert f.n_tokens[0] == pytest.approx(d_best, rel=1e-6)


def test_optimal_for_loss_flops_per_param_token_scales_compute_only() -> None:
    f6 = optimal_for_loss(HOFFMANN_2022_TEX, 2.2)
    f8 = optimal_for_loss(HOFFMANN_2022_TEX, 2.2, flops_per_param_token=8.0)
    assert f8.n_params[0] == f6.n_params[0]
    assert f8.compute[0] == pytest.approx(f6.compute[0] * 8.0 / 6.0, rel=1e-14)


def test_method_delegates_to_planning() -> None:
    a = HOFFMANN_2022_TEX.optimal_for_loss([2.0, 2.5])
    b = optimal_for_loss(HOFFMANN_2022_TEX, [2.0, 2.5])
    np.testing.assert_array_equal(a.n_params, b.n_params)
    r1 = HOFFMANN_2022_TEX.inference_optimal(2.0, 1e12, flops_per_inference_token=3.0)
    r2 = inference_optimal(HOFFMANN_2022_TEX, 2.0, 1e12, flops_per_inference_token=3.0)
    np.testing.assert_array_equal(r1.n_params, r2.n_params)
    assert r1.flops_per_inference_token == 3.0


# --------------------------------------------------------------------------- inference
def test_sardana_2024_figure_1() -> None:
    """REFERENCE.md §6: 13B Chinchilla-optimal loss served for 2T tokens.

    Published: ~7B on ~1.24T tokens, saving ~1.7e22 FLOPs (~17%); with the
    law's constants written out: 6.97e9 parameters, saving 1.69e22 (17.4%). The
    solver is exact, so the tolerances are the published digits.
    """
    target = SARDANA.optimal_for_params(13e9).loss
    r = SARDANA.inference_optimal(target, 2e12)
    assert isinstance(r, InferenceOptimal)
    assert r.n_params[0] == pytest.approx(6.97e9, rel=1e-3)
    assert r.n_tokens[0] == pytest.approx(1.25e12, rel=2e-3)
    assert r.saving[0] == pytest.approx(1.69e22, rel=3e-3)
    assert r.saving_fraction[0] == pytest.approx(0.174, abs=5e-4)
    # the Chinchilla model for that loss is the 13B one it came from
    assert r.chinchilla_n_params[0] == pytest.approx(13e9, rel=1e-12)
    assert r.total_flops[0] == pytest.approx(r.compute[0] + r.inference_flops[0], rel=1e-15)
    assert r.inference_flops[0] == pytest.approx(2.0 * r.n_params[0] * 2e12, rel=1e-15)
    assert r.chinchilla_total_flops[0] == pytest.approx(
        r.chinchilla_compute[0] + 2.0 * 13e9 * 2e12, rel=1e-12
    )


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.name or "sardana")
@pytest.mark.parametrize("excess", [0.02, 0.3, 2.0])
@pytest.mark.parametrize("demand", [1e6, 1e11, 3e12, 1e16])
def test_inference_optimal_matches_brute_force(
    law: ChinchillaLaw, excess: float, demand: float
) -> None:
    """The exact solve against a refined grid search over N (agreement 1e-7 in N)."""
    target = law.E + excess
    r = law.inference_optimal(target, demand)
    n_best, d_best, total_best = brute_force_inference(law, target, demand)
    assert r.n_params[0] == pytest.approx(n_best, rel=1e-7)
    assert r.n_tokens[0] == pytest.approx(d_best, rel=1e-6)
    assert r.total_flops[0] == pytest.approx(total_best, rel=1e-12)
    assert r.total_flops[0] <= total_best * (1 + 1e-13)


@given(
    excess=st.floats(1e-3, 5.0),
    log_demand=st.floats(-5.0, 40.0),
    k_inf=st.floats(0.5, 10.0),
)
def test_inference_optimal_is_stationary_and_on_the_contour(
    excess: float, log_demand: float, k_inf: float
) -> None:
    """Along the loss contour, moving N either way costs more (first-order, 1e-9)."""
    law = HOFFMANN_2022_TEX
    target = law.E + excess
    demand = 10.0**log_demand
    r = law.inference_optimal(target, demand, flops_per_inference_token=k_inf)
    n, d = r.n_params[0], r.n_tokens[0]
    assert law.loss(n, d) == pytest.approx(target, rel=1e-12)
    rest = excess - law.A * n**-law.alpha

    def total(nn: float) -> float:
        rr = excess - law.A * nn**-law.alpha
        return nn * (6.0 * (law.B / rr) ** (1.0 / law.beta) + k_inf * demand)

    assert rest > 0
    eps = 1e-4
    t0 = total(n)
    assert total(n * math.exp(eps)) >= t0 * (1 - 1e-12)
    assert total(n * math.exp(-eps)) >= t0 * (1 - 1e-12)
    # the saving is never negative, and the model never larger than Chinchilla's
    assert r.saving[0] >= 0.0
    assert n <= r.chinchilla_n_params[0] * (1 + 1e-12)


def test_zero_demand_is_chinchilla() -> None:
    r = HOFFMANN_2022_TEX.inference_optimal([2.0, 2.3], 0.0)
    f = HOFFMANN_2022_TEX.optimal_for_loss([2.0, 2.3])
    np.testing.assert_allclose(r.n_params, f.n_params, rtol=1e-14)
    np.testing.assert_allclose(r.n_tokens, f.n_tokens, rtol=1e-14)
    np.testing.assert_array_equal(r.saving, 0.0)
    np.testing.assert_array_equal(r.inference_flops, 0.0)


def test_tiny_demand_approaches_chinchilla_continuously() -> None:
    """As D_inf -> 0 the optimum tends to the Chinchilla model (no jump at 0)."""
    law = HOFFMANN_2022_TEX
    f = law.optimal_for_loss(2.0)
    r = law.inference_optimal(2.0, [1e-6, 1e3, 1e9])
    assert r.n_params[0] == pytest.approx(f.n_params[0], rel=1e-12)
    assert np.all(np.diff(r.n_params) < 0)


def test_more_demand_means_smaller_longer_trained_models() -> None:
    demands = np.geomspace(1e9, 1e18, 30)
    r = HOFFMANN_2022_TEX.inference_optimal(2.1, demands)
    assert np.all(np.diff(r.n_params) < 0)
    assert np.all(np.diff(r.n_tokens) > 0)
    assert np.all(np.diff(r.saving_fraction) > 0)
    # with huge demand the model approaches the smallest size that can reach the loss
    n_min = (HOFFMANN_2022_TEX.A / (2.1 - HOFFMANN_2022_TEX.E)) ** (1 / HOFFMANN_2022_TEX.alpha)
    assert n_min < r.n_params[-1] < 1.2 * n_min


def test_vectorised_equals_one_by_one_and_broadcasts() -> None:
    losses = np.array([1.9, 2.0, 2.4])
    demands = np.array([0.0, 1e10, 1e12, 1e14])
    grid = HOFFMANN_2022_TEX.inference_optimal(losses[:, None], demands[None, :])
    assert grid.n_params.shape == (3, 4)
    assert grid.chinchilla_n_params.shape == (3, 4)
    for i, lo in enumerate(losses):
        for j, dm in enumerate(demands):
            one = HOFFMANN_2022_TEX.inference_optimal(lo, dm)
            assert one.n_params.shape == (1,)
            assert grid.n_params[i, j] == pytest.approx(one.n_params[0], rel=1e-14)
            assert grid.total_flops[i, j] == pytest.approx(one.total_flops[0], rel=1e-14)
    assert not grid.n_params.flags.writeable
    assert grid.tokens_per_param.shape == (3, 4)


def test_inference_result_as_dict_and_repr() -> None:
    r = SARDANA.inference_optimal(2.05, [1e12, 2e12])
    d = r.as_dict()
    assert d["n_params"] == r.n_params.tolist()
    assert d["flops_per_inference_token"] == 2.0
    assert len(d["tokens_per_param"]) == 2
    assert "InferenceOptimal([(L=2.05" in repr(r)


def test_flops_per_inference_token_is_equivalent_to_scaling_demand() -> None:
    """Only the product k_inf * D_inf enters the optimum."""
    a = HOFFMANN_2022_TEX.inference_optimal(2.0, 1e12, flops_per_inference_token=4.0)
    b = HOFFMANN_2022_TEX.inference_optimal(2.0, 2e12)
    assert a.n_params[0] == pytest.approx(b.n_params[0], rel=1e-13)
    assert a.total_flops[0] == pytest.approx(b.total_flops[0], rel=1e-13)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: optimal_for_loss(SARDANA, 1.69), ValueError, "irreducible loss E = 1.69"),
        (lambda: optimal_for_loss(SARDANA, [2.0, 1.5]), ValueError, "at index 1"),
        (lambda: optimal_for_loss(SARDANA, [[2.0]]), ValueError, "1-D"),
        (lambda: optimal_for_loss(SARDANA, "2"), TypeError, "`loss`"),
        (lambda: optimal_for_loss("law", 2.0), TypeError, "`law` must be a ChinchillaLaw"),
        (lambda: optimal_for_loss(TINY_EXPONENTS, 1.0 + 1e-6), ValueError, "overflows"),
        (lambda: inference_optimal(TINY_EXPONENTS, 1.0 + 1e-6, 1.0), ValueError, "overflows"),
        (
            lambda: optimal_for_loss(SARDANA, 2.0, flops_per_param_token=0),
            ValueError,
            "`flops_per_param_token`",
        ),
        (lambda: inference_optimal(SARDANA, 1.6, 1e12), ValueError, "unreachable"),
        (lambda: inference_optimal(SARDANA, 2.0, -1.0), ValueError, "`inference_tokens`"),
        (lambda: inference_optimal(SARDANA, 2.0, math.nan), ValueError, "`inference_tokens`"),
        (lambda: inference_optimal(SARDANA, 2.0, None), TypeError, "`inference_tokens`"),
        (lambda: inference_optimal(SARDANA, [2.0, 2.1], [1, 2, 3]), ValueError, "broadcast"),
        (
            lambda: inference_optimal(SARDANA, 2.0, 1e12, flops_per_inference_token=-2),
            ValueError,
            "`flops_per_inference_token`",
        ),
        (lambda: inference_optimal(SARDANA, math.inf, 1e12), ValueError, "`loss`"),
    ],
)
def test_planning_bad_input(call, exc, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc, match=match):
        call()


# --------------------------------------------------------------------------- backtests
def _synthetic_runs(
    noise: float = 0.0, seed: int = 0, size: int = 60
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = np.exp(rng.uniform(np.log(1e8), np.log(1e10), size))
    d = np.exp(rng.uniform(np.log(2e9), np.log(2e11), size))
    loss = HOFFMANN_2022_TEX.loss(n, d) * np.exp(noise * rng.standard_normal(size))
    return n, d, loss


STARTS = random_starts(300, rng=0)
"""300 random starts in the paper's box: enough on exact or mildly noisy data."""


def test_backtest_on_exact_data_predicts_exactly() -> None:
    """Noise-free runs from a law: the fit recovers it and the big runs are predicted
    to 1e-6 (the fit's own convergence tolerance dominates)."""
    n, d, loss = _synthetic_runs()
    bt = backtest(n, d, loss, split_compute=3e20, starts=STARTS)
    assert isinstance(bt, Backtest)
    assert bt.success
    c = 6 * n * d
    np.testing.assert_array_equal(bt.train, c <= 3e20)
    assert bt.n_train + bt.n_test == n.size
    assert bt.mean_abs_relative_error < 1e-6
    assert abs(bt.bias) < 1e-6
    assert bt.a == pytest.approx(HOFFMANN_2022_TEX.a, abs=1e-5)
    np.testing.assert_allclose(bt.predicted, loss, rtol=1e-6)
    assert bt.split_compute == 3e20
    assert not bt.relative_error.flags.writeable


def test_backtest_errors_are_the_test_runs_errors() -> None:
    """Summary numbers come from the test runs only, with the stated sign convention."""
    n, d, loss = _synthetic_runs(noise=0.01, seed=3)
    bt = backtest(n, d, loss, split_compute=2e20, starts=STARTS)
    rel = bt.fit.law.loss(n, d) / loss - 1
    np.testing.assert_allclose(bt.relative_error, rel, rtol=1e-15)
    test = bt.test
    assert bt.mean_abs_relative_error == pytest.approx(np.mean(np.abs(rel[test])), rel=1e-15)
    assert bt.bias == pytest.approx(np.mean(rel[test]), rel=1e-12)
    assert bt.max_abs_relative_error == pytest.approx(np.max(np.abs(rel[test])), rel=1e-15)
    assert bt.train_mean_abs_relative_error == pytest.approx(np.mean(np.abs(rel[~test])), rel=1e-15)
    assert bt.status is bt.fit.status
    assert bt.message == bt.fit.message
    payload = bt.as_dict()
    assert payload["n_test"] == int(test.sum())
    assert payload["runs"]["train"] == bt.train.tolist()
    assert "Backtest(n_train=" in repr(bt)


def test_backtest_split_by_mask_and_rank_match_split_by_compute() -> None:
    n, d, loss = _synthetic_runs(noise=0.01, seed=1)
    c = 6 * n * d
    threshold = float(np.sort(c)[39])
    by_c = backtest(n, d, loss, split_compute=threshold, starts=STARTS)
    by_mask = backtest(n, d, loss, split=c <= threshold, starts=STARTS)
    by_rank = backtest(n, d, loss, split=40, starts=STARTS)
    for other in (by_mask, by_rank):
        np.testing.assert_array_equal(other.train, by_c.train)
        assert other.mean_abs_relative_error == by_c.mean_abs_relative_error
        assert math.isnan(other.split_compute)
    assert by_c.n_train == 40


def test_backtest_passes_fit_options_through() -> None:
    n, d, loss = _synthetic_runs(noise=0.01, seed=2)
    bt = backtest(n, d, loss, split=40, starts=STARTS[:50], delta=1e-2)
    assert bt.fit.n_starts == 50
    assert bt.fit.delta == 1e-2


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({}, ValueError, "exactly one of `split_compute` and `split` must be given; got neither"),
        ({"split_compute": 1e20, "split": 5}, ValueError, "got both"),
        ({"split_compute": 1e10}, ValueError, "`split_compute` must leave at least 6 training"),
        ({"split_compute": 1e30}, ValueError, "`split_compute` must leave at least one test"),
        ({"split_compute": -1.0}, ValueError, "`split_compute`"),
        ({"split": 5}, ValueError, "`split` must leave at least 6 training runs"),
        ({"split": 60}, ValueError, "`split` must leave at least one test run"),
        ({"split": 0}, ValueError, "`split` must be an integer >= 1"),
        ({"split": np.ones(3, dtype=bool)}, ValueError, "one entry per run"),
        ({"split": np.ones(60)}, TypeError, "boolean mask"),
        ({"split": True}, TypeError, "boolean mask"),
        ({"split_compute": 1e20, "flops_per_param_token": 0.0}, ValueError, "flops_per"),
    ],
)
def test_backtest_bad_input(kwargs, exc, match) -> None:  # type: ignore[no-untyped-def]
    n, d, loss = _synthetic_runs()
    with pytest.raises(exc, match=match):
        backtest(n, d, loss, **kwargs)


def test_backtest_rejects_mismatched_data() -> None:
    n, d, loss = _synthetic_runs()
    with pytest.raises(ValueError, match="same length"):
        backtest(n, d[:-1], loss, split=30)


def test_rolling_backtest_splits_and_consistency() -> None:
    n, d, loss = _synthetic_runs(noise=0.003, seed=4, size=80)
    roll = rolling_backtest(n, d, loss, splits=4, min_train=25, min_test=10, starts=STARTS)
    assert isinstance(roll, RollingBacktest)
    assert 1 <= len(roll) <= 4
    c = 6 * n * d
    assert np.all(np.diff(roll.split_compute) > 0)
    assert np.all(roll.n_train >= 25)
    assert np.all(roll.n_test >= 10)
    # each threshold is a run's compute, and the smallest and largest admissible ones
    assert set(roll.split_compute) <= set(c)
    cs = np.sort(c)
    assert roll.split_compute[0] == cs[24]
    assert roll.split_compute[-1] == cs[-11]
    one = backtest(n, d, loss, split_compute=roll.split_compute[1], starts=STARTS)
    assert roll.mean_abs_relative_error[1] == one.mean_abs_relative_error
    assert roll.a[1] == one.a
    assert roll.backtests[1].n_train == roll.n_train[1]
    assert roll.as_dict()["a"] == roll.a.tolist()
    assert "RollingBacktest([(C<=" in repr(roll)


def test_rolling_backtest_explicit_thresholds_are_sorted_and_deduplicated() -> None:
    n, d, loss = _synthetic_runs(noise=0.01, seed=5)
    roll = rolling_backtest(n, d, loss, splits=[3e20, 1e20, 3e20], starts=STARTS)
    np.testing.assert_array_equal(roll.split_compute, [1e20, 3e20])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"splits": [1e10]}, r"`splits`\[0\] must leave at least 6 training"),
        ({"splits": 0}, "`splits` must be an integer >= 1"),
        ({"splits": 3, "min_train": 3}, "`min_train` must be an integer >= 6"),
        ({"splits": 3, "min_train": 50, "min_test": 20}, "at least 70 runs"),
        ({"splits": [-1.0]}, "`splits`"),
    ],
)
def test_rolling_backtest_bad_input(kwargs, match) -> None:  # type: ignore[no-untyped-def]
    n, d, loss = _synthetic_runs()
    with pytest.raises(ValueError, match=match):
        rolling_backtest(n, d, loss, **kwargs)


@pytest.mark.slow
def test_epoch_backtest_at_1e21(epoch240) -> None:  # type: ignore[no-untyped-def]
    """Epoch's 240 points, trained at C = 6ND <= 1e21 with the paper's grid.

    Measured: 217 training runs, 23 test runs, mean |relative error| 0.0105126,
    bias -1.65e-4, training exponent a = 0.547675. Pinned to 1e-4 relative (the
    fit's convergence tolerance moves the last digits between platforms).
    """
    n, d, loss = epoch240
    bt = backtest(n, d, loss, split_compute=1e21)
    assert bt.success
    assert (bt.n_train, bt.n_test) == (217, 23)
    assert bt.mean_abs_relative_error == pytest.approx(0.0105126, rel=1e-4)
    assert bt.a == pytest.approx(0.547675, rel=1e-4)
    assert bt.bias == pytest.approx(-1.65e-4, abs=5e-6)


def test_plot_backtest_draws_exponent_and_errors() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chinchilla_laws.plot import plot_backtest

    n, d, loss = _synthetic_runs(noise=0.003, seed=4, size=80)
    roll = rolling_backtest(n, d, loss, splits=3, min_train=25, min_test=10, starts=STARTS)
    try:
        fig = plot_backtest(roll, reference_a=0.5)
        ax_a, ax_e = fig.axes
        (line,) = [ln for ln in ax_a.lines if ln.get_gid() == "exponent"]
        np.testing.assert_array_equal(line.get_ydata(), roll.a)
        np.testing.assert_array_equal(line.get_xdata(), roll.split_compute)
        err = [ln for ln in ax_e.lines if ln.get_gid() == "error"][0]
        np.testing.assert_array_equal(err.get_ydata(), roll.mean_abs_relative_error)
        bias = [ln for ln in ax_e.lines if ln.get_gid() == "bias"][0]
        np.testing.assert_array_equal(bias.get_ydata(), roll.bias)
        assert ax_a.get_xscale() == "log"
        assert "reference a = 0.500" in [t.get_text() for t in ax_a.get_legend().get_texts()]
        with pytest.raises(TypeError, match="`rolling` must be a RollingBacktest"):
            plot_backtest(roll.backtests[0])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="`axes` must be a sequence of 2"):
            plot_backtest(roll, axes=[ax_a])
    finally:
        plt.close("all")
