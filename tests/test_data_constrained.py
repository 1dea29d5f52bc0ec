"""Data-constrained law (Muennighoff et al. 2023): law, reduction, optimum, kernel, data."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chinchilla_laws as cl
from chinchilla_laws import _family_kernels as FK
from chinchilla_laws.data_constrained import data_constrained_objective

M23 = cl.MUENNIGHOFF_2023
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_muennighoff() -> dict[str, np.ndarray]:
    path = DATA / "muennighoff2023_data_constrained.csv"
    if not path.exists():
        pytest.skip(f"shared data file {path} is not available")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {
        k: np.array([float(r[k]) for r in rows])
        for k in ("params", "tokens", "unique_tokens", "loss")
    }
    out["train"] = np.array([r["split"] == "train" for r in rows])
    return out


def huber_np(r: np.ndarray, delta: float) -> np.ndarray:
    return np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))


def objective_np(theta, n, d, u, loss, w, delta) -> float:
    """Oracle: the law's own numpy loss, then Huber of the log residuals."""
    law = cl.DataConstrainedLaw.from_theta(theta)
    r = np.log(law.loss(n, d, u)) - np.log(loss)
    return float(np.sum(w * huber_np(r, delta)))


def random_problem(seed: int, size: int = 60):
    """Runs on both sides of both kinks: one epoch and many, small and excess N."""
    rng = np.random.default_rng(seed)
    u = np.exp(rng.uniform(math.log(1e8), math.log(1e11), size))
    d = u * np.exp(rng.uniform(math.log(0.3), math.log(300.0), size))
    n = np.exp(rng.uniform(math.log(1e7), math.log(1e10), size))
    theta = np.array(
        [
            rng.uniform(4, 8),
            rng.uniform(5, 9),
            rng.uniform(0.3, 0.8),
            rng.uniform(0.25, 0.5),
            rng.uniform(0.25, 0.5),
            math.log(rng.uniform(2, 40)),
            math.log(rng.uniform(1, 20)),
        ]
    )
    loss = cl.DataConstrainedLaw.from_theta(theta).loss(n, d, u) * np.exp(rng.normal(0, 0.02, size))
    w = rng.integers(0, 3, size).astype(float)
    return theta, n, d, u, loss, w


# ----------------------------------------------------------------------- published values


def test_preset_reproduces_datablations_readme_losses() -> None:
    # the README's two printed values, to the last digit printed (1e-12 is ~ulp of 2.2)
    assert float(M23.loss(6.34e9, 242e9, 25e9)) == pytest.approx(2.2256440889984477, abs=1e-12)
    assert float(M23.loss(8.67e9, 178e9, 25e9)) == pytest.approx(2.2269634075087867, abs=1e-12)


def test_preset_constants_are_the_published_ones() -> None:
    np.testing.assert_allclose(
        M23.theta[:5], [6.255414, 7.3049974, 0.6254804, 0.3526596, 0.3526596], rtol=1e-15
    )
    assert (M23.rd_star, M23.rn_star) == (15.387756, 5.309743)


@pytest.mark.slow
def test_preset_summed_huber_on_182_runs() -> None:
    data = load_muennighoff()
    args = (data["params"], data["tokens"], data["unique_tokens"], data["loss"])
    f, grad = data_constrained_objective(M23, *args)
    # REFERENCE.md §4 prints 0.0158259 (7 digits): agree to its last digit
    assert f == pytest.approx(0.0158259, abs=5e-8)
    assert f == pytest.approx(objective_np(M23.theta, *args, np.ones(182), 1e-3), rel=1e-12)
    assert grad.shape == (7,)


@pytest.mark.slow
def test_one_epoch_excess_parameter_penalty_on_the_shared_runs() -> None:
    data = load_muennighoff()
    n, d, u = data["params"], data["tokens"], data["unique_tokens"]
    single = d <= u
    assert single.sum() == 29
    same = M23.reduces_to_chinchilla(n, d, u)
    excess = single & ~same
    # the count: 15 of the 29 single-epoch rows have N above N_opt(D)
    assert excess.sum() == 15
    assert np.all(n[excess] > M23.n_params_opt(np.minimum(u, d)[excess]))
    dc = M23.loss(n, d, u)
    ch = M23.chinchilla.loss(n, d)
    np.testing.assert_array_equal(dc[same], ch[same])
    assert np.all(dc[excess] > ch[excess])


# ----------------------------------------------------------------------- the law


@given(
    log_d=st.floats(math.log(1e8), math.log(1e13)),
    extra=st.floats(0.0, 5.0),
    frac=st.floats(0.0, 1.0),
)
def test_reduces_to_chinchilla_exactly_on_one_epoch_below_n_opt(
    log_d: float, extra: float, frac: float
) -> None:
    d = math.exp(log_d)
    u = d * math.exp(extra)  # U >= D
    n = float(M23.n_params_opt(d)) * (0.01 + 0.99 * frac)  # N <= N_opt(min(U, D))
    assert bool(M23.reduces_to_chinchilla(n, d, u))
    assert float(M23.effective_tokens(d, u)) == d
    assert float(M23.effective_params(n, d, u)) == n
    assert float(M23.loss(n, d, u)) == float(M23.chinchilla.loss(n, d))


def test_effective_tokens_saturate_and_join_smoothly() -> None:
    u = 1e9
    d = u * np.array([1.0, 1.0 + 1e-7, 2.0, 1e3, 1e6])
    dp = M23.effective_tokens(d, u)
    assert dp[0] == u
    # slope dD'/dD = exp(-R_D/R_D*) is 1 at one epoch: no jump at the kink
    assert (dp[1] - dp[0]) / (d[1] - d[0]) == pytest.approx(1.0, rel=1e-6)
    assert np.all(np.diff(dp)[:-1] > 0) and dp[-1] >= dp[-2]  # saturated to float64
    # R_D = 1: U (1 + R* (1 - exp(-1/R*)))
    assert dp[2] == pytest.approx(u * (1 + M23.rd_star * (1 - math.exp(-1 / M23.rd_star))))
    assert dp[-1] == pytest.approx(u * (1 + M23.rd_star), rel=1e-12)


def test_effective_params_cap_at_n_opt_of_the_unique_data() -> None:
    u = 1e10
    d = 5 * u
    n_opt = float(M23.n_params_opt(u))
    n = n_opt * np.array([0.5, 1.0, 2.0, 1e4])
    npr = M23.effective_params(n, d, u)
    assert npr[0] == n[0] and npr[1] == pytest.approx(n[1], rel=1e-12)
    assert npr[2] == pytest.approx(n_opt * (1 + M23.rn_star * (1 - math.exp(-1 / M23.rn_star))))
    assert npr[3] == pytest.approx(n_opt * (1 + M23.rn_star), rel=1e-12)


def test_n_params_opt_is_the_chinchilla_optimum_for_those_tokens() -> None:
    law = cl.DataConstrainedLaw.from_chinchilla(cl.HOFFMANN_2022_TEX, rd_star=10.0, rn_star=3.0)
    f = law.chinchilla.optimal([1e20, 1e23])
    np.testing.assert_allclose(law.n_params_opt(f.n_tokens), f.n_params, rtol=1e-12)
    np.testing.assert_allclose(law.data_limited_compute(f.n_tokens), f.compute, rtol=1e-12)


def test_theta_round_trip_and_repr() -> None:
    law = cl.DataConstrainedLaw.from_theta(M23.theta, name="x")
    np.testing.assert_allclose(law.theta, M23.theta, rtol=1e-15)
    assert law == M23  # the name is not compared
    assert "rd_star=15.387756" in repr(M23)
    assert M23.with_name("y").name == "y"
    stored = M23.as_dict()
    assert stored["family"] == "data_constrained" and stored["params"]["rn_star"] == 5.309743
    assert cl.DataConstrainedLaw.from_dict(stored) == M23
    with pytest.raises(ValueError):
        cl.DataConstrainedLaw.from_dict(cl.GADRE_2024.as_dict())
    assert M23.params == {k: getattr(M23, k) for k in cl.DataConstrainedLaw.PARAM_NAMES}
    assert M23.a == pytest.approx(0.5) and M23.b == pytest.approx(0.5)


def test_call_names_and_budget_convention() -> None:
    assert float(M23(6.34e9, 242e9, 25e9)) == float(M23.loss(6.34e9, 242e9, 25e9))
    assert cl.DataConstrainedLaw.from_theta(M23.theta).name == ""
    law = cl.DataConstrainedLaw.from_chinchilla(
        cl.HOFFMANN_2022_TEX, rd_star=2.0, rn_star=3.0, name="h"
    )
    assert law.name == "h" and law.chinchilla == cl.HOFFMANN_2022_TEX
    # C = k N D: the limit scales with k
    assert float(M23.data_limited_compute(1e10, flops_per_param_token=8.0)) == pytest.approx(
        float(M23.data_limited_compute(1e10)) * 8 / 6, rel=1e-15
    )
    f8 = M23.optimal(1e23, unique_tokens=1e10, flops_per_param_token=8.0)
    assert 8 * f8.n_params[0] * f8.n_tokens[0] == pytest.approx(1e23, rel=1e-14)
    assert f8.n_params[0] != M23.optimal(1e23, unique_tokens=1e10).n_params[0]
    out = M23.loss(np.array([10**9]), np.array([10**10]), np.array([10**9]))
    assert out.dtype == np.float64


def test_loss_broadcasts() -> None:
    out = M23.loss(np.array([[1e8], [1e9]]), np.array([1e10, 1e11, 1e12]), 1e10)
    assert out.shape == (2, 3)
    assert out[0, 0] == pytest.approx(float(M23.loss(1e8, 1e10, 1e10)), rel=1e-15)


# ----------------------------------------------------------------------- optimum


def brute_force(law, c: float, u: float, k: float = 6.0) -> tuple[float, float]:
    """Dense grid on log N along the budget line, refined once around the best."""
    x = np.linspace(math.log(c / k) - 60, math.log(c / k) - 10, 200_001)
    for _ in range(2):
        n = np.exp(x)
        loss = law.loss(n, c / (k * n), u)
        j = int(np.argmin(loss))
        x = np.linspace(x[max(j - 2, 0)], x[min(j + 2, x.size - 1)], 20_001)
    n = np.exp(x)
    loss = law.loss(n, c / (k * n), u)
    j = int(np.argmin(loss))
    return float(n[j]), float(loss[j])


def test_optimum_matches_the_reference_allocation() -> None:
    f = M23.optimal(1e22, unique_tokens=25e9)
    # REFERENCE.md §4: about 7.02e9 parameters on 2.37e11 tokens (9.5 epochs)
    assert f.n_params[0] == pytest.approx(7.02e9, rel=0.01)
    assert f.n_tokens[0] == pytest.approx(2.37e11, rel=0.01)
    assert f.epochs[0] == pytest.approx(9.5, abs=0.05)
    assert 6 * f.n_params[0] * f.n_tokens[0] == pytest.approx(1e22, rel=1e-14)


LAWS = [
    M23,
    cl.DataConstrainedLaw.from_chinchilla(cl.HOFFMANN_2022_TEX, rd_star=4.0, rn_star=40.0),
    cl.DataConstrainedLaw.from_chinchilla(cl.BESIROGLU_2024, rd_star=60.0, rn_star=1.5),
]


@pytest.mark.parametrize("law", LAWS, ids=["muennighoff", "hoffmann", "besiroglu"])
@pytest.mark.parametrize("c", [1e19, 1e21, 1e22, 1e24])
@pytest.mark.parametrize("u", [1e9, 25e9, 1e12])
def test_optimum_matches_brute_force(law, c: float, u: float) -> None:
    f = law.optimal(c, unique_tokens=u)
    n_bf, loss_bf = brute_force(law, c, u)
    # the exact method is never worse than the grid (to rounding of the loss)
    assert f.loss[0] <= loss_bf + 1e-14
    # and finds the same point wherever float64 can see the minimum: with many epochs
    # the loss is flat in N (values within 1e-14 of the minimum span ~1e-4 in N), and
    # with hundreds of epochs both terms saturate and float64 cannot see it at all
    n = f.n_params[0]
    rise = min(float(law.loss(n * s, c / (6 * n * s), u)) for s in (0.99, 1.01)) - f.loss[0]
    if rise > 1e-10:
        assert n == pytest.approx(n_bf, rel=1e-3)
    assert float(law.loss(f.n_params, f.n_tokens, u)[0]) == f.loss[0]


def test_optimum_is_chinchilla_up_to_the_data_limited_budget() -> None:
    u = 25e9
    c_u = float(M23.data_limited_compute(u))
    c = np.array([c_u / 100, c_u * (1 - 1e-9), c_u])
    f = M23.optimal(c, unique_tokens=u)
    g = M23.chinchilla.optimal(c)
    np.testing.assert_array_equal(f.n_params[:2], g.n_params[:2])
    # the optimum sits on the kink N = N_opt(D): N' equals N up to an ulp there
    np.testing.assert_allclose(f.loss[:2], g.loss[:2], rtol=1e-15)
    # at C_U itself rounding may put D_opt an ulp above U: the bisection then lands
    # on the same point to float64 resolution of log N
    np.testing.assert_allclose(f.n_params[2], g.n_params[2], rtol=1e-13)
    assert f.epochs[-1] == pytest.approx(1.0, rel=1e-12)
    # just above the limit the bisection takes over, continuously
    h = M23.optimal(c_u * (1 + 1e-9), unique_tokens=u)
    assert h.n_params[0] == pytest.approx(f.n_params[-1], rel=1e-6)
    assert h.epochs[0] > 1.0


def test_optimum_without_limit_is_the_chinchilla_frontier() -> None:
    f = M23.optimal([1e20, 1e24])
    g = M23.chinchilla.optimal([1e20, 1e24])
    np.testing.assert_array_equal(f.n_params, g.n_params)
    np.testing.assert_array_equal(f.epochs, [1.0, 1.0])


def test_optimum_vectorised_and_broadcast() -> None:
    c = np.geomspace(1e19, 1e25, 50)
    u = np.geomspace(1e9, 1e11, 50)
    f = M23.optimal(c, unique_tokens=u)
    for i in (0, 17, 49):
        g = M23.optimal(c[i], unique_tokens=u[i])
        assert f.n_params[i] == g.n_params[0]
    np.testing.assert_allclose(6 * f.n_params * f.n_tokens, c, rtol=1e-14)
    # more unique data never hurts
    more = M23.optimal(c, unique_tokens=2 * u)
    assert np.all(more.loss <= f.loss + 1e-15)
    assert "epochs=" in repr(f)


def test_optimum_balances_the_two_terms_when_both_saturate() -> None:
    # 1e24 FLOPs on 1e9 unique tokens: thousands of epochs, exp(-R_D/R_D*) underflows;
    # the optimum is where beta B D'^-beta dlogD' = alpha A N'^-alpha dlogN', compared
    # here in logs from the definitions (independent of the implementation)
    c, u = 1e24, 1e9
    n = M23.optimal(c, unique_tokens=u).n_params[0]

    def log_gap(n: float) -> float:
        d = c / (6 * n)
        rd = d / u - 1
        dpr = u * (1 + M23.rd_star * -math.expm1(-rd / M23.rd_star))
        un = float(M23.n_params_opt(u))
        rn = n / un - 1
        npr = un * (1 + M23.rn_star * -math.expm1(-rn / M23.rn_star))
        up = math.log(M23.beta * M23.B) - M23.beta * math.log(dpr)
        up += math.log(d) - rd / M23.rd_star - math.log(dpr)
        down = math.log(M23.alpha * M23.A) - M23.alpha * math.log(npr)
        down += math.log(n) - rn / M23.rn_star - math.log(npr)
        return up - down

    assert n > float(M23.n_params_opt(u))  # excess parameters pay off here
    assert log_gap(n * (1 - 1e-9)) < 0 < log_gap(n * (1 + 1e-9))


def test_optimum_is_a_stationary_point_of_the_budget_line() -> None:
    c, u = 1e23, 1e10
    f = M23.optimal(c, unique_tokens=u)
    n = f.n_params[0]
    for step in (1e-3, 1e-2):
        for s in (1 - step, 1 + step):
            assert float(M23.loss(n * s, c / (6 * n * s), u)) > f.loss[0]


# ----------------------------------------------------------------------- kernel


IDENT = np.array([0.0, 1.0, 0.0, 1.0])


def kargs(n, d, u, loss, w, delta, aux=IDENT):
    """Arguments after ``u`` of the family kernel: X, aux, target, w, delta."""
    X = np.ascontiguousarray(np.stack([np.log(n), np.log(d), np.log(u)], axis=1))
    return X, aux, np.log(loss), w, delta


def to_u(theta, aux):
    """The standardised coordinates the fit's solver moves (see the kernel docstring)."""
    mx, sx, my, sy = aux
    t = np.asarray(theta, dtype=float)
    return np.array([t[0] - t[3] * mx, t[1] - t[4] * my, t[2], t[3] * sx, t[4] * sy, t[5], t[6]])


def fd_grad(kernel, u, args, size, h=1e-6):
    s = np.empty(size)
    return np.array(
        [
            (kernel(u + h * e, *args, s) - kernel(u - h * e, *args, s)) / (2 * h)
            for e in np.eye(size)
        ]
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("delta", [1e-3, 0.05, 10.0])
def test_kernel_matches_numpy_oracle(seed: int, delta: float) -> None:
    theta, n, d, u, loss, w = random_problem(seed)
    g = np.empty(7)
    f = FK.dc_objective_grad(theta, *kargs(n, d, u, loss, w, delta), g)
    # same formula in another order (log-sum-exp vs powers): ~1e-13 relative
    assert f == pytest.approx(objective_np(theta, n, d, u, loss, w, delta), rel=1e-10)
    out = np.empty(n.size)
    FK.dc_log_predict(theta, kargs(n, d, u, loss, w, delta)[0], out)
    law = cl.DataConstrainedLaw.from_theta(theta)
    np.testing.assert_allclose(out, np.log(law.loss(n, d, u)), rtol=1e-12)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("delta", [1e-3, 10.0])
def test_kernel_gradient_matches_finite_differences(seed: int, delta: float) -> None:
    theta, n, d, u, loss, w = random_problem(seed)
    args = kargs(n, d, u, loss, w, delta)
    g = np.empty(7)
    FK.dc_objective_grad(theta, *args, g)
    # central differences: O(h^2) truncation + eps f / h roundoff; no point sits within
    # h of a kink of the law or of the Huber joins for these random draws
    np.testing.assert_allclose(
        g, fd_grad(FK.dc_objective_grad, theta, args, 7), rtol=1e-5, atol=1e-8
    )


@pytest.mark.parametrize("seed", range(4))
def test_kernel_in_standardised_coordinates(seed: int) -> None:
    theta, n, d, u, loss, w = random_problem(seed)
    aux = np.array([np.log(n).mean(), np.log(n).std(), np.log(d).mean(), np.log(d).std()])
    args = kargs(n, d, u, loss, w, 0.05, aux)
    uu = to_u(theta, aux)
    g = np.empty(7)
    f = FK.dc_objective_grad(uu, *args, g)
    # the same point in other coordinates: the same objective up to the rounding of
    # the coordinate map, and the gradient of the u-coordinates (chain rule)
    assert f == pytest.approx(objective_np(theta, n, d, u, loss, w, 0.05), rel=1e-10)
    np.testing.assert_allclose(g, fd_grad(FK.dc_objective_grad, uu, args, 7), rtol=1e-5, atol=1e-8)


def test_kernel_gradient_at_published_constants_on_excess_runs() -> None:
    # every run in the excess branch: the N_opt(U_D) dependence on (a, b, alpha, beta)
    u = np.full(12, 1e9)
    d = u * np.geomspace(0.5, 50, 12)
    n = float(M23.n_params_opt(1e9)) * np.geomspace(1.5, 30, 12)
    loss = M23.loss(n, d, u) * 1.001
    args = kargs(n, d, u, loss, np.ones(12), 10.0)
    g = np.empty(7)
    FK.dc_objective_grad(M23.theta, *args, g)
    fd = fd_grad(FK.dc_objective_grad, M23.theta, args, 7)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-9)
    assert abs(g[6]) > 1e-6  # R_N* matters on these runs


def test_kernel_saturation_series_branch_is_continuous() -> None:
    # R / R* just below and above the series threshold: same h and slopes
    r = 1e-3
    for log_r_star in (
        math.log(r / (FK.SMALL_RATIO * 0.999)),
        math.log(r / (FK.SMALL_RATIO * 1.001)),
    ):
        h, dh_dr, dh_dls = FK._saturation(r, log_r_star)
        r_star = math.exp(log_r_star)
        q = r / r_star
        assert h == pytest.approx(r_star * -math.expm1(-q), rel=1e-14)
        assert dh_dr == pytest.approx(math.exp(-q), rel=1e-14)
        assert dh_dls == pytest.approx(r * q / 2, rel=1e-6)
    # R* overflowing to inf: no repetition penalty, no NaN
    h, dh_dr, dh_dls = FK._saturation(2.0, 1000.0)
    assert (h, dh_dr) == (2.0, 1.0) and 0.0 <= dh_dls < 1e-300


def test_kernel_propagates_nan() -> None:
    theta, n, d, u, loss, w = random_problem(1)
    bad = loss.copy()
    bad[4] = np.nan
    assert math.isnan(FK.dc_objective_grad(theta, *kargs(n, d, u, bad, w, 1e-3), np.empty(7)))


# ----------------------------------------------------------------------- bad input

BAD = [
    (lambda: M23.loss(1e9, 1e10, 0.0), ValueError, r"`unique_tokens` must contain only positive"),
    (lambda: M23.loss(1e9, 1e10, -5.0), ValueError, r"`unique_tokens` must contain only positive"),
    (lambda: M23.loss(1e9, 1e10, None), TypeError, r"`unique_tokens` must be given"),
    (
        lambda: M23.loss(1e9, [1e10, 2e10], [1e9, 2e9, 3e9]),
        ValueError,
        r"must broadcast together; got shapes `n_params` \(\) and `n_tokens` \(2,\) and "
        r"`unique_tokens` \(3,\)",
    ),
    (lambda: M23.loss(1e9, -1.0, 1e9), ValueError, r"`n_tokens` must contain only positive"),
    (lambda: M23.n_params_opt(-1.0), ValueError, r"`unique_tokens` must contain only positive"),
    (lambda: M23.data_limited_compute(0.0), ValueError, r"`unique_tokens` must contain"),
    (
        lambda: M23.data_limited_compute(1e9, flops_per_param_token=-6),
        ValueError,
        r"`flops_per_param_token` must be a finite positive",
    ),
    (lambda: M23.effective_tokens(-1.0, 1e9), ValueError, r"`n_tokens` must contain only"),
    (lambda: M23.effective_tokens(1e9, -1.0), ValueError, r"`unique_tokens` must contain only"),
    (
        lambda: cl.DataConstrainedLaw.from_theta([np.nan] * 7),
        ValueError,
        r"`theta` must contain only finite",
    ),
    (
        lambda: cl.DataConstrainedLaw(E=1, A=1, B=1, alpha=1, beta=1, rd_star=1, rn_star=1, name=3),
        TypeError,
        r"`name` must be a string",
    ),
    (lambda: M23.loss(-1.0, 1e10, 1e9), ValueError, r"`n_params` must contain only positive"),
    (lambda: M23.optimal(1e22, unique_tokens=0.0), ValueError, r"`unique_tokens`"),
    (lambda: M23.optimal(1e22, unique_tokens="many"), TypeError, r"`unique_tokens`"),
    (lambda: M23.optimal(-1e22, unique_tokens=1e9), ValueError, r"`compute`"),
    (lambda: M23.optimal([1e22, 1e23], unique_tokens=[1e9, 1e9, 1e9]), ValueError, r"broadcast"),
    (
        lambda: M23.optimal(1e22, unique_tokens=1e9, flops_per_param_token=0),
        ValueError,
        r"`flops_per_param_token`",
    ),
    (
        lambda: cl.DataConstrainedLaw(E=1, A=1, B=1, alpha=1, beta=1, rd_star=0, rn_star=1),
        ValueError,
        r"`rd_star` must be a finite positive",
    ),
    (
        lambda: cl.DataConstrainedLaw(E=1, A=1, B=1, alpha=1, beta=1, rd_star=1, rn_star="x"),
        TypeError,
        r"`rn_star` must be a real number",
    ),
    (
        lambda: cl.DataConstrainedLaw.from_theta(np.zeros(5)),
        ValueError,
        r"`theta` must have 7 entries",
    ),
    (
        lambda: cl.DataConstrainedLaw.from_chinchilla(M23, rd_star=1, rn_star=1),
        TypeError,
        r"`law` must be a ChinchillaLaw",
    ),
    (
        lambda: data_constrained_objective(np.zeros(5), [1.0], [1.0], [1.0], [1.0]),
        ValueError,
        r"`law` must be a DataConstrainedLaw or a theta of 7",
    ),
    (
        lambda: data_constrained_objective(M23, [1.0, 2.0], [1.0], [1.0], [1.0]),
        ValueError,
        r"same length",
    ),
    (
        lambda: data_constrained_objective(M23, [1.0], [1.0], [0.0], [1.0]),
        ValueError,
        r"`unique_tokens` must contain only positive",
    ),
]


@pytest.mark.parametrize("call,exc,match", BAD)
def test_bad_input_names_the_argument(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()
