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
def huber_and_slope(r: float, delta: float) -> tuple[float, float]:
    """Huber loss of one residual and its derivative: ``(h, c)``, ``c = clip(r, -delta, delta)``.

    ``h = c * (r - c/2)`` is ``r**2/2`` inside ``delta`` and ``delta * (|r| - delta/2)``
    outside, without a branch on ``|r|``; NaN in ``r`` propagates into both.
    """
    c = min(max(r, -delta), delta)
    if r != r:
        c = r
    return c * (r - 0.5 * c), c


@_jit
def log_predict(u: np.ndarray, X: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = LSE(u0 - u3 x_i, u1 - u4 y_i, u2)`` with a max shift."""
    for i in range(X.shape[0]):
        p1 = u[0] - u[3] * X[i, 0]
        p2 = u[1] - u[4] * X[i, 1]
        p3 = u[2]
        m = max(p1, max(p2, p3))
        out[i] = m + math.log(math.exp(p1 - m) + math.exp(p2 - m) + math.exp(p3 - m))


EXP_ARG_LIMIT = 700.0
"""Largest ``|p|`` for which :func:`objective_grad` takes the vectorised path.

``exp(700) * 3`` is still finite and ``exp(-700)`` is a normal number, so the sum of
the three terms is a positive normal number whose log :func:`log_into` takes."""

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 in 32 significant bits, so k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_ROUND = 6755399441055744.0  # 1.5 * 2**52: x + _ROUND rounds x to an integer in the low bits
_ROUND_BITS = 0x4338000000000000  # bit pattern of _ROUND
_EXP_BIAS = 1023
_MANTISSA = (1 << 52) - 1
_ONE_BITS = _EXP_BIAS << 52  # bit pattern of 1.0
_SQRT2 = 1.4142135623730951


_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13, -1, -1))
"""Taylor coefficients of ``exp`` to degree 13, highest first."""
_ATANH_SERIES = tuple(2.0 / (2 * k + 1) for k in range(10, -1, -1))
"""``log m = z * sum_k 2 z**(2k) / (2k + 1)``, ``z = (m - 1)/(m + 1)``: coefficients in ``z**2``
to ``k = 10``, highest first."""


@_jit
def _horner(x: float, coeffs: tuple[float, ...]) -> float:
    """The polynomial with ``coeffs`` (highest degree first) at ``x``."""
    p = coeffs[0]
    for c in coeffs[1:]:
        p = p * x + c
    return p


@_jit
def exp_into(x: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> None:
    """``out[i] = exp(x[i])`` for ``|x[i]| <= 708``, within about one ulp.

    Written as straight-line loops that the compiler vectorises (libm's ``exp`` is
    one call per element): ``x = k ln 2 + r`` with ``|r| <= ln(2)/2`` (Cody-Waite,
    ``ln 2`` split in two parts), ``exp(r)`` by its Taylor polynomial of degree 13
    (truncation below 1e-17 relative), and ``2**k`` assembled in the exponent bits
    of ``scratch`` (viewed as int64). Arguments outside the range give garbage:
    callers check the range first.
    """
    n = x.shape[0]
    for i in range(n):
        xi = x[i]
        k = xi * _LOG2E + _ROUND
        kf = k - _ROUND
        r = (xi - kf * _LN2_HI) - kf * _LN2_LO
        out[i] = _horner(r, _EXP_TAYLOR)
        scratch[i] = k
    bits = scratch.view(np.int64)
    for i in range(n):
        # the low bits of k hold round(x / ln 2): its bits minus _ROUND's bits
        bits[i] = (bits[i] - _ROUND_BITS + _EXP_BIAS) << 52
    for i in range(n):
        out[i] *= scratch[i]


@_jit
def log_into(s: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> None:
    """``out[i] = log(s[i])`` for positive normal ``s[i]``, within about two ulps.

    Vectorisable loops like :func:`exp_into`: ``s = 2**e m`` with ``m`` in
    ``[sqrt(1/2), sqrt(2))`` read from the bits, ``log m = 2 atanh(z)``,
    ``z = (m - 1)/(m + 1)``, ``|z| <= 0.172``, by its odd series to ``z**21``
    (truncation below 1e-18). Zero, negative, subnormal and non-finite ``s`` give
    garbage: callers keep ``s`` in range.
    """
    n = s.shape[0]
    sbits = s.view(np.int64)
    mbits = scratch.view(np.int64)
    for i in range(n):
        b = sbits[i]
        out[i] = float((b >> 52) - _EXP_BIAS)
        mbits[i] = (b & _MANTISSA) | _ONE_BITS
    for i in range(n):
        m = scratch[i]
        e = out[i]
        if m > _SQRT2:
            m *= 0.5
            e += 1.0
        z = (m - 1.0) / (m + 1.0)
        z2 = z * z
        p = _horner(z2, _ATANH_SERIES)
        out[i] = e * _LN2_HI + (z * p + e * _LN2_LO)


@_jit
def _terms_shifted(
    u: np.ndarray, X: np.ndarray, t1: np.ndarray, t2: np.ndarray, t3: np.ndarray, s: np.ndarray,
    lse: np.ndarray,
) -> None:  # fmt: skip
    """The terms of ``LSE(p1, p2, u2)`` point by point, shifted by their maximum.

    ``t_k = exp(p_k - m)``, ``s = t1 + t2 + t3``, ``lse = m + log(s)`` with ``m`` the
    largest ``p_k``: valid for any finite ``u`` (no term overflows).
    """
    a = u[0]
    b = u[1]
    e = u[2]
    al = u[3]
    be = u[4]
    for i in range(X.shape[0]):
        p1 = a - al * X[i, 0]
        p2 = b - be * X[i, 1]
        # the largest term contributes exp(0) = 1
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
        t1[i] = e1
        t2[i] = e2
        t3[i] = e3
        s[i] = e1 + e2 + e3
        lse[i] = m + math.log(s[i])


@_jit
def _terms_fast(
    u: np.ndarray, X: np.ndarray, t1: np.ndarray, t2: np.ndarray, t3: np.ndarray, s: np.ndarray,
    lse: np.ndarray,
) -> bool:  # fmt: skip
    """:func:`_terms_shifted` without the shift, by :func:`exp_into` and :func:`log_into`.

    Returns False (and leaves the arrays undefined) where an exponent ``|p|``
    exceeds ``EXP_ARG_LIMIT`` or ``u`` is not finite.
    """
    a = u[0]
    b = u[1]
    e = u[2]
    al = u[3]
    be = u[4]
    finite = math.isfinite(a) and math.isfinite(b) and math.isfinite(al) and math.isfinite(be)
    if not (finite and abs(e) <= EXP_ARG_LIMIT):
        return False
    p1 = s  # s and lse serve as scratch until their own values are written
    p2 = lse
    lo = 0.0
    hi = 0.0
    for i in range(X.shape[0]):
        q1 = a - al * X[i, 0]
        q2 = b - be * X[i, 1]
        p1[i] = q1
        p2[i] = q2
        lo = min(lo, min(q1, q2))
        hi = max(hi, max(q1, q2))
    if not (lo >= -EXP_ARG_LIMIT and hi <= EXP_ARG_LIMIT):
        return False
    exp_into(p1, t1, t3)
    exp_into(p2, t2, t3)
    ee = math.exp(e)
    for i in range(X.shape[0]):
        s[i] = t1[i] + t2[i] + ee
    log_into(s, lse, t3)
    t3[:] = ee
    return True


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

    The terms ``exp(p1) + exp(p2) + exp(u2)`` are formed without a shift, their
    exponentials and log taken by the vectorised :func:`exp_into` and
    :func:`log_into` (about three times faster than libm per point). Where an
    exponent ``|p| > EXP_ARG_LIMIT`` or ``u`` is not finite, they are formed point
    by point with a max shift (:func:`_terms_shifted`) instead.
    """
    n = X.shape[0]
    buf = np.empty((5, n))
    t1 = buf[0]
    t2 = buf[1]
    t3 = buf[2]
    s = buf[3]
    lse = buf[4]
    if not _terms_fast(u, X, t1, t2, t3, s, lse):
        _terms_shifted(u, X, t1, t2, t3, s, lse)
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    g4 = 0.0
    for i in range(n):
        h, c = huber_and_slope(lse[i] - logl[i], delta)
        wi = w[i]
        f += wi * h
        cw = wi * c / s[i]
        c1 = cw * t1[i]
        c2 = cw * t2[i]
        g0 += c1
        g1 += c2
        g2 += cw * t3[i]
        g3 -= c1 * X[i, 0]
        g4 -= c2 * X[i, 1]
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
        h, c = huber_and_slope(r, delta)
        wi = w[i]
        f += wi * h
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
        h, c = huber_and_slope(r, delta)
        wi = w[i]
        f += wi * h
        cw = wi * c / s
        g0 += cw * e1
        g1 += cw * e2
        g2 -= cw * e1 * xi
    grad[0] = g0
    grad[1] = g1
    grad[2] = g2
    return f
