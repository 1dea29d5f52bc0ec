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


# ------------------------------------------------------------ CLI and message items
def test_cli_unit_accepts_a_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # was: "`units['compute']` must be one of FLOP, ...; got '1e9'" although --help
    # documents "or a number"
    path = tmp_path / "gflop.csv"
    path.write_text("N,C,loss\n1e8,6e9,3.0\n2e8,1.2e10,2.9\n")  # C in GFLOP
    code = main(["isoflop", str(path), "--unit", "compute=1e9", "--json", "-q"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["data"]["n_rows"] == 2
    budgets = [b["compute"] for b in out["isoflop"]["budgets"]]
    assert budgets == pytest.approx([6e18, 1.2e19], rel=1e-12)


def test_cli_errors_give_file_lines_not_array_indices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # was: "`loss` must contain only positive values; got 0.0 at index 1." (0-based)
    path = tmp_path / "runs.csv"
    path.write_text("# a comment\nN,D,loss\n1e8,1e9,3.0\n\n2e8,1e9,0\n4e8,1e9,2.8\n")
    err = cli_error(capsys, ["fit", str(path), "--starts", "random:3"])
    assert f"at line 5 of {path}." in err
    assert "index" not in err


def test_cli_error_lines_follow_dropped_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("N,D,loss\n1e8,1e9,9.0\n2e8,1e9,0\n4e8,1e9,2.8\n1e8,2e9,2.9\n")
    err = cli_error(capsys, ["fit", str(path), "--starts", "random:3", "--drop-highest", "1"])
    assert f"at line 3 of {path}." in err


def test_cli_defaults_are_the_library_defaults() -> None:
    # was: the CLI restated defaults (and clamped --min-points to 3 silently)
    import argparse
    import inspect

    from chinchilla_laws import envelope, fit_parametric, isoflop_minima
    from chinchilla_laws.cli import _build_parser

    parser = _build_parser()
    checks = {
        ("envelope", "x.csv"): (
            envelope,
            ["smoothing", "n_grid", "final_fraction", "min_share", "min_run_points", "duplicates"],
        ),
        ("isoflop", "x.csv"): (isoflop_minima, ["min_points", "budget_rtol"]),
        ("fit", "x.csv"): (fit_parametric, ["delta", "reduction"]),
    }
    for argv, (func, names) in checks.items():
        args: argparse.Namespace = parser.parse_args(list(argv))
        params = inspect.signature(func).parameters
        for name in names:
            assert getattr(args, name) == params[name].default, (argv[0], name)


def test_cli_min_points_and_final_fraction_agree_with_the_api(
    curves_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # --min-points 2 was silently raised to 3; the API refuses 2
    err = cli_error(capsys, ["isoflop", str(curves_path), "--min-points", "2"])
    assert "`min_points` must be an integer >= 3; got 2." in err
    # --final-fraction 1 was refused by the CLI although the API accepts 1
    code = main(["envelope", str(curves_path), "--final-fraction", "1", "--json", "-q"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["envelope"]["final_fraction"] == 1.0


@pytest.fixture
def curves_path(tmp_path: Path) -> Path:
    from chinchilla_laws.datasets import synthetic_curves

    path = tmp_path / "curves.csv"
    save_runs(synthetic_curves(), path)
    return path


def test_cli_envelope_duplicates_and_min_run_points(
    curves_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = curves_path.read_text().splitlines()
    header, body = rows[0], rows[1:]
    # a conflicting repeat of the first row (loss + 1) and a run with one point
    cells = body[0].split(",")
    names = header.split(",")
    loss_col = names.index("loss")
    repeat = list(cells)
    repeat[loss_col] = repr(float(cells[loss_col]) + 1.0)
    lonely = list(cells)
    lonely[names.index("run_id")] = "lonely"
    path = tmp_path / "messy.csv"
    path.write_text("\n".join([header, *reversed(body), ",".join(repeat), ",".join(lonely)]))
    err = cli_error(capsys, ["envelope", str(path), "--n-grid", "100"])
    assert "with different losses" in err and "--duplicates" in err
    code = main(["envelope", str(path), "--n-grid", "100", "--duplicates", "min", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = json.loads(captured.out)
    messages = [w["message"] for w in out["warnings"]]
    assert any("skipped 1 run(s) with fewer than 2" in m and "'lonely'" in m for m in messages)
    code = main(["envelope", str(path), "--duplicates", "min", "--min-run-points", "1", "-q"])
    assert code == 0, capsys.readouterr().err


def test_messages_print_plain_floats() -> None:
    # was: "... got np.float64(nan)." under numpy 2
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"N": [1e8, np.nan], "D": [1e9, 1e9], "loss": [3.0, 2.9]})
    with pytest.raises(ValueError, match=r"got nan\.$") as info:
        load_runs(frame)
    assert "np." not in str(info.value)


# ------------------------------------------------------------ warnings at the caller's line
def test_warnings_point_at_the_callers_line() -> None:
    # was: stacklevel=2 from helpers named a line inside the library
    import chinchilla_laws as cl
    from chinchilla_laws.envelope import envelope_from_frame

    frame = {
        "run": np.repeat(["xs", "s"], 5),
        "n_params": np.repeat([1e7, 2e7], 5),
        "n_tokens": np.tile(np.linspace(1e8, 1e9, 5), 2),
    }
    frame["loss"] = cl.HOFFMANN_2022_TEX.loss(frame["n_params"], frame["n_tokens"])
    n, d = (g.ravel() for g in np.meshgrid(np.geomspace(1e8, 1e10, 4), np.geomspace(2e9, 2e11, 4)))
    calls = [
        (cl.EnvelopeWarning, lambda: envelope_from_frame(frame, smoothing=0, n_grid=20)),
        (
            cl.ChinchillaWarning,  # not converged after one iteration, start on the boundary
            lambda: cl.fit_parametric(n, d, cl.HOFFMANN_2022_TEX.loss(n, d), max_iter=1),
        ),
    ]
    for category, call in calls:
        with pytest.warns(category) as record:
            call()
        files = {w.filename for w in record if issubclass(w.category, category)}
        assert files == {__file__}, (category, files)


def test_save_runs_of_an_object_with_only_the_required_fields(tmp_path: Path) -> None:
    # mutmut: getattr without a default passed the suite (every object saved had all fields)
    from types import SimpleNamespace

    runs = SimpleNamespace(
        n_params=np.array([1e8, 2e8]), n_tokens=np.array([1e9, 2e9]), loss=np.array([3.0, 2.9])
    )
    path = tmp_path / "min.csv"
    save_runs(runs, path)
    back = load_runs(path)
    assert path.read_text(encoding="utf-8").splitlines()[0] == "n_params,n_tokens,loss"
    np.testing.assert_array_equal(back.loss, runs.loss)
    assert back.run_id is None


def test_round_trip_of_non_ascii_run_ids(tmp_path: Path) -> None:
    ids = np.array(["α-run", "β-run", "模型"])
    data = {"run_id": ids, "n_params": [1e8, 2e8, 3e8], "n_tokens": [1e9] * 3, "loss": [3.0] * 3}
    path = tmp_path / "utf8.csv"
    save_runs(data, path)
    assert "模型" in path.read_bytes().decode("utf-8")
    back = load_runs(path)
    assert back.run_id is not None and back.run_id.tolist() == ids.tolist()


@pytest.mark.parametrize(
    ("argv", "func_path", "mapping"),
    [
        (
            ["plan", "--loss", "2.0"],
            "chinchilla_laws.planning:inference_optimal",
            {
                "flops_per_inference_token": "flops_per_inference_token",
                "flops_per_param_token": "flops_per_param_token",
            },
        ),
        (
            ["backtest", "x.csv", "--rolling", "3"],
            "chinchilla_laws.planning:rolling_backtest",
            {"min_train": "min_train", "min_test": "min_test"},
        ),
        (
            ["backtest", "x.csv", "--rolling", "3"],
            "chinchilla_laws.planning:backtest",
            {"family": "family"},
        ),
        (
            ["design", "--budgets", "1e20"],
            "chinchilla_laws.planning:design_isoflop",
            {
                "n_sizes": "n_sizes",
                "span": "span",
                "noise": "noise_sd",
                "sims": "n_sims",
                "window": "window",
                "flops_per_param_token": "flops_per_param_token",
            },
        ),
        (
            ["design", "--budgets", "1e20"],
            "chinchilla_laws.planning:design_isoflop_for_se",
            {"max_budgets": "max_budgets", "max_sizes": "max_sizes"},
        ),
        (
            ["curves", "fit", "x.csv", "--schedules", "s.csv"],
            "chinchilla_laws.multipower_fit:fit_multi_power",
            {"delta": "delta"},
        ),
        (
            ["curves", "fit", "x.csv", "--schedules", "s.csv"],
            "chinchilla_laws.multipower_fit:bootstrap_multi_power",
            {"block_length": "block_length"},
        ),
        (
            [
                "curves",
                "optimize-schedule",
                "--law",
                "x",
                "--steps",
                "9",
                "--warmup",
                "1",
                "--peak",
                "1e-3",
            ],
            "chinchilla_laws.optimal_schedule:optimize_schedule",
            {"floor": "floor"},
        ),
        (
            ["optimal", "--flops", "1e22"],
            "chinchilla_laws.laws:ChinchillaLaw.optimal",
            {"flops_per_param_token": "flops_per_param_token"},
        ),
        (
            ["fit", "x.csv"],
            "chinchilla_laws.io:load_runs",
            {"flops_per_param_token": "flops_per_param_token"},
        ),
    ],
)
def test_cli_defaults_follow_the_library_signatures(
    argv: list[str], func_path: str, mapping: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # was: the planning and curves commands restated the library's defaults as literals;
    # changing a library default must change the CLI's (the parser reads the signature)
    import importlib

    from chinchilla_laws.cli import _build_parser

    module_name, qual = func_path.split(":")
    func: object = importlib.import_module(module_name)
    for part in qual.split("."):
        func = getattr(func, part)
    kwdefaults = dict(func.__kwdefaults__ or {})  # type: ignore[attr-defined]
    marked = {}
    for dest, param in mapping.items():
        old = kwdefaults[param]
        new = old + 1 if isinstance(old, (int, float)) else old + "_changed"
        kwdefaults[param] = marked[dest] = new
    monkeypatch.setattr(func, "__kwdefaults__", kwdefaults)
    args = _build_parser().parse_args(argv)
    for dest, value in marked.items():
        assert getattr(args, dest) == value, (argv[:2], dest)
