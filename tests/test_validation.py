"""Bad input raises a clear error naming the argument (parametric fit, laws, power laws)."""

from __future__ import annotations

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.parametric import objective

N = np.geomspace(1e8, 1e10, 8)
D = np.geomspace(2e9, 2e11, 8)[[3, 0, 6, 1, 7, 2, 5, 4]]  # not collinear with N
L = cl.HOFFMANN_2022_TEX.loss(N, D)


def _with(arr, i, value):
    out = np.array(arr, dtype=float)
    out[i] = value
    return out


FIT_CASES = [
    (
        (_with(N, 2, np.nan), D, L),
        {},
        ValueError,
        r"`n_params` must contain only finite values; got nan at index 2",
    ),
    ((N, _with(D, 0, np.inf), L), {}, ValueError, r"`n_tokens` must contain only finite"),
    ((N, D, _with(L, 1, -1.0)), {}, ValueError, r"`loss` must contain only positive values"),
    ((_with(N, 4, 0.0), D, L), {}, ValueError, r"`n_params` must contain only positive"),
    ((N, D[:-1], L), {}, ValueError, r"same length; got `n_params` has 8, `n_tokens` has 7"),
    ((N[:5], D[:5], L[:5]), {}, ValueError, r"more points than its 5 free parameters; got 5"),
    ((N.reshape(2, 4), D, L), {}, ValueError, r"`n_params` must be a 1-D array"),
    (("abc", D, L), {}, TypeError, r"`n_params` must be an array of numbers"),
    ((N, D, L), {"delta": 0.0}, ValueError, r"`delta` must be a finite positive number"),
    ((N, D, L), {"delta": -1e-3}, ValueError, r"`delta`"),
    ((N, D, L), {"delta": "big"}, TypeError, r"`delta` must be a real number"),
    ((N, D, L), {"reduction": "median"}, ValueError, r"`reduction` must be one of"),
    ((N, D, L), {"backend": "torch"}, ValueError, r"`backend` must be one of"),
    (
        (N, D, L),
        {"starts": np.zeros((3, 4))},
        ValueError,
        r"`starts` must have shape \(n_starts, 5\)",
    ),
    (
        (N, D, L),
        {"starts": np.full((3, 5), np.nan)},
        ValueError,
        r"`starts` must contain only finite",
    ),
    ((N, D, L), {"max_iter": 0}, ValueError, r"`max_iter` must be an integer >= 1"),
    ((N, D, L), {"max_iter": 10.5}, TypeError, r"`max_iter` must be an integer"),
    ((N, D, L), {"gtol": 0}, ValueError, r"`gtol`"),
    ((N, D, L), {"abandon": "yes"}, TypeError, r"`abandon` must be True or False"),
    ((N, D, L), {"weights": -np.ones(8)}, ValueError, r"`weights` must contain only non-negative"),
    (
        (N, D, L),
        {"weights": np.r_[np.ones(3), np.zeros(5)]},
        ValueError,
        r"`weights` must have more non-zero",
    ),
]


@pytest.mark.parametrize(("args", "kwargs", "exc", "match"), FIT_CASES)
def test_fit_parametric_rejects_bad_input(args, kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        cl.fit_parametric(*args, **kwargs)


def test_fit_parametric_rejects_unknown_option() -> None:
    with pytest.raises(TypeError, match="tolerance"):
        cl.fit_parametric(N, D, L, tolerance=1e-3)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"E": -1.0}, ValueError, "`E` must be a finite positive number"),
        ({"A": np.nan}, ValueError, "`A` must be a finite positive number"),
        ({"alpha": 0.0}, ValueError, "`alpha`"),
        ({"beta": "0.3"}, TypeError, "`beta` must be a real number"),
        ({"B": True}, TypeError, "`B` must be a real number"),
    ],
)
def test_law_rejects_bad_parameters(kwargs, exc, match) -> None:
    base = {"E": 1.7, "A": 400.0, "B": 400.0, "alpha": 0.34, "beta": 0.28}
    base.update(kwargs)
    with pytest.raises(exc, match=match):
        cl.ChinchillaLaw(**base)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda law: law.optimal(-1.0), ValueError, "`compute` must contain only positive"),
        (lambda law: law.optimal([1e20, np.nan]), ValueError, "`compute` must contain only finite"),
        (
            lambda law: law.optimal(1e20, flops_per_param_token=0),
            ValueError,
            "`flops_per_param_token`",
        ),
        (
            lambda law: law.optimal_for_params(0.0),
            ValueError,
            "`n_params` must contain only positive",
        ),
        (
            lambda law: law.optimal_for_tokens(np.inf),
            ValueError,
            "`n_tokens` must contain only finite",
        ),
        (lambda law: law.loss(-1.0, 1e9), ValueError, "`n_params`"),
        (lambda law: law.loss(1e9, 0.0), ValueError, "`n_tokens`"),
        (
            lambda law: cl.ChinchillaLaw.from_theta([1.0, 2.0]),
            ValueError,
            "`theta` must have 5 entries",
        ),
        (lambda law: cl.get_preset("kaplan2020"), ValueError, "`name` must be one of"),
    ],
)
def test_law_methods_reject_bad_input(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call(cl.HOFFMANN_2022_TEX)


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        (([1e20], [1e9]), {}, ValueError, "`compute` must have at least 2 entries"),
        (([1e20, 1e20], [1e9, 2e9]), {}, ValueError, "at least two distinct values"),
        (([1e20, 1e21], [1e9, -2e9]), {}, ValueError, "`values` must contain only positive"),
        (([1e20, 1e21, 1e22], [1e9, 2e9]), {}, ValueError, "same length"),
        (([1e20, 1e21], [1e9, 2e9]), {"weights": [1.0, -1.0]}, ValueError, "`weights`"),
    ],
)
def test_fit_power_law_rejects_bad_input(args, kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        cl.fit_power_law(*args, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n": 0}, ValueError, "`n` must be an integer >= 1"),
        ({"n": 3, "rng": -1}, ValueError, "`rng`"),
        ({"n": 3, "low": [0, 0, 0]}, ValueError, "`low` and `high` must have 5 entries"),
        (
            {"n": 3, "low": [1, 1, 1, 1, 1], "high": [0, 0, 0, 0, 0]},
            ValueError,
            "`high` must be >=",
        ),
    ],
)
def test_random_starts_rejects_bad_input(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        cl.random_starts(**kwargs)


def test_objective_rejects_bad_theta() -> None:
    with pytest.raises(ValueError, match="`theta` must have 5 entries"):
        objective([1.0, 2.0, 3.0], N, D, L)


def test_power_law_standard_errors() -> None:
    c = np.geomspace(1e18, 1e22, 6)
    rng = np.random.default_rng(0)
    v = 0.3 * c**0.5 * np.exp(0.01 * rng.standard_normal(6))
    pl = cl.fit_power_law(c, v)
    # six points with 1% noise: the exponent to ~1e-2, and its standard error is sane
    assert pl.exponent == pytest.approx(0.5, abs=0.01)
    assert 0 < pl.exponent_se < 0.01
    exact = cl.fit_power_law(c, 0.3 * c**0.5)
    assert exact.exponent == pytest.approx(0.5, rel=1e-12)
    assert exact.coefficient == pytest.approx(0.3, rel=1e-9)


def test_collinear_n_and_d_are_rejected() -> None:
    # every run at 20 tokens per parameter: the N and D terms cannot be separated
    with pytest.raises(ValueError, match="lie on one line in log space"):
        cl.fit_parametric(N, 20 * N, L)


def test_constant_n_is_rejected() -> None:
    with pytest.raises(ValueError, match="`n_params` must take at least two distinct values"):
        cl.fit_parametric(np.full(8, 1e9), D, L)


@pytest.mark.filterwarnings("ignore::chinchilla_laws.GridBoundaryWarning")
def test_nonphysical_optimum_is_flagged() -> None:
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(1e9, 1e11, 6)))
    # loss that *grows* with D: the lowest objective needs beta < 0
    loss = 2.0 + 100.0 / n**0.3 + 0.05 * (d / 1e9) ** 0.3
    with pytest.warns(cl.ConvergenceWarning, match="non-positive exponent"):
        fit = cl.fit_parametric(n, d, loss, starts=cl.paper_grid()[::7])
    assert fit.status is cl.FitStatus.NONPHYSICAL_OPTIMUM
    assert not fit.success
    assert fit.law.alpha > 0 and fit.law.beta > 0


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: cl.fit_parametric([str(v) for v in N], D, L),
            TypeError,
            "`n_params` must be an array of real",
        ),
        (lambda: cl.HOFFMANN_2022_TEX.optimal("1e21"), TypeError, "`compute` must be a number"),
        (lambda: cl.HOFFMANN_2022_TEX.optimal(None), TypeError, "`compute` must be a number"),
        (
            lambda: cl.HOFFMANN_2022_TEX.optimal(np.array([1e21, None], dtype=object)),
            TypeError,
            "`compute`",
        ),
        (
            lambda: cl.HOFFMANN_2022_TEX.loss([1e9, 2e9], [1e10] * 3),
            ValueError,
            "must broadcast together",
        ),
        (
            lambda: cl.HOFFMANN_2022_TEX.optimal_for_params(1e200),
            ValueError,
            "`n_params` is out of range",
        ),
    ],
)
def test_non_numbers_and_overflow_are_named(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


# the degenerate optimum sits at the grid's edge (alpha or beta = 2), which warns too
@pytest.mark.filterwarnings("ignore::chinchilla_laws.GridBoundaryWarning")
@pytest.mark.parametrize(
    "make_loss",
    [
        lambda n, d: np.full(n.size, 2.5),  # no dependence on N or D
        lambda n, d: cl.HOFFMANN_2022_TEX.loss(n, 1e30 * np.ones_like(d)),  # none on D
    ],
)
def test_unidentified_term_is_flagged(make_loss) -> None:
    n, d = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6)))
    with pytest.warns(cl.IdentifiabilityWarning, match="numerically zero or constant"):
        fit = cl.fit_parametric(n, d, make_loss(n, d), starts=cl.paper_grid()[::7], warn=True)
    assert fit.status is cl.FitStatus.DEGENERATE
    assert not fit.success
