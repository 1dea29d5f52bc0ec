"""Tests of chinchilla_laws.envelope (Approach 1, the training-curve envelope)."""

from __future__ import annotations

import csv
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws import HOFFMANN_2022_TEX, ChinchillaLaw
from chinchilla_laws.envelope import (
    EnvelopeResult,
    envelope,
    envelope_from_frame,
    envelope_from_runs,
)
from chinchilla_laws.warnings import ChinchillaWarning, EnvelopeWarning

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CURVES_CSV = DATA / "xlstm2025_llama_training_curves.csv"
RUNS_CSV = DATA / "xlstm2025_llama_isoflop_runs.csv"

# A law with alpha = beta whose optimum sits near 20 tokens per parameter (G**-2 = 20).
EQUAL_EXPONENTS = ChinchillaLaw(E=1.8, A=400.0, B=983.0, alpha=0.3, beta=0.3, name="alpha = beta")


# ---------------------------------------------------------------------- data builders
def synthetic_curves(
    law: ChinchillaLaw,
    *,
    sizes: np.ndarray,
    horizons_tpp: np.ndarray,
    n_steps: int = 200,
    penalty: float = 0.2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each size trained to every horizon; a cosine-like penalty that vanishes at the end."""
    ids, ns, ds, ls = [], [], [], []
    frac = np.arange(1, n_steps + 1) / n_steps
    for i, n in enumerate(sizes):
        for j, h in enumerate(horizons_tpp):
            d = n * h * frac
            ids.append(np.full(n_steps, f"N{i}-H{j}"))
            ns.append(np.full(n_steps, n))
            ds.append(d)
            ls.append(law.loss(n, d) + penalty * 0.5 * (1 + np.cos(np.pi * frac)))
    return tuple(np.concatenate(x) for x in (ids, ns, ds, ls))  # type: ignore[return-value]


def small_random_curves(seed: int, n_runs: int = 12) -> tuple[np.ndarray, ...]:
    """Irregular curves: random sizes, lengths, token spacing and noisy losses."""
    rng = np.random.default_rng(seed)
    ids, ns, ds, ls = [], [], [], []
    for r in range(n_runs):
        m = int(rng.integers(3, 40))
        n = float(10 ** rng.uniform(7, 9))
        d = np.cumsum(rng.uniform(0.5, 2.0, m)) * n * rng.uniform(0.2, 2.0)
        ids.append(np.full(m, r))
        ns.append(np.full(m, n))
        ds.append(d)
        ls.append(HOFFMANN_2022_TEX.loss(n, d) + 0.05 * rng.standard_normal(m))
    return tuple(np.concatenate(x) for x in (ids, ns, ds, ls))


def oracle_envelope(ids, n, d, loss, log_grid):  # type: ignore[no-untyped-def]
    """Plain loops: per grid value, per run, interpolate inside the run's range; take the min."""
    runs = list(dict.fromkeys(ids.tolist()))
    best = np.full(log_grid.shape, np.inf)
    arg = np.full(log_grid.shape, -1)
    for g, x in enumerate(log_grid):
        for r, rid in enumerate(runs):
            m = ids == rid
            lc = np.log(6 * n[m] * d[m])
            if lc[0] <= x <= lc[-1]:
                v = float(np.interp(x, lc, loss[m]))
                if v < best[g]:
                    best[g], arg[g] = v, r
    return best, arg


def oracle_smooth(values: np.ndarray, width: int) -> np.ndarray:
    """One run, plain loops: Gaussian window, symmetric shrinking at the ends."""
    half, sigma, m = width // 2, width / 4, values.shape[0]
    out = np.empty(m)
    for i in range(m):
        h = min(half, i, m - 1 - i)
        ks = np.arange(-h, h + 1)
        w = np.exp(-0.5 * (ks / sigma) ** 2)
        out[i] = np.sum(w * values[i + ks]) / np.sum(w)
    return out


def load_xlstm() -> dict[str, np.ndarray]:
    """The xLSTM Llama curves joined with num_params (runs without it are dropped).

    One run name occurs twice in the runs file with two complete curves, logged one
    after the other; a restart of `step` starts a new run, named ``name#1``.
    """
    if not (CURVES_CSV.exists() and RUNS_CSV.exists()):
        pytest.skip(f"xLSTM data not found under {DATA}")
    n_params: dict[str, float] = {}
    horizon: dict[str, float] = {}
    with RUNS_CSV.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["num_params"]:
                n_params[row["run_name"]] = float(row["num_params"])
                horizon[row["run_name"]] = float(row["tokens"])
    ids: list[str] = []
    cols: dict[str, list[float]] = {"n": [], "d": [], "loss": [], "end": []}
    prev_name, prev_step, k = "", -1, 0
    with CURVES_CSV.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["run_name"]
            if name not in n_params:
                continue
            step = int(row["step"])
            if name != prev_name:
                k = 0
            elif step <= prev_step:
                k += 1
            prev_name, prev_step = name, step
            ids.append(f"{name}#{k}" if k else name)
            cols["n"].append(n_params[name])
            cols["d"].append(float(row["tokens"]))
            cols["loss"].append(float(row["train_loss_mean"]))
            cols["end"].append(horizon[name])
    out = {key: np.asarray(v) for key, v in cols.items()}
    out["ids"] = np.asarray(ids)
    return out


# ---------------------------------------------------------------------- recovery
@pytest.mark.parametrize("law", [HOFFMANN_2022_TEX, EQUAL_EXPONENTS], ids=lambda law: law.name)
def test_recovers_exponents_of_known_law(law: ChinchillaLaw) -> None:
    sizes = np.geomspace(1e7, 1e10, 16)
    data = synthetic_curves(law, sizes=sizes, horizons_tpp=np.geomspace(2, 200, 12))
    # the grid spans budgets whose true N_opt lies inside the trained sizes, away from both ends
    c_range = law.optimal_for_params([sizes[2], sizes[-3]]).compute
    res = envelope(*data, compute_range=tuple(c_range))
    # 0.02: the tolerance; the staircase of 16 discrete sizes costs about 0.005
    assert abs(res.a - law.beta / (law.alpha + law.beta)) < 0.02
    assert abs(res.b - law.alpha / (law.alpha + law.beta)) < 0.02
    # with C = 6 N D, log D = log C - log 6 - log N at every point: a + b = 1 to rounding
    assert res.a + res.b == pytest.approx(1.0, abs=1e-12)
    assert res.share_in_final_fraction >= 0.5
    assert res.messages == ()
    assert res.status is cl.EnvelopeStatus.SUCCESS and res.success


def test_envelope_lies_below_every_run_and_matches_oracle() -> None:
    ids, n, d, loss = small_random_curves(1)
    res = envelope(ids, n, d, loss, smoothing=0, n_grid=60, min_share=0.0)
    best, arg = oracle_envelope(ids, n, d, loss, np.log(res.compute))
    # same interpolation on the same grid: equal to rounding of exp/log
    np.testing.assert_allclose(res.loss_min, best, rtol=1e-12)
    np.testing.assert_array_equal(res.run_index, arg)
    np.testing.assert_allclose(res.n_tokens * 6 * res.n_params, res.compute, rtol=1e-12)
    assert res.run_n_selected.sum() == 60


@pytest.mark.parametrize("width", [2, 3, 10, 25])
def test_smoothing_matches_oracle(width: int) -> None:
    ids, n, d, loss = small_random_curves(2, n_runs=5)
    res = envelope(ids, n, d, loss, smoothing=width, n_grid=80, min_share=0.0)
    smoothed = np.concatenate(
        [oracle_smooth(loss[ids == r], width) for r in dict.fromkeys(ids.tolist())]
    )
    best, _ = oracle_envelope(ids, n, d, smoothed, np.log(res.compute))
    np.testing.assert_allclose(res.loss_min, best, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::chinchilla_laws.warnings.EnvelopeWarning")
def test_smoothing_keeps_linear_trend_and_run_ends() -> None:
    # a linear loss in tokens is unchanged by a symmetric window, also at the runs' ends
    d = np.arange(1.0, 51.0) * 1e9
    ids = np.repeat([0, 1, 2], 50)
    n = np.repeat([1e8, 2e8, 4e8], 50)
    loss = np.tile(5 - d / 1e11, 3) - np.repeat([0.0, 0.3, 0.6], 50)
    a = envelope(ids, n, np.tile(d, 3), loss, smoothing=10, min_share=0.0)
    b = envelope(ids, n, np.tile(d, 3), loss, smoothing=0, min_share=0.0)
    np.testing.assert_allclose(a.loss_min, b.loss_min, rtol=1e-12)


# ---------------------------------------------------------------------- input forms
def test_interleaved_rows_and_run_order() -> None:
    ids, n, d, loss = small_random_curves(3)
    ref = envelope(ids, n, d, loss, n_grid=50, min_share=0.0)
    # a random interleaving of the runs that keeps each run's rows in training order
    shuffled_ids = ids[np.random.default_rng(0).permutation(ids.size)]
    within = np.empty(ids.size, dtype=np.int64)
    for r in range(12):
        within[shuffled_ids == r] = np.flatnonzero(ids == r)
    assert np.count_nonzero(np.diff(ids[within])) > 50  # really interleaved
    res = envelope(ids[within], n[within], d[within], loss[within], n_grid=50, min_share=0.0)
    np.testing.assert_array_equal(res.loss_min, ref.loss_min)
    np.testing.assert_array_equal(res.run_id, ref.run_id)
    # long-form per-row options follow their rows through the regrouping
    end = np.array([d[ids == r][-1] * (1 + r) for r in ids])
    fpt = 6.0 * n * (1 + ids)
    ref = envelope(ids, n, d, loss, n_grid=50, schedule_end=end, flops_per_token=fpt, min_share=0)
    res = envelope(
        ids[within],
        n[within],
        d[within],
        loss[within],
        n_grid=50,
        schedule_end=end[within],
        flops_per_token=fpt[within],
        min_share=0,
    )
    # runs are listed in order of first appearance, which the interleaving changes
    o_res, o_ref = np.argsort(res.run_ids), np.argsort(ref.run_ids)
    np.testing.assert_array_equal(res.run_schedule_end[o_res], ref.run_schedule_end[o_ref])
    np.testing.assert_array_equal(res.run_flops_per_token[o_res], ref.run_flops_per_token[o_ref])
    np.testing.assert_array_equal(res.in_final_fraction, ref.in_final_fraction)
    np.testing.assert_array_equal(res.loss_min, ref.loss_min)


def test_flops_per_token_forms_agree() -> None:
    ids, n, d, loss = small_random_curves(4)
    ref = envelope(ids, n, d, loss, n_grid=40, min_share=0.0)
    mapping = {int(r): 6.0 * float(n[ids == r][0]) for r in np.unique(ids)}
    for fpt in (6.0 * n, mapping):
        res = envelope(ids, n, d, loss, n_grid=40, flops_per_token=fpt, min_share=0.0)
        np.testing.assert_allclose(res.loss_min, ref.loss_min, rtol=1e-12)
        np.testing.assert_allclose(res.n_tokens, ref.n_tokens, rtol=1e-12)
    # one FLOPs-per-token figure for all runs: C = k D, D at the envelope = C / k
    res = envelope(ids, n, d, loss, n_grid=40, flops_per_token=1e9, min_share=0.0)
    np.testing.assert_allclose(res.n_tokens, res.compute / 1e9, rtol=1e-12)
    np.testing.assert_array_equal(res.run_flops_per_token, 1e9)


def test_from_runs_and_from_frame_agree() -> None:
    ids, n, d, loss = small_random_curves(5)
    ref = envelope(ids, n, d, loss, n_grid=40, min_share=0.0)
    runs = [
        {
            "run_id": int(r),
            "n_params": float(n[ids == r][0]),
            "n_tokens": d[ids == r],
            "loss": loss[ids == r],
        }
        for r in range(12)
    ]
    a = envelope_from_runs(runs, n_grid=40, min_share=0.0)
    frame = {"run": ids, "N": n, "D": d, "L": loss}
    b = envelope_from_frame(
        frame, run="run", n_params="N", n_tokens="D", loss="L", n_grid=40, min_share=0.0
    )
    for res in (a, b):
        np.testing.assert_array_equal(res.loss_min, ref.loss_min)
        np.testing.assert_array_equal(res.run_id, ref.run_id)


def test_from_runs_steps_and_objects() -> None:
    class Run:
        def __init__(self, n: float) -> None:
            self.n_params = n
            self.steps = np.arange(1, 31)
            self.tokens_per_step = n / 3
            self.loss = HOFFMANN_2022_TEX.loss(n, self.steps * n / 3)

    res = envelope_from_runs([Run(n) for n in (1e7, 2e7, 4e7, 8e7)], min_share=0.0)
    np.testing.assert_array_equal(res.run_ids, [0, 1, 2, 3])
    np.testing.assert_array_equal(res.run_schedule_end, [1e7 * 10, 2e7 * 10, 4e7 * 10, 8e7 * 10])


def test_pandas_frame() -> None:
    pd = pytest.importorskip("pandas")
    ids, n, d, loss = small_random_curves(6)
    ref = envelope(ids, n, d, loss, n_grid=40, min_share=0.0)
    frame = pd.DataFrame({"run": ids, "n_params": n, "n_tokens": d, "loss": loss})
    res = envelope_from_frame(frame, n_grid=40, min_share=0.0)
    np.testing.assert_array_equal(res.loss_min, ref.loss_min)


# ---------------------------------------------------------------------- schedule check
def test_schedule_end_marks_intermediate_points() -> None:
    law = HOFFMANN_2022_TEX
    sizes = np.geomspace(1e7, 1e9, 8)
    ids, n, d, loss = synthetic_curves(law, sizes=sizes, horizons_tpp=np.geomspace(2, 200, 12))
    ref = envelope(ids, n, d, loss, n_grid=300, min_share=0.0)
    # declaring every schedule twice as long makes every logged point intermediate
    with pytest.warns(EnvelopeWarning, match=r"only 0\.0% of the envelope points"):
        res = envelope(ids, n, d, loss, n_grid=300, schedule_end=2 * d.max())
    assert res.share_in_final_fraction == 0.0
    assert res.status is cl.EnvelopeStatus.NOT_AT_SCHEDULE_END and not res.success
    assert ref.status is cl.EnvelopeStatus.SUCCESS and ref.success
    assert not res.in_final_fraction.any()
    np.testing.assert_array_equal(res.loss_min, ref.loss_min)  # the envelope itself is unchanged
    # the flag is exactly the documented interval
    end = ref.run_schedule_end[ref.run_index]
    expected = (ref.n_tokens >= 0.85 * end * (1 - 1e-9)) & (ref.n_tokens <= end * (1 + 1e-9))
    np.testing.assert_array_equal(ref.in_final_fraction, expected)
    assert ref.share_in_final_fraction == pytest.approx(expected.mean(), abs=0)


def test_warns_on_too_few_sizes() -> None:
    d = np.linspace(1e9, 1e10, 20)
    ids = np.repeat(["a", "b"], 20)
    n = np.repeat([1e8, 2e8], 20)
    loss = HOFFMANN_2022_TEX.loss(n, np.tile(d, 2))
    with pytest.warns(EnvelopeWarning, match="only 1 distinct model size"):
        res = envelope(ids, n, np.tile(d, 2), loss, min_share=0.0)
    assert len(res.messages) == 1
    assert res.status is cl.EnvelopeStatus.TOO_FEW_SIZES and not res.success
    assert "TOO_FEW_SIZES" in res.summary() and "TOO_FEW_SIZES" in repr(res)


# ---------------------------------------------------------------------- xLSTM regression
def test_xlstm_regression_values() -> None:
    x = load_xlstm()
    assert x["ids"].size == 41388
    with pytest.warns(EnvelopeWarning, match=r"only 35\.0% of the envelope points"):
        res = envelope(x["ids"], x["n"], x["d"], x["loss"], schedule_end=x["end"])
    assert res.n_runs == 195
    # regression values measured with this implementation (numpy 2.4): 1e-6 absorbs
    # platform rounding only; any change of procedure moves them far more
    assert res.a == pytest.approx(0.5407937494145341, abs=1e-6)
    assert res.b == pytest.approx(0.45920625058547043, abs=1e-6)
    assert res.share_in_final_fraction == pytest.approx(0.35, abs=1e-6)
    assert res.n_runs_selected == 23
    assert res.a + res.b == pytest.approx(1.0, abs=1e-12)
    # the OLS standard error over 1,500 autocorrelated grid points is small (optimistic)
    assert 0 < res.n_params_law.exponent_se < 0.02


# ---------------------------------------------------------------------- result object
def test_result_is_frozen_and_read_only() -> None:
    res = envelope(*small_random_curves(7), n_grid=30, min_share=0.0)
    assert isinstance(res, EnvelopeResult)
    with pytest.raises(AttributeError):
        res.share_in_final_fraction = 1.0  # type: ignore[misc]
    for name in (
        "compute",
        "loss_min",
        "run_index",
        "n_params",
        "n_tokens",
        "in_final_fraction",
        "run_ids",
        "run_n_params",
        "run_schedule_end",
        "run_n_selected",
    ):
        with pytest.raises(ValueError, match="read-only"):
            getattr(res, name)[0] = 0
    assert res.compute.shape == (30,)
    assert np.all(np.diff(np.log(res.compute)) > 0)
    assert "EnvelopeResult(status=SUCCESS, a=" in repr(res)
    assert res.a == res.n_params_law.exponent and res.b == res.n_tokens_law.exponent


# ---------------------------------------------------------------------- validation table
def _base() -> dict[str, Any]:
    return {
        "run_id": np.array(["a"] * 4 + ["b"] * 4 + ["abc"] * 4),
        "n_params": np.repeat([1e7, 2e7, 4e7], 4),
        "n_tokens": np.tile([1e8, 2e8, 3e8, 4e8], 3),
        "loss": np.tile([4.0, 3.5, 3.2, 3.0], 3),
    }


def _with(**changes: Any) -> dict[str, Any]:
    data = _base()
    for key, (index, value) in changes.items():
        arr = data[key].astype(float if key != "run_id" else object).copy()
        arr[index] = value
        data[key] = arr
    return data


BAD = [
    pytest.param(
        _with(n_tokens=(10, 2e8)),
        "run 'abc' has 2 rows at `n_tokens` = 200000000.0 with different losses (3.5, 3.2); "
        "pass `duplicates='min'`",
        id="conflicting-repeat",
    ),
    pytest.param(
        _with(loss=(6, math.nan)),
        "`loss` of run 'b' must be finite; got nan at index 6 (position 2 in the run).",
        id="nan-loss",
    ),
    pytest.param(
        _with(n_params=(4, 0.0)),
        "`n_params` of run 'b' must be positive and finite; got 0.0 at index 4 (position 0 in "
        "the run).",
        id="zero-N",
    ),
    pytest.param(
        _with(n_tokens=(3, -1.0)),
        "`n_tokens` of run 'a' must be positive and finite; got -1.0 at index 3 (position 3 in "
        "the run).",
        id="negative-D",
    ),
    pytest.param(
        _with(n_params=(7, 3e7)),
        "`n_params` must be constant within each run; run 'b' has 20000000.0 at index 4 "
        "and 30000000.0 at index 7.",
        id="N-varies",
    ),
    pytest.param(
        {**_base(), "loss": np.ones(11)},
        "the data arrays must have the same length; got `n_params` has 12, `n_tokens` has 12, "
        "`loss` has 11.",
        id="lengths",
    ),
    pytest.param(
        {**_base(), "run_id": np.array(["a"] * 11)},
        "the data arrays must have the same length; got `run_id` has 11, `n_tokens` has 12.",
        id="run-id-length",
    ),
    pytest.param(
        {
            **_base(),
            "run_id": np.array(["a"] * 12),
            "n_params": np.full(12, 1e7),
            "n_tokens": np.arange(1, 13) * 1e8,
        },
        "`run_id` must name at least 2 runs with at least 2 distinct `n_tokens` value(s) each "
        "(`min_run_points`); got 1.",
        id="one-run",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_raises(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        envelope(data["run_id"], data["n_params"], data["n_tokens"], data["loss"], min_share=0.0)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"smoothing": -1}, ValueError, "`smoothing` must be an integer >= 0; got -1."),
        ({"smoothing": 2.5}, TypeError, "`smoothing` must be an integer"),
        ({"n_grid": 1}, ValueError, "`n_grid` must be an integer >= 2; got 1."),
        ({"final_fraction": 0.0}, ValueError, "`final_fraction` must be a finite positive"),
        ({"final_fraction": 1.5}, ValueError, "`final_fraction` must lie in (0, 1]; got 1.5."),
        ({"min_share": 2.0}, ValueError, "`min_share` must lie in [0, 1]; got 2.0."),
        ({"flops_per_token": -6.0}, ValueError, "`flops_per_token` must be a finite positive"),
        (
            {"flops_per_token": {"a": 6e7}},
            ValueError,
            "`flops_per_token` has no entry for run 'b'.",
        ),
        (
            {"schedule_end": np.arange(1.0, 13.0)},
            ValueError,
            "`schedule_end` must be constant within each run; run 'a' has 1.0 and 2.0.",
        ),
        ({"compute_range": (1.0, 2.0)}, ValueError, "`compute_range` must lie within the FLOPs"),
        ({"compute_range": (5e16, 1e16)}, ValueError, "`compute_range` must satisfy low < high"),
        ({"compute_range": 5.0}, TypeError, "`compute_range` must be a pair"),
        (
            {"duplicates": "first"},
            ValueError,
            "`duplicates` must be one of ['raise', 'min', 'mean', 'last']; got 'first'.",
        ),
        ({"duplicates": None}, TypeError, "`duplicates` must be one of"),
        ({"min_run_points": 0}, ValueError, "`min_run_points` must be an integer >= 1; got 0."),
    ],
)
def test_bad_options_raise(options: dict[str, Any], error: type[Exception], message: str) -> None:
    data = _base()
    with pytest.raises(error, match=re.escape(message)):
        envelope(data["run_id"], data["n_params"], data["n_tokens"], data["loss"], **options)


def test_gap_between_runs_raises() -> None:
    d = np.array([1e8, 2e8, 1e12, 2e12])
    with pytest.raises(ValueError, match="the runs' FLOP ranges leave a gap in the grid"):
        envelope([0, 0, 1, 1], [1e7] * 4, d, [3.0, 2.9, 2.5, 2.4])


def test_bad_records_and_frames() -> None:
    with pytest.raises(ValueError, match=re.escape("`frame` has no column 'run'")):
        envelope_from_frame({"x": [1]})
    with pytest.raises(TypeError, match="`runs` must be a sequence"):
        envelope_from_runs({"n_params": 1.0})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape("`runs[0]` must give `n_tokens`")):
        envelope_from_runs([{"n_params": 1e7, "loss": [1.0, 2.0]}])
    runs = [{"run_id": "x", "n_params": 1e7, "n_tokens": [1.0, 2.0], "loss": [2.0, 1.0]}] * 2
    with pytest.raises(ValueError, match="distinct run ids; 'x' appears twice"):
        envelope_from_runs(runs)


# ---------------------------------------------------------------------- real training logs
RUNS = ["s", "m", "l", "xl"]
N_ROWS = 24


def _logs() -> dict[str, np.ndarray]:
    """Four runs of six logged points each from a known law; the envelope uses three."""
    sizes = np.geomspace(1e7, 1e9, 4)
    tokens = np.geomspace(1, 100, 6)
    n = np.repeat(sizes, 6)
    d = np.outer(sizes, tokens).ravel()
    return {
        "run_id": np.repeat(np.array(RUNS), 6),
        "n_params": n,
        "n_tokens": d,
        "loss": HOFFMANN_2022_TEX.loss(n, d),
    }


def _env(data: dict[str, np.ndarray], **options: Any) -> EnvelopeResult:
    options = {"smoothing": 0, "n_grid": 50, "min_share": 0.0, **options}
    return envelope(data["run_id"], data["n_params"], data["n_tokens"], data["loss"], **options)


def _take(data: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[index] for k, v in data.items()}


def _same(a: EnvelopeResult, b: EnvelopeResult) -> None:
    np.testing.assert_array_equal(a.loss_min, b.loss_min)  # same rows -> identical arithmetic
    np.testing.assert_array_equal(a.run_id, b.run_id)
    assert a.a == b.a


def test_rows_in_any_order_within_a_run() -> None:
    # was: "`n_tokens` ... must be strictly increasing"; rows are now sorted by tokens
    data = _logs()
    shuffled = _take(data, np.random.default_rng(0).permutation(N_ROWS))
    _same(_env(shuffled), _env(data))


def test_exact_duplicates_are_merged_with_a_count() -> None:
    data = _logs()
    doubled = _take(data, np.r_[np.arange(N_ROWS), [2, 3, 9]])
    with pytest.warns(EnvelopeWarning, match=re.escape("merged 3 exact duplicate row(s)")):
        res = _env(doubled)
    _same(res, _env(data))
    assert res.run_n_points.tolist() == [6, 6, 6, 6]
    assert any("merged 3" in m for m in res.messages)


@pytest.mark.parametrize(
    ("rule", "expected"), [("min", 1.0), ("mean", 2.0), ("last", 1.0), ("first-row", 3.0)]
)
def test_conflicting_duplicates_follow_the_rule(rule: str, expected: float) -> None:
    # run "m" logs its third point three times: 3.0, 2.0 (after), then 1.0 (last in input)
    data = _logs()
    base_loss = data["loss"][8]
    rows = np.r_[np.arange(N_ROWS), [8, 8]]
    dup = _take(data, rows)
    dup["loss"] = dup["loss"].copy()
    dup["loss"][8], dup["loss"][N_ROWS], dup["loss"][N_ROWS + 1] = (
        base_loss + 3,
        base_loss + 2,
        base_loss + 1,
    )
    if rule == "first-row":
        with pytest.raises(ValueError, match=r"run 'm' has 3 rows at `n_tokens` = "):
            _env(dup)
        return
    ref = dict(data)
    ref["loss"] = data["loss"].copy()
    ref["loss"][8] = base_loss + expected
    _same(_env(dup, duplicates=rule), _env(ref))


def test_last_duplicate_is_last_in_input_order() -> None:
    # the stable sort must keep input order among repeats, even after shuffling runs
    data = _logs()
    dup = _take(data, np.r_[[8], np.arange(N_ROWS)[::-1]])
    dup["loss"] = dup["loss"].copy()
    dup["loss"][0] += 1.0  # first in input order; the original row 8 comes later
    _same(_env(dup, duplicates="last"), _env(data))


def test_short_runs_are_skipped_with_a_warning() -> None:
    # was: "each run needs at least 2 points"; single-point runs are now skipped
    data = _logs()
    extra = {
        "run_id": np.array(["x", "y"]),
        "n_params": np.array([5e6, 6e6]),
        "n_tokens": np.array([1e9, 1e9]),
        "loss": np.array([3.0, 3.0]),
    }
    mixed = {k: np.concatenate([data[k], extra[k]]) for k in data}
    with pytest.warns(EnvelopeWarning, match=r"skipped 2 run\(s\) with fewer than 2 .*'x', 'y'"):
        res = _env(mixed)
    _same(res, _env(data))
    assert res.skipped_run_ids.tolist() == ["x", "y"]
    assert res.run_ids.tolist() == RUNS
    # a higher threshold skips the 6-point runs too, leaving too few
    with pytest.raises(ValueError, match="at least 2 runs with at least 7"):
        _env(data, min_run_points=7)


def test_min_run_points_one_keeps_single_points() -> None:
    data = _logs()
    extra = _take(data, np.array([17]))  # the last point of "l" again, as a run of its own
    extra["run_id"] = np.array(["solo"])
    mixed = {k: np.concatenate([data[k], extra[k]]) for k in data}
    res = _env(mixed, min_run_points=1)
    assert res.run_ids.tolist() == [*RUNS, "solo"]
    assert res.skipped_run_ids.size == 0


def test_per_row_options_follow_sorting_and_skipping() -> None:
    # a long-form schedule_end must be permuted with the rows it belongs to
    data = _logs()
    sched = np.repeat([1e9, 2e9, 4e9, 8e9], 6)
    order = np.random.default_rng(1).permutation(N_ROWS)
    shuffled = _take(data, order)
    res = _env(shuffled, schedule_end=sched[order])
    assert dict(zip(res.run_ids.tolist(), res.run_schedule_end.tolist(), strict=True)) == {
        "s": 1e9,
        "m": 2e9,
        "l": 4e9,
        "xl": 8e9,
    }


def test_bootstrap_envelope_takes_the_log_options() -> None:
    from chinchilla_laws import bootstrap_envelope

    data = _logs()
    messy = _take(data, np.r_[np.arange(N_ROWS)[::-1], [8]])
    messy["loss"] = messy["loss"].copy()
    messy["loss"][-1] += 1.0  # a conflicting repeat in run "m"
    extra = {"run_id": ["solo"], "n_params": [5e6], "n_tokens": [1e9], "loss": [3.0]}
    messy = {k: np.concatenate([messy[k], np.asarray(extra[k])]) for k in messy}
    args = (messy["run_id"], messy["n_params"], messy["n_tokens"], messy["loss"])
    opts = {"smoothing": 0, "n_grid": 50, "min_share": 0.0, "n_resamples": 5, "rng": 0}
    with pytest.raises(ValueError, match="with different losses"):
        bootstrap_envelope(*args, **opts)
    # resamples that lose a run in the middle leave a gap and are counted as failed
    with pytest.warns(ChinchillaWarning) as record:
        boot = bootstrap_envelope(*args, duplicates="min", **opts)
    skipped = [w for w in record if issubclass(w.category, EnvelopeWarning)]
    assert len(skipped) == 1 and "skipped 1 run(s)" in str(skipped[0].message)
    assert "'solo'" in str(skipped[0].message)
    assert boot.estimate["a"] == _env(data).a  # the minimum is the original row
    assert boot.n_resamples == 5


# ---------------------------------------------------------------------- found by mutmut
def test_float_run_ids_work_and_nan_run_ids_raise() -> None:
    data = _logs()
    as_float = dict(data, run_id=np.repeat([0.5, 1.5, 2.5, 3.5], 6))
    res = _env(as_float)
    assert res.run_ids.tolist() == [0.5, 1.5, 2.5, 3.5]
    np.testing.assert_array_equal(res.loss_min, _env(data).loss_min)
    bad = dict(as_float, run_id=np.r_[as_float["run_id"][:-1], np.nan])
    with pytest.raises(ValueError, match="`run_id` must not contain NaN or infinite values"):
        _env(bad)


@pytest.mark.parametrize(
    ("field", "index", "value", "message"),
    [
        ("n_tokens", 3, math.inf, "`n_tokens` of run 's' must be positive and finite; got inf"),
        ("n_params", 7, math.nan, "`n_params` of run 'm' must be positive and finite; got nan"),
        ("loss", 13, -math.inf, "`loss` of run 'l' must be finite; got -inf at index 13"),
    ],
)
def test_non_finite_values_name_the_run(field: str, index: int, value: float, message: str) -> None:
    data = _logs()
    data[field] = data[field].copy()
    data[field][index] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        _env(data)


def test_interleaved_rows_errors_give_the_input_index() -> None:
    data = _take(_logs(), np.arange(N_ROWS).reshape(4, 6).T.ravel())  # runs interleaved
    data["loss"] = data["loss"].copy()
    data["loss"][9] = math.nan  # input row 9: run "m" (9 % 4 == 1), its third point
    with pytest.raises(ValueError, match=re.escape("got nan at index 9 (position 2 in the run)")):
        _env(data)


def test_long_form_options_must_be_positive() -> None:
    data = _logs()
    sched = np.full(N_ROWS, 1e12)
    sched[5] = -1.0
    with pytest.raises(ValueError, match="`schedule_end` must contain only positive values"):
        _env(data, schedule_end=sched)


def test_smoothing_none_is_no_smoothing() -> None:
    data = _logs()
    _same(_env(data, smoothing=None), _env(data, smoothing=0))
    assert _env(data, smoothing=None).smoothing == 0


def test_frame_and_records_pass_schedule_end_and_flops_per_token() -> None:
    data = _logs()
    sched = np.repeat([1e9, 2e9, 4e9, 8e9], 6)
    fpt = 6.0 * data["n_params"] * 1.5
    frame = {
        "run": data["run_id"],
        "N": data["n_params"],
        "D": data["n_tokens"],
        "L": data["loss"],
        "end": sched,
        "fpt": fpt,
    }
    opts = {"smoothing": 0, "n_grid": 50, "min_share": 0.0}
    res = envelope_from_frame(
        frame,
        run="run",
        n_params="N",
        n_tokens="D",
        loss="L",
        schedule_end="end",
        flops_per_token="fpt",
        **opts,
    )
    assert res.run_schedule_end.tolist() == [1e9, 2e9, 4e9, 8e9]
    np.testing.assert_allclose(res.run_flops_per_token, 9.0 * res.run_n_params, rtol=1e-15)
    with pytest.raises(
        ValueError, match=re.escape("`frame` has no column 'size' (given as `n_params`)")
    ):
        envelope_from_frame(frame, run="run", n_params="size", n_tokens="D", loss="L")
    records = [
        {
            "run_id": rid,
            "n_params": float(data["n_params"][data["run_id"] == rid][0]),
            "n_tokens": data["n_tokens"][data["run_id"] == rid],
            "loss": data["loss"][data["run_id"] == rid],
            "schedule_end": float(sched[data["run_id"] == rid][0]),
            "flops_per_token": float(fpt[data["run_id"] == rid][0]),
        }
        for rid in RUNS
    ]
    from_records = envelope_from_runs(records, **opts)
    np.testing.assert_array_equal(from_records.loss_min, res.loss_min)
    assert from_records.run_schedule_end.tolist() == [1e9, 2e9, 4e9, 8e9]
    del records[0]["schedule_end"]
    with pytest.raises(ValueError, match="`schedule_end` must be given for every run or for none"):
        envelope_from_runs(records, **opts)
    with pytest.raises(ValueError, match=re.escape("`runs[0]` must give `n_tokens`, or `steps`")):
        envelope_from_runs([{"n_params": 1e7, "loss": [3.0, 2.0], "steps": [1, 2]}] * 2)


def test_bootstrap_envelope_resamples_carry_their_options() -> None:
    # mutmut: per-run mappings and per-row arrays dropped (or not resampled with the
    # rows) inside the resamples went unnoticed, since `schedule_end` does not move
    # the exponents; FLOPs per token do move the prefactors
    import inspect

    from chinchilla_laws import bootstrap_envelope

    data = _logs()
    args = (data["run_id"], data["n_params"], data["n_tokens"], data["loss"])
    factor = {"s": 1.0, "m": 1.3, "l": 0.8, "xl": 1.1}
    fpt_map = {
        rid: 6.0 * factor[rid] * float(data["n_params"][data["run_id"] == rid][0]) for rid in RUNS
    }
    fpt_rows = np.array([fpt_map[r] for r in data["run_id"]])
    opts = {"smoothing": 0, "n_grid": 50, "min_share": 0.0, "n_resamples": 8, "rng": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChinchillaWarning)  # resamples with a FLOP gap fail
        plain = bootstrap_envelope(*args, **opts)
        by_run = bootstrap_envelope(*args, flops_per_token=fpt_map, **opts)
        by_row = bootstrap_envelope(*args, flops_per_token=fpt_rows, **opts)
    np.testing.assert_array_equal(by_run.k_n, by_row.k_n)
    assert by_run.k_n.shape == plain.k_n.shape
    assert not np.array_equal(by_run.k_n, plain.k_n)
    # the same defaults as envelope() for the options they share
    params = inspect.signature(bootstrap_envelope).parameters
    for name in ("duplicates", "min_run_points"):
        assert params[name].default == inspect.signature(envelope).parameters[name].default


def test_as_dict_and_markdown() -> None:
    import json

    from chinchilla_laws.serialize import from_json, to_json

    ids, n, d, loss = small_random_curves(3)
    res = envelope(ids, n, d, loss, n_grid=50, min_share=0.0)
    data = json.loads(to_json(res))
    assert data["format"] == "chinchilla_laws.envelope" and data["version"] == 2
    assert data["n_params_law"]["exponent"] == res.a
    assert data["n_params_law"]["exponent_se"] == res.n_params_law.exponent_se
    assert data["messages"] == {"__tuple__": list(res.messages)}
    back = from_json(json.dumps(data))
    np.testing.assert_array_equal(back.run_ids, res.run_ids)
    np.testing.assert_array_equal(back.loss_min, res.loss_min)
    assert back.status is res.status and back.messages == res.messages
    assert "Envelope of training curves" in res._repr_markdown_()
