"""Numba kernels of the data-constrained and over-training law families.

Private, like ``_kernels.py``: inputs are contiguous float64 arrays validated by the
public functions; nothing here raises, non-finite values propagate.

Each objective is the weighted Huber loss of log residuals,
``f(theta) = sum_i w_i huber(log L_pred(theta)_i - log L_i)``, returned with its
gradient (written into ``grad``) from one pass over the data, in the families'
``theta`` coordinates:

* data-constrained (Muennighoff et al. 2023): ``theta = (a, b, e, alpha, beta,
  rd, rn)`` with ``A, B, E = exp(a, b, e)``, ``R_D* = exp(rd)``, ``R_N* = exp(rn)``;
  data ``(log N, log D, log U)``;
* over-training (Gadre et al. 2024): ``theta = (a, b, e, eta)``; data
  ``(log N, log D)``; ``L = E + A N^-eta + B 6^(-eta/2) D^-eta``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._jit import kernel

_jit = kernel()
_pjit = kernel(parallel=True)

DC_N_PARAMS = 7
OT_N_PARAMS = 4
HALF_LOG6 = 0.5 * math.log(6.0)

SMALL_RATIO = 1e-8
"""Below this ``R / R*`` the saturation ``R* (1 - exp(-R/R*))`` uses its series."""


@_jit
def _saturation(r: float, log_r_star: float) -> tuple[float, float, float]:
    """``h = R* (1 - exp(-R/R*))``, ``dh/dR`` and ``dh/d log R*`` for ``R >= 0``."""
    r_star = math.exp(log_r_star)
    q = r / r_star
    if q < SMALL_RATIO:
        # R* = inf (overflow) or R tiny: h = R (1 - q/2), dh/dlogR* = R q / 2
        return r * (1.0 - 0.5 * q), 1.0 - q, 0.5 * r * q
    em = -math.expm1(-q)
    ex = math.exp(-q)
    return r_star * em, ex, r_star * em - r * ex


@_jit
def _huber_and_slope(r: float, delta: float) -> tuple[float, float]:
    """``huber(r)`` and its derivative; NaN propagates (no branch drops it)."""
    c = min(max(r, -delta), delta)
    if r != r:
        c = r
    return c * (r - 0.5 * c), c


@_jit
def dc_point(theta: np.ndarray, log_n: float, log_d: float, log_u: float, dp: np.ndarray) -> float:
    """``log L_pred`` of one run and its gradient in ``theta`` (written into ``dp``)."""
    a = theta[0]
    b = theta[1]
    e = theta[2]
    al = theta[3]
    be = theta[4]
    # effective data: U_D = min(U, D), R_D = D / U_D - 1
    z = min(log_u, log_d)
    rd = math.exp(log_d - z) - 1.0
    if rd > 0.0:
        hd, _, dhd = _saturation(rd, theta[5])
        ldp = z + math.log1p(hd)
        dldp_rd = dhd / (1.0 + hd)
    else:
        ldp = log_d
        dldp_rd = 0.0
    # effective parameters: U_N = min(N, N_opt(U_D)), log N_opt = K / alpha
    kk = math.log(al) - math.log(be) + a - b + be * z
    lnopt = kk / al
    lnp = log_n
    s_opt = 0.0  # d log N' / d log N_opt
    dlnp_rn = 0.0
    if log_n > lnopt:
        rn = math.exp(log_n - lnopt) - 1.0
        hn, dhn_dr, dhn = _saturation(rn, theta[6])
        lnp = lnopt + math.log1p(hn)
        s_opt = 1.0 - dhn_dr * (1.0 + rn) / (1.0 + hn)
        dlnp_rn = dhn / (1.0 + hn)
    p1 = a - al * lnp
    p2 = b - be * ldp
    m = max(p1, max(p2, e))
    e1 = math.exp(p1 - m)
    e2 = math.exp(p2 - m)
    e3 = math.exp(e - m)
    s = e1 + e2 + e3
    s1 = e1 / s
    s2 = e2 / s
    s3 = e3 / s
    # d log N_opt / d(a, b, alpha, beta)
    inv_al = 1.0 / al
    g_a = s_opt * inv_al
    g_al = s_opt * (1.0 - kk) * inv_al * inv_al
    g_be = s_opt * (z - 1.0 / be) * inv_al
    dp[0] = s1 * (1.0 - al * g_a)
    dp[1] = s1 * (al * g_a) + s2
    dp[2] = s3
    dp[3] = s1 * (-lnp - al * g_al)
    dp[4] = -s1 * al * g_be - s2 * ldp
    dp[5] = -s2 * be * dldp_rd
    dp[6] = -s1 * al * dlnp_rn
    lse: float = m + math.log(s)
    return lse


@_jit
def dc_log_predict(
    theta: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, log_u: np.ndarray, out: np.ndarray
) -> None:
    """``out[i] = log L_pred`` of each run (data-constrained law)."""
    dp = np.empty(DC_N_PARAMS)
    for i in range(log_n.shape[0]):
        out[i] = dc_point(theta, log_n[i], log_d[i], log_u[i], dp)


@_jit
def dc_objective_grad(
    theta: np.ndarray,
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_u: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Weighted Huber objective of the data-constrained law and its gradient, one pass."""
    dp = np.empty(DC_N_PARAMS)
    for k in range(DC_N_PARAMS):
        grad[k] = 0.0
    f = 0.0
    for i in range(log_n.shape[0]):
        r = dc_point(theta, log_n[i], log_d[i], log_u[i], dp) - logl[i]
        h, c = _huber_and_slope(r, delta)
        f += w[i] * h
        cw = w[i] * c
        for k in range(DC_N_PARAMS):
            grad[k] += cw * dp[k]
    return f


@_jit
def ot_objective_grad(
    theta: np.ndarray,
    log_n: np.ndarray,
    log_d: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Weighted Huber objective of the over-training law and its gradient, one pass.

    ``log L = LSE(a - eta log N, b - eta (log D + log 6 / 2), e)``.
    """
    a = theta[0]
    b = theta[1]
    e = theta[2]
    eta = theta[3]
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    for i in range(log_n.shape[0]):
        xi = log_n[i]
        yi = log_d[i] + HALF_LOG6
        p1 = a - eta * xi
        p2 = b - eta * yi
        m = max(p1, max(p2, e))
        e1 = math.exp(p1 - m)
        e2 = math.exp(p2 - m)
        e3 = math.exp(e - m)
        s = e1 + e2 + e3
        h, c = _huber_and_slope(m + math.log(s) - logl[i], delta)
        f += w[i] * h
        cw = w[i] * c / s
        g0 += cw * e1
        g1 += cw * e2
        g2 += cw * e3
        g3 -= cw * (e1 * xi + e2 * yi)
    grad[0] = g0
    grad[1] = g1
    grad[2] = g2
    grad[3] = g3
    return f


@_pjit
def dc_objective_grad_batch(
    thetas: np.ndarray,
    log_n: np.ndarray,
    log_d: np.ndarray,
    log_u: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    f_out: np.ndarray,
    g_out: np.ndarray,
) -> None:
    """:func:`dc_objective_grad` at every row of ``thetas``, in parallel.

    Call it through ``chinchilla_laws._jit.serialised`` (parallel regions may not be
    entered from two threads at once under the workqueue layer).
    """
    for j in nb.prange(thetas.shape[0]):
        f_out[j] = dc_objective_grad(thetas[j], log_n, log_d, log_u, logl, w, delta, g_out[j])


@_pjit
def ot_objective_grad_batch(
    thetas: np.ndarray,
    log_n: np.ndarray,
    log_d: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    f_out: np.ndarray,
    g_out: np.ndarray,
) -> None:
    """:func:`ot_objective_grad` at every row of ``thetas``, in parallel (see above)."""
    for j in nb.prange(thetas.shape[0]):
        f_out[j] = ot_objective_grad(thetas[j], log_n, log_d, logl, w, delta, g_out[j])
