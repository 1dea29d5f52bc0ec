"""The multi-power law: kernels against a numpy oracle, finite differences, published scores."""

from __future__ import annotations

import numpy as np
import pytest
from _luo import PUBLISHED, PUBLISHED_TEST_SCORES, curves, rows

import chinchilla_laws as cl
from chinchilla_laws import _mpl_kernels as MK
from chinchilla_laws import schedules as S
from chinchilla_laws.multipower import _pack

# ----------------------------------------------------------------------------- oracle


def oracle_loss(p: np.ndarray, eta: np.ndarray, t: int) -> float:
    """The law written as in REFERENCE.md §7, every step summed (no skipping)."""
    l0, a, alpha, b, c, beta, gamma = p
    cs = np.cumsum(eta)
    k = np.arange(1, t + 1)
    d = eta[k - 1] - eta[k]
    s = cs[t] - cs[k - 1]
    ld = np.sum(d * (1.0 - (1.0 + c * eta[k] ** (-gamma) * s) ** (-beta)))
    return float(l0 + a * cs[t] ** (-alpha) - b * ld)


def oracle_objective(p: np.ndarray, scheds, steps, losses, w, delta: float) -> float:
    pred = np.array(
        [oracle_loss(p, e, int(t)) for e, st in zip(scheds, steps, strict=True) for t in st]
    )
    r = np.log(pred) - np.log(np.concatenate(losses))
    h = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
    return float(np.sum(w * h))


def _random_schedule(rng: np.random.Generator, n: int) -> np.ndarray:
    """Warmup from 0, a plateau, a random non-monotone stretch and a constant tail."""
    w = n // 5
    eta = np.empty(n)
    eta[:w] = np.linspace(0.0, 3e-4, w)
    eta[w : 2 * w] = 3e-4
    eta[2 * w : 4 * w] = rng.uniform(1e-5, 3e-4, 2 * w)
    eta[4 * w :] = 2e-5
    return eta


P400 = cl.LUO_2025_400M.param_vector


@pytest.fixture(scope="module")
def small_problem():
    rng = np.random.default_rng(7)
    scheds = [_random_schedule(rng, 300), _random_schedule(rng, 200), S.constant(250, peak=2e-4)]
    steps = [np.array([5, 61, 150, 299]), np.array([1, 2, 40, 120, 199]), np.array([0, 10, 249])]
    losses = [
        np.array([oracle_loss(P400, e, t) for t in st]) * rng.uniform(0.99, 1.01, st.size)
        for e, st in zip(scheds, steps, strict=True)
    ]
    return scheds, steps, losses


# ----------------------------------------------------------------------------- schedules


def test_schedules_reproduce_the_lr_column_at_every_logged_step():
    # README: rebuilt schedules equal the logged rates to a relative 2e-15 (rounding in
    # the source's float formatting); a wrong formula or an off-by-one step is >= 1e-4.
    worst = 0.0
    for r in rows():
        eta = S.luo2025_schedule(r["schedule"])
        lr = float(r["lr"])
        worst = max(worst, abs(eta[int(r["step"])] - lr) / lr)
    assert worst < 2e-15


def test_builders_by_formula():
    eta = S.cosine(24000, peak=3e-4, final=3e-5, warmup=2160)
    assert eta[0] == 0.0 and eta[2159] == 3e-4 and eta[2160] == 3e-4
    assert eta[2160 + (24000 - 2160) // 2] == pytest.approx(0.5 * (3e-4 + 3e-5), rel=1e-14)
    assert np.all(np.diff(eta[2160:]) < 0)
    w = S.wsd(24000, peak=3e-4, final=3e-5, decay_start=20000, warmup=2160)
    assert np.all(w[2159:20000] == 3e-4)
    # exponential decay: the log rate falls linearly, by log(10) over 4000 steps
    np.testing.assert_allclose(np.diff(np.log(w[20000:])), -np.log(10) / 4000, rtol=1e-9)
    lin = S.wsd(24000, peak=3e-4, final=3e-5, decay_start=20000, decay="linear", warmup=2160)
    np.testing.assert_allclose(np.diff(lin[20000:]), -2.7e-4 / 4000, rtol=1e-9)
    two = S.two_stage(16000, peak=3e-4, switch_step=8000, second=9e-5, warmup=2160)
    assert two[7999] == 3e-4 and np.all(two[8000:] == 9e-5)
    assert np.array_equal(S.constant(5, peak=1.0), np.ones(5))


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: S.cosine(10, peak=1.0, final=0.0, warmup=11), ValueError, r"`warmup` must be"),
        (lambda: S.cosine(0, peak=1.0, final=0.0), ValueError, r"`total_steps` must be"),
        (lambda: S.constant(10, peak=-1.0), ValueError, r"`peak` must be a finite positive"),
        (lambda: S.wsd(10, peak=1.0, final=0.0, decay_start=5), ValueError, r"`final`"),
        (lambda: S.wsd(10, peak=1.0, final=0.1, decay_start=10), ValueError, r"`decay_start`"),
        (lambda: S.wsd(10, peak=1, final=0.1, decay_start=5, decay="cos"), ValueError, "`decay`"),
        (
            lambda: S.two_stage(10, peak=1.0, switch_step=2, second=0.1, warmup=3),
            ValueError,
            r"`switch_step` must be an integer >= 3",
        ),
        (lambda: S.luo2025_schedule("linear_100"), ValueError, r"`name` must be one of"),
        (lambda: S.as_schedule([1e-4, -1e-5]), ValueError, r"non-negative .* at step 1"),
        (lambda: S.as_schedule([0.0, 0.0]), ValueError, r"positive learning rate; got only"),
        (lambda: S.as_schedule("fast"), TypeError, r"`schedule` must be an array"),
    ],
)
def test_schedule_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- kernels


def test_predict_matches_the_oracle(small_problem):
    # the oracle sums every step in plain numpy; the kernel skips unchanged rates and
    # works from cumulative sums: agreement to rounding (1e-12 relative)
    scheds, steps, _ = small_problem
    packed = _pack(scheds, steps)
    for p in (P400, cl.LUO_2025_25M.param_vector, np.array([1.0, 2.0, 0.3, 50.0, 0.5, 1.5, 0.2])):
        want = [oracle_loss(p, e, int(t)) for e, st in zip(scheds, steps, strict=True) for t in st]
        np.testing.assert_allclose(packed.predict(p), want, rtol=1e-12)
        pred, _ = packed.jacobian(p)
        np.testing.assert_allclose(pred, want, rtol=1e-12)


def test_only_change_points_enter_the_sum(small_problem):
    scheds, steps, _ = small_problem
    packed = _pack(scheds, steps)
    # the constant schedule has no change point at all, the others one per changed step
    n_changes = [
        int(np.sum(e[1 : st.max() + 1] != e[: st.max()]))
        for e, st in zip(scheds, steps, strict=True)
    ]
    assert packed.kd.size == sum(n_changes)
    assert np.all(packed.kd != 0)


def test_jacobian_matches_finite_differences(small_problem):
    # central differences with a relative step of 1e-6: truncation and rounding errors
    # are about 1e-9 relative to the largest entry of each column
    scheds, steps, _ = small_problem
    packed = _pack(scheds, steps)
    p = P400.copy()
    _, jac = packed.jacobian(p)
    for k in range(7):
        h = 1e-6 * abs(p[k])
        up, dn = p.copy(), p.copy()
        up[k] += h
        dn[k] -= h
        fd = (packed.predict(up) - packed.predict(dn)) / (2 * h)
        np.testing.assert_allclose(jac[:, k], fd, rtol=1e-6, atol=1e-7 * np.max(np.abs(fd)))


def test_objective_and_gradient_match_oracle_and_finite_differences(small_problem):
    scheds, steps, losses = small_problem
    packed = _pack(scheds, steps)
    logl = np.log(np.concatenate(losses))
    w = np.linspace(0.5, 2.0, logl.size)  # weights as a bootstrap would give
    delta = 3e-3  # residuals of 1%: some points inside delta, some outside
    grad = np.empty(7)

    def f(p):
        pred, jac = packed.jacobian(p)
        return MK.huber_objective_grad(pred, jac, logl, w, delta, grad)

    value = f(P400)
    g0 = grad.copy()
    assert value == pytest.approx(
        oracle_objective(P400, scheds, steps, losses, w, delta), rel=1e-11
    )
    for k in range(7):
        h = 1e-7 * abs(P400[k])
        up, dn = P400.copy(), P400.copy()
        up[k] += h
        dn[k] -= h
        fd = (f(up) - f(dn)) / (2 * h)
        assert g0[k] == pytest.approx(fd, rel=1e-5, abs=1e-9 * np.max(np.abs(g0)))


def test_final_loss_gradient_in_every_rate():
    # the O(T) gradient against central differences at every step (relative step 1e-6)
    rng = np.random.default_rng(3)
    eta = np.concatenate([[1e-5], np.sort(rng.uniform(1e-5, 3e-4, 80))[::-1]])
    eta[20:30] = eta[20]  # unchanged rates contribute no term but are still variables
    eta[50] = eta[49] * 1.5  # an increase
    law = cl.LUO_2025_400M
    value, grad = law.final_loss_grad(eta)
    assert value == pytest.approx(oracle_loss(P400, eta, eta.size - 1), rel=1e-13)
    fd = np.empty_like(eta)
    for j in range(eta.size):
        h = 1e-6 * eta[j]
        up, dn = eta.copy(), eta.copy()
        up[j] += h
        dn[j] -= h
        fd[j] = (law.final_loss_grad(up)[0] - law.final_loss_grad(dn)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6)


def test_loss_at_any_steps_and_in_any_order():
    eta = S.luo2025_schedule("wsd_20000_24000")
    law = cl.LUO_2025_100M
    steps = np.array([23999, 100, 20000, 2160])
    got = law.loss(eta, steps)
    np.testing.assert_allclose(
        got, [oracle_loss(law.param_vector, eta, t) for t in steps], rtol=1e-12
    )
    np.testing.assert_allclose(law.loss(eta, 23999), got[:1], rtol=0)
    # the loss drop is the part removed by rate decreases: zero under a constant rate
    flat = S.constant(3000, peak=3e-4)
    np.testing.assert_allclose(law.loss_drop(flat, [10, 2999]), 0.0, atol=1e-15)
    # the warmup's rate increases count negatively; the decay of WSD adds about
    # B * 2.7e-4 * (1 - (1 + x)^-beta) ~ 0.1 on top of the constant schedule's drop
    extra = (
        law.loss_drop(eta, [23999])[0]
        - law.loss_drop(S.luo2025_schedule("constant_24000"), [23999])[0]
    )
    assert 0.08 < extra < 0.12


# ----------------------------------------------------------------------------- published


@pytest.mark.parametrize("size", ["25M", "100M", "400M"])
def test_published_parameters_reproduce_published_test_scores(size):
    # REFERENCE.md §7 prints PredE to 3 significant digits and R² to 4 decimals
    errs = cl.prediction_errors(PUBLISHED[size], curves(size, "test"))
    pe, r2 = PUBLISHED_TEST_SCORES[size]
    assert len(errs.names) == 6
    assert round(errs.mean_pred_error, 5) == pe
    assert round(errs.mean_r2, 4) == r2


def test_published_baseline_final_losses():
    # the numbers under the 400M law at step 23,999 (printed to 5-6 digits)
    law = cl.LUO_2025_400M
    cos = S.cosine(24000, peak=3e-4, final=3e-5, warmup=2160)
    wsd = S.wsd(24000, peak=3e-4, final=3e-5, decay_start=20000, warmup=2160)
    assert law.loss(cos, 23999)[0] == pytest.approx(2.75707, abs=5e-6)
    assert law.loss(wsd, 23999)[0] == pytest.approx(2.69981, abs=5e-6)


def test_objective_of_published_fit_on_training_curves():
    # summed Huber (delta 1e-3) of the published 400M law on its three training curves
    value = cl.multi_power_objective(cl.LUO_2025_400M, curves("400M", "train"))
    oracle = oracle_objective(
        P400,
        [c.schedule for c in curves("400M", "train")],
        [c.steps for c in curves("400M", "train")],
        [c.loss for c in curves("400M", "train")],
        1.0,
        1e-3,
    )
    assert value == pytest.approx(oracle, rel=1e-10)


def test_presets_by_name():
    assert cl.get_multi_power_preset("LUO2025-400M") is cl.LUO_2025_400M
    assert cl.LUO_2025_25M.param_vector[3] == 363.78751622  # unrounded, as published
    with pytest.raises(ValueError, match=r"`name` must be one of"):
        cl.get_multi_power_preset("luo2025-1b")


# ----------------------------------------------------------------------------- bad input

ETA = S.cosine(100, peak=3e-4, final=3e-5, warmup=10)
STEPS = np.array([20, 50, 99])
LOSS = np.array([3.0, 2.9, 2.8])


def _curve(**kw):
    args = {"name": "cos", "steps": STEPS, "loss": LOSS, "schedule": ETA} | kw
    return cl.LossCurve(**args)


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        (
            {"schedule": ETA[:99]},
            ValueError,
            r"`schedule` of curve 'cos' must give the rate at every step up to the last "
            r"predicted step 99; got 99 steps",
        ),
        (
            {"schedule": np.where(np.arange(100) == 40, -1e-4, ETA)},
            ValueError,
            r"`schedule` of curve 'cos' must contain only non-negative learning rates; "
            r"got -0.0001 at step 40",
        ),
        ({"schedule": np.zeros(100)}, ValueError, r"curve 'cos' must contain a positive"),
        (
            {"schedule": np.where(np.arange(100) == 60, 0.0, ETA)},
            ValueError,
            r"`schedule` of curve 'cos' must be positive after step 0 .* at step 60",
        ),
        (
            {"steps": np.array([20, 50, 50])},
            ValueError,
            r"`steps` of curve 'cos' must be strictly increasing; got 50 after 50 at index 2",
        ),
        (
            {"steps": np.array([20.5, 50, 60])},
            ValueError,
            r"`steps` of curve 'cos' must contain non-negative integer steps; got 20.5",
        ),
        (
            {"steps": STEPS[:2], "loss": LOSS[:2]},
            ValueError,
            r"`steps` of curve 'cos' must have at least 3 entries; got 2",
        ),
        ({"loss": LOSS[:2]}, ValueError, r"`loss` of curve 'cos' must have one value per step"),
        (
            {"loss": np.array([3.0, 0.0, 1.0])},
            ValueError,
            r"`loss` of curve 'cos' must contain only positive values; got 0.0 at index 1",
        ),
        (
            {"steps": np.array([0, 50, 60])},
            ValueError,
            r"`steps` of curve 'cos' must not contain step 0 when the rate at step 0 is zero",
        ),
        ({"name": 3}, TypeError, r"`name` must be a string"),
    ],
)
def test_curve_bad_input(kw, exc, match):
    with pytest.raises(exc, match=match):
        _curve(**kw)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: cl.LUO_2025_400M.loss(ETA, [100]), ValueError, r"`schedule` must give the rate"),
        (lambda: cl.LUO_2025_400M.loss(ETA, [-1]), ValueError, r"`steps` must contain non-neg"),
        (
            lambda: cl.MultiPowerLaw(2, 1, 0.5, 300, 2, 0.5, -0.1),
            ValueError,
            r"`gamma` must be a finite non-negative number; got -0.1",
        ),
        (lambda: cl.MultiPowerLaw(np.nan, 1, 0.5, 300, 2, 0.5, 0.1), ValueError, r"`L0` must"),
        (lambda: cl.MultiPowerLaw("2", 1, 0.5, 300, 2, 0.5, 0.1), TypeError, r"`L0` must be a"),
        (lambda: cl.MultiPowerLaw.from_params([1, 2]), ValueError, r"`params` must have 7"),
        (lambda: cl.prediction_errors(cl.LUO_2025_400M, []), ValueError, r"at least one curve"),
        (
            lambda: cl.prediction_errors(cl.LUO_2025_400M, [_curve(), _curve()]),
            ValueError,
            r"distinct curve names; got 'cos' twice",
        ),
        (
            lambda: cl.prediction_errors(cl.LUO_2025_400M, [ETA]),
            TypeError,
            r"`curves` must contain LossCurve objects; got ndarray at index 0",
        ),
        (lambda: cl.prediction_errors(P400, [_curve()]), TypeError, r"`law` must be a Multi"),
        (
            lambda: cl.multi_power_objective(cl.LUO_2025_400M, _curve(), delta=0),
            ValueError,
            r"`delta` must be a finite positive number",
        ),
    ],
)
def test_law_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_curves_from_long_table():
    table = {
        "run": ["b", "a", "b", "a", "a", "b"],
        "step": [50, 20, 20, 99, 50, 99],
        "loss": [2.9, 3.0, 3.0, 2.8, 2.9, 2.8],
    }
    got = cl.curves_from_table(table, {"a": ETA, "b": ETA * 0.5}, curve="run")
    assert [c.name for c in got] == ["b", "a"]
    assert got[0].steps.tolist() == [20, 50, 99] and got[0].loss.tolist() == [3.0, 2.9, 2.8]
    assert got[0].schedule[50] == ETA[50] * 0.5
    with pytest.raises(ValueError, match=r"`schedules` must give the schedule of curve 'b'"):
        cl.curves_from_table(table, {"a": ETA}, curve="run")
    with pytest.raises(ValueError, match=r"`table` must have a column 'curve'"):
        cl.curves_from_table(table, {"a": ETA})


# ----------------------------------------------------------------------------- from mutmut


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: cl.LUO_2025_400M.loss_drop(ETA, [100]), ValueError,
         r"^`schedule` must give the rate at every step up to the last predicted step 100"),
        (lambda: cl.LUO_2025_400M.loss_drop(-ETA, [10]), ValueError,
         r"^`schedule` must contain only non-negative"),
        (lambda: cl.LUO_2025_400M.loss_drop(ETA, [1.5]), ValueError,
         r"^`steps` must contain non-negative integer steps"),
        (lambda: cl.LUO_2025_400M.loss_drop(ETA, []), ValueError,
         r"^`steps` must have at least 1 entries"),
        (lambda: cl.LUO_2025_400M.loss_drop(ETA, [0]), ValueError,
         r"^`steps` must not contain step 0"),
        (lambda: cl.LUO_2025_400M.final_loss_grad([0.0, 1e-4, -1e-4]), ValueError,
         r"^`schedule` must contain only non-negative learning rates; got -0.0001 at step 2"),
        (lambda: cl.LUO_2025_400M.final_loss_grad([1e-4, 0.0]), ValueError,
         r"^`schedule` must be positive after step 0"),
        (lambda: cl.MultiPowerLaw.from_params("abc"), TypeError, r"^`params` must be an array"),
        (lambda: cl.curves_from_table({"curve": [], "step": [], "loss": []}, [ETA]), TypeError,
         r"^`schedules` must map curve ids to rates; got list"),
        (lambda: cl.baseline_schedules(1, warmup=0, peak=3e-4), ValueError,
         r"^`total_steps` must be an integer >= 2; got 1"),
        (lambda: cl.baseline_schedules(100, warmup=0, peak=0.0), ValueError, r"^`peak` must be"),
        (lambda: cl.baseline_schedules(100, warmup=-1, peak=1.0), ValueError, r"^`warmup` must"),
        (lambda: cl.baseline_schedules(100, warmup=0, peak=1.0, final=-1.0), ValueError,
         r"^`final` must be"),
    ],
)  # fmt: skip
def test_more_bad_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_from_params_round_trip_and_final_loss_grad_value():
    law = cl.MultiPowerLaw.from_params(P400)
    assert law == cl.LUO_2025_400M
    eta = S.luo2025_schedule("wsdcon_9")
    value, grad = law.final_loss_grad(eta)
    assert value == law.loss(eta, eta.size - 1)[0]
    assert grad.shape == eta.shape
    assert law.loss_drop(eta, [100, 9000]).shape == (2,)


def test_baseline_schedules_by_formula():
    got = cl.baseline_schedules(24000, warmup=2160, peak=3e-4, final=3e-5)
    np.testing.assert_array_equal(got["cosine"], S.luo2025_schedule("cosine_24000"))
    np.testing.assert_array_equal(got["wsd"], S.luo2025_schedule("wsd_20000_24000"))
    # the default final rate is a tenth of the peak
    default = cl.baseline_schedules(24000, warmup=2160, peak=3e-4)["wsd"]
    np.testing.assert_allclose(default, got["wsd"], rtol=1e-15)
    low = cl.baseline_schedules(600, warmup=0, peak=1.0, final=0.5)
    assert low["cosine"][-1] > 0.5 and low["wsd"][500] == 1.0 and low["wsd"][501] < 1.0
    # the WSD decay starts at the warmup's end when the last sixth would start inside it
    short = cl.baseline_schedules(60, warmup=55, peak=1.0)
    assert short["wsd"][54] == 1.0 and short["wsd"][55] == 1.0 and short["wsd"][56] < 1.0


def test_linear_warmup_values_and_errors():
    np.testing.assert_array_equal(S.linear_warmup(4, peak=3.0), [0.0, 1.0, 2.0, 3.0])
    assert S.linear_warmup(0, peak=1.0).size == 0
    with pytest.raises(ValueError, match=r"^`n_steps` must be an integer >= 0; got -1"):
        S.linear_warmup(-1, peak=1.0)
    with pytest.raises(ValueError, match=r"^`peak` must be a finite positive number"):
        S.linear_warmup(3, peak=0.0)
