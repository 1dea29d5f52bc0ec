"""Figures of the data-constrained and over-training laws: content, not pixels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.plot import plot_overtraining, plot_repeated_data

M23 = cl.MUENNIGHOFF_2023
G24 = cl.GADRE_2024


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_repeated_data_figure_draws_the_law_and_the_effective_data() -> None:
    u = 25e9
    sizes = [1e9, 4e9]
    ep = np.geomspace(1, 60, 30)
    runs = (
        np.array([1e9, 4e9, 2e9]),
        np.array([4 * u, 10 * u, 3e11]),
        np.array([u, u, 1e11]),
        np.array([2.5, 2.3, 2.4]),
    )
    ax = plot_repeated_data(M23, unique_tokens=u, n_params=sizes, epochs=ep, runs=runs)
    curves = by_gid(ax, "loss-curve")
    fresh = by_gid(ax, "fresh-data")
    assert len(curves) == len(fresh) == 2
    for line, n in zip(curves, sizes, strict=True):
        np.testing.assert_allclose(line.get_xdata(), ep, rtol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), M23.loss(n, ep * u, u), rtol=1e-12)
    # fresh data is never worse than repeated data
    for rep, fr in zip(curves, fresh, strict=True):
        assert np.all(fr.get_ydata() <= rep.get_ydata() + 1e-15)
    (eff,) = by_gid(ax.right_ax, "effective-data")
    np.testing.assert_allclose(eff.get_ydata(), M23.effective_tokens(ep * u, u) / u, rtol=1e-12)
    (pts,) = by_gid(ax, "runs")
    # only the two runs with U = 25e9, at their epochs
    np.testing.assert_allclose(pts.get_offsets(), [[4.0, 2.5], [10.0, 2.3]], rtol=1e-12)
    assert ax.get_xscale() == "log" and "Epochs" in ax.get_xlabel()


def test_overtraining_figure_draws_one_curve_per_size_and_m_star() -> None:
    m = np.geomspace(5, 640, 25)
    runs = (np.array([1e8, 4e8]), np.array([20.0, 320.0]), np.array([3.2, 2.9]))
    ax = plot_overtraining(G24, n_params=[1e8, 1e9, 7e9], tokens_per_param=m, runs=runs)
    curves = by_gid(ax, "loss-curve")
    assert len(curves) == 3
    np.testing.assert_allclose(curves[1].get_ydata(), G24.loss_at_multiplier(1e9, m), rtol=1e-12)
    (line,) = by_gid(ax, "m-star")
    assert line.get_xdata()[0] == pytest.approx(G24.compute_optimal_tokens_per_param)
    (pts,) = by_gid(ax, "runs")
    np.testing.assert_allclose(pts.get_offsets(), [[20.0, 3.2], [320.0, 2.9]])


BAD = [
    (
        lambda: plot_repeated_data(G24, unique_tokens=1e9, n_params=[1e9]),
        TypeError,
        r"`law` must be a DataConstrainedLaw",
    ),
    (
        lambda: plot_repeated_data(M23, unique_tokens=0.0, n_params=[1e9]),
        ValueError,
        r"`unique_tokens`",
    ),
    (
        lambda: plot_repeated_data(M23, unique_tokens=1e9, n_params=[-1.0]),
        ValueError,
        r"`n_params`",
    ),
    (
        lambda: plot_repeated_data(M23, unique_tokens=1e9, n_params=[1e9], runs=(1, 2)),
        TypeError,
        r"`runs` must be a tuple of 4",
    ),
    (
        lambda: plot_overtraining(M23, n_params=[1e9]),
        TypeError,
        r"`law` must be an OverTrainingLaw",
    ),
    (
        lambda: plot_overtraining(G24, n_params=[1e9], tokens_per_param=[-5.0]),
        ValueError,
        r"`tokens_per_param`",
    ),
    (
        lambda: plot_overtraining(G24, n_params=[1e9], runs=([1.0], [2.0, 3.0], [1.0])),
        ValueError,
        r"same length",
    ),
]


@pytest.mark.parametrize("call,exc,match", BAD)
def test_bad_input(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()
