r"""Learning-rate schedules as per-step arrays.

Every builder returns a float64 array ``eta`` of length ``total_steps`` whose entry
``eta[t]`` is the learning rate used at (0-based) optimizer step ``t``. This is the
input of :meth:`chinchilla_laws.MultiPowerLaw.loss`, which needs the rate at *every*
step, not only at logged ones.

Warmup convention: a warmup of ``W`` steps is ``linspace(0, peak, W)``, so step 0 has
rate 0 and step ``W - 1`` the peak; the post-warmup formulas count from step ``W``,
with ``T = total_steps``:

- cosine: :math:`\eta_t = \eta_{\rm final} + \tfrac12(\eta_{\rm peak} - \eta_{\rm final})
  (1 + \cos(\pi (t - W) / (T - W)))`;
- constant: :math:`\eta_t = \eta_{\rm peak}`;
- two-stage: :math:`\eta_{\rm peak}` before ``switch_step``, ``second`` from it on;
- warmup-stable-decay (WSD): the peak before ``decay_start`` = ``S``, then either an
  exponential decay :math:`\eta_{\rm peak}^{(T-t)/(T-S)}\,\eta_{\rm final}^{(t-S)/(T-S)}`
  or a linear one :math:`\eta_{\rm peak} + (\eta_{\rm final} - \eta_{\rm peak})(t-S)/(T-S)`
  (both reach ``final`` at step ``T``, one past the last step).

These are the schedules of Luo et al. (2025); :func:`luo2025_schedule` rebuilds each
of theirs by name.

References
----------
Luo, K., Wen, H., Hu, S., et al. (2025). A Multi-Power Law for Loss Curve Prediction
Across Learning Rate Schedules. ICLR 2025. arXiv:2503.12811.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._typing import FloatArray
from ._validation import as_choice, as_float_array, as_int, as_positive_scalar

__all__ = [
    "LUO_2025_FINAL",
    "LUO_2025_PEAK",
    "LUO_2025_WARMUP",
    "as_schedule",
    "constant",
    "cosine",
    "linear_warmup",
    "luo2025_schedule",
    "two_stage",
    "wsd",
]

LUO_2025_WARMUP = 2160
"""Warmup steps of every schedule of Luo et al. (2025)."""
LUO_2025_PEAK = 3e-4
"""Peak learning rate of Luo et al. (2025)."""
LUO_2025_FINAL = 3e-5
"""Final learning rate of their cosine and WSD schedules."""


def as_schedule(rates: ArrayLike, *, name: str = "schedule") -> FloatArray:
    """Check a user-given per-step schedule and return it as a float64 array.

    Parameters
    ----------
    rates : array_like, shape (n_steps,)
        The learning rate at every step ``0, 1, ..., n_steps - 1``.
    name : str
        What to call the argument in error messages.

    Returns
    -------
    ndarray
        A contiguous float64 copy.

    Raises
    ------
    ValueError
        If a rate is negative or not finite, or every rate is zero.

    Examples
    --------
    >>> from chinchilla_laws.schedules import as_schedule
    >>> as_schedule([0.0, 1e-4, 2e-4])
    array([0.    , 0.0001, 0.0002])
    """
    eta = as_float_array(rates, name, min_size=1).copy()
    neg = np.flatnonzero(eta < 0)
    if neg.size:
        i = int(neg[0])
        raise ValueError(
            f"`{name}` must contain only non-negative learning rates; "
            f"got {float(eta[i])!r} at step {i}."
        )
    if not np.any(eta > 0):
        raise ValueError(f"`{name}` must contain a positive learning rate; got only zeros.")
    return eta


def _steps(total_steps: int, warmup: int) -> tuple[int, int]:
    total = as_int(total_steps, "total_steps", minimum=1)
    w = as_int(warmup, "warmup", minimum=0)
    if w > total:
        raise ValueError(f"`warmup` must be at most `total_steps` = {total}; got {w}.")
    return total, w


def linear_warmup(n_steps: int, *, peak: float) -> FloatArray:
    """``n_steps`` rates rising linearly from 0 at step 0 to ``peak`` at step ``n_steps - 1``.

    Examples
    --------
    >>> from chinchilla_laws.schedules import linear_warmup
    >>> linear_warmup(3, peak=2e-4)
    array([0.    , 0.0001, 0.0002])
    """
    n = as_int(n_steps, "n_steps", minimum=0)
    top = as_positive_scalar(peak, "peak")
    return np.linspace(0.0, top, n)


def _with_warmup(total: int, w: int, peak: float, post: FloatArray) -> FloatArray:
    out = np.empty(total)
    out[:w] = np.linspace(0.0, peak, w)
    out[w:] = post
    return out


def constant(total_steps: int, *, peak: float, warmup: int = 0) -> FloatArray:
    """Linear warmup, then ``peak`` to the end.

    Examples
    --------
    >>> from chinchilla_laws.schedules import constant
    >>> constant(4, peak=3e-4, warmup=2)
    array([0.    , 0.0003, 0.0003, 0.0003])
    """
    total, w = _steps(total_steps, warmup)
    top = as_positive_scalar(peak, "peak")
    return _with_warmup(total, w, top, np.full(total - w, top))


def cosine(total_steps: int, *, peak: float, final: float, warmup: int = 0) -> FloatArray:
    r"""Linear warmup, then a half cosine from ``peak`` (step ``warmup``) towards ``final``.

    The cosine reaches ``final`` at step ``total_steps`` (one past the last step):
    :math:`\eta_t = \eta_{\rm final} + \tfrac12(\eta_{\rm peak}-\eta_{\rm final})
    (1 + \cos(\pi (t - W)/(T - W)))`.

    Examples
    --------
    >>> from chinchilla_laws.schedules import cosine
    >>> cosine(5, peak=1.0, final=0.0, warmup=1)
    array([0.        , 1.        , 0.85355339, 0.5       , 0.14644661])
    """
    total, w = _steps(total_steps, warmup)
    top = as_positive_scalar(peak, "peak")
    low = as_positive_scalar(final, "final", allow_zero=True)
    t = np.arange(w, total, dtype=np.float64)
    post = low + 0.5 * (top - low) * (1.0 + np.cos(np.pi * (t - w) / (total - w)))
    return _with_warmup(total, w, top, post)


def two_stage(
    total_steps: int, *, peak: float, switch_step: int, second: float, warmup: int = 0
) -> FloatArray:
    """Linear warmup, ``peak`` before ``switch_step``, ``second`` from ``switch_step`` on.

    Examples
    --------
    >>> from chinchilla_laws.schedules import two_stage
    >>> two_stage(5, peak=3.0, switch_step=3, second=1.0, warmup=2)
    array([0., 3., 3., 1., 1.])
    """
    total, w = _steps(total_steps, warmup)
    top = as_positive_scalar(peak, "peak")
    low = as_positive_scalar(second, "second", allow_zero=True)
    switch = as_int(switch_step, "switch_step", minimum=w)
    t = np.arange(w, total)
    return _with_warmup(total, w, top, np.where(t < switch, top, low))


def wsd(
    total_steps: int,
    *,
    peak: float,
    final: float,
    decay_start: int,
    decay: Literal["exponential", "linear"] = "exponential",
    warmup: int = 0,
) -> FloatArray:
    r"""Warmup-stable-decay: warmup, ``peak`` until ``decay_start``, then a decay to ``final``.

    With ``S = decay_start`` and ``T = total_steps``, the decay is
    :math:`\eta_{\rm peak}^{(T-t)/(T-S)}\,\eta_{\rm final}^{(t-S)/(T-S)}` (exponential)
    or :math:`\eta_{\rm peak} + (\eta_{\rm final}-\eta_{\rm peak})(t-S)/(T-S)` (linear);
    both reach ``final`` at step ``T``, one past the last step.

    Examples
    --------
    >>> from chinchilla_laws.schedules import wsd
    >>> wsd(6, peak=1.0, final=0.01, decay_start=4, warmup=2)
    array([0. , 1. , 1. , 1. , 1. , 0.1])
    >>> wsd(6, peak=1.0, final=0.0, decay_start=4, decay="linear")
    array([1. , 1. , 1. , 1. , 1. , 0.5])
    """
    total, w = _steps(total_steps, warmup)
    top = as_positive_scalar(peak, "peak")
    kind = as_choice(decay, "decay", ("exponential", "linear"))
    low = as_positive_scalar(final, "final", allow_zero=kind == "linear")
    start = as_int(decay_start, "decay_start", minimum=w)
    if start >= total:
        raise ValueError(f"`decay_start` must be below `total_steps` = {total}; got {start}.")
    t = np.arange(w, total, dtype=np.float64)
    frac = (t - start) / (total - start)
    if kind == "exponential":
        decayed = top ** ((total - t) / (total - start)) * low**frac
    else:
        decayed = top + (low - top) * frac
    return _with_warmup(total, w, top, np.where(t < start, top, decayed))


_LUO_NAME = re.compile(r"^(?:(cosine|constant)_(\d+)|wsdcon_(\d+)|(wsd|wsdld)_(\d+)_(\d+))$")


def luo2025_schedule(name: str) -> FloatArray:
    """The per-step schedule of one run of Luo et al. (2025), by its name.

    Names are those of their repository (and of the ``schedule`` column of the
    shared data): ``cosine_T``, ``constant_T`` (any ``T``), ``wsdcon_K`` (two-stage:
    3e-4 until step 8,000, then ``K`` x 1e-5, 16,000 steps), ``wsd_S_T`` and
    ``wsdld_S_T`` (WSD from step ``S`` to ``T`` with exponential or linear decay to
    3e-5). All use a 2,160-step linear warmup to 3e-4; cosine decays to 3e-5.

    Examples
    --------
    >>> from chinchilla_laws.schedules import luo2025_schedule
    >>> eta = luo2025_schedule("wsdcon_9")
    >>> eta.shape, float(eta[7999]), float(eta[8000])
    ((16000,), 0.0003, 9e-05)
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a schedule name such as 'cosine_24000'; got {name!r}.")
    match = _LUO_NAME.match(name)
    if match is None:
        raise ValueError(
            "`name` must be one of 'cosine_T', 'constant_T', 'wsdcon_K', 'wsd_S_T', "
            f"'wsdld_S_T' (integers T, K, S); got {name!r}."
        )
    kind, total, k, wsd_kind, start, wsd_total = match.groups()
    w, peak, final = LUO_2025_WARMUP, LUO_2025_PEAK, LUO_2025_FINAL
    if kind == "cosine":
        return cosine(int(total), peak=peak, final=final, warmup=w)
    if kind == "constant":
        return constant(int(total), peak=peak, warmup=w)
    if k is not None:
        return two_stage(16000, peak=peak, switch_step=8000, second=int(k) * 1e-5, warmup=w)
    return wsd(
        int(wsd_total),
        peak=peak,
        final=final,
        decay_start=int(start),
        decay="exponential" if wsd_kind == "wsd" else "linear",
        warmup=w,
    )
