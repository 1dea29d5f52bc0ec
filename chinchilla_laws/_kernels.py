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

_jit = nb.njit(cache=True, nogil=True, error_model="numpy")
_pjit = nb.njit(cache=True, nogil=True, error_model="numpy", parallel=True)

N_PARAMS = 5
HISTORY = 10

# per-problem exit codes (mirrored by ``chinchilla_laws._results.StartStatus``)
CONVERGED = 0
MAX_ITER = 1
LINE_SEARCH_FAILED = 2
NON_FINITE = 3
ABANDONED = 4


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
        wi = w[i]
        if wi == 0.0:
            continue
        xi = x[i]
        yi = y[i]
        p1 = a - al * xi
        p2 = b - be * yi
        m = max(p1, max(p2, e))
        e1 = math.exp(p1 - m)
        e2 = math.exp(p2 - m)
        e3 = math.exp(e - m)
        s = e1 + e2 + e3
        r = m + math.log(s) - logl[i]
        ar = abs(r)
        if ar <= delta:
            f += wi * 0.5 * r * r
            dh = r
        else:
            f += wi * delta * (ar - 0.5 * delta)
            dh = delta if r > 0.0 else -delta
        c = wi * dh / s
        c1 = c * e1
        c2 = c * e2
        g0 += c1
        g1 += c2
        g2 += c * e3
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


@_jit
def lbfgs(
    u: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    max_iter: int,
    gtol: float,
    ftol: float,
    abandon_iter: int,
    abandon_level: float,
) -> tuple[float, float, int, int, int]:
    """Minimise the objective from ``u`` (updated in place) by L-BFGS.

    Stops when ``max|grad| <= gtol`` (converged), when ``max_iter`` iterations are
    spent, when the line search can make no progress, or -- if ``abandon_iter > 0`` --
    when after ``abandon_iter`` iterations the objective is still above
    ``abandon_level``. ``ftol`` ends a run whose relative decrease over
    ``HISTORY`` iterations fell below it; its status then depends on the
    gradient (converged only if below ``gtol``).

    Returns ``(f, max|grad|, iterations, evaluations, status)``.
    """
    m = HISTORY
    s_hist = np.zeros((m, N_PARAMS))
    y_hist = np.zeros((m, N_PARAMS))
    rho = np.zeros(m)
    alpha_buf = np.zeros(m)
    g = np.empty(N_PARAMS)
    p = np.empty(N_PARAMS)
    ut = np.empty(N_PARAMS)
    gt = np.empty(N_PARAMS)
    f_hist = np.full(m + 1, math.inf)

    f = objective_grad(u, x, y, logl, w, delta, g)
    nfev = 1
    if not math.isfinite(f):
        return f, math.nan, 0, nfev, NON_FINITE
    gnorm = _inf_norm(g)
    if not math.isfinite(gnorm):
        return f, gnorm, 0, nfev, NON_FINITE
    n_hist = 0
    head = 0
    gamma = 1.0
    it = 0
    while True:
        if gnorm <= gtol:
            return f, gnorm, it, nfev, CONVERGED
        if it >= max_iter:
            return f, gnorm, it, nfev, MAX_ITER
        if abandon_iter > 0 and it == abandon_iter and f > abandon_level:
            return f, gnorm, it, nfev, ABANDONED
        # two-loop recursion: p = -H g
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
            # not a descent direction: restart from steepest descent
            n_hist = 0
            head = 0
            gamma = 1.0
            for k in range(N_PARAMS):
                p[k] = -g[k]
            d0 = -_dot(g, g)
        if n_hist == 0:
            t0 = min(1.0, 1.0 / max(gnorm, 1e-300))
        else:
            t0 = 1.0
        t, f_new, ne, ok = line_search(
            u, f, d0, p, t0, ut, gt, x, y, logl, w, delta, 1e-4, 0.9, 40
        )
        nfev += ne
        if not ok:
            if n_hist > 0:
                # drop the curvature memory and retry once along -g
                n_hist = 0
                head = 0
                gamma = 1.0
                continue
            return f, gnorm, it, nfev, LINE_SEARCH_FAILED
        it += 1
        sy = 0.0
        yy = 0.0
        for k in range(N_PARAMS):
            sk = ut[k] - u[k]
            yk = gt[k] - g[k]
            s_hist[head, k] = sk
            y_hist[head, k] = yk
            sy += sk * yk
            yy += yk * yk
        if sy > 1e-12 * yy and sy > 0.0:
            rho[head] = 1.0 / sy
            gamma = sy / yy
            head = (head + 1) % m
            n_hist = min(n_hist + 1, m)
        for k in range(N_PARAMS):
            u[k] = ut[k]
            g[k] = gt[k]
        f = f_new
        gnorm = _inf_norm(g)
        # stall detection over the last HISTORY iterations
        f_hist[it % (m + 1)] = f
        f_old = f_hist[(it + 1) % (m + 1)]
        if ftol > 0.0 and math.isfinite(f_old):
            if f_old - f <= ftol * max(abs(f), 1e-300):
                status = CONVERGED if gnorm <= gtol else LINE_SEARCH_FAILED
                return f, gnorm, it, nfev, status


@_pjit
def lbfgs_batch(
    starts: np.ndarray,
    weight_sets: np.ndarray,
    weight_index: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    delta: float,
    max_iter: int,
    gtol: float,
    ftol: float,
    abandon_iter: int,
    abandon_level: float,
    out_u: np.ndarray,
    out_f: np.ndarray,
    out_gnorm: np.ndarray,
    out_nit: np.ndarray,
    out_nfev: np.ndarray,
    out_status: np.ndarray,
) -> None:
    """Run :func:`lbfgs` from every row of ``starts`` in parallel.

    Problem ``j`` uses the point weights ``weight_sets[weight_index[j]]``.
    """
    for j in nb.prange(starts.shape[0]):
        u = starts[j].copy()
        f, gn, nit, nfev, st = lbfgs(
            u,
            x,
            y,
            logl,
            weight_sets[weight_index[j]],
            delta,
            max_iter,
            gtol,
            ftol,
            abandon_iter,
            abandon_level,
        )
        for k in range(N_PARAMS):
            out_u[j, k] = u[k]
        out_f[j] = f
        out_gnorm[j] = gn
        out_nit[j] = nit
        out_nfev[j] = nfev
        out_status[j] = st


@_pjit
def objective_batch(
    us: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    logl: np.ndarray,
    w: np.ndarray,
    delta: float,
    out_f: np.ndarray,
) -> None:
    """Objective at every row of ``us`` (no gradient needed, but computed)."""
    for j in nb.prange(us.shape[0]):
        g = np.empty(N_PARAMS)
        out_f[j] = objective_grad(us[j], x, y, logl, w, delta, g)
