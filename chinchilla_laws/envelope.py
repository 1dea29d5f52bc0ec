r"""Approach 1 of Hoffmann et al. (2022): the envelope of training curves.

Each run's training curve (loss against tokens seen) is optionally smoothed,
converted to FLOPs, interpolated onto a shared log-spaced FLOP grid inside the
range the run covers, and the minimum over runs is taken at every grid value.
Power laws ``N_opt ∝ C^a`` and ``D_opt ∝ C^b`` are then fitted through the
envelope points with :func:`chinchilla_laws.fit_power_law`.
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._typing import AnyArray, BoolArray, FloatArray, IntArray, freeze_arrays
from ._validation import _describe, as_float_array, as_fraction, as_int, same_length
from ._warn import warn
from .laws import FLOPS_PER_PARAM_TOKEN, Frontier
from .powerlaw import PowerLaw, fit_power_law
from .result import Result
from .warnings import EnvelopeWarning

__all__ = ["EnvelopeResult", "envelope", "envelope_from_frame", "envelope_from_runs"]

"""The ``C = 6 N D`` convention used when ``flops_per_token`` is not given."""

_REL_TOL = 1e-9
"""Relative slack when comparing a grid point's tokens with a run's schedule end."""


class EnvelopeStatus(enum.Enum):
    """The outcome of :func:`envelope`'s checks; the value is the message."""

    SUCCESS = "the envelope passed its checks"
    NOT_AT_SCHEDULE_END = (
        "too few envelope points lie at the end of their run's schedule (`min_share`): "
        "the envelope is made of intermediate points"
    )
    TOO_FEW_SIZES = (
        "the envelope selects fewer than three model sizes: the exponent of N_opt is not identified"
    )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class EnvelopeResult(Result):
    r"""The training-curve envelope and the power laws fitted through it.

    Attributes
    ----------
    compute : ndarray
        The log-spaced FLOP grid ``C`` (``C = 6 N D`` unless ``flops_per_token``
        was given), shape ``(n_grid,)``.
    loss_min : ndarray
        The lowest (smoothed, interpolated) loss over all runs at each ``C``.
    run_index : ndarray of int
        Index into ``run_ids`` of the run that attains ``loss_min`` at each ``C``.
    n_params : ndarray
        ``N`` of that run at each ``C``.
    n_tokens : ndarray
        Tokens that run has seen at ``C``: ``D = C / flops_per_token``.
    in_final_fraction : ndarray of bool
        Whether each envelope point lies in the last ``final_fraction`` of its
        run's schedule: ``(1 - final_fraction) * schedule_end <= D <= schedule_end``.
    share_in_final_fraction : float
        The mean of ``in_final_fraction`` (the paper's check).
    n_params_law, n_tokens_law : PowerLaw
        ``N_opt = k_N C^a`` and ``D_opt = k_D C^b`` fitted by least squares in
        log-log space through *all* grid points (see Notes of :func:`envelope`).
    final_fraction : float
        The fraction of each schedule counted as its end (0.15 in the paper).
    smoothing : int
        Width of the Gaussian smoothing window in logged points (0: none).
    run_ids : ndarray
        The run identifiers, in order of first appearance in the data.
    run_n_params : ndarray
        ``N`` of each run.
    run_flops_per_token : ndarray
        FLOPs per token of each run (``6 N`` by default).
    run_schedule_end : ndarray
        Tokens at which each run's learning-rate schedule ends.
    run_n_points : ndarray of int
        Logged points of each run.
    run_compute_start, run_compute_end : ndarray
        The FLOP range each run covers (its first and last logged point).
    run_n_selected : ndarray of int
        Grid points at which each run is the envelope.
    skipped_run_ids : ndarray
        Runs left out for having fewer than ``min_run_points`` logged points (not
        among ``run_ids``).
    messages : tuple of str
        The warnings that were issued (empty when the envelope looks sound).
    status : EnvelopeStatus
        ``SUCCESS``, or the check that failed (``TOO_FEW_SIZES`` when both did).
        Merged duplicate rows and skipped runs are reported in ``messages`` only.
    """

    compute: FloatArray
    loss_min: FloatArray
    run_index: IntArray
    n_params: FloatArray
    n_tokens: FloatArray
    in_final_fraction: BoolArray
    share_in_final_fraction: float
    n_params_law: PowerLaw
    n_tokens_law: PowerLaw
    final_fraction: float
    smoothing: int
    run_ids: AnyArray = field(repr=False)
    run_n_params: FloatArray = field(repr=False)
    run_flops_per_token: FloatArray = field(repr=False)
    run_schedule_end: FloatArray = field(repr=False)
    run_n_points: IntArray = field(repr=False)
    run_compute_start: FloatArray = field(repr=False)
    run_compute_end: FloatArray = field(repr=False)
    run_n_selected: IntArray = field(repr=False)
    skipped_run_ids: AnyArray = field(default_factory=lambda: np.array([]), repr=False)
    messages: tuple[str, ...] = ()
    status: EnvelopeStatus = EnvelopeStatus.SUCCESS

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def message(self) -> str:
        """One line: the status, then what the checks reported."""
        if self.success:
            return f"{self.status.value} ({len(self.messages)} note(s))."
        return f"{self.status.value}."

    def optimal(self, compute: ArrayLike) -> Frontier:
        """The :class:`Frontier` at budgets ``compute`` (FLOPs) from the power laws.

        ``n_params`` and ``n_tokens`` are ``k_N C^a`` and ``k_D C^b`` fitted through the
        envelope; they predict no loss, so ``loss`` is NaN. ``compute`` follows the
        envelope's FLOP convention (``C = 6 N D`` unless ``flops_per_token`` was given).
        """
        c = as_float_array(np.atleast_1d(np.asarray(compute)), "compute", positive=True)
        return Frontier(
            compute=c,
            n_params=self.n_params_law(c),
            n_tokens=self.n_tokens_law(c),
            loss=np.full(c.shape, np.nan),
        )

    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C^a``."""
        return self.n_params_law.exponent

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C^b``."""
        return self.n_tokens_law.exponent

    @property
    def run_id(self) -> AnyArray:
        """The identifier of the envelope run at each grid point."""
        out: AnyArray = self.run_ids[self.run_index]
        return out

    @property
    def n_runs(self) -> int:
        """Number of runs in the data."""
        return int(self.run_ids.shape[0])

    @property
    def n_runs_selected(self) -> int:
        """Number of distinct runs that make up the envelope."""
        return int(np.count_nonzero(self.run_n_selected))

    def summary(self) -> str:
        """A readable multi-line report: sampled envelope points and the power laws."""
        from .report import envelope_text

        return f"{envelope_text(self)}\n  {self.status.name}: {self.message}"

    def _repr_markdown_(self) -> str:
        from .report import code_markdown

        return code_markdown(self.summary())


# ---------------------------------------------------------------------- helpers
def _run_label(run_ids: AnyArray, r: int) -> str:
    return repr(run_ids[r].item() if isinstance(run_ids[r], np.generic) else run_ids[r])


def _group_runs(run_id: ArrayLike, n_rows: int) -> tuple[IntArray, AnyArray]:
    """Codes ``0..n_runs-1`` per row (runs in order of first appearance) and the ids."""
    if isinstance(run_id, (str, bytes)):
        raise TypeError(
            f"`run_id` must be a 1-D array of run identifiers; got {_describe(run_id)}."
        )
    ids = np.asarray(run_id)
    if ids.ndim != 1:
        raise ValueError(f"`run_id` must be a 1-D array; got shape {ids.shape}.")
    if ids.shape[0] != n_rows:
        raise ValueError(
            f"the data arrays must have the same length; got `run_id` has {ids.shape[0]}, "
            f"`n_tokens` has {n_rows}."
        )
    if ids.dtype.kind == "f" and not np.all(np.isfinite(ids)):
        raise ValueError("`run_id` must not contain NaN or infinite values.")
    try:
        uniq, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            "`run_id` must hold mutually comparable identifiers (all strings or all numbers); "
            f"got {_describe(ids)}."
        ) from exc
    order = np.argsort(first, kind="stable")
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0], dtype=np.int64)
    codes: IntArray = rank[inverse.reshape(-1)]
    run_ids: AnyArray = uniq[order]
    return codes, run_ids


def _per_run_option(
    value: Any,
    name: str,
    codes: IntArray,
    run_ids: AnyArray,
    starts: IntArray,
    perm: IntArray,
    n_rows: int,
) -> FloatArray:
    """A scalar, a long-form array (constant within runs) or a mapping run id -> value.

    ``codes`` and ``starts`` refer to the rows kept, grouped by run and sorted; ``perm``
    gives each kept row's index in the input of ``n_rows`` rows, and selects those
    rows from a long-form array.
    """
    n_runs = run_ids.shape[0]
    if isinstance(value, Mapping):
        out = np.empty(n_runs)
        for r in range(n_runs):
            key = run_ids[r].item() if isinstance(run_ids[r], np.generic) else run_ids[r]
            if key not in value:
                raise ValueError(f"`{name}` has no entry for run {_run_label(run_ids, r)}.")
            out[r] = _positive_float(value[key], f"{name}[{key!r}]")
        return out
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return np.full(n_runs, _positive_float(value, name))
    arr = as_float_array(value, name, positive=True)
    if arr.shape[0] != n_rows:
        raise ValueError(
            f"`{name}` must be a scalar, a mapping from run id to value, or a long-form array "
            f"with one entry per row ({n_rows}); got {arr.shape[0]} entries."
        )
    arr = arr[perm]
    per_run = arr[starts]
    bad = arr != per_run[codes]
    if bad.any():
        row = int(np.argmax(bad))
        r = int(codes[row])
        raise ValueError(
            f"`{name}` must be constant within each run; run {_run_label(run_ids, r)} has "
            f"{float(per_run[r])!r} and {float(arr[row])!r}."
        )
    out_arr: FloatArray = np.ascontiguousarray(per_run)
    return out_arr


def _check_values(
    arr: FloatArray,
    name: str,
    positive: bool,
    codes: IntArray,
    pos: IntArray,
    run_ids: AnyArray,
    index: IntArray,
) -> None:
    """Raise on the first non-finite (or non-positive) entry, naming its run and index.

    ``index`` is each (grouped) row's index in the input, ``pos`` its position in its run.
    """
    bad = ~np.isfinite(arr)
    kind = "finite"
    if positive:
        bad |= ~(arr > 0)
        kind = "positive and finite"
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"`{name}` of run {_run_label(run_ids, int(codes[row]))} must be {kind}; "
            f"got {float(arr[row])!r} at index {int(index[row])} (position {int(pos[row])} "
            "in the run)."
        )


def _run_layout(codes: IntArray, n_runs: int) -> tuple[IntArray, IntArray, IntArray]:
    """Rows per run, first row of each run and position within the run (rows grouped)."""
    lengths: IntArray = np.bincount(codes, minlength=n_runs).astype(np.int64)
    starts: IntArray = np.zeros(n_runs, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    pos: IntArray = np.arange(codes.shape[0], dtype=np.int64) - starts[codes]
    return lengths, starts, pos


DUPLICATES = ("raise", "min", "mean", "last")
"""The rules of :func:`envelope` for rows with the same run and token count."""


def _merge_repeats(
    codes: IntArray, d: FloatArray, y: FloatArray, run_ids: AnyArray, rule: str
) -> tuple[IntArray, FloatArray, int]:
    """Merge rows with the same run and token count (rows sorted by run, then tokens).

    Returns the row kept for each (run, tokens) pair (the first of its group), the
    loss of each kept row under ``rule`` and the number of exact repeats dropped.
    Rows whose losses differ raise under ``rule="raise"``.
    """
    n_rows = codes.shape[0]
    repeat = np.zeros(n_rows, dtype=bool)
    repeat[1:] = (codes[1:] == codes[:-1]) & (d[1:] == d[:-1])
    if not repeat.any():
        return np.arange(n_rows, dtype=np.int64), y, 0
    first = np.flatnonzero(~repeat)
    group = np.cumsum(~repeat) - 1
    size = np.bincount(group)
    lo = np.minimum.reduceat(y, first)
    hi = np.maximum.reduceat(y, first)
    conflict = lo != hi
    n_exact = int(np.sum(size[~conflict] - 1))
    if conflict.any():
        if rule == "raise":
            g = int(np.argmax(conflict))
            r = int(codes[first[g]])
            values = ", ".join(repr(float(v)) for v in y[group == g][:5])
            raise ValueError(
                f"run {_run_label(run_ids, r)} has {int(size[g])} rows at `n_tokens` = "
                f"{float(d[first[g]])!r} with different losses ({values}); pass "
                "`duplicates='min'`, 'mean' or 'last' to combine such rows (command line: "
                "`--duplicates`), or give the runs distinct ids."
            )
        if rule == "min":
            merged = lo
        elif rule == "mean":
            merged = np.add.reduceat(y, first) / size
        else:  # "last": the last row in input order (the sorts are stable)
            merged = y[first + size - 1]
        y_out = np.where(conflict, merged, lo)
    else:
        y_out = lo
    return first.astype(np.int64), np.ascontiguousarray(y_out, dtype=np.float64), n_exact


def _positive_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number; got {_describe(value)}.")
    out = float(value)
    if not (math.isfinite(out) and out > 0):
        raise ValueError(f"`{name}` must be a finite positive number; got {out!r}.")
    return out


def _gaussian_smooth(
    values: FloatArray, pos: IntArray, lengths: IntArray, codes: IntArray, width: int
) -> FloatArray:
    """Gaussian-weighted moving average inside each run (rows grouped by run).

    The window spans ``width`` logged points (half-width ``h = width // 2``) with
    standard deviation ``width / 4``. Near a run's ends the window shrinks
    symmetrically to the points available on both sides (half-width
    ``min(h, i, n - 1 - i)``), so a linear trend is not biased there and the
    first and last points are kept as logged; runs are never mixed.
    """
    half = width // 2
    if half == 0:
        return values.copy()
    sigma = width / 4.0
    n = values.shape[0]
    reach = np.minimum(np.minimum(pos, lengths[codes] - 1 - pos), half)
    num = values.copy()
    den = np.ones_like(values)
    for k in range(1, min(half, int(lengths.max()) - 1) + 1):
        w = math.exp(-0.5 * (k / sigma) ** 2)
        ok = reach >= k
        # row i takes values[i + k] and values[i - k]; `reach` keeps both in its run
        num[: n - k] += np.where(ok[: n - k], w * values[k:], 0.0)
        num[k:] += np.where(ok[k:], w * values[: n - k], 0.0)
        den += np.where(ok, 2.0 * w, 0.0)
    out: FloatArray = num / den
    return out


# ---------------------------------------------------------------------- public API
def envelope(
    run_id: ArrayLike,
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    loss: ArrayLike,
    *,
    smoothing: int | None = 10,
    n_grid: int = 1500,
    flops_per_token: Any = None,
    schedule_end: Any = None,
    final_fraction: float = 0.15,
    min_share: float = 0.5,
    compute_range: tuple[float, float] | None = None,
    duplicates: str = "raise",
    min_run_points: int = 2,
) -> EnvelopeResult:
    r"""The envelope of training curves (Hoffmann et al. 2022, Approach 1).

    Parameters
    ----------
    run_id : array_like, shape (n_rows,)
        The run each row belongs to (strings or numbers). Rows may come in any
        order: each run's rows are sorted by ``n_tokens`` (stably), and runs may
        be interleaved.
    n_params : array_like, shape (n_rows,)
        Model size ``N`` of the row's run (positive, constant within a run).
    n_tokens : array_like, shape (n_rows,)
        Tokens seen at the logged point (positive). With steps and a batch of
        ``tokens_per_step`` tokens pass ``steps * tokens_per_step``. Rows of one
        run with the same token count are merged (see ``duplicates``).
    loss : array_like, shape (n_rows,)
        Training loss at the logged point (finite).
    smoothing : int or None, default 10
        Width, in logged points, of the Gaussian window each curve is smoothed
        with (standard deviation ``smoothing / 4``, half-width ``smoothing // 2``;
        near a run's ends the window shrinks symmetrically, so the last point is
        kept as logged and a trend is not biased). ``0``, ``1`` or ``None``: no
        smoothing.
    n_grid : int, default 1500
        Number of log-spaced FLOP values.
    flops_per_token : float, array_like or mapping, optional
        Training FLOPs per token of each run, so that ``C = flops_per_token * D``.
        A scalar applies to every run, a long-form array gives one value per row
        (constant within a run) and a mapping gives one value per run id.
        Default ``6 N`` (``C = 6 N D``).
    schedule_end : float, array_like or mapping, optional
        Tokens at which each run's learning-rate schedule ends, given like
        ``flops_per_token``. Default: the run's last ``n_tokens`` value (the run
        is assumed complete). Give the planned horizon for runs that stopped
        early.
    final_fraction : float, default 0.15
        Envelope points whose tokens lie in the last ``final_fraction`` of their
        run's schedule count as "final" (the paper's check).
    min_share : float, default 0.5
        An :class:`~chinchilla_laws.EnvelopeWarning` is issued when fewer than
        this share of the envelope points are final.
    compute_range : (float, float), optional
        The FLOP interval of the grid. Default: from the smallest to the largest
        final FLOP count over runs, i.e. the range in which at least one run has
        finished its schedule. It must lie within the FLOPs the runs cover.
    duplicates : {"raise", "min", "mean", "last"}, default "raise"
        What to do with rows of one run that share a token count but differ in
        loss (published logs repeat evaluations, or log two runs under one
        name): ``"raise"`` a ``ValueError`` naming the run and the token count,
        or keep their minimum, mean or last (in input order) loss. Exact
        duplicates (same run, tokens and loss) are always merged, with an
        :class:`~chinchilla_laws.EnvelopeWarning` that counts them.
    min_run_points : int, default 2
        Runs with fewer distinct logged token counts are skipped, with an
        :class:`~chinchilla_laws.EnvelopeWarning` that lists them (a run with
        one point covers a single FLOP value). Not to be confused with
        ``min_points`` of :func:`~chinchilla_laws.isoflop_minima` (runs per
        budget).

    Returns
    -------
    EnvelopeResult
        The grid, the envelope, the run it sits on and the fitted power laws.

    Raises
    ------
    ValueError
        On bad input, naming the argument and the run: non-finite or
        non-positive values, ``n_params`` varying within a run, rows of one run
        with the same token count and different losses (``duplicates="raise"``),
        fewer than two runs of ``min_run_points`` points, or arrays of different
        lengths.

    Warns
    -----
    EnvelopeWarning
        When less than ``min_share`` of the envelope points lie in the last
        ``final_fraction`` of their schedules, when the envelope selects fewer
        than three distinct model sizes, when exact duplicate rows were merged,
        or when runs with fewer than ``min_run_points`` points were skipped.

    Notes
    -----
    The procedure follows Hoffmann et al. (2022, Sec. 3.1 and Figure 2):

    1. each curve is smoothed with a Gaussian window (optional);
    2. tokens are converted to FLOPs, :math:`C = 6 N D` by default;
    3. each run's loss is interpolated linearly in :math:`\log C` onto a grid of
       ``n_grid`` log-spaced FLOP values, only inside the FLOP range the run
       covers (no extrapolation);
    4. at each grid value the run with the lowest loss is the envelope;
       it gives :math:`N` and :math:`D = C / \text{flops\_per\_token}`;
    5. :math:`N_{opt} = k_N C^a` and :math:`D_{opt} = k_D C^b` are fitted by
       ordinary least squares on logs through **all** grid points, as the
       paper's Figure 2 does.

    With the default ``6 N`` FLOPs per token, :math:`\log D = \log C - \log 6 -
    \log N` at every point, so :math:`a + b = 1` exactly.

    The envelope usually sits on one run for many consecutive grid points, so
    :math:`N` is a staircase in :math:`C` and the grid points are far from
    independent. The standard errors of the exponents (``n_params_law.exponent_se``)
    treat them as independent and are therefore **optimistic**, often by an
    order of magnitude; use a bootstrap over runs, or compare grids of different
    density, for honest uncertainties. ``run_n_selected`` shows how many grid
    points each run contributes.

    The paper checks that the selected points fall in the last 15% of each run's
    schedule. An intermediate point of a cosine schedule that ends later is not
    a compute-optimal stand-in for a shorter run (its learning rate has not been
    annealed; Hoffmann et al. 2022, Appendix B), so when every run has its own
    schedule, pass where each ends as ``schedule_end``; points beyond a run's
    ``schedule_end`` count as not final. The envelope itself still uses every
    point; ``in_final_fraction`` tells which ones to trust.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Sec. 3.1, Figure 2 and Appendix B.

    Examples
    --------
    Curves from a known law, each model trained to twelve horizons, with a
    cosine-schedule penalty that vanishes at each run's end:

    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX as law
    >>> sizes = np.geomspace(1e7, 1e9, 9)
    >>> ids, ns, ds, ls = [], [], [], []
    >>> for n in sizes:
    ...     for horizon in n * np.geomspace(2, 200, 12):
    ...         d = np.linspace(horizon / 100, horizon, 100)
    ...         ids += [f"{n:.3g}-{horizon:.3g}"] * 100
    ...         ns += [n] * 100
    ...         ds += list(d)
    ...         ls += list(law.loss(n, d) + 0.1 * (1 + np.cos(np.pi * d / horizon)))
    >>> c_range = law.optimal_for_params([sizes[1], sizes[-2]]).compute
    >>> res = envelope(ids, ns, ds, ls, compute_range=tuple(c_range))
    >>> print(f"a = {res.a:.3f} (law: {law.a:.3f}), a + b = {res.a + res.b:.6f}")
    a = 0.465 (law: 0.457), a + b = 1.000000
    >>> print(f"{res.share_in_final_fraction:.2f} final, {res.n_runs_selected} runs")
    0.62 final, 37 runs
    """
    # -- arrays
    d = as_float_array(n_tokens, "n_tokens", finite=False)
    n = as_float_array(n_params, "n_params", finite=False)
    y = as_float_array(loss, "loss", finite=False)
    n_rows = same_length(n_params=n, n_tokens=d, loss=y)
    codes, run_ids = _group_runs(run_id, n_rows)

    # -- options
    width = 0 if smoothing is None else as_int(smoothing, "smoothing", minimum=0)
    n_grid = as_int(n_grid, "n_grid", minimum=2)
    final_fraction = as_fraction(final_fraction, "final_fraction", inclusive_high=True)
    min_share = _as_share(min_share, "min_share")
    duplicates = _as_choice(duplicates, "duplicates", DUPLICATES)
    min_run_points = as_int(min_run_points, "min_run_points", minimum=1)

    # -- group rows by run (stable: input order within a run, for positions in messages)
    perm: IntArray | None = None
    if codes.shape[0] > 1 and np.any(codes[1:] < codes[:-1]):
        perm = np.argsort(codes, kind="stable")
        codes, d, n, y = codes[perm], d[perm], n[perm], y[perm]
    n_runs = run_ids.shape[0]
    lengths, starts, pos = _run_layout(codes, n_runs)
    index = np.arange(n_rows, dtype=np.int64) if perm is None else perm

    # -- per-run checks
    for name, arr, positive in (("n_params", n, True), ("n_tokens", d, True), ("loss", y, False)):
        _check_values(arr, name, positive, codes, pos, run_ids, index)
    run_n = n[starts]
    varies = n != run_n[codes]
    if varies.any():
        row = int(np.argmax(varies))
        r = int(codes[row])
        raise ValueError(
            f"`n_params` must be constant within each run; run {_run_label(run_ids, r)} has "
            f"{float(run_n[r])!r} at index {int(index[starts[r]])} and {float(n[row])!r} at "
            f"index {int(index[row])}."
        )

    # -- rows in token order within each run (stable), repeated token counts merged
    order = np.lexsort((d, codes))
    codes, d, n, y = codes[order], d[order], n[order], y[order]
    perm = order if perm is None else perm[order]
    keep, y, n_exact = _merge_repeats(codes, d, y, run_ids, duplicates)
    codes, d, n, perm = codes[keep], d[keep], n[keep], perm[keep]
    messages: list[str] = []
    if n_exact:
        messages.append(
            f"merged {n_exact} exact duplicate row(s) (same run, `n_tokens` and `loss`) "
            "into the row they repeat."
        )

    # -- runs with too few logged points are skipped
    lengths = np.bincount(codes, minlength=n_runs).astype(np.int64)
    short = np.flatnonzero(lengths < min_run_points)
    skipped: AnyArray = run_ids[short]
    if short.size:
        labels = [_run_label(run_ids, int(r)) for r in short[:10]]
        more = f" and {short.size - 10} more" if short.size > 10 else ""
        messages.append(
            f"skipped {short.size} run(s) with fewer than {min_run_points} logged point(s) "
            f"(`min_run_points`): {', '.join(labels)}{more}."
        )
        kept_runs = lengths >= min_run_points
        rows = kept_runs[codes]
        remap = np.cumsum(kept_runs) - 1
        codes, d, n, y, perm = remap[codes[rows]], d[rows], n[rows], y[rows], perm[rows]
        run_ids = run_ids[kept_runs]
        n_runs = run_ids.shape[0]
    if n_runs < 2:
        raise ValueError(
            f"`run_id` must name at least 2 runs with at least {min_run_points} distinct "
            f"`n_tokens` value(s) each (`min_run_points`); got {n_runs}."
        )
    lengths, starts, pos = _run_layout(codes, n_runs)
    ends = starts + lengths - 1
    run_n = n[starts]

    fpt = (
        FLOPS_PER_PARAM_TOKEN * run_n
        if flops_per_token is None
        else _per_run_option(
            flops_per_token, "flops_per_token", codes, run_ids, starts, perm, n_rows
        )
    )
    sched = (
        d[ends].copy()
        if schedule_end is None
        else _per_run_option(schedule_end, "schedule_end", codes, run_ids, starts, perm, n_rows)
    )

    # -- smoothing and FLOPs
    y_s = _gaussian_smooth(y, pos, lengths, codes, width) if width > 1 else y
    log_c = np.log(d) + np.log(fpt)[codes]
    log_c_start = log_c[starts]
    log_c_end = log_c[ends]

    # -- grid
    if compute_range is None:
        log_lo, log_hi = float(log_c_end.min()), float(log_c_end.max())
        if log_lo == log_hi:
            log_lo = float(log_c_start.min())
    else:
        lo, hi = _check_range(compute_range)
        cover_lo, cover_hi = float(log_c_start.min()), float(log_c_end.max())
        if lo < math.exp(cover_lo) * (1 - _REL_TOL) or hi > math.exp(cover_hi) * (1 + _REL_TOL):
            raise ValueError(
                f"`compute_range` must lie within the FLOPs the runs cover, "
                f"[{math.exp(cover_lo):.6g}, {math.exp(cover_hi):.6g}]; got ({lo!r}, {hi!r})."
            )
        log_lo, log_hi = max(math.log(lo), cover_lo), min(math.log(hi), cover_hi)
    log_grid = np.linspace(log_lo, log_hi, n_grid)

    # -- running minimum over runs; one np.interp per run on its slice of the grid
    best = np.full(n_grid, np.inf)
    arg = np.full(n_grid, -1, dtype=np.int64)
    g_lo = np.searchsorted(log_grid, log_c_start, side="left")
    g_hi = np.searchsorted(log_grid, log_c_end, side="right")
    for r in np.flatnonzero(g_hi > g_lo).tolist():
        a0, a1 = int(g_lo[r]), int(g_hi[r])
        s0, s1 = int(starts[r]), int(ends[r]) + 1
        vals = np.interp(log_grid[a0:a1], log_c[s0:s1], y_s[s0:s1])
        seg = best[a0:a1]
        better = vals < seg
        seg[better] = vals[better]
        arg[a0:a1][better] = r
    uncovered = arg < 0
    if uncovered.any():  # the runs' FLOP ranges do not overlap somewhere inside the grid
        i = int(np.argmax(uncovered))
        raise ValueError(
            "the runs' FLOP ranges leave a gap in the grid; no run covers "
            f"C = {math.exp(log_grid[i]):.6g}. Pass `compute_range` inside the covered span."
        )

    compute = np.exp(log_grid)
    env_n = run_n[arg]
    env_d = np.exp(log_grid - np.log(fpt)[arg])
    s_end = sched[arg]
    in_final = (env_d >= (1.0 - final_fraction) * s_end * (1 - _REL_TOL)) & (
        env_d <= s_end * (1 + _REL_TOL)
    )
    share = float(np.mean(in_final))
    n_selected: IntArray = np.bincount(arg, minlength=n_runs).astype(np.int64)

    n_law = fit_power_law(compute, env_n)
    d_law = fit_power_law(compute, env_d)

    status = EnvelopeStatus.SUCCESS
    if share < min_share:
        status = EnvelopeStatus.NOT_AT_SCHEDULE_END
        messages.append(
            f"only {share:.1%} of the envelope points lie in the last {final_fraction:.0%} of "
            f"their run's schedule (threshold {min_share:.0%}); the envelope is made of "
            "intermediate points, which are not compute-optimal stand-ins for shorter runs. "
            "Check `schedule_end`, or train more horizons per model size."
        )
    n_sizes = int(np.unique(env_n).shape[0])
    if n_sizes < 3:
        status = EnvelopeStatus.TOO_FEW_SIZES
        messages.append(
            f"the envelope selects only {n_sizes} distinct model size(s); the exponent "
            "of `N_opt` is not identified. Use more model sizes or a wider `compute_range`."
        )
    for message in messages:
        warn(message, EnvelopeWarning)

    return EnvelopeResult(
        compute=compute,
        loss_min=best,
        run_index=arg,
        n_params=env_n,
        n_tokens=env_d,
        in_final_fraction=in_final,
        share_in_final_fraction=share,
        n_params_law=n_law,
        n_tokens_law=d_law,
        final_fraction=final_fraction,
        smoothing=width,
        run_ids=run_ids.copy(),
        run_n_params=run_n.copy(),
        run_flops_per_token=np.array(fpt, dtype=np.float64),
        run_schedule_end=np.array(sched, dtype=np.float64),
        run_n_points=lengths,
        run_compute_start=np.exp(log_c_start),
        run_compute_end=np.exp(log_c_end),
        run_n_selected=n_selected,
        skipped_run_ids=skipped.copy(),
        messages=tuple(messages),
        status=status,
    )


def _as_share(value: Any, name: str) -> float:
    """A real number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number in [0, 1]; got {_describe(value)}.")
    out = float(value)
    if not (0.0 <= out <= 1.0):
        raise ValueError(f"`{name}` must lie in [0, 1]; got {out!r}.")
    return out


def _as_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be one of {list(choices)}; got {_describe(value)}.")
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {list(choices)}; got {value!r}.")
    return value


def _check_range(value: Any) -> tuple[float, float]:
    try:
        lo_raw, hi_raw = value
    except (TypeError, ValueError):
        raise TypeError(
            f"`compute_range` must be a pair (low, high) of FLOP counts; got {_describe(value)}."
        ) from None
    lo = _positive_float(lo_raw, "compute_range[0]")
    hi = _positive_float(hi_raw, "compute_range[1]")
    if not lo < hi:
        raise ValueError(f"`compute_range` must satisfy low < high; got ({lo!r}, {hi!r}).")
    return lo, hi


def _column(frame: Any, name: str, arg: str) -> AnyArray:
    if not isinstance(name, str):
        raise TypeError(f"`{arg}` must be a column name (str); got {_describe(name)}.")
    try:
        col = frame[name]
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ValueError(f"`frame` has no column {name!r} (given as `{arg}`).") from exc
    to_numpy = getattr(col, "to_numpy", None)
    out: AnyArray = np.asarray(to_numpy() if callable(to_numpy) else col)
    return out


def envelope_from_frame(
    frame: Any,
    *,
    run: str = "run",
    n_params: str = "n_params",
    n_tokens: str = "n_tokens",
    loss: str = "loss",
    schedule_end: str | None = None,
    flops_per_token: str | None = None,
    **options: Any,
) -> EnvelopeResult:
    """:func:`envelope` on the columns of a data frame or a mapping of arrays.

    Works with anything indexable by column name whose columns are array-like or
    have a ``to_numpy()`` method (a pandas or polars ``DataFrame``, a ``dict`` of
    arrays); pandas is not needed.

    Parameters
    ----------
    frame : DataFrame or mapping
        Long-form data, one row per logged point.
    run, n_params, n_tokens, loss : str
        Column names of the run id, ``N``, tokens seen and the loss.
    schedule_end, flops_per_token : str, optional
        Column names of per-row (constant within a run) schedule ends and FLOPs
        per token; see :func:`envelope`.
    **options
        Other keyword arguments of :func:`envelope` (``smoothing``, ``n_grid``,
        ``final_fraction``, ``min_share``, ``compute_range``).

    Returns
    -------
    EnvelopeResult

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX as law
    >>> sizes = np.array([1e7, 2e7, 4e7, 8e7])
    >>> frame = {
    ...     "run": np.repeat(["xs", "s", "m", "l"], 50),
    ...     "N": np.repeat(sizes, 50),
    ...     "tokens": np.outer(sizes, np.linspace(1, 100, 50)).ravel(),
    ... }
    >>> frame["loss"] = law.loss(frame["N"], frame["tokens"])
    >>> res = envelope_from_frame(frame, run="run", n_params="N", n_tokens="tokens",
    ...                           smoothing=0, n_grid=100, min_share=0.0)
    >>> res.n_runs, res.n_runs_selected
    (4, 3)
    """
    return envelope(
        _column(frame, run, "run"),
        _column(frame, n_params, "n_params"),
        _column(frame, n_tokens, "n_tokens"),
        _column(frame, loss, "loss"),
        schedule_end=None if schedule_end is None else _column(frame, schedule_end, "schedule_end"),
        flops_per_token=None
        if flops_per_token is None
        else _column(frame, flops_per_token, "flops_per_token"),
        **options,
    )


def _get(run: Any, key: str) -> Any:
    if isinstance(run, Mapping):
        return run.get(key)
    return getattr(run, key, None)


def envelope_from_runs(runs: Sequence[Any], **options: Any) -> EnvelopeResult:
    """:func:`envelope` on a sequence of per-run records.

    Parameters
    ----------
    runs : sequence of mappings or objects
        One record per run, with keys (or attributes) ``n_params`` (a scalar),
        ``loss`` (an array) and either ``n_tokens`` (an array of tokens seen) or
        ``steps`` and ``tokens_per_step``. Optional: ``run_id`` (default: the
        position in ``runs``), ``schedule_end`` and ``flops_per_token`` (scalars).
    **options
        Other keyword arguments of :func:`envelope` (``smoothing``, ``n_grid``,
        ``final_fraction``, ``min_share``, ``compute_range``).

    Returns
    -------
    EnvelopeResult

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import HOFFMANN_2022_TEX as law
    >>> runs = [
    ...     {"n_params": n, "steps": np.arange(1, 101), "tokens_per_step": n / 5,
    ...      "loss": law.loss(n, np.arange(1, 101) * n / 5)}
    ...     for n in (1e7, 2e7, 4e7, 8e7)
    ... ]
    >>> res = envelope_from_runs(runs, smoothing=0, n_grid=100, min_share=0.0)
    >>> res.run_ids.tolist(), res.n_runs_selected
    ([0, 1, 2, 3], 4)
    """
    if isinstance(runs, (str, bytes, Mapping)) or not isinstance(runs, Sequence):
        raise TypeError(f"`runs` must be a sequence of per-run records; got {_describe(runs)}.")
    if len(runs) == 0:
        raise ValueError("`runs` must hold at least 2 runs; got 0.")
    ids: list[Any] = []
    ns: list[FloatArray] = []
    ds: list[FloatArray] = []
    ls: list[FloatArray] = []
    sched: dict[Any, Any] = {}
    fpt: dict[Any, Any] = {}
    seen: set[Any] = set()
    for i, run in enumerate(runs):
        rid = _get(run, "run_id")
        rid = i if rid is None else rid
        if rid in seen:
            raise ValueError(f"`runs` must have distinct run ids; {rid!r} appears twice.")
        seen.add(rid)
        label = f"runs[{i}]"
        y = as_float_array(_get(run, "loss"), f"{label}.loss")
        tokens = _get(run, "n_tokens")
        if tokens is None:
            steps, tps = _get(run, "steps"), _get(run, "tokens_per_step")
            if steps is None or tps is None:
                raise ValueError(
                    f"`{label}` must give `n_tokens`, or `steps` and `tokens_per_step`; got none."
                )
            tokens = as_float_array(steps, f"{label}.steps") * _positive_float(
                tps, f"{label}.tokens_per_step"
            )
        d = as_float_array(tokens, f"{label}.n_tokens")
        same_length(**{f"{label}.n_tokens": d, f"{label}.loss": y})
        n = _positive_float(_get(run, "n_params"), f"{label}.n_params")
        ids.extend([rid] * d.shape[0])
        ns.append(np.full(d.shape[0], n))
        ds.append(d)
        ls.append(y)
        for key, store in (("schedule_end", sched), ("flops_per_token", fpt)):
            value = _get(run, key)
            if value is not None:
                store[rid] = value
    for key, store in (("schedule_end", sched), ("flops_per_token", fpt)):
        if store and len(store) != len(runs):
            raise ValueError(f"`{key}` must be given for every run or for none.")
    return envelope(
        np.asarray(ids),
        np.concatenate(ns),
        np.concatenate(ds),
        np.concatenate(ls),
        schedule_end=sched or None,
        flops_per_token=fpt or None,
        **options,
    )
