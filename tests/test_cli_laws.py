"""Command line: the data-constrained and over-training laws."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import chinchilla_laws as cl
from chinchilla_laws.cli import main


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out: dict[str, Any] = json.loads(captured.out)
    return out


def test_optimal_under_a_unique_token_limit(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["optimal", "--flops", "1e20", "1e22", "--law", "muennighoff2023"]
    out = run_json(capsys, [*argv, "--unique-tokens", "25e9"])
    rows = out["laws"][0]["frontier"]
    f = cl.MUENNIGHOFF_2023.optimal([1e20, 1e22], unique_tokens=25e9)
    # the library's numbers, unrounded: 7.03e9 params, 9.49 epochs at 1e22
    assert [r["n_params"] for r in rows] == f.n_params.tolist()
    assert [r["epochs"] for r in rows] == f.epochs.tolist()
    assert rows[1]["n_params"] == pytest.approx(7.02e9, rel=0.01)
    assert out["unique_tokens"] == 25e9
    assert out["laws"][0]["law"]["params"]["rd_star"] == 15.387756
    code = main([*argv, "--unique-tokens", "25e9"])
    text = capsys.readouterr().out
    assert code == 0 and "epochs" in text and "U = 2.5e+10 unique tokens" in text


def test_optimal_of_the_overtraining_law(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_json(capsys, ["optimal", "--flops", "1e22", "--law", "gadre2024"])
    row = out["laws"][0]["frontier"][0]
    assert row["tokens_per_param"] == pytest.approx(
        cl.GADRE_2024.compute_optimal_tokens_per_param, rel=1e-12
    )
    assert main(["optimal", "--flops", "1e22", "--law", "gadre2024"]) == 0
    assert "M*=7.41909" in capsys.readouterr().out
    # --params asks for the unconstrained frontier of the same law
    out = run_json(capsys, ["optimal", "--params", "1e9", "--law", "gadre2024"])
    assert out["laws"][0]["frontier"][0]["tokens_per_param"] == pytest.approx(7.4190922, rel=1e-6)


def test_laws_from_json_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dc = tmp_path / "dc.json"
    dc.write_text(json.dumps({**cl.MUENNIGHOFF_2023.params, "name": "mine"}))
    out = run_json(
        capsys, ["optimal", "--flops", "1e22", "--law", str(dc), "--unique-tokens", "25e9"]
    )
    assert out["laws"][0]["frontier"][0]["n_params"] == float(
        cl.MUENNIGHOFF_2023.optimal(1e22, unique_tokens=25e9).n_params[0]
    )
    ot = tmp_path / "ot.json"
    ot.write_text(json.dumps({"law": cl.GADRE_2024.as_dict()}))
    out = run_json(capsys, ["optimal", "--flops", "1e22", "--law", str(ot)])
    assert out["laws"][0]["law"]["params"]["eta"] == cl.GADRE_2024.eta


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--flops", "1e22", "--unique-tokens", "1e9"], "needs a data-constrained law"),
        (
            ["--params", "1e9", "--law", "muennighoff2023", "--unique-tokens", "1e9"],
            "needs budgets",
        ),
        (["--flops", "1e22", "--law", "muennighoff2023", "--unique-tokens", "0"], "unique-tokens"),
        (["--flops", "1e22", "--law", "gadre2025"], "must be a preset"),
    ],
)
def test_bad_input(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = 2
    try:
        code = main(["optimal", *argv])
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    assert code != 0
    assert message in capsys.readouterr().err


def test_bad_law_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**cl.MUENNIGHOFF_2023.params, "rd_star": -1.0}))
    assert main(["optimal", "--flops", "1e22", "--law", str(bad)]) != 0
    assert "`rd_star` must be a finite positive" in capsys.readouterr().err


# ---------------------------------------------------------------------- fit --family
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.slow
def test_fit_family_data_constrained_reads_the_unique_tokens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = DATA / "muennighoff2023_data_constrained.csv"
    if not path.exists():
        pytest.skip(f"shared data file {path} is not available")
    out = run_json(
        capsys,
        ["fit", str(path), "--family", "data_constrained", "--where", "split=train"],
    )
    fit = out["fit"]
    # the library's fit of the 161 train runs (tests/test_law_families.py)
    assert fit["law"]["params"]["rd_star"] == pytest.approx(25.0892, rel=1e-4)
    assert out["data"]["n_rows"] == 161
    # the column under another name, rows in another order: same fit
    lines = path.read_text().splitlines()
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(
        "\n".join([lines[0].replace("unique_tokens", "U"), *reversed(lines[1:])]) + "\n"
    )
    out2 = run_json(
        capsys,
        [
            "fit",
            str(renamed),
            "--family",
            "data_constrained",
            "--unique-tokens-column",
            "U",
            "--where",
            "split=train",
        ],
    )
    assert out2["fit"]["objective"] == pytest.approx(fit["objective"], rel=1e-9)


def test_fit_family_overtraining(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    law = cl.OverTrainingLaw(E=1.9, A=250.0, B=900.0, eta=0.3)
    rows = ["params,tokens,loss"]
    for n in (1e7, 5e7, 2e8, 1e9):
        for m in (5.0, 20.0, 80.0, 320.0):
            rows.append(f"{n},{m * n},{float(law.loss_at_multiplier(n, m))!r}")
    path = tmp_path / "ot.csv"
    path.write_text("\n".join(rows) + "\n")
    out = run_json(capsys, ["fit", str(path), "--family", "overtraining"])
    # noise-free runs: the law comes back to the solver's tolerance
    assert out["fit"]["law"]["params"]["eta"] == pytest.approx(0.3, rel=1e-5)


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--family", "chinchila"], "`--family`"),
        (["--family", "data_constrained", "--unique-tokens-column", "nope"], "nope"),
    ],
)
def test_fit_family_bad_input(
    extra: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("params,tokens,unique_tokens,loss\n1e8,2e9,1e9,3.1\n2e8,4e9,1e9,2.9\n")
    assert main(["fit", str(path), *extra]) != 0
    assert message in capsys.readouterr().err
