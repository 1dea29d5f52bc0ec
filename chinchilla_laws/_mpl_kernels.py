"""Numba kernels of the multi-power law (Luo et al. 2025): value and gradient.

Private, like ``_kernels.py`` (the decorator comes from ``_jit``); every input is
validated by :mod:`chinchilla_laws.multipower`. Arrays are contiguous float64 (int64
for indices). No kernel raises; a non-finite value propagates and the caller turns it
into a status.

Notation (0-based steps, ``eta`` the per-step learning rate, ``cs = cumsum(eta)``)::

    L(t)  = L0 + A * cs[t]**(-alpha) - B * LD(t)
    LD(t) = sum_{k=1..t, eta[k] != eta[k-1]} d_k * (1 - (1 + x_k(t))**(-beta))
    d_k   = eta[k-1] - eta[k],    x_k(t) = C * eta[k]**(-gamma) * (cs[t] - cs[k-1])

Parameters are passed as ``p = (L0, A, alpha, B, C, beta, gamma)``.

Several curves are packed into flat arrays. Per *change point* (a step ``k >= 1``
where the rate changes), in step order within each curve: ``kd`` (``d_k``),
``klog`` (``log eta[k]``), ``kcs`` (``cs[k-1]``). Per *point* (a predicted step):
``s1`` (``cs[t]``), ``kbeg`` and ``kend`` (the slice of change points with
``k <= t``, i.e. the curve's first change point and one past the last one at or
before ``t``).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._jit import kernel
from ._kernels import huber_and_slope

_jit = kernel()
_pjit = kernel(parallel=True)

N_PARAMS = 7


@_jit
def _point_sums(
    s1: float,
    kbeg: int,
    kend: int,
    v: np.ndarray,
    kd: np.ndarray,
    klog: np.ndarray,
    kcs: np.ndarray,
    beta: float,
    lu: np.ndarray,
    q: np.ndarray,
) -> tuple[float, float, float, float]:
    """The loss drop at one point and the three sums its gradient needs.

    Returns ``(LD, sum d q log(1+x), sum d q x/(1+x), sum d q x/(1+x) log eta_k)``
    with ``q = (1+x)**(-beta)``; ``v[j] = C * eta_k**(-gamma)`` is precomputed.
    ``lu`` and ``q`` are scratch of length ``>= kend - kbeg``: the transcendental
    functions run in their own element-wise loops, which the compiler pipelines
    (twice as fast as one fused loop).
    """
    n_k = kend - kbeg
    for j in range(n_k):
        lu[j] = math.log1p(v[kbeg + j] * (s1 - kcs[kbeg + j]))
    for j in range(n_k):
        q[j] = math.exp(-beta * lu[j])
    ld = 0.0
    gb = 0.0
    m = 0.0
    n = 0.0
    for j in range(n_k):
        i = kbeg + j
        d = kd[i]
        qj = q[j]
        x = v[i] * (s1 - kcs[i])
        y = d * qj * x / (1.0 + x)
        ld += d * (1.0 - qj)
        gb += d * qj * lu[j]
        m += y
        n += y * klog[i]
    return ld, gb, m, n


@_jit
def _point_ld(
    s1: float,
    kbeg: int,
    kend: int,
    v: np.ndarray,
    kd: np.ndarray,
    kcs: np.ndarray,
    beta: float,
    lu: np.ndarray,
) -> float:
    """The loss-drop double sum at one point (value only); ``lu`` is scratch."""
    n_k = kend - kbeg
    for j in range(n_k):
        lu[j] = math.log1p(v[kbeg + j] * (s1 - kcs[kbeg + j]))
    for j in range(n_k):
        lu[j] = math.exp(-beta * lu[j])
    ld = 0.0
    for j in range(n_k):
        ld += kd[kbeg + j] * (1.0 - lu[j])
    return ld


@_jit
def _width(kbeg: np.ndarray, kend: np.ndarray) -> int:
    width = 1
    for i in range(kbeg.shape[0]):
        width = max(width, kend[i] - kbeg[i])
    return width


N_CHUNKS = 64
"""Points are dealt round-robin to this many chunks (balanced work, one scratch each)."""


@_jit
def _change_weights(p: np.ndarray, klog: np.ndarray) -> np.ndarray:
    """``v_j = C * eta_k**(-gamma)`` for every change point."""
    v = np.empty(klog.shape[0])
    c = p[4]
    gamma = p[6]
    for j in range(klog.shape[0]):
        v[j] = c * math.exp(-gamma * klog[j])
    return v


@_jit
def _point_pred_jac(
    p: np.ndarray,
    v: np.ndarray,
    s1: float,
    kbeg: int,
    kend: int,
    kd: np.ndarray,
    klog: np.ndarray,
    kcs: np.ndarray,
    lu: np.ndarray,
    q: np.ndarray,
    jac: np.ndarray,
) -> float:
    """``L(t)`` at one point (``cs[t] = s1``) and its derivatives in ``p`` (into ``jac``)."""
    a = p[1]
    alpha = p[2]
    b = p[3]
    beta = p[5]
    ld, gb, m, n = _point_sums(s1, kbeg, kend, v, kd, klog, kcs, beta, lu, q)
    ls = math.log(s1)
    sa = math.exp(-alpha * ls)
    jac[0] = 1.0
    jac[1] = sa
    jac[2] = -a * sa * ls
    jac[3] = -ld
    jac[4] = -b * beta * m / p[4]
    jac[5] = -b * gb
    jac[6] = b * beta * n
    pred: float = p[0] + a * sa - b * ld
    return pred


@_pjit
def predict(  # call inside ``_jit.parallel_region()``
    p: np.ndarray,
    s1: np.ndarray,
    kbeg: np.ndarray,
    kend: np.ndarray,
    kd: np.ndarray,
    klog: np.ndarray,
    kcs: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out[i] = L(t_i)`` for every point (parallel over points)."""
    v = _change_weights(p, klog)
    l0 = p[0]
    a = p[1]
    alpha = p[2]
    b = p[3]
    beta = p[5]
    n_pts = s1.shape[0]
    n_chunks = min(N_CHUNKS, n_pts)
    width = _width(kbeg, kend)
    for chunk in nb.prange(n_chunks):
        lu = np.empty(width)
        for i in range(chunk, n_pts, n_chunks):
            ld = _point_ld(s1[i], kbeg[i], kend[i], v, kd, kcs, beta, lu)
            out[i] = l0 + a * math.exp(-alpha * math.log(s1[i])) - b * ld


@_pjit
def jacobian(  # call inside ``_jit.parallel_region()``
    p: np.ndarray,
    s1: np.ndarray,
    kbeg: np.ndarray,
    kend: np.ndarray,
    kd: np.ndarray,
    klog: np.ndarray,
    kcs: np.ndarray,
    pred: np.ndarray,
    jac: np.ndarray,
) -> None:
    """Prediction ``pred[i]`` and its derivatives ``jac[i, :]`` with respect to ``p``."""
    v = _change_weights(p, klog)
    n_pts = s1.shape[0]
    n_chunks = min(N_CHUNKS, n_pts)
    width = _width(kbeg, kend)
    for chunk in nb.prange(n_chunks):
        lu = np.empty(width)
        q = np.empty(width)
        for i in range(chunk, n_pts, n_chunks):
            pred[i] = _point_pred_jac(p, v, s1[i], kbeg[i], kend[i], kd, klog, kcs, lu, q, jac[i])


@_jit
def huber_objective_grad(
    pred: np.ndarray,
    jac: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """``sum_i w_i Huber_delta(log pred_i - logl_i)`` and its gradient (into ``grad``).

    Serial, in point order, so the sum does not depend on thread timing.
    """
    f = 0.0
    for k in range(grad.shape[0]):
        grad[k] = 0.0
    for i in range(pred.shape[0]):
        wi = w[i]
        if wi == 0.0:
            continue
        h, c = huber_and_slope(math.log(pred[i]) - logl[i], delta)
        f += wi * h
        cw = wi * c / pred[i]
        for k in range(grad.shape[0]):
            grad[k] += cw * jac[i, k]
    return f


@_jit
def final_loss_schedule_grad(p: np.ndarray, eta: np.ndarray, grad: np.ndarray) -> float:
    """Loss at the last step ``T = len(eta) - 1`` and its gradient in every ``eta[j]``.

    Needs ``eta[k] > 0`` for ``k >= 1``. ``O(T)``: the derivative of every ``S_k(T)``
    with respect to ``eta[j]`` is one for ``k <= j``, a prefix sum.
    """
    l0 = p[0]
    a = p[1]
    alpha = p[2]
    b = p[3]
    c = p[4]
    beta = p[5]
    gamma = p[6]
    t_last = eta.shape[0] - 1
    s1 = 0.0
    for j in range(t_last + 1):
        s1 += eta[j]
    # per step k >= 1, with x_k = v_k S_k, v_k = C eta_k**(-gamma), S_k = s1 - cs[k-1]:
    # g[k] = 1 - (1 + x_k)**(-beta) and gx[k] = dg/dx = beta (1 + x_k)**(-beta - 1)
    g = np.zeros(t_last + 2)
    gx = np.zeros(t_last + 1)
    xk = np.zeros(t_last + 1)
    vk = np.zeros(t_last + 1)
    ld = 0.0
    cs_prev = eta[0]  # cs[k-1] for k = 1
    for k in range(1, t_last + 1):
        v = c * math.exp(-gamma * math.log(eta[k]))
        x = v * (s1 - cs_prev)
        lu = math.log1p(x)
        q = math.exp(-beta * lu)
        g[k] = 1.0 - q
        gx[k] = beta * q / (1.0 + x)
        xk[k] = x
        vk[k] = v
        ld += (eta[k - 1] - eta[k]) * g[k]
        cs_prev += eta[k]
    d_s1 = -alpha * a * math.exp(-(alpha + 1.0) * math.log(s1))
    # dLD/deta_j = g[j+1] - g[j] + d_j dg_j/deta_j|_S + sum_{k=1..j} d_k gx[k] v_k
    # (eta_j is in S_k(T) exactly for k <= j: a running prefix sum)
    prefix = 0.0
    for j in range(t_last + 1):
        dld = g[j + 1]
        if j >= 1:
            d = eta[j - 1] - eta[j]
            # dx_j/deta_j at fixed S_j is -gamma x_j / eta_j
            dld -= g[j] + d * gx[j] * gamma * xk[j] / eta[j]
            prefix += d * gx[j] * vk[j]
        dld += prefix
        grad[j] = d_s1 - b * dld
    value: float = l0 + a * math.exp(-alpha * math.log(s1)) - b * ld
    return value


# ----------------------------------------------------------------------------- fitting


@_jit
def params_from_u(u: np.ndarray) -> np.ndarray:
    """``(L0, A, alpha, B, C, beta, gamma)`` from ``u = (L0, log A, ..., log gamma)``."""
    p = np.empty(N_PARAMS)
    p[0] = u[0]
    for k in range(1, N_PARAMS):
        p[k] = math.exp(u[k])
    return p


@_jit
def objective_grad(
    u: np.ndarray,
    X: np.ndarray,
    aux: np.ndarray,
    target: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Weighted Huber objective of log residuals and its gradient in ``u`` (serial).

    The fitting engine's kernel contract ``f = kernel(u, X, aux, target, w, delta,
    grad)``: ``u = (L0, log A, log alpha, log B, log C, log beta, log gamma)``;
    ``X[i] = (cs[t_i], kbeg_i, kend_i)`` per point (indices stored as floats);
    ``aux = concat(kd, klog, kcs)`` over the change points; ``target`` the log loss.
    Points of zero weight are skipped (bootstrap resamples leave many).
    """
    p = params_from_u(u)
    n_k = aux.shape[0] // 3
    kd = aux[:n_k]
    klog = aux[n_k : 2 * n_k]
    kcs = aux[2 * n_k :]
    v = _change_weights(p, klog)
    width = 1
    for i in range(X.shape[0]):
        width = max(width, int(X[i, 2]) - int(X[i, 1]))
    lu = np.empty(width)
    q = np.empty(width)
    jac = np.empty(N_PARAMS)
    gp = np.zeros(N_PARAMS)
    f = 0.0
    for i in range(X.shape[0]):
        wi = w[i]
        if wi == 0.0:
            continue
        pred = _point_pred_jac(p, v, X[i, 0], int(X[i, 1]), int(X[i, 2]), kd, klog, kcs, lu, q, jac)
        h, c = huber_and_slope(math.log(pred) - target[i], delta)
        f += wi * h
        cw = wi * c / pred
        for k in range(N_PARAMS):
            gp[k] += cw * jac[k]
    # chain rule: p_0 = u_0, p_k = exp(u_k) for k >= 1
    grad[0] = gp[0]
    for k in range(1, N_PARAMS):
        grad[k] = gp[k] * p[k]
    return f


# ----------------------------------------------------------------------------- schedules


@_jit
def _excess_schedule(
    ell: np.ndarray, warm: np.ndarray, floor: float, excess: float, eta: np.ndarray
) -> None:
    """``eta = [warm, floor + excess * exp(cumsum(ell))]``."""
    n_w = warm.shape[0]
    for j in range(n_w):
        eta[j] = warm[j]
    acc = 0.0
    for j in range(ell.shape[0]):
        acc += ell[j]
        eta[n_w + j] = floor + excess * math.exp(acc)


@_jit
def schedule_objective(
    p: np.ndarray,
    ell: np.ndarray,
    warm: np.ndarray,
    floor: float,
    excess: float,
    eta: np.ndarray,
    geta: np.ndarray,
    grad: np.ndarray,
) -> float:
    """Final loss as a function of the log-decrements ``ell`` (``<= 0``), and its gradient.

    ``eta[W + j] = floor + excess * exp(sum(ell[:j+1]))``, so
    ``d eta[W + t] / d ell[s] = eta[W + t] - floor`` for ``t >= s``: the gradient is a
    reverse cumulative sum of ``dL/deta * (eta - floor)``.
    """
    _excess_schedule(ell, warm, floor, excess, eta)
    f = final_loss_schedule_grad(p, eta, geta)
    n_w = warm.shape[0]
    acc = 0.0
    for j in range(ell.shape[0] - 1, -1, -1):
        acc += geta[n_w + j] * (eta[n_w + j] - floor)
        grad[j] = acc
    return f


@_jit
def schedule_lbfgs(
    p: np.ndarray,
    ell0: np.ndarray,
    warm: np.ndarray,
    floor: float,
    excess: float,
    max_iter: int,
    history: int,
    gtol: float,
    ftol: float,
    ell: np.ndarray,
    info: np.ndarray,
) -> float:
    """Minimise :func:`schedule_objective` over ``ell <= 0`` by projected L-BFGS.

    Variables at the bound whose gradient pushes outwards are held fixed for the
    step; the quasi-Newton direction is computed on the others (two-loop recursion
    with the held coordinates masked) and the step is projected back onto
    ``ell <= 0`` with an Armijo backtracking search along the projection arc.
    Stops when the projected gradient is below ``gtol`` (status 0), when the loss
    fell by less than ``ftol * |f|`` over the last 20 iterations (status 0), at
    ``max_iter`` (status 1), or when the search finds no decrease (status 2).
    ``info`` receives ``(nit, nfev, status)``; returns the final loss.
    """
    n = ell0.shape[0]
    n_steps = warm.shape[0] + n
    eta = np.empty(n_steps)
    geta = np.empty(n_steps)
    g = np.empty(n)
    gn = np.empty(n)
    xn = np.empty(n)
    d = np.empty(n)
    q = np.empty(n)
    free = np.empty(n)
    sh = np.zeros((history, n))
    yh = np.zeros((history, n))
    rho = np.zeros(history)
    alph = np.zeros(history)
    fhist = np.empty(21)
    for j in range(n):
        ell[j] = min(ell0[j], 0.0)
    f = schedule_objective(p, ell, warm, floor, excess, eta, geta, g)
    nfev = 1
    n_mem = 0
    head = 0  # next slot to overwrite
    status = 1
    it = 0
    fhist[0] = f
    while it < max_iter:
        pg_max = 0.0
        for j in range(n):
            held = ell[j] >= 0.0 and g[j] < 0.0
            free[j] = 0.0 if held else 1.0
            if not held:
                pg_max = max(pg_max, abs(g[j]))
        if not pg_max > gtol:  # also stops on NaN
            status = 0 if pg_max == pg_max else 3
            break
        # two-loop recursion on the free coordinates
        for j in range(n):
            q[j] = g[j] * free[j]
        for back in range(n_mem):
            slot = (head - 1 - back) % history
            sy = 0.0
            sq = 0.0
            for j in range(n):
                sy += sh[slot, j] * yh[slot, j] * free[j]
                sq += sh[slot, j] * q[j]
            rho[slot] = 1.0 / sy if sy > 0.0 else 0.0
            alph[slot] = rho[slot] * sq
            for j in range(n):
                q[j] -= alph[slot] * yh[slot, j] * free[j]
        if n_mem > 0:
            slot = (head - 1) % history
            sy = 0.0
            yy = 0.0
            for j in range(n):
                sy += sh[slot, j] * yh[slot, j] * free[j]
                yy += yh[slot, j] * yh[slot, j] * free[j]
            scale = sy / yy if yy > 0.0 and sy > 0.0 else 1.0 / pg_max
        else:
            scale = 1.0 / pg_max
        for j in range(n):
            q[j] *= scale
        for back in range(n_mem - 1, -1, -1):
            slot = (head - 1 - back) % history
            yq = 0.0
            for j in range(n):
                yq += yh[slot, j] * q[j] * free[j]
            b = rho[slot] * yq
            for j in range(n):
                q[j] += (alph[slot] - b) * sh[slot, j] * free[j]
        slope = 0.0
        for j in range(n):
            d[j] = -q[j] * free[j]
            slope += d[j] * g[j]
        if not slope < 0.0:  # not a descent direction: restart from steepest descent
            n_mem = 0
            for j in range(n):
                d[j] = -g[j] * free[j] / pg_max
        t = 1.0
        accepted = False
        fn = f
        while t > 1e-20:
            decrease = 0.0
            for j in range(n):
                xn[j] = min(ell[j] + t * d[j], 0.0)
                decrease += g[j] * (xn[j] - ell[j])
            fn = schedule_objective(p, xn, warm, floor, excess, eta, geta, gn)
            nfev += 1
            if fn <= f + 1e-4 * decrease:
                accepted = True
                break
            t *= 0.5
        if not accepted:
            status = 2
            break
        sy = 0.0
        ss = 0.0
        yy = 0.0
        for j in range(n):
            sj = xn[j] - ell[j]
            yj = gn[j] - g[j]
            sh[head, j] = sj
            yh[head, j] = yj
            sy += sj * yj
            ss += sj * sj
            yy += yj * yj
        if sy > 1e-12 * math.sqrt(ss * yy):
            head = (head + 1) % history
            n_mem = min(n_mem + 1, history)
        for j in range(n):
            ell[j] = xn[j]
            g[j] = gn[j]
        f = fn
        it += 1
        if it >= 20 and fhist[(it - 20) % 21] - f <= ftol * abs(f):
            status = 0
            break
        fhist[it % 21] = f
    # the loss at the returned point (the arrays hold the last trial otherwise)
    f = schedule_objective(p, ell, warm, floor, excess, eta, geta, g)
    info[0] = it
    info[1] = nfev
    info[2] = status
    return f
