"""Tests written against deliberate breakages that the rest of the suite let through.

Each test names the breakage it catches; each was checked by applying the breakage
and seeing the test fail (issue 11, "Tests that can fail").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.cli import main
from chinchilla_laws.parametric import paper_grid

LAW = cl.HOFFMANN_2022_TEX


def _curves() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Six sizes, three horizons each, exact losses: resampling runs moves the envelope."""
    ids, nn, tok, ll = [], [], [], []
    for i, size in enumerate(np.geomspace(1e8, 1e10, 6)):
        for j, horizon in enumerate((10.0, 20.0, 40.0)):
            t = np.linspace(0.05, 1.0, 60) * horizon * size
            ids += [f"{i}-{j}"] * t.size
            nn += [size] * t.size
            tok += list(t)
            ll += list(LAW.loss(size, t))
    return np.array(ids), np.array(nn), np.array(tok), np.array(ll)


# the toy curves are not cosine schedules: the final-15% check warns, as it should
@pytest.mark.filterwarnings("ignore::chinchilla_laws.EnvelopeWarning")
def test_envelope_bootstrap_resamples_runs() -> None:
    # breakage: bootstrap_envelope refits the full data every time (no resampling);
    # then every sample equals the point estimate and the interval has zero width
    ids, nn, tok, ll = _curves()
    boot = cl.bootstrap_envelope(ids, nn, tok, ll, n_resamples=30, rng=0, smoothing=0)
    full = cl.envelope(ids, nn, tok, ll, smoothing=0)
    assert boot.n_failed == 0
    assert np.unique(boot.a).size > 5  # resamples of 18 runs give many different envelopes
    assert np.any(boot.a != full.a)
    lo, hi = boot.intervals()["a"]
    assert hi - lo > 1e-3  # exponents move by percents when runs drop out
    # and the same seed draws the same resamples
    again = cl.bootstrap_envelope(ids, nn, tok, ll, n_resamples=30, rng=0, smoothing=0)
    np.testing.assert_array_equal(again.a, boot.a)


def test_bootstrap_intervals_use_the_level() -> None:
    # breakage: `level` ignored (always 0.95) in the percentile intervals
    rng = np.random.default_rng(0)
    n, d = (g.ravel() for g in np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6)))
    loss = LAW.loss(n, d) * np.exp(0.01 * rng.standard_normal(n.size))
    boot = cl.bootstrap_parametric(n, d, loss, n_resamples=60, rng=1, starts=paper_grid()[::50])
    for level in (0.5, 0.8, 0.95):
        tail = 50.0 * (1.0 - level)
        for name in ("alpha", "E", "a"):
            expected = tuple(np.percentile(boot.samples[name], [tail, 100.0 - tail]))
            # the same numpy percentile on the same samples: exact
            assert boot.intervals(level)[name] == expected
            assert boot.interval(name, level) == expected
    narrow, wide = boot.intervals(0.5)["a"], boot.intervals(0.95)["a"]
    assert wide[0] < narrow[0] < narrow[1] < wide[1]
    band50, band95 = boot.frontier([1e22], level=0.5), boot.frontier([1e22], level=0.95)
    assert band95.n_params_low[0] < band50.n_params_low[0]
    assert band50.n_params_high[0] < band95.n_params_high[0]
    # the power-law bootstraps share the percentile code; check one of them too
    ids, nn, tok, ll = _curves()
    with pytest.warns(cl.EnvelopeWarning):
        env = cl.bootstrap_envelope(ids, nn, tok, ll, n_resamples=20, rng=0, smoothing=0)
    assert env.intervals(0.5)["a"] == tuple(np.percentile(env.a, [25.0, 75.0]))


def test_best_start_prefers_a_converged_interior_start() -> None:
    # breakage: the tie-break in `_assemble` removed (best = plain argmin); on exact
    # data every start reaches the same optimum, objectives differ by rounding, and the
    # argmin is then a start on the grid's boundary
    n, d = (g.ravel() for g in np.meshgrid(np.geomspace(1e8, 1e10, 6), np.geomspace(2e9, 2e11, 6)))
    fit = cl.fit_parametric(n, d, LAW.loss(n, d))
    starts = fit.start_thetas
    boundary = np.zeros(starts.shape[0], dtype=bool)
    for k in range(5):
        col = starts[:, k]
        boundary |= (col == col.min()) | (col == col.max())
    assert fit.success and not fit.on_grid_boundary
    assert not boundary[fit.best_start]
    assert fit.start_status[fit.best_start] == cl.StartStatus.CONVERGED
    # it is one of the starts that reached the optimum (same objective to rounding)
    assert fit.start_objectives[fit.best_start] == pytest.approx(fit.objective, rel=1e-12)
    np.testing.assert_allclose(fit.theta, LAW.theta, rtol=1e-6)


def test_cli_json_has_no_nan_when_results_are_nan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # breakage: the JSON writer passes NaN through (json.dumps writes `NaN`, which
    # strict parsers reject); budgets with too few runs have NaN vertices
    path = tmp_path / "few.csv"
    path.write_text("N,D,loss\n1e8,1e9,3.0\n2e8,1e9,2.9\n1e8,2e9,2.95\n4e8,5e8,2.97\n")
    code = main(["isoflop", str(path), "--json", "-q"])
    text = capsys.readouterr().out
    assert code == 0
    payload = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON: {c}"))
    budgets = payload["isoflop"]["budgets"]
    assert any(b["n_params"] is None for b in budgets)
