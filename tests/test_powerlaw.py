"""Tests of chinchilla_laws.powerlaw against a plain-numpy/scipy oracle.

Written after a mutation-testing pass (mutmut) showed that the power-law fit was only
checked indirectly: a prefactor taken from the wrong coefficient, wrong residuals or a
wrong degrees-of-freedom count passed the suite.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from scipy import stats

from chinchilla_laws import PowerLaw, fit_power_law

C = np.geomspace(1e18, 1e22, 7)
NOISE = np.array([0.03, -0.02, 0.05, -0.04, 0.01, 0.02, -0.03])
Y = 0.3 * C**0.45 * np.exp(NOISE)


def test_matches_ordinary_least_squares_in_log_log() -> None:
    fit = fit_power_law(C, Y)
    ref = stats.linregress(np.log(C), np.log(Y))
    # the same least-squares problem solved two ways: agreement to rounding
    assert fit.exponent == pytest.approx(ref.slope, rel=1e-10)
    assert fit.coefficient == pytest.approx(math.exp(ref.intercept), rel=1e-9)
    assert fit.exponent_se == pytest.approx(ref.stderr, rel=1e-9)
    assert fit.log_coefficient_se == pytest.approx(ref.intercept_stderr, rel=1e-9)
    assert fit.n_points == 7
    assert fit.covariance.shape == (2, 2)
    assert fit.covariance[1, 1] == pytest.approx(ref.stderr**2, rel=1e-9)
    assert fit.covariance[0, 0] == pytest.approx(ref.intercept_stderr**2, rel=1e-9)
    # off-diagonal: cov(intercept, slope) = -mean(x) * var(slope) for OLS
    x = np.log(C)
    assert fit.covariance[0, 1] == pytest.approx(-x.mean() * ref.stderr**2, rel=1e-9)
    np.testing.assert_allclose(fit(C), fit.coefficient * C**fit.exponent, rtol=1e-14)


def test_exact_power_law_is_recovered() -> None:
    fit = fit_power_law(C, 2.5 * C**0.5)
    assert fit.exponent == pytest.approx(0.5, abs=1e-12)
    assert fit.coefficient == pytest.approx(2.5, rel=1e-9)
    assert fit.exponent_se < 1e-12  # no residual, no uncertainty


def test_weighted_fit_matches_polyfit_and_counts_weighted_points() -> None:
    w = np.array([1.0, 2.0, 0.0, 1.0, 3.0, 1.0, 0.5])
    fit = fit_power_law(C, Y, weights=w)
    x, y = np.log(C), np.log(Y)
    # numpy's polyfit weights the residuals by w_i, ours by sqrt(w_i) (weights on squares)
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
    assert fit.exponent == pytest.approx(slope, rel=1e-10)
    assert fit.coefficient == pytest.approx(math.exp(intercept), rel=1e-9)
    # the zero-weight point gives no degree of freedom: sigma^2 = RSS_w / (6 - 2)
    resid = (y - intercept - slope * x) * np.sqrt(w)
    design = np.column_stack([np.ones(7), x]) * np.sqrt(w)[:, None]
    cov = np.linalg.inv(design.T @ design) * float(resid @ resid) / 4
    np.testing.assert_allclose(fit.covariance, cov, rtol=1e-8)
    assert fit.exponent_se == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-8)


def test_standard_errors_need_three_points() -> None:
    two = fit_power_law(C[:2], Y[:2])
    assert math.isnan(two.exponent_se) and math.isnan(two.log_coefficient_se)
    assert two.covariance.shape == (2, 2) and np.isnan(two.covariance).all()
    three = fit_power_law(C[:3], Y[:3])
    assert math.isfinite(three.exponent_se) and three.exponent_se > 0
    assert math.isfinite(three.log_coefficient_se) and three.log_coefficient_se > 0
    # two weighted points out of three: no degree of freedom left
    sparse = fit_power_law(C[:3], Y[:3], weights=[1.0, 0.0, 1.0])
    assert math.isnan(sparse.exponent_se)


def test_result_is_frozen_and_read_only() -> None:
    fit = fit_power_law(C, Y)
    assert isinstance(fit, PowerLaw)
    with pytest.raises(ValueError, match="read-only"):
        fit.covariance[0, 0] = 0.0
    assert re.match(r"PowerLaw\(0\.\d+ \* C\^0\.4\d+, exponent_se=", repr(fit))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1.0], [1.0]), {}, "`compute` must have at least 2 entries; got 1."),
        (([1.0, 2.0], [1.0]), {}, "`values` must have at least 2 entries; got 1."),
        (([1.0, -2.0], [1.0, 2.0]), {}, "`compute` must contain only positive values"),
        (([1.0, 2.0], [1.0, 0.0]), {}, "`values` must contain only positive values"),
        (([1.0, 2.0, 3.0], [1.0, 2.0]), {}, "`compute` has 3, `values` has 2"),
        (([1.0, 2.0], [1.0, 2.0]), {"weights": [1.0, -1.0]}, "`weights` must contain only non-n"),
        (([1.0, 2.0], [1.0, 2.0]), {"weights": [1.0, 1.0, 1.0]}, "`weights` has 3"),
        (([2.0, 2.0], [1.0, 2.0]), {}, "`compute` must contain at least two distinct values"),
    ],
)
def test_bad_input_names_the_argument(
    args: tuple[list[float], list[float]], kwargs: dict[str, list[float]], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        fit_power_law(*args, **kwargs)
