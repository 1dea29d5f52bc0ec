"""Render the documentation figures into ``docs/_static/`` as PNG.

Run from the repository root (needs the ``plot`` extra)::

    python docs/make_figures.py

Synthetic data come from :mod:`chinchilla_laws.datasets` with fixed seeds. The
frontier figure also uses the Epoch AI reconstruction of Hoffmann et al.'s
Figure 4 data when ``../shared/data/chinchilla_epoch_reconstruction.csv`` (next to
the checkout) exists; the data are not shipped with the package.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

import chinchilla_laws as cl
from chinchilla_laws.datasets import synthetic_curves, synthetic_sweep
from chinchilla_laws.plot import (
    plot_contours,
    plot_envelope,
    plot_frontiers,
    plot_isoflop,
    plot_loss_curves,
    plot_overtraining,
    plot_repeated_data,
    plot_schedules,
)
from chinchilla_laws.schedules import luo2025_schedule

HERE = Path(__file__).resolve().parent
OUT = HERE / "_static"
EPOCH_CSV = HERE.parents[1] / "shared" / "data" / "chinchilla_epoch_reconstruction.csv"
LUO_CSV = HERE.parents[1] / "shared" / "data" / "luo2025_lr_schedule_curves.csv"
MUENNIGHOFF_CSV = HERE.parents[1] / "shared" / "data" / "muennighoff2023_data_constrained.csv"
GADRE_CSV = HERE.parents[1] / "shared" / "data" / "gadre2024_overtraining_final_losses.csv"
GOPHER = 5.76e23
DPI = 90


def save(fig: matplotlib.figure.Figure, name: str) -> None:
    path = OUT / name
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(f"wrote {path.relative_to(HERE.parent)} ({path.stat().st_size / 1024:.0f} KiB)")


def epoch_data() -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(N, D, loss) of the 240-point Epoch set (D = C / 6N, 5 highest losses dropped)."""
    if not EPOCH_CSV.is_file():
        return None
    with open(EPOCH_CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    keep = loss < np.sort(loss)[-5]
    return n[keep], c[keep] / (6.0 * n[keep]), loss[keep]


def figure_envelope() -> None:
    curves = synthetic_curves(rng=0)
    res = cl.envelope(
        curves.run_id,
        curves.n_params,
        curves.n_tokens,
        curves.loss,
        schedule_end=curves.schedule_end,
    )
    fig = plot_envelope(
        curves.run_id, curves.n_params, curves.n_tokens, curves.loss, res, target=GOPHER
    )
    save(fig, "envelope.png")


def figure_isoflop() -> None:
    sweep = synthetic_sweep(law=cl.BESIROGLU_2024, noise=0.004, rng=1)
    # one extra budget sampled only above its optimum: a flagged (unbracketed) vertex
    c_extra = 3e21
    n_extra = cl.BESIROGLU_2024.optimal(c_extra).n_params[0] * np.exp(np.linspace(0.4, 2.0, 7))
    d_extra = c_extra / (6.0 * n_extra)
    n = np.concatenate([sweep.n_params, n_extra])
    d = np.concatenate([sweep.n_tokens, d_extra])
    loss = np.concatenate([sweep.loss, cl.BESIROGLU_2024.loss(n_extra, d_extra)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.IsoFLOPWarning)
        res = cl.isoflop_minima(n, d, loss)
    save(plot_isoflop(n, loss, res, target=GOPHER), "isoflop.png")


def figure_contours(law: cl.ChinchillaLaw) -> None:
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(13.0, 5.0), layout="constrained")
    budgets = [1e19, 1e21, GOPHER]
    plot_contours(law, budgets=budgets, ax=ax0, compute_range=(1e18, 1e26))
    plot_contours(law, space="tokens", budgets=budgets, ax=ax1, colorbar=False)
    save(fig, "contours.png")


def figure_frontiers(fit: cl.ParametricFit | None) -> None:
    items: list[cl.ChinchillaLaw | cl.ParametricFit] = list(cl.PRESETS.values())
    bands: list[object | None] = [None] * len(items)
    data = epoch_data()
    if fit is not None and data is not None:
        boot = cl.bootstrap_parametric(*data, n_resamples=200, rng=0, fit=fit)
        items.append(fit.law.with_name("this package, Epoch data (95% bootstrap band)"))
        bands.append(boot.frontier(np.geomspace(1e18, 1e26, 100)))
    ax = plot_frontiers(items, bands=bands, target=GOPHER)
    ax.figure.set_size_inches(7.0, 5.0)
    save(ax.figure, "frontiers.png")


def read_rows(path: Path) -> list[dict[str, str]] | None:
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def figure_repeated_data() -> None:
    rows = read_rows(MUENNIGHOFF_CSV)
    runs = None
    if rows is not None:
        runs = tuple(
            np.array([float(r[k]) for r in rows])
            for k in ("params", "tokens", "unique_tokens", "loss")
        )
    ax = plot_repeated_data(
        cl.MUENNIGHOFF_2023,
        unique_tokens=1e8,
        n_params=[1.41e7, 4.4e7, 8.27e7, 1.465e8],
        epochs=np.geomspace(1, 1e4, 200),
        runs=runs,  # type: ignore[arg-type]
    )
    ax.figure.set_size_inches(7.0, 5.0)
    save(ax.figure, "repeated_data.png")


def figure_overtraining() -> None:
    rows = read_rows(GADRE_CSV)
    runs = None
    sizes = [1.1e7, 7.9e7, 1.5e8, 4.1e8, 1.4e9, 6.9e9]
    if rows is not None:
        rows = [r for r in rows if r["train_dataset"] == "rpj"]
        runs = tuple(
            np.array([float(r[k]) for r in rows])
            for k in ("params", "tokens_per_param_nominal", "loss_c4_val")
        )
        sizes = sorted({float(r["params"]) for r in rows})
    ax = plot_overtraining(cl.GADRE_2024, n_params=sizes, runs=runs)  # type: ignore[arg-type]
    ax.figure.set_size_inches(7.0, 5.0)
    save(ax.figure, "overtraining.png")


def luo_curves(size: str, split: str) -> list[cl.LossCurve] | None:
    rows = read_rows(LUO_CSV)
    if rows is None:
        return None
    out = []
    for name in sorted({r["schedule"] for r in rows if r["model_size"] == size}):
        mine = [r for r in rows if r["model_size"] == size and r["schedule"] == name]
        if mine[0]["split"] != split:
            continue
        steps = np.array([int(r["step"]) for r in mine])
        loss = np.array([float(r["loss"]) for r in mine])
        out.append(cl.LossCurve(name=name, steps=steps, loss=loss, schedule=luo2025_schedule(name)))
    return out


def figure_loss_curves() -> None:
    train = luo_curves("400M", "train")
    test = luo_curves("400M", "test")
    if train is None or test is None:
        return
    ax = plot_loss_curves(cl.LUO_2025_400M, train, test=test)
    ax.set_ylim(2.7, 3.6)
    ax.figure.set_size_inches(8.0, 5.5)
    save(ax.figure, "loss_curves.png")


def figure_schedules() -> None:
    opt = cl.optimize_schedule(cl.LUO_2025_400M, 24000, warmup=2160, peak=3e-4, floor=1e-10)
    save(plot_schedules(opt), "schedules.png")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    data = epoch_data()
    fit = cl.fit_parametric(*data) if data is not None else None
    figure_envelope()
    figure_isoflop()
    figure_contours(fit.law.with_name("fit to the Epoch data") if fit else cl.BESIROGLU_2024)
    figure_frontiers(fit)
    figure_repeated_data()
    figure_overtraining()
    figure_loss_curves()
    figure_schedules()


if __name__ == "__main__":
    main()
