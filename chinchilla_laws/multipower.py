r"""The multi-power law of Luo et al. (2025): whole loss curves under any schedule.

.. math::

    L(t) = L_0 + A\,S_1(t)^{-\alpha} - \mathrm{LD}(t), \qquad
    S_1(t) = \sum_{\tau=1}^{t} \eta_\tau,

    \mathrm{LD}(t) = B \sum_{k=1}^{t} (\eta_{k-1} - \eta_k)
        \left[1 - \left(1 + C\,\eta_k^{-\gamma} S_k(t)\right)^{-\beta}\right],
    \qquad S_k(t) = \sum_{\tau=k}^{t} \eta_\tau,

with 0-based steps and ``eta`` the learning rate at every step, warmup included
(a linear warmup from 0 makes ``eta[0] = 0``, so :math:`S_1(t)` is also the sum from
step 0). ``C`` is the paper's symbol for a dimensionless constant of the loss-drop
term; it is **not** compute. The parameters keep the paper's names.

References
----------
Luo, K., Wen, H., Hu, S., et al. (2025). A Multi-Power Law for Loss Curve Prediction
Across Learning Rate Schedules. ICLR 2025. arXiv:2503.12811.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _mpl_kernels as MK
from ._jit import parallel_region
from ._typing import FloatArray, IntArray, freeze_arrays
from ._validation import as_float_array, as_positive_scalar
from .result import LawRecord, Record
from .schedules import as_schedule

__all__ = [
    "LUO_2025_25M",
    "LUO_2025_100M",
    "LUO_2025_400M",
    "MULTI_POWER_PRESETS",
    "PARAM_NAMES",
    "CurveErrors",
    "LossCurve",
    "MultiPowerLaw",
    "curves_from_table",
    "get_multi_power_preset",
    "multi_power_objective",
    "prediction_errors",
]

PARAM_NAMES = ("L0", "A", "alpha", "B", "C", "beta", "gamma")
"""The seven parameters, in the order of the paper (and of ``MultiPowerLaw.param_vector``)."""


@dataclass(frozen=True, slots=True)
class MultiPowerLaw(LawRecord):
    r"""The multi-power law ``L(t)`` of a training run, given its per-step learning rates.

    Parameters
    ----------
    L0, A, alpha, B, C, beta, gamma : float
        The paper's parameters (see the module docstring for the equation). ``L0``
        is the loss at infinite learning-rate area; ``A, alpha`` the power law in the
        summed rate; ``B, C, beta, gamma`` the loss drop caused by rate decreases.
        ``C`` is a dimensionless constant, not compute. All but ``L0`` must be
        non-negative.

    Notes
    -----
    .. math::

        L(t) = L_0 + A\,S_1(t)^{-\alpha} - B \sum_{k=1}^{t} (\eta_{k-1} - \eta_k)
        \left[1 - (1 + C\,\eta_k^{-\gamma} S_k(t))^{-\beta}\right]

    with :math:`S_k(t) = \sum_{\tau=k}^{t}\eta_\tau`. Only steps where the rate
    changes contribute to the sum; the kernel skips the others.

    References
    ----------
    Luo et al. (2025), arXiv:2503.12811, Eq. (5) and their repository
    ``thu-yao-01-luo/MultiPowerLaw``.

    Examples
    --------
    >>> import chinchilla_laws as cl
    >>> from chinchilla_laws.schedules import luo2025_schedule
    >>> law = cl.LUO_2025_400M
    >>> law.loss(luo2025_schedule("cosine_24000"), [23999]).round(5)
    array([2.75707])
    """

    L0: float
    A: float
    alpha: float
    B: float
    C: float
    beta: float
    gamma: float

    def __post_init__(self) -> None:
        for name in PARAM_NAMES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"`{name}` must be a real number; got {value!r}.")
            v = float(value)
            if not math.isfinite(v) or (name != "L0" and v < 0):
                kind = "finite" if name == "L0" else "finite non-negative"
                raise ValueError(f"`{name}` must be a {kind} number; got {v!r}.")
            object.__setattr__(self, name, v)

    @property
    def params(self) -> dict[str, float]:
        """The parameters by name, in the paper's order (as every law of the package)."""
        return {n: getattr(self, n) for n in PARAM_NAMES}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MultiPowerLaw:
        """The law stored by :meth:`as_dict` (``ValueError`` for another family)."""
        from .serialize import from_dict

        law: MultiPowerLaw = from_dict(data, cls)
        return law

    @property
    def param_vector(self) -> FloatArray:
        """``(L0, A, alpha, B, C, beta, gamma)`` as a float64 array."""
        return np.array([getattr(self, n) for n in PARAM_NAMES])

    @classmethod
    def from_params(cls, params: ArrayLike) -> MultiPowerLaw:
        """Build a law from ``(L0, A, alpha, B, C, beta, gamma)``."""
        p = as_float_array(params, "params")
        if p.shape != (len(PARAM_NAMES),):
            raise ValueError(
                f"`params` must have 7 entries (L0, A, alpha, B, C, beta, gamma); got {p.size}."
            )
        return cls(*(float(v) for v in p))

    def loss(self, schedule: ArrayLike, steps: ArrayLike) -> FloatArray:
        """Predicted loss at ``steps`` of a run trained with ``schedule``.

        Parameters
        ----------
        schedule : array_like, shape (n_steps,)
            The learning rate at every step ``0 .. n_steps - 1`` (see
            :mod:`chinchilla_laws.schedules`). Rates after step 0 must be positive.
        steps : int or array_like of int
            0-based steps at which to predict, each below ``n_steps``, in any order.

        Returns
        -------
        ndarray
            The predicted loss, one per step (shape of ``np.atleast_1d(steps)``).
        """
        eta = _check_schedule(schedule, "schedule", None)
        st = _check_steps(steps, "steps", None, increasing=False, min_size=1)
        _check_cover(eta, st, "schedule", "steps", None)
        packed = _pack([eta], [st])
        return packed.predict(self.param_vector)

    def loss_drop(self, schedule: ArrayLike, steps: ArrayLike) -> FloatArray:
        """The loss-drop term ``LD(t)`` (``B`` times the double sum) at ``steps``."""
        eta = _check_schedule(schedule, "schedule", None)
        st = _check_steps(steps, "steps", None, increasing=False, min_size=1)
        _check_cover(eta, st, "schedule", "steps", None)
        if self.B == 0.0:
            return np.zeros(st.size)
        _, jac = _pack([eta], [st]).jacobian(self.param_vector)
        return -self.B * jac[:, 3]  # d L / d B = -(the double sum)

    def final_loss_grad(self, schedule: ArrayLike) -> tuple[float, FloatArray]:
        """Loss at the last step of ``schedule`` and its gradient in every rate.

        One ``O(n_steps)`` pass (the gradient of every ``S_k`` is a prefix sum); this
        is what :func:`chinchilla_laws.optimize_schedule` minimises.
        """
        eta = _check_schedule(schedule, "schedule", None)
        grad = np.empty_like(eta)
        value = MK.final_loss_schedule_grad(self.param_vector, eta, grad)
        return float(value), grad


LUO_2025_25M = MultiPowerLaw(
    3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257
)
"""Published fit of Luo et al. (2025) for their 25M model (REFERENCE.md §7)."""
LUO_2025_100M = MultiPowerLaw(
    2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644
)
"""Published fit of Luo et al. (2025) for their 100M model."""
LUO_2025_400M = MultiPowerLaw(
    2.37474466, 0.65421216, 0.42878731, 523.42464371, 2.02462735, 0.59350493, 0.63472457
)
"""Published fit of Luo et al. (2025) for their 400M model."""

MULTI_POWER_PRESETS: Mapping[str, MultiPowerLaw] = {
    "luo2025-25m": LUO_2025_25M,
    "luo2025-100m": LUO_2025_100M,
    "luo2025-400m": LUO_2025_400M,
}
"""Published multi-power laws by name."""


def get_multi_power_preset(name: str) -> MultiPowerLaw:
    """A published multi-power law by name (see :data:`MULTI_POWER_PRESETS`)."""
    if not isinstance(name, str) or name.lower() not in MULTI_POWER_PRESETS:
        raise ValueError(f"`name` must be one of {sorted(MULTI_POWER_PRESETS)}; got {name!r}.")
    return MULTI_POWER_PRESETS[name.lower()]


# ----------------------------------------------------------------------------- curves


def _where(curve: str | None) -> str:
    return "" if curve is None else f" of curve {curve!r}"


def _in_curve(
    check: Callable[..., FloatArray], arg: str, curve: str | None
) -> Callable[..., FloatArray]:
    """``check`` with its error messages naming the curve after the argument."""

    def wrapped(*args: Any, **kwargs: Any) -> FloatArray:
        try:
            return check(*args, **kwargs)
        except (TypeError, ValueError) as exc:
            if curve is None:
                raise
            text = str(exc).replace(f"`{arg}`", f"`{arg}`{_where(curve)}", 1)
            raise type(exc)(text) from None

    return wrapped


def _check_schedule(schedule: ArrayLike, arg: str, curve: str | None) -> FloatArray:
    eta = _in_curve(as_schedule, arg, curve)(schedule, name=arg)
    zero = np.flatnonzero(eta[1:] <= 0)
    if zero.size:
        i = int(zero[0]) + 1
        raise ValueError(
            f"`{arg}`{_where(curve)} must be positive after step 0 (the law raises each "
            f"rate to the power -gamma); got {float(eta[i])!r} at step {i}."
        )
    return eta


def _check_steps(
    steps: ArrayLike, arg: str, curve: str | None, *, increasing: bool, min_size: int
) -> IntArray:
    raw = np.atleast_1d(np.asarray(steps)) if not isinstance(steps, (str, bytes)) else steps
    arr = _in_curve(as_float_array, arg, curve)(raw, arg, min_size=min_size)
    if np.any(arr != np.round(arr)) or np.any(arr < 0):
        bad = int(np.flatnonzero((arr != np.round(arr)) | (arr < 0))[0])
        raise ValueError(
            f"`{arg}`{_where(curve)} must contain non-negative integer steps; "
            f"got {float(arr[bad])!r} at index {bad}."
        )
    st = arr.astype(np.int64)
    if increasing:
        dec = np.flatnonzero(np.diff(st) <= 0)
        if dec.size:
            i = int(dec[0]) + 1
            raise ValueError(
                f"`{arg}`{_where(curve)} must be strictly increasing; got {st[i]} after "
                f"{st[i - 1]} at index {i}."
            )
    return st


def _check_cover(
    eta: FloatArray, steps: IntArray, arg: str, steps_arg: str, curve: str | None
) -> None:
    last = int(steps.max())
    if last >= eta.shape[0]:
        raise ValueError(
            f"`{arg}`{_where(curve)} must give the rate at every step up to the last "
            f"predicted step {last}; got {eta.shape[0]} steps (0..{eta.shape[0] - 1})."
        )
    if eta[0] == 0 and np.any(steps == 0):
        raise ValueError(
            f"`{steps_arg}`{_where(curve)} must not contain step 0 when the rate at step 0 "
            "is zero (the law's S1(0) would be zero)."
        )


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LossCurve(Record):
    """One training run: logged losses at some steps, and the rate at every step.

    Construction validates and copies the arrays (and makes them read-only).

    Attributes
    ----------
    name : str
        Used in error messages, reports and figures.
    steps : ndarray of int, shape (n,)
        Strictly increasing 0-based steps of the logged points (at least 3).
    loss : ndarray, shape (n,)
        Positive losses at those steps.
    schedule : ndarray, shape (n_steps,)
        Learning rate at every step ``0 .. n_steps - 1``, ``n_steps > steps[-1]``;
        positive after step 0.
    """

    name: str
    steps: IntArray
    loss: FloatArray
    schedule: FloatArray

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string; got {self.name!r}.")
        nm = self.name
        steps = _check_steps(self.steps, "steps", nm, increasing=True, min_size=3)
        loss = _in_curve(as_float_array, "loss", nm)(self.loss, "loss", positive=True)
        if loss.shape != steps.shape:
            raise ValueError(
                f"`loss` of curve {nm!r} must have one value per step; got {loss.size} "
                f"losses for {steps.size} steps."
            )
        eta = _check_schedule(self.schedule, "schedule", nm)
        _check_cover(eta, steps, "schedule", "steps", nm)
        object.__setattr__(self, "steps", steps.copy())
        object.__setattr__(self, "loss", loss.copy())
        object.__setattr__(self, "schedule", eta)
        freeze_arrays(self)

    def __repr__(self) -> str:
        return (
            f"LossCurve(name={self.name!r}, points={self.steps.size}, "
            f"steps={int(self.steps[0])}..{int(self.steps[-1])}, n_steps={self.schedule.size})"
        )


def as_curves(curves: LossCurve | Iterable[LossCurve], name: str = "curves") -> list[LossCurve]:
    """A non-empty list of :class:`LossCurve` with distinct names."""
    if isinstance(curves, LossCurve):
        return [curves]
    if isinstance(curves, (str, bytes, Mapping)) or not isinstance(curves, Iterable):
        raise TypeError(f"`{name}` must be a LossCurve or a list of them; got {curves!r:.60}.")
    out = list(curves)
    if not out:
        raise ValueError(f"`{name}` must contain at least one curve; got none.")
    for i, c in enumerate(out):
        if not isinstance(c, LossCurve):
            raise TypeError(
                f"`{name}` must contain LossCurve objects; got {type(c).__name__} at index {i}."
            )
    names = [c.name for c in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"`{name}` must have distinct curve names; got {dup[0]!r} twice.")
    return out


def curves_from_table(
    table: Any,
    schedules: Mapping[str, ArrayLike],
    *,
    curve: str = "curve",
    step: str = "step",
    loss: str = "loss",
) -> list[LossCurve]:
    """Split a long table (one row per logged point) into :class:`LossCurve` objects.

    Parameters
    ----------
    table : mapping of column name to array, or a pandas DataFrame
        Must hold the columns named by ``curve``, ``step`` and ``loss``.
    schedules : mapping of str to array_like
        The per-step rates of every curve id in the table.
    curve, step, loss : str
        Column names.

    Returns
    -------
    list of LossCurve
        One per curve id, in order of first appearance; rows sorted by step.
    """
    cols = {}
    for arg, col in (("curve", curve), ("step", step), ("loss", loss)):
        try:
            cols[arg] = np.asarray(table[col])
        except (KeyError, IndexError, TypeError, ValueError):
            raise ValueError(
                f"`table` must have a column {col!r} (the `{arg}` column); it has none."
            ) from None
    if not isinstance(schedules, Mapping):
        raise TypeError(f"`schedules` must map curve ids to rates; got {type(schedules).__name__}.")
    ids = cols["curve"].astype(str)
    _, first = np.unique(ids, return_index=True)
    out = []
    for cid in (str(v) for v in ids[np.sort(first)]):
        if cid not in schedules:
            raise ValueError(f"`schedules` must give the schedule of curve {cid!r}; it has none.")
        rows = ids == cid
        st = np.asarray(cols["step"][rows])
        order = np.argsort(st, kind="stable")
        out.append(
            LossCurve(
                name=cid,
                steps=st[order],
                loss=np.asarray(cols["loss"][rows])[order],
                schedule=np.asarray(schedules[cid]),
            )
        )
    return out


# ----------------------------------------------------------------------------- packing


@dataclass(frozen=True, slots=True, eq=False)
class _Packed:
    """Several curves flattened for the kernels (see :mod:`._mpl_kernels`)."""

    s1: FloatArray
    kbeg: IntArray
    kend: IntArray
    kd: FloatArray
    klog: FloatArray
    kcs: FloatArray
    point_offsets: IntArray  # curve c owns points point_offsets[c]:point_offsets[c+1]

    @property
    def n_pairs(self) -> int:
        """Number of (point, change point) terms in the double sum."""
        return int(np.sum(self.kend - self.kbeg))

    def predict(self, p: FloatArray) -> FloatArray:
        out = np.empty(self.s1.shape[0])
        with parallel_region():
            MK.predict(
                np.ascontiguousarray(p, dtype=np.float64),
                self.s1,
                self.kbeg,
                self.kend,
                self.kd,
                self.klog,
                self.kcs,
                out,
            )
        return out

    def jacobian(self, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        n = self.s1.shape[0]
        pred = np.empty(n)
        jac = np.empty((n, MK.N_PARAMS))
        with parallel_region():
            MK.jacobian(
                np.ascontiguousarray(p, dtype=np.float64),
                self.s1,
                self.kbeg,
                self.kend,
                self.kd,
                self.klog,
                self.kcs,
                pred,
                jac,
            )
        return pred, jac


def _pack(schedules: Sequence[FloatArray], steps: Sequence[IntArray]) -> _Packed:
    s1, kbeg, kend, kd, klog, kcs = [], [], [], [], [], []
    offset = 0
    counts = [0]
    for eta, st in zip(schedules, steps, strict=True):
        last = int(st.max())
        e = eta[: last + 1]
        cs = np.cumsum(e)
        k = np.flatnonzero(e[1:] != e[:-1]) + 1
        kd.append(e[k - 1] - e[k])
        klog.append(np.log(e[k]))
        kcs.append(cs[k - 1])
        s1.append(cs[st])
        kbeg.append(np.full(st.size, offset, dtype=np.int64))
        kend.append(offset + np.searchsorted(k, st, side="right").astype(np.int64))
        offset += k.size
        counts.append(st.size)

    def cat(parts: list[Any], dtype: Any) -> Any:
        return np.ascontiguousarray(np.concatenate(parts), dtype=dtype)

    return _Packed(
        s1=cat(s1, np.float64),
        kbeg=cat(kbeg, np.int64),
        kend=cat(kend, np.int64),
        kd=cat(kd, np.float64),
        klog=cat(klog, np.float64),
        kcs=cat(kcs, np.float64),
        point_offsets=np.cumsum(counts).astype(np.int64),
    )


def _pack_curves(curves: Sequence[LossCurve]) -> _Packed:
    return _pack([c.schedule for c in curves], [c.steps for c in curves])


# ----------------------------------------------------------------------------- scores


@dataclass(frozen=True, slots=True, kw_only=True, eq=False, repr=False)
class CurveErrors(Record):
    r"""How well a law predicts some curves: PredE and R² per curve, as in Luo et al.

    Attributes
    ----------
    names : tuple of str
        Curve names.
    pred_error : ndarray
        Per curve, :math:`\mathrm{PredE} = \frac1n\sum_i |L_i - \hat L_i| / L_i`.
    r2 : ndarray
        Per curve, :math:`R^2 = 1 - \sum_i (L_i - \hat L_i)^2 / \sum_i (L_i - \bar L)^2`.
    predicted : tuple of ndarray
        The predicted loss at each curve's logged steps.
    """

    names: tuple[str, ...]
    pred_error: FloatArray
    r2: FloatArray
    predicted: tuple[FloatArray, ...] = field(repr=False)

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def mean_pred_error(self) -> float:
        """PredE averaged over the curves (the paper's table entry)."""
        return float(np.mean(self.pred_error))

    @property
    def mean_r2(self) -> float:
        """R² averaged over the curves."""
        return float(np.mean(self.r2))

    def summary(self) -> str:
        """One line per curve, then the means."""
        from .report import curve_errors_summary

        return curve_errors_summary(self)


def prediction_errors(law: MultiPowerLaw, curves: LossCurve | Iterable[LossCurve]) -> CurveErrors:
    """PredE and R² of ``law`` on each curve (Luo et al. 2025, §4).

    Examples
    --------
    >>> import numpy as np, chinchilla_laws as cl
    >>> from chinchilla_laws.schedules import luo2025_schedule
    >>> eta = luo2025_schedule("cosine_24000")
    >>> steps = np.arange(2176, 24000, 128)
    >>> truth = cl.LUO_2025_400M.loss(eta, steps)
    >>> curve = cl.LossCurve(name="cos", steps=steps, loss=truth * 1.01, schedule=eta)
    >>> round(cl.prediction_errors(cl.LUO_2025_400M, [curve]).mean_pred_error, 6)
    0.009901
    """
    if not isinstance(law, MultiPowerLaw):
        raise TypeError(f"`law` must be a MultiPowerLaw; got {type(law).__name__}.")
    cs = as_curves(curves)
    packed = _pack_curves(cs)
    pred = packed.predict(law.param_vector)
    off = packed.point_offsets
    pe, r2, parts = [], [], []
    for i, c in enumerate(cs):
        p = pred[off[i] : off[i + 1]].copy()
        resid = c.loss - p
        pe.append(float(np.mean(np.abs(resid) / c.loss)))
        ss_tot = float(np.sum((c.loss - c.loss.mean()) ** 2))
        r2.append(1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else math.nan)
        parts.append(p)
    return CurveErrors(
        names=tuple(c.name for c in cs),
        pred_error=np.array(pe),
        r2=np.array(r2),
        predicted=tuple(parts),
    )


def multi_power_objective(
    law: MultiPowerLaw, curves: LossCurve | Iterable[LossCurve], *, delta: float = 1e-3
) -> float:
    """Summed Huber loss (threshold ``delta``) of log residuals over every logged point.

    This is the objective the fit minimises (Luo et al. 2025, §4).
    """
    if not isinstance(law, MultiPowerLaw):
        raise TypeError(f"`law` must be a MultiPowerLaw; got {type(law).__name__}.")
    d = as_positive_scalar(delta, "delta")
    cs = as_curves(curves)
    packed = _pack_curves(cs)
    logl = np.log(np.concatenate([c.loss for c in cs]))
    pred, jac = packed.jacobian(law.param_vector)
    grad = np.empty(MK.N_PARAMS)
    return float(MK.huber_objective_grad(pred, jac, logl, np.ones(pred.size), d, grad))
