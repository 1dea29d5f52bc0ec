"""Tests of chinchilla_laws.io (data loading) and chinchilla_laws.datasets (built-in example)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from chinchilla_laws import HOFFMANN_2022_TEX, ChinchillaLaw
from chinchilla_laws.datasets import Curves, Sweep, synthetic_curves, synthetic_sweep
from chinchilla_laws.io import Runs, load_runs, save_runs


def _write(tmp_path: Path, text: str, name: str = "runs.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- datasets
def test_sweep_follows_the_documented_law() -> None:
    sweep = synthetic_sweep(noise=0.0)
    assert isinstance(sweep, Sweep)
    assert len(sweep) == 7 * 9
    # C = 6 N D exactly (up to rounding in D = C / (6 N)): relative 1e-12
    np.testing.assert_allclose(6 * sweep.n_params * sweep.n_tokens, sweep.compute, rtol=1e-12)
    np.testing.assert_array_equal(sweep.compute, sweep.budget)
    # noise 0: the loss is the law's, to rounding
    np.testing.assert_allclose(
        sweep.loss, HOFFMANN_2022_TEX.loss(sweep.n_params, sweep.n_tokens), rtol=1e-15
    )
    # sizes are centred on the optimum in ln N: the middle size is N_opt (rtol 1e-12)
    mid = sweep.n_params.reshape(7, 9)[:, 4]
    np.testing.assert_allclose(
        mid, HOFFMANN_2022_TEX.optimal(sweep.budget[::9]).n_params, rtol=1e-12
    )
    span = np.log(sweep.n_params.reshape(7, 9))
    np.testing.assert_allclose(span[:, -1] - span[:, 0], 2.4, rtol=1e-12)


def test_sweep_noise_is_lognormal_and_seeded() -> None:
    a = synthetic_sweep(noise=0.01, rng=3)
    b = synthetic_sweep(noise=0.01, rng=3)
    np.testing.assert_array_equal(a.loss, b.loss)
    resid = np.log(a.loss / HOFFMANN_2022_TEX.loss(a.n_params, a.n_tokens))
    # 63 draws of N(0, 0.01): the sample sd lies within 0.006..0.014 with overwhelming probability
    assert 0.006 < float(np.std(resid)) < 0.014
    assert not a.n_params.flags.writeable


def test_sweep_arguments_are_validated() -> None:
    with pytest.raises(TypeError, match="`law`"):
        synthetic_sweep(law="hoffmann")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`sizes_per_budget`"):
        synthetic_sweep(sizes_per_budget=2)
    with pytest.raises(ValueError, match="`noise`"):
        synthetic_sweep(noise=-0.1)


def test_curves_end_on_the_law() -> None:
    law = ChinchillaLaw(E=1.8, A=400.0, B=400.0, alpha=0.3, beta=0.3)
    curves = synthetic_curves(law=law, noise=0.0, n_params=(1e8, 2e8), horizons=(10, 20))
    assert isinstance(curves, Curves)
    assert curves.n_runs == 4
    assert len(curves) == 4 * 40
    final = curves.n_tokens == curves.schedule_end
    assert int(final.sum()) == 4
    # at the end of each schedule the excess is zero: exact law (rtol 1e-15)
    np.testing.assert_allclose(
        curves.loss[final], law.loss(curves.n_params[final], curves.n_tokens[final]), rtol=1e-15
    )
    # before the end the unannealed excess g (1 - D/H) is added
    excess = curves.loss - law.loss(curves.n_params, curves.n_tokens)
    np.testing.assert_allclose(
        excess, 0.2 * (1 - curves.n_tokens / curves.schedule_end), atol=1e-12
    )


# ---------------------------------------------------------------------- CSV round trips
def test_save_and_load_round_trip(tmp_path: Path) -> None:
    sweep = synthetic_sweep()
    path = tmp_path / "sweep.csv"
    save_runs(sweep, path)
    runs = load_runs(path)
    assert isinstance(runs, Runs)
    assert len(runs) == len(sweep)
    # floats are written with repr: the round trip is exact
    for name in ("n_params", "n_tokens", "compute", "loss", "budget"):
        np.testing.assert_array_equal(getattr(runs, name), getattr(sweep, name))
    assert runs.derived == ()
    assert runs.source == str(path)


def test_curves_round_trip_keeps_run_ids(tmp_path: Path) -> None:
    curves = synthetic_curves(n_params=(1e8, 2e8), horizons=(10, 20), points_per_run=5)
    path = tmp_path / "curves.csv"
    save_runs(curves, path)
    runs = load_runs(path)
    assert runs.run_id is not None
    assert runs.run_id.tolist() == curves.run_id.tolist()
    assert runs.schedule_end is not None
    np.testing.assert_array_equal(runs.schedule_end, curves.schedule_end)
    np.testing.assert_array_equal(runs.loss, curves.loss)


@pytest.mark.parametrize(
    ("header", "field_map"),
    [
        ("N,D,loss", {"n_params": "N", "n_tokens": "D", "loss": "loss"}),
        (
            "params,tokens,final_loss",
            {"n_params": "params", "n_tokens": "tokens", "loss": "final_loss"},
        ),
        (
            "Parameters,N_Tokens,Loss",
            {"n_params": "Parameters", "n_tokens": "N_Tokens", "loss": "Loss"},
        ),
        (
            "model size,Tokens,LOSS",
            {"n_params": "model size", "n_tokens": "Tokens", "loss": "LOSS"},
        ),
        (
            "n_params,n_tokens,loss,run",
            {"n_params": "n_params", "n_tokens": "n_tokens", "loss": "loss"},
        ),
    ],
)
def test_column_aliases(tmp_path: Path, header: str, field_map: dict[str, str]) -> None:
    cells = ["1e8", "2e9", "3.25", "r1"][: len(header.split(","))]
    path = _write(tmp_path, f"{header}\n{','.join(cells)}\n")
    runs = load_runs(path)
    for fld, col in field_map.items():
        assert runs.columns[fld] == col
    assert runs.n_params[0] == 1e8
    assert runs.n_tokens[0] == 2e9
    assert runs.loss[0] == 3.25
    # C = 6 N D derived exactly
    assert runs.compute[0] == 6 * 1e8 * 2e9
    assert runs.derived == ("compute",)


def test_compute_to_tokens_and_back(tmp_path: Path) -> None:
    path = _write(tmp_path, "Model Size,Training FLOP,loss\n1e8,6e18,3.1\n2e8,6e18,3.0\n")
    runs = load_runs(path)
    assert runs.derived == ("n_tokens",)
    np.testing.assert_allclose(runs.n_tokens, [1e10, 5e9], rtol=1e-15)
    # another convention: C = 8 N D
    runs8 = load_runs(path, flops_per_param_token=8.0)
    np.testing.assert_allclose(runs8.n_tokens, [6e18 / 8e8, 6e18 / 16e8], rtol=1e-15)
    # tokens and compute given: N derived
    path2 = _write(tmp_path, "D,C,loss\n1e10,6e18,3.1\n", "dc.csv")
    runs2 = load_runs(path2)
    assert runs2.derived == ("n_params",)
    assert runs2.n_params[0] == pytest.approx(1e8, rel=1e-15)


def test_budget_stands_in_for_compute(tmp_path: Path) -> None:
    path = _write(tmp_path, "compute_budget,training_tokens,validation_loss\n6e18,1e10,0.9\n")
    runs = load_runs(path)
    assert runs.budget is not None and runs.budget[0] == 6e18
    assert runs.n_params[0] == pytest.approx(1e8, rel=1e-15)


def test_explicit_mapping_and_units(tmp_path: Path) -> None:
    path = _write(tmp_path, "size [M],gflops,eval,other loss\n100,6e9,3.1,9\n200,6e9,3.0,9\n")
    runs = load_runs(
        path,
        columns={"n_params": "size [M]", "compute": "gflops", "loss": "eval"},
        units={"n_params": "M", "compute": "GFLOP"},
    )
    np.testing.assert_array_equal(runs.n_params, [1e8, 2e8])
    np.testing.assert_array_equal(runs.compute, [6e18, 6e18])
    np.testing.assert_allclose(runs.n_tokens, [1e10, 5e9], rtol=1e-15)
    np.testing.assert_array_equal(runs.loss, [3.1, 3.0])


@pytest.mark.parametrize(
    ("unit", "scale"),
    [("FLOP", 1.0), ("GFLOP", 1e9), ("TFLOPs", 1e12), ("pflop", 1e15), (1e3, 1e3)],
)
def test_compute_units(tmp_path: Path, unit: str | float, scale: float) -> None:
    path = _write(tmp_path, "N,C,loss\n1e8,6,3.0\n")
    runs = load_runs(path, units={"compute": unit})
    assert runs.compute[0] == 6 * scale


def test_count_units(tmp_path: Path) -> None:
    path = _write(tmp_path, "N,D,loss\n70,1.4,2.0\n")
    runs = load_runs(path, units={"n_params": "B", "n_tokens": "T"})
    assert runs.n_params[0] == 70e9
    assert runs.n_tokens[0] == 1.4e12


def test_tsv_stream_and_comments() -> None:
    text = "# produced by a sweep\nN\tD\tloss\n1e8\t2e9\t3.0\n\n2e8\t2e9\t2.9\n"
    runs = load_runs(io.StringIO(text))
    np.testing.assert_array_equal(runs.n_params, [1e8, 2e8])


def test_select_and_readonly(tmp_path: Path) -> None:
    runs = load_runs(_write(tmp_path, "run,N,D,loss\na,1e8,2e9,3\nb,2e8,2e9,2.9\n"))
    sub = runs.select(np.array([False, True]))
    assert sub.run_id is not None and sub.run_id.tolist() == ["b"]
    assert sub.n_params.tolist() == [2e8]
    assert not runs.loss.flags.writeable
    with pytest.raises(ValueError, match="boolean mask"):
        runs.select(np.array([True]))


# ---------------------------------------------------------------------- bad files
BAD_FILES = [
    ("", "is empty"),
    ("\n\n", "is empty"),
    ("N,D,loss\n", "no data rows"),
    (
        "N,D,loss\n1e8,2e9,3\n1e8,abc,3\n",
        r"line 3 \(row 2\), column 'D': expected a number; got 'abc'",
    ),
    (
        "N,D,loss\n1e8,2e9,3\n1e8,2e9,\n",
        r"line 3 \(row 2\), column 'loss': expected a number; got an empty cell",
    ),
    ("N,D,loss\n1e8,2e9\n", r"line 2 \(row 1\): expected 3 fields"),
    (
        "N,D,loss\n1e8,2e9,3\n\n-1e8,2e9,3\n",
        r"line 4 \(row 2\), column 'N': `n_params` must be a positive",
    ),
    ("N,D,loss\n1e8,inf,3\n", r"row 1\), column 'D': `n_tokens` must be a positive finite"),
    ("N,D,loss\n1e8,2e9,nan\n", r"row 1\), column 'loss': `loss` must be a finite"),
    ("N,D\n1e8,2e9\n", "no column for `loss`"),
    ("N,loss\n1e8,3\n", "no column for `n_tokens`"),
    ("N,params,D,loss\n1,1,1,1\n", "several columns that could be `n_params`"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_runs(_write(tmp_path, text))


def test_missing_file_and_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be read"):
        load_runs(tmp_path / "absent.csv")
    path = _write(tmp_path, "N,D,loss\n1,1,1\n")
    with pytest.raises(ValueError, match="`columns` keys"):
        load_runs(path, columns={"size": "N"})
    with pytest.raises(ValueError, match="does not have"):
        load_runs(path, columns={"n_params": "Model Size"})
    with pytest.raises(ValueError, match=r"`units\['compute'\]` must be one of"):
        load_runs(path, units={"compute": "parsecs"})
    with pytest.raises(TypeError, match="`source`"):
        load_runs(42)
    with pytest.raises(ValueError, match="`flops_per_param_token`"):
        load_runs(path, flops_per_param_token=0.0)


# ---------------------------------------------------------------------- data frames
def test_mapping_source() -> None:
    runs = load_runs({"params": [1e8, 2e8], "tokens": [2e9, 4e9], "loss": [3.0, 2.9]})
    assert runs.source == "mapping"
    np.testing.assert_array_equal(runs.compute, 6 * np.array([1e8, 2e8]) * np.array([2e9, 4e9]))


def test_pandas_dataframe() -> None:
    pd = pytest.importorskip("pandas")
    sweep = synthetic_sweep()
    frame = pd.DataFrame(
        {"Model Size": sweep.n_params, "Training FLOP": sweep.compute, "Loss": sweep.loss}
    )
    runs = load_runs(frame)
    assert runs.source == "DataFrame"
    np.testing.assert_allclose(runs.n_tokens, sweep.n_tokens, rtol=1e-15)
    np.testing.assert_array_equal(runs.loss, sweep.loss)
    # explicit mapping and a non-numeric cell with its row number
    bad = pd.DataFrame({"n": [1e8, 2e8], "d": [2e9, "x"], "y": [3.0, 2.9]})
    with pytest.raises(ValueError, match=r"row 2, column 'd': expected a number; got 'x'"):
        load_runs(bad, columns={"n_params": "n", "n_tokens": "d", "loss": "y"})


def test_loading_does_not_import_pandas() -> None:
    import subprocess
    import sys

    code = (
        "import sys, io; from chinchilla_laws.io import load_runs; "
        "load_runs(io.StringIO('N,D,loss\\n1,2,3\\n')); print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_real_epoch_file_if_present() -> None:
    path = (
        Path(__file__).resolve().parents[2]
        / "shared"
        / "data"
        / "chinchilla_epoch_reconstruction.csv"
    )
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    runs = load_runs(path)
    assert len(runs) == 245
    assert dict(runs.columns) == {
        "n_params": "Model Size",
        "compute": "Training FLOP",
        "loss": "loss",
    }
    # D = C / (6 N), range 2.5e8 .. 3.2e11 per the data README
    assert 2e8 < float(runs.n_tokens.min()) < 3e8
    assert 3e11 < float(runs.n_tokens.max()) < 3.5e11
    assert math.isclose(float(runs.compute[0]), 9.993852799709755e18, rel_tol=1e-15)
