"""Numba kernels of the law families: Huber objective and gradient in one pass.

Everything here is private and trusts its inputs: arrays are contiguous float64,
validated by the public functions. No kernel raises; non-finite values propagate
and are turned into a status by the caller. The batched L-BFGS that drives these
kernels is written once in :mod:`chinchilla_laws._lbfgs`.

Every kernel has the signature of the law-family contract::

    f = kernel(u, X, aux, target, w, delta, grad)

Chinchilla (:func:`objective_grad`) works on the *internal* parameters

    u = (a_c, b_c, e, alpha_s, beta_s)

of the model ``log L = LSE(a_c - alpha_s * x, b_c - beta_s * y, e)``, where
``x, y = X[:, 0], X[:, 1]`` are the standardised log N and log D.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import kernel

_jit = kernel()

N_PARAMS = 5


@_jit
def huber(r: float, delta: float) -> float:
    """Huber loss of one residual: ``r**2/2`` inside ``delta``, linear outside."""
    ar = abs(r)
    if ar <= delta:
        return 0.5 * r * r
    return delta * (ar - 0.5 * delta)


@_jit
def huber_deriv(r: float, delta: float) -> float:
    """Derivative of :func:`huber` with respect to ``r``."""
    if r > delta:
        return delta
    if r < -delta:
        return -delta
    return r


@_jit
def log_predict(u: np.ndarray, X: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = LSE(u0 - u3 x_i, u1 - u4 y_i, u2)`` with a max shift."""
    for i in range(X.shape[0]):
        p1 = u[0] - u[3] * X[i, 0]
        p2 = u[1] - u[4] * X[i, 1]
        p3 = u[2]
        m = max(p1, max(p2, p3))
        out[i] = m + math.log(math.exp(p1 - m) + math.exp(p2 - m) + math.exp(p3 - m))


@_jit
def objective_grad(
    u: np.ndarray,
    X: np.ndarray,
    aux: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Chinchilla: weighted Huber objective and its gradient (into ``grad``), one pass.

    ``f(u) = sum_i w_i * huber(LSE(u0 - u3 x_i, u1 - u4 y_i, u2) - logl_i)`` with
    ``x, y = X[:, 0], X[:, 1]``; ``aux`` is unused.
    """
    a = u[0]
    b = u[1]
    e = u[2]
    al = u[3]
    be = u[4]
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    g4 = 0.0
    for i in range(X.shape[0]):
        xi = X[i, 0]
        yi = X[i, 1]
        p1 = a - al * xi
        p2 = b - be * yi
        # max-shifted log-sum-exp: the largest term contributes exp(0) = 1
        if p1 >= p2 and p1 >= e:
            m = p1
            e1 = 1.0
            e2 = math.exp(p2 - m)
            e3 = math.exp(e - m)
        elif p2 >= e:
            m = p2
            e1 = math.exp(p1 - m)
            e2 = 1.0
            e3 = math.exp(e - m)
        else:
            m = e
            e1 = math.exp(p1 - m)
            e2 = math.exp(p2 - m)
            e3 = 1.0
        s = e1 + e2 + e3
        r = m + math.log(s) - logl[i]
        # Huber without a branch: c = clip(r, -delta, delta) is also its derivative;
        # c * (r - c / 2) is r**2/2 inside delta and delta * (|r| - delta/2) outside.
        # NaN in r propagates through min/max into f.
        c = min(max(r, -delta), delta)
        if r != r:
            c = r
        wi = w[i]
        f += wi * c * (r - 0.5 * c)
        cw = wi * c / s
        c1 = cw * e1
        c2 = cw * e2
        g0 += c1
        g1 += c2
        g2 += cw * e3
        g3 -= c1 * xi
        g4 -= c2 * yi
    grad[0] = g0
    grad[1] = g1
    grad[2] = g2
    grad[3] = g3
    grad[4] = g4
    return f


@_jit
def kaplan_objective_grad(
    u: np.ndarray,
    X: np.ndarray,
    aux: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Kaplan et al. (2020): Huber objective of ``log L = alpha_D * LSE(t1, t2)`` and gradient.

    ``u = (log N_c - m_x, log D_c - m_y, alpha_N, alpha_D)``, ``x, y = X[:, 0],
    X[:, 1]`` the centred log N and log D, ``t1 = (alpha_N / alpha_D)(u0 - x)``,
    ``t2 = u1 - y``; ``aux`` is unused.
    """
    an = u[2]
    ad = u[3]
    p = an / ad
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    for i in range(X.shape[0]):
        d1 = u[0] - X[i, 0]
        t1 = p * d1
        t2 = u[1] - X[i, 1]
        if t1 >= t2:
            m = t1
            e2 = math.exp(t2 - m)
            s = 1.0 + e2
            s1 = 1.0 / s
            s2 = e2 / s
        else:
            m = t2
            e1 = math.exp(t1 - m)
            s = e1 + 1.0
            s1 = e1 / s
            s2 = 1.0 / s
        lse = m + math.log(s)
        r = ad * lse - logl[i]
        c = min(max(r, -delta), delta)
        if r != r:
            c = r
        wi = w[i]
        f += wi * c * (r - 0.5 * c)
        cw = wi * c
        g0 += cw * s1 * an
        g1 += cw * s2 * ad
        g2 += cw * s1 * d1
        g3 += cw * (lse - s1 * t1)
    grad[0] = g0
    grad[1] = g1
    grad[2] = g2
    grad[3] = g3
    return f


@_jit
def saturating_objective_grad(
    u: np.ndarray,
    X: np.ndarray,
    aux: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Saturating power law: Huber objective of ``log L = LSE(u0 - u2 x, u1)`` and gradient.

    ``u = (a - alpha m_x, e, alpha s_x)`` with ``x = X[:, 0]`` the standardised
    log C; ``aux`` is unused.
    """
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    for i in range(X.shape[0]):
        xi = X[i, 0]
        p1 = u[0] - u[2] * xi
        p2 = u[1]
        if p1 >= p2:
            m = p1
            e1 = 1.0
            e2 = math.exp(p2 - m)
        else:
            m = p2
            e1 = math.exp(p1 - m)
            e2 = 1.0
        s = e1 + e2
        r = m + math.log(s) - logl[i]
        c = min(max(r, -delta), delta)
        if r != r:
            c = r
        wi = w[i]
        f += wi * c * (r - 0.5 * c)
        cw = wi * c / s
        g0 += cw * e1
        g1 += cw * e2
        g2 -= cw * e1 * xi
    grad[0] = g0
    grad[1] = g1
    grad[2] = g2
    return f
