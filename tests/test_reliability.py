"""Degenerate, extreme and messy input: a clear error naming the argument, never a crash.

Each test here reproduces a failure found by feeding the library bad input (issue 11)
and fails on the code before its fix.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from chinchilla_laws import ChinchillaLaw, fit_power_law
from chinchilla_laws.cli import main
from chinchilla_laws.io import load_runs, save_runs

# A valid law whose closed-form frontier leaves float64: log G = (log(αA) - log(βB))/(α+β)
# is about 2288, so G itself overflows.
EXTREME = {"E": 1.7, "A": 1e308, "B": 1e-308, "alpha": 0.34, "beta": 0.28}


def cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI expecting exit 2 with a one-line error and no traceback."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


# ------------------------------------------------------------ item 5: overflowing laws
@pytest.mark.parametrize(
    ("flag", "argument"),
    [("--flops", "`compute`"), ("--params", "`n_params`"), ("--tokens", "`n_tokens`")],
)
def test_cli_optimal_with_overflowing_law(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, argument: str
) -> None:
    # was: OverflowError traceback from ChinchillaLaw.G (and, for --params, an
    # underflowed budget blamed on `n_tokens`)
    path = tmp_path / "law.json"
    path.write_text(json.dumps(EXTREME))
    err = cli_error(capsys, ["optimal", flag, "1e21", "--law", str(path)])
    assert argument in err
    assert "out of range" in err


def test_law_g_is_inf_not_an_exception() -> None:
    law = ChinchillaLaw(**EXTREME)  # type: ignore[arg-type]
    assert math.isinf(law.G)
    with pytest.raises(ValueError, match="`compute` = 1e\\+21 is out of range"):
        law.optimal(1e21)


@pytest.mark.parametrize(
    ("method", "argument", "what"),
    [
        ("optimal_for_params", "n_params", "optimal budget underflows"),
        ("optimal_for_tokens", "n_tokens", "optimal budget overflows"),
    ],
)
def test_underflow_names_the_argument_given(method: str, argument: str, what: str) -> None:
    # was: "`n_tokens` must contain only positive values" for a call that took `n_params`
    law = ChinchillaLaw(**EXTREME)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"`{argument}` is out of range: the {what}"):
        getattr(law, method)(1e9)


# ------------------------------------------------------------ item 6: integer column names
def test_load_runs_frame_with_integer_column_names() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({0: [1e8, 2e8], 1: [1e10, 2e10], 2: [3.0, 2.9]})
    runs = load_runs(frame, columns={"n_params": "0", "n_tokens": "1", "loss": "2"})
    np.testing.assert_array_equal(runs.n_params, [1e8, 2e8])
    np.testing.assert_array_equal(runs.loss, [3.0, 2.9])
    assert dict(runs.columns) == {"n_params": "0", "n_tokens": "1", "loss": "2"}


def test_load_runs_mapping_with_integer_keys() -> None:
    runs = load_runs(
        {0: [1e8, 2e8], 1: [1e10, 2e10], 2: [3.0, 2.9]},
        columns={"n_params": "0", "n_tokens": "1", "loss": "2"},
    )
    np.testing.assert_array_equal(runs.n_tokens, [1e10, 2e10])


# ------------------------------------------------------------ item 10: one weighted point
@pytest.mark.parametrize("weights", [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
def test_power_law_needs_two_weighted_compute_values(weights: list[float]) -> None:
    # was: an exponent from a single point of non-zero weight (or none)
    with pytest.raises(ValueError, match="`weights` must be positive at two or more distinct"):
        fit_power_law([1e20, 1e20, 1e22], [1e9, 1.1e9, 1e10], weights=weights)


def test_power_law_two_weighted_points_fit_exactly() -> None:
    fit = fit_power_law([1e20, 1e21, 1e22], [1e9, 5e9, 1e10], weights=[1.0, 0.0, 1.0])
    assert fit.exponent == pytest.approx(0.5, rel=1e-12)  # through the two weighted points


# ------------------------------------------------------------ item 11: exact round trip
def test_save_load_round_trip_keeps_run_ids_exactly(tmp_path: Path) -> None:
    # was: " a" and "a" stripped into one run on reading
    ids = np.array([" a", "a", "b ", "c,d", 'quote"d'])
    data = {
        "run_id": ids,
        "n_params": np.array([1e8, 1e8, 2e8, 3e8, 4e8]),
        "n_tokens": np.array([1e9, 2e9, 3e9, 4e9, 5e9]),
        "loss": np.array([3.1, 3.0, 2.9, 2.8, 2.7]),
    }
    path = tmp_path / "runs.csv"
    save_runs(data, path)
    runs = load_runs(path)
    assert runs.run_id is not None
    assert runs.run_id.tolist() == ids.tolist()
    np.testing.assert_array_equal(runs.loss, data["loss"])


@pytest.mark.parametrize("field", ["n_params", "loss", "run_id"])
def test_save_runs_refuses_2d_columns(tmp_path: Path, field: str) -> None:
    # was: cells such as "[1. 2.]" that load_runs cannot read
    data = {
        "run_id": np.array(["a", "b"]),
        "n_params": np.array([1e8, 2e8]),
        "n_tokens": np.array([1e9, 2e9]),
        "loss": np.array([3.0, 2.9]),
    }
    data[field] = np.stack([data[field], data[field]], axis=1)
    with pytest.raises(ValueError, match=f"`data` field `{field}` must be a 1-D array"):
        save_runs(data, tmp_path / "bad.csv")
    assert not (tmp_path / "bad.csv").exists()
