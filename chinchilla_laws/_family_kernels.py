"""Numba kernels of the data-constrained and over-training law families.

Private, like ``_kernels.py``: inputs are contiguous float64 arrays validated by the
public functions; nothing here raises, non-finite values propagate.

Each objective is the weighted Huber loss of log residuals,
``f = sum_i w_i huber(log L_pred_i - log L_i)``, returned with its gradient (written
into ``grad``) from one pass over the data, with the law-family kernel signature
``f = kernel(u, X, aux, target, w, delta, grad)``. The families' ``theta``:

* data-constrained (Muennighoff et al. 2023): ``theta = (a, b, e, alpha, beta,
  rd, rn)`` with ``A, B, E = exp(a, b, e)``, ``R_D* = exp(rd)``, ``R_N* = exp(rn)``;
  data ``(log N, log D, log U)``;
* over-training (Gadre et al. 2024): ``theta = (a, b, e, eta)``; data
  ``(log N, log D)``; ``L = E + A N^-eta + B 6^(-eta/2) D^-eta``.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import kernel
from ._kernels import huber_and_slope, objective_grad

_jit = kernel()

DC_N_PARAMS = 7
OT_N_PARAMS = 4

LOG_FLOAT_MAX = 709.0
"""``exp`` of more than this overflows float64."""

SMALL_RATIO = 1e-8
"""Below this ``R / R*`` the saturation ``R* (1 - exp(-R/R*))`` uses its series."""


@_jit
def _saturation(r: float, log_r_star: float) -> tuple[float, float, float]:
    """``h = R* (1 - exp(-R/R*))``, ``dh/dR`` and ``dh/d log R*`` for ``R >= 0``."""
    # R* beyond float64 acts as infinite (no penalty); capping keeps exp from overflowing
    r_star = math.exp(min(log_r_star, LOG_FLOAT_MAX))
    q = r / r_star
    if q < SMALL_RATIO:
        # R* = inf (overflow) or R tiny: h = R (1 - q/2), dh/dlogR* = R q / 2
        return r * (1.0 - 0.5 * q), 1.0 - q, 0.5 * r * q
    em = -math.expm1(-q)
    ex = math.exp(-q)
    return r_star * em, ex, r_star * em - r * ex


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
def dc_log_predict(theta: np.ndarray, X: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = log L_pred`` of each run; ``X[i] = (log N, log D, log U)``."""
    dp = np.empty(DC_N_PARAMS)
    for i in range(X.shape[0]):
        out[i] = dc_point(theta, X[i, 0], X[i, 1], X[i, 2], dp)


@_jit
def dc_objective_grad(
    u: np.ndarray,
    X: np.ndarray,
    aux: np.ndarray,
    target: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Weighted Huber objective of the data-constrained law and its gradient, one pass.

    ``X[i] = (log N, log D, log U)`` (raw logs), ``target = log L``. The solver's
    coordinates are standardised, ``u = (a - alpha m_x, b - beta m_y, e,
    alpha s_x, beta s_y, rd, rn)`` with ``aux = (m_x, s_x, m_y, s_y)``
    (``(0, 1, 0, 1)``: ``u = theta``); the gradient is with respect to ``u``.
    """
    mx = aux[0]
    sx = aux[1]
    my = aux[2]
    sy = aux[3]
    theta = np.empty(DC_N_PARAMS)
    al = u[3] / sx
    be = u[4] / sy
    theta[0] = u[0] + al * mx
    theta[1] = u[1] + be * my
    theta[2] = u[2]
    theta[3] = al
    theta[4] = be
    theta[5] = u[5]
    theta[6] = u[6]
    dp = np.empty(DC_N_PARAMS)
    g = np.zeros(DC_N_PARAMS)
    f = 0.0
    for i in range(X.shape[0]):
        r = dc_point(theta, X[i, 0], X[i, 1], X[i, 2], dp) - target[i]
        h, c = huber_and_slope(r, delta)
        f += w[i] * h
        cw = w[i] * c
        for k in range(DC_N_PARAMS):
            g[k] += cw * dp[k]
    # chain rule theta -> u
    grad[0] = g[0]
    grad[1] = g[1]
    grad[2] = g[2]
    grad[3] = (g[0] * mx + g[3]) / sx
    grad[4] = (g[1] * my + g[4]) / sy
    grad[5] = g[5]
    grad[6] = g[6]
    return f


@_jit
def ot_objective_grad(
    u: np.ndarray,
    X: np.ndarray,
    aux: np.ndarray,
    target: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Weighted Huber objective of the over-training law and its gradient, one pass.

    ``log L = LSE(u0 - u3 X[i, 0], u1 - u3 X[i, 1], u2)``: with ``X[i] = (log N,
    log D + log(6)/2)`` and ``u = theta = (a, b, e, eta)`` this is Gadre et al.'s law;
    the fit passes standardised columns, ``X = ((log N - m_x)/s, (log D + log(6)/2 -
    m_y)/s)`` and ``u = (a - eta m_x, b - eta m_y, e, eta s)`` (one scale ``s`` for
    the shared exponent). ``aux`` is unused.
    """
    # Chinchilla's kernel with alpha = beta = eta: d f / d eta is the sum of its
    # derivatives in the two exponents
    u5 = np.empty(5)
    u5[0] = u[0]
    u5[1] = u[1]
    u5[2] = u[2]
    u5[3] = u[3]
    u5[4] = u[3]
    g5 = np.empty(5)
    f = objective_grad(u5, X, aux, target, w, delta, g5)
    grad[0] = g5[0]
    grad[1] = g5[1]
    grad[2] = g5[2]
    grad[3] = g5[3] + g5[4]
    return f
