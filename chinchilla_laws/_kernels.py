"""Numba kernels: the Huber/log-sum-exp objective and a batched L-BFGS.

Everything here is private and trusts its inputs: arrays are contiguous float64,
validated by the public functions. No kernel raises; non-finite values propagate
and are turned into a status by the caller.

The optimiser works on the *internal* parameters

    u = (a_c, b_c, e, alpha_s, beta_s)

of the model ``log L = LSE(a_c - alpha_s * x, b_c - beta_s * y, e)``, where ``x``
and ``y`` are the standardised log N and log D. ``chinchilla_laws.parametric``
maps between ``u`` and the paper's ``theta = (a, b, e, alpha, beta)``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._jit import kernel

_jit = kernel()
_pjit = kernel(parallel=True)

N_PARAMS = 5
HISTORY = 10

# per-problem exit codes (mirrored by ``chinchilla_laws._results.StartStatus``)
CONVERGED = 0
MAX_ITER = 1
LINE_SEARCH_FAILED = 2
NON_FINITE = 3
ABANDONED = 4
DEGENERATE = 5  # set by the callers on inspection of the end point, never by a kernel


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
def log_predict(u: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = LSE(u0 - u3 x_i, u1 - u4 y_i, u2)`` with a max shift."""
    for i in range(x.shape[0]):
        p1 = u[0] - u[3] * x[i]
        p2 = u[1] - u[4] * y[i]
        p3 = u[2]
        m = max(p1, max(p2, p3))
        out[i] = m + math.log(math.exp(p1 - m) + math.exp(p2 - m) + math.exp(p3 - m))


@_jit
def objective_grad(
    u: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    grad: np.ndarray,
) -> float:
    """Weighted Huber objective and its gradient (written into ``grad``), one pass.

    ``f(u) = sum_i w_i * huber(LSE(u0 - u3 x_i, u1 - u4 y_i, u2) - logl_i)``.
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
    for i in range(x.shape[0]):
        xi = x[i]
        yi = y[i]
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
def _dot(p: np.ndarray, q: np.ndarray) -> float:
    acc = 0.0
    for k in range(p.shape[0]):
        acc += p[k] * q[k]
    return acc


@_jit
def _inf_norm(p: np.ndarray) -> float:
    acc = 0.0
    for k in range(p.shape[0]):
        v = abs(p[k])
        if v > acc or v != v:
            acc = v
    return acc


@_jit
def _cubic_min(a: float, fa: float, da: float, b: float, fb: float, db: float) -> float:
    """Minimiser of the cubic through (a, fa, da), (b, fb, db); NaN if none."""
    d1 = da + db - 3.0 * (fa - fb) / (a - b)
    disc = d1 * d1 - da * db
    if disc < 0.0:
        return math.nan
    d2 = math.sqrt(disc)
    if b < a:
        d2 = -d2
    denom = db - da + 2.0 * d2
    if denom == 0.0:
        return math.nan
    return b - (b - a) * (db + d2 - d1) / denom


@_jit
def _trial(
    u: np.ndarray,
    p: np.ndarray,
    t: float,
    ut: np.ndarray,
    gt: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
) -> tuple[float, float]:
    for k in range(N_PARAMS):
        ut[k] = u[k] + t * p[k]
    ft = objective_grad(ut, x, y, logl, w, delta, gt)
    return ft, _dot(gt, p)


@_jit
def line_search(
    u: np.ndarray,
    f0: float,
    d0: float,
    p: np.ndarray,
    t_init: float,
    ut: np.ndarray,
    gt: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    c1: float,
    c2: float,
    max_eval: int,
) -> tuple[float, float, int, bool]:
    """Strong-Wolfe line search (Nocedal & Wright, Alg. 3.5/3.6, cubic zoom).

    On success ``ut``/``gt`` hold the accepted point and its gradient.
    Returns ``(t, f(t), evaluations, ok)``.
    """
    t_prev = 0.0
    f_prev = f0
    d_prev = d0
    t = t_init
    nfev = 0
    lo = 0.0
    f_lo = f0
    d_lo = d0
    hi = 0.0
    f_hi = f0
    d_hi = d0
    bracketed = False
    while nfev < max_eval:
        ft, dt = _trial(u, p, t, ut, gt, x, y, logl, w, delta)
        nfev += 1
        if not (math.isfinite(ft) and math.isfinite(dt)):
            # step into an overflow region: shrink and retry
            t = 0.5 * (t_prev + t) if t > t_prev else 0.5 * t
            if t <= 1e-300:
                return 0.0, f0, nfev, False
            continue
        if ft > f0 + c1 * t * d0 or (nfev > 1 and ft >= f_prev):
            lo, f_lo, d_lo = t_prev, f_prev, d_prev
            hi, f_hi, d_hi = t, ft, dt
            bracketed = True
            break
        if abs(dt) <= -c2 * d0:
            return t, ft, nfev, True
        if dt >= 0.0:
            lo, f_lo, d_lo = t, ft, dt
            hi, f_hi, d_hi = t_prev, f_prev, d_prev
            bracketed = True
            break
        # extrapolate
        t_new = _cubic_min(t_prev, f_prev, d_prev, t, ft, dt)
        t_max = 10.0 * t
        if not math.isfinite(t_new) or t_new <= t * 1.1 or t_new > t_max:
            t_new = min(2.0 * t, t_max)
        t_prev, f_prev, d_prev = t, ft, dt
        t = t_new
    if not bracketed:
        # ran out of evaluations while still decreasing: accept the last point
        if nfev > 0 and t_prev > 0.0 and f_prev < f0:
            _trial(u, p, t_prev, ut, gt, x, y, logl, w, delta)
            return t_prev, f_prev, nfev + 1, True
        return 0.0, f0, nfev, False
    # zoom
    while nfev < max_eval:
        width = abs(hi - lo)
        if width <= 1e-16 * max(abs(lo), abs(hi)):
            break
        tj = _cubic_min(lo, f_lo, d_lo, hi, f_hi, d_hi)
        left = min(lo, hi)
        right = max(lo, hi)
        margin = 0.1 * width
        if not math.isfinite(tj) or tj < left + margin or tj > right - margin:
            tj = 0.5 * (lo + hi)
        fj, dj = _trial(u, p, tj, ut, gt, x, y, logl, w, delta)
        nfev += 1
        if not (math.isfinite(fj) and math.isfinite(dj)):
            hi, f_hi, d_hi = tj, math.inf, 0.0
            continue
        if fj > f0 + c1 * tj * d0 or fj >= f_lo:
            hi, f_hi, d_hi = tj, fj, dj
        else:
            if abs(dj) <= -c2 * d0:
                return tj, fj, nfev, True
            if dj * (hi - lo) >= 0.0:
                hi, f_hi, d_hi = lo, f_lo, d_lo
            lo, f_lo, d_lo = tj, fj, dj
    # no strong-Wolfe point: fall back on the best sufficient-decrease point
    if lo > 0.0 and f_lo < f0:
        _trial(u, p, lo, ut, gt, x, y, logl, w, delta)
        return lo, f_lo, nfev + 1, True
    return 0.0, f0, nfev, False


RUNNING = -1


@_jit
def lbfgs_init(
    u: np.ndarray,
    g: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
) -> tuple[float, int]:
    """Objective and gradient at the start; status RUNNING or NON_FINITE."""
    f = objective_grad(u, x, y, logl, w, delta, g)
    if not (math.isfinite(f) and math.isfinite(_inf_norm(g))):
        return f, NON_FINITE
    return f, RUNNING


@_jit
def lbfgs_advance(
    u: np.ndarray,
    g: np.ndarray,
    f_in: float,
    s_hist: np.ndarray,
    y_hist: np.ndarray,
    rho: np.ndarray,
    f_hist: np.ndarray,
    state: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    until_iter: int,
    max_iter: int,
    gtol: float,
) -> tuple[float, int]:
    """Advance one L-BFGS run in place until iteration ``until_iter`` or termination.

    The run's memory lives in the arrays passed in, so that a batch can be
    advanced in rounds. ``state`` holds ``(iterations, evaluations, head,
    n_hist)`` as int64 and ``f_hist[-1]`` holds ``gamma``.

    Termination: ``max|g| <= gtol`` (CONVERGED); ``max_iter`` (MAX_ITER); no
    acceptable step even along ``-g`` (LINE_SEARCH_FAILED). There is no
    function-change stop: a run ends converged only on its gradient. Returns
    ``(f, status)``.
    """
    m = HISTORY
    p = np.empty(N_PARAMS)
    ut = np.empty(N_PARAMS)
    gt = np.empty(N_PARAMS)
    alpha_buf = np.empty(m)
    f = f_in
    it = state[0]
    nfev = state[1]
    head = state[2]
    n_hist = state[3]
    gamma = f_hist[m + 1]
    status = RUNNING
    while True:
        gnorm = _inf_norm(g)
        if gnorm <= gtol:
            status = CONVERGED
            break
        if it >= max_iter:
            status = MAX_ITER
            break
        if it >= until_iter:
            break
        for k in range(N_PARAMS):
            p[k] = -g[k]
        idx = head
        for _ in range(n_hist):
            idx = (idx - 1) % m
            alpha_buf[idx] = rho[idx] * _dot(s_hist[idx], p)
            for k in range(N_PARAMS):
                p[k] -= alpha_buf[idx] * y_hist[idx, k]
        for k in range(N_PARAMS):
            p[k] *= gamma
        for _ in range(n_hist):
            bcoef = rho[idx] * _dot(y_hist[idx], p)
            for k in range(N_PARAMS):
                p[k] += s_hist[idx, k] * (alpha_buf[idx] - bcoef)
            idx = (idx + 1) % m
        d0 = _dot(g, p)
        if not d0 < 0.0:
            n_hist = 0
            head = 0
            gamma = 1.0
            for k in range(N_PARAMS):
                p[k] = -g[k]
            d0 = -_dot(g, g)
        t0 = 1.0 / max(math.sqrt(_dot(p, p)), 1e-300) if n_hist == 0 else 1.0
        _t, f_new, ne, ok = line_search(
            u, f, d0, p, t0, ut, gt, x, y, logl, w, delta, 1e-4, 0.9, 40
        )
        nfev += ne
        if not ok:
            if n_hist > 0:
                n_hist = 0
                head = 0
                gamma = 1.0
                continue
            status = LINE_SEARCH_FAILED
            break
        it += 1
        sy = 0.0
        yy = 0.0
        for k in range(N_PARAMS):
            sk = ut[k] - u[k]
            yk = gt[k] - g[k]
            sy += sk * yk
            yy += yk * yk
        # store the pair only when it carries positive curvature: writing it first
        # would overwrite the oldest live pair while keeping that pair's rho
        if sy > 1e-12 * yy and sy > 0.0:
            for k in range(N_PARAMS):
                s_hist[head, k] = ut[k] - u[k]
                y_hist[head, k] = gt[k] - g[k]
            rho[head] = 1.0 / sy
            gamma = sy / yy
            head = (head + 1) % m
            n_hist = min(n_hist + 1, m)
        for k in range(N_PARAMS):
            u[k] = ut[k]
            g[k] = gt[k]
        f = f_new
    state[0] = it
    state[1] = nfev
    state[2] = head
    state[3] = n_hist
    f_hist[m + 1] = gamma
    return f, status


@_jit
def lbfgs_start_batch(
    U: np.ndarray,
    G: np.ndarray,
    F: np.ndarray,
    STATUS: np.ndarray,
    STATE: np.ndarray,
    FHIST: np.ndarray,
    weight_sets: np.ndarray,
    weight_index: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    delta: float,
) -> None:
    """Initialise a batch of runs (objective and gradient at each start)."""
    m = HISTORY
    for j in nb.prange(U.shape[0]):
        f, st = lbfgs_init(U[j], G[j], x, y, logl, weight_sets[weight_index[j]], delta)
        F[j] = f
        STATUS[j] = st
        STATE[j, 0] = 0
        STATE[j, 1] = 1
        STATE[j, 2] = 0
        STATE[j, 3] = 0
        for k in range(m + 1):
            FHIST[j, k] = math.inf
        FHIST[j, 0] = f
        FHIST[j, m + 1] = 1.0


@_jit
def _advance_run(
    j: int,
    U: np.ndarray,
    G: np.ndarray,
    F: np.ndarray,
    SH: np.ndarray,
    YH: np.ndarray,
    RHO: np.ndarray,
    FHIST: np.ndarray,
    STATE: np.ndarray,
    STATUS: np.ndarray,
    weight_sets: np.ndarray,
    weight_index: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    delta: float,
    until_iter: int,
    max_iter: int,
    gtol: float,
) -> None:
    """Advance run ``j`` of a batch (state in the batch arrays) by :func:`lbfgs_advance`."""
    f, st = lbfgs_advance(
        U[j],
        G[j],
        F[j],
        SH[j],
        YH[j],
        RHO[j],
        FHIST[j],
        STATE[j],
        x,
        y,
        logl,
        weight_sets[weight_index[j]],
        delta,
        until_iter,
        max_iter,
        gtol,
    )
    F[j] = f
    STATUS[j] = st


@_pjit
def lbfgs_round(
    active: np.ndarray,
    U: np.ndarray,
    G: np.ndarray,
    F: np.ndarray,
    SH: np.ndarray,
    YH: np.ndarray,
    RHO: np.ndarray,
    FHIST: np.ndarray,
    STATE: np.ndarray,
    STATUS: np.ndarray,
    weight_sets: np.ndarray,
    weight_index: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    delta: float,
    until_iter: int,
    max_iter: int,
    gtol: float,
) -> None:
    """Advance the runs listed in ``active`` up to ``until_iter`` iterations, in parallel."""
    for q in nb.prange(active.shape[0]):
        _advance_run(
            active[q],
            U,
            G,
            F,
            SH,
            YH,
            RHO,
            FHIST,
            STATE,
            STATUS,
            weight_sets,
            weight_index,
            x,
            y,
            logl,
            delta,
            until_iter,
            max_iter,
            gtol,
        )


@_jit
def lbfgs_round_serial(
    active: np.ndarray,
    U: np.ndarray,
    G: np.ndarray,
    F: np.ndarray,
    SH: np.ndarray,
    YH: np.ndarray,
    RHO: np.ndarray,
    FHIST: np.ndarray,
    STATE: np.ndarray,
    STATUS: np.ndarray,
    weight_sets: np.ndarray,
    weight_index: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    delta: float,
    until_iter: int,
    max_iter: int,
    gtol: float,
) -> None:
    """Serial :func:`lbfgs_round`, for a few active runs (a thread launch costs more)."""
    for q in range(active.shape[0]):
        _advance_run(
            active[q],
            U,
            G,
            F,
            SH,
            YH,
            RHO,
            FHIST,
            STATE,
            STATUS,
            weight_sets,
            weight_index,
            x,
            y,
            logl,
            delta,
            until_iter,
            max_iter,
            gtol,
        )
