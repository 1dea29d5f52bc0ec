"""The Chinchilla law ``L(N, D) = E + A/N**alpha + B/D**beta`` and its closed-form frontier."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from . import _kernels as K
from ._constants import FLOPS_PER_PARAM_TOKEN
from ._typing import BoolArray, FloatArray, freeze_arrays
from ._validation import _describe, as_float_array, as_positive_array, as_positive_scalar
from .family import Design, FrontierArrays, LawFamily, register_family
from .result import LawRecord, Record

if TYPE_CHECKING:
    from ._problem import Problem

if TYPE_CHECKING:
    from .planning import InferenceOptimal

__all__ = [
    "BESIROGLU_2024",
    "CHINCHILLA",
    "FLOPS_PER_PARAM_TOKEN",
    "HOFFMANN_2022_PRINTED",
    "HOFFMANN_2022_TEX",
    "PRESETS",
    "ChinchillaFamily",
    "ChinchillaLaw",
    "Frontier",
    "get_preset",
]


def _as_budget(value: ArrayLike, name: str) -> tuple[FloatArray, bool]:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(
            f"`{name}` must be a number or an array of numbers; got {_describe(value)}."
        )
    arr = np.asarray(value)
    scalar = arr.ndim == 0
    out = as_float_array(np.atleast_1d(arr), name, positive=True)
    return out, scalar


def _finite_or_raise(values: FloatArray, what: str, name: str) -> FloatArray:
    """Closed-form results that overflow are a user-range problem, named as such."""
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        flow = "overflows" if np.any(np.isinf(values)) else "underflows to 0 in"
        raise ValueError(
            f"`{name}` is out of range: the {what} {flow} float64 for "
            f"{int(np.count_nonzero(bad))} entr(y/ies)."
        )
    return values


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Frontier(Record):
    """The compute-optimal allocation at a set of budgets.

    Attributes
    ----------
    compute : ndarray
        Training budgets ``C`` in FLOPs (``C = 6 N D``).
    n_params : ndarray
        Compute-optimal parameter counts ``N_opt(C)``.
    n_tokens : ndarray
        Compute-optimal token counts ``D_opt(C) = C / (6 N_opt)``.
    loss : ndarray
        The law's loss at ``(N_opt, D_opt)``.
    """

    compute: FloatArray
    n_params: FloatArray
    n_tokens: FloatArray
    loss: FloatArray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def tokens_per_param(self) -> FloatArray:
        """``D_opt / N_opt`` at each budget."""
        return self.n_tokens / self.n_params

    def __repr__(self) -> str:
        rows = ", ".join(
            f"(C={c:.4g}, N={n:.4g}, D={d:.4g}, L={lo:.6g})"
            for c, n, d, lo in zip(
                self.compute, self.n_params, self.n_tokens, self.loss, strict=True
            )
        )
        return f"Frontier([{rows}])"


@dataclass(frozen=True, slots=True)
class ChinchillaLaw(LawRecord):
    r"""The parametric loss law of Hoffmann et al. (2022), Approach 3.

    .. math::

        L(N, D) = E + \frac{A}{N^\alpha} + \frac{B}{D^\beta}

    Parameters are stored unrounded; ``theta = (log A, log B, log E, alpha, beta)``
    is the vector the fit optimises.

    Parameters
    ----------
    E, A, B : float
        Irreducible loss and the two scale coefficients (positive).
    alpha, beta : float
        Exponents for parameters ``N`` and tokens ``D`` (positive).
    name : str, optional
        A label used in tables and figures.

    Notes
    -----
    Minimising ``L`` subject to ``C = 6 N D`` gives the closed form (Hoffmann et
    al. 2022, Eq. 4)

    .. math::

        N_{opt}(C) = G \left(\frac{C}{6}\right)^{a}, \quad
        D_{opt}(C) = G^{-1} \left(\frac{C}{6}\right)^{b}, \quad
        G = \left(\frac{\alpha A}{\beta B}\right)^{\frac{1}{\alpha+\beta}},

    with ``a = beta / (alpha + beta)`` and ``b = alpha / (alpha + beta)``.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556. Besiroglu et al. (2024), "Chinchilla Scaling: A replication
    attempt", arXiv:2404.10102.

    Examples
    --------
    >>> from chinchilla_laws import HOFFMANN_2022_TEX
    >>> f = HOFFMANN_2022_TEX.optimal(5.76e23)
    >>> print(f"{f.n_params[0]:.4g} params, {f.n_tokens[0]:.4g} tokens")
    4.036e+10 params, 2.379e+12 tokens
    """

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for attr in ("E", "A", "B", "alpha", "beta"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(
                value, (int, float, np.floating, np.integer)
            ):
                raise TypeError(f"`{attr}` must be a real number; got {_describe(value)}.")
            fv = float(value)
            if not (math.isfinite(fv) and fv > 0):
                raise ValueError(f"`{attr}` must be a finite positive number; got {fv!r}.")
            object.__setattr__(self, attr, fv)
        if not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string; got {_describe(self.name)}.")

    # ------------------------------------------------------------------ parameters
    @classmethod
    def from_theta(cls, theta: ArrayLike, *, name: str = "") -> ChinchillaLaw:
        """Build a law from ``theta = (log A, log B, log E, alpha, beta)``."""
        t = as_float_array(theta, "theta")
        if t.shape != (5,):
            raise ValueError(
                f"`theta` must have 5 entries (a, b, e, alpha, beta); got {t.shape[0]}."
            )
        with np.errstate(over="ignore", under="ignore"):
            E, A, B = np.exp(t[[2, 0, 1]])
        for key, value, coord in (("E", E, t[2]), ("A", A, t[0]), ("B", B, t[1])):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"`theta` gives {key} = exp({coord!r}), which is not a positive finite float64."
                )
        return cls(E=float(E), A=float(A), B=float(B), alpha=t[3], beta=t[4], name=name)

    @property
    def params(self) -> dict[str, float]:
        """The law's parameters by name (``E, A, B, alpha, beta``)."""
        return {"E": self.E, "A": self.A, "B": self.B, "alpha": self.alpha, "beta": self.beta}

    @property
    def theta(self) -> FloatArray:
        """``(log A, log B, log E, alpha, beta)``, the optimiser's coordinates."""
        return np.array(
            [math.log(self.A), math.log(self.B), math.log(self.E), self.alpha, self.beta]
        )

    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C^a``: ``beta / (alpha + beta)``."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C^b``: ``alpha / (alpha + beta)``."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def G(self) -> float:
        """``(alpha A / (beta B))^(1 / (alpha + beta))`` of the closed form.

        ``inf`` (or 0) when it is out of float64 range; the frontier then raises.
        """
        try:
            return math.exp(self._log_g())
        except OverflowError:
            return math.inf

    def _log_g(self) -> float:
        """``log G``, computed in logs so that it is finite for every valid law."""
        return (
            math.log(self.alpha) + math.log(self.A) - math.log(self.beta) - math.log(self.B)
        ) / (self.alpha + self.beta)

    # ------------------------------------------------------------------ evaluation
    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
        """The loss ``E + A/N**alpha + B/D**beta`` (broadcasting ``N`` against ``D``)."""
        n = as_positive_array(n_params, "n_params")
        d = as_positive_array(n_tokens, "n_tokens")
        try:
            np.broadcast_shapes(n.shape, d.shape)
        except ValueError:
            raise ValueError(
                f"`n_params` and `n_tokens` must broadcast together; got shapes {n.shape} "
                f"and {d.shape}."
            ) from None
        out: FloatArray = np.asarray(
            self.E + self.A * np.power(n, -self.alpha) + self.B * np.power(d, -self.beta),
            dtype=np.float64,
        )
        return out

    def __call__(self, n_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
        return self.loss(n_params, n_tokens)

    def optimal(
        self, compute: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    ) -> Frontier:
        """The compute-optimal ``N``, ``D`` and loss at budgets ``compute`` (FLOPs).

        ``compute`` follows ``C = k N D`` with ``k = flops_per_param_token`` (6 by
        default, the paper's convention).
        """
        return optimal_frontier(self, compute, flops_per_param_token=flops_per_param_token)

    def optimal_for_params(
        self, n_params: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    ) -> Frontier:
        """The budget (and tokens) for which ``n_params`` is compute-optimal.

        This answers the paper's Table 3: ``C = k (N / G)^(1/a)`` and
        ``D = C / (k N)``, with ``k = flops_per_param_token``.
        """
        n, _ = _as_budget(n_params, "n_params")
        k = _check_k(flops_per_param_token)
        with np.errstate(over="ignore", under="ignore"):
            c = _finite_or_raise(
                k * np.exp((np.log(n) - self._log_g()) / self.a), "optimal budget", "n_params"
            )
        with np.errstate(under="ignore"):
            d = _finite_or_raise(c / (k * n), "optimal token count", "n_params")
        return Frontier(compute=c, n_params=n.copy(), n_tokens=d, loss=self.loss(n, d))

    def optimal_for_tokens(
        self, n_tokens: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    ) -> Frontier:
        """The budget (and model size) for which ``n_tokens`` is compute-optimal."""
        d, _ = _as_budget(n_tokens, "n_tokens")
        k = _check_k(flops_per_param_token)
        with np.errstate(over="ignore", under="ignore"):
            c = _finite_or_raise(
                k * np.exp((np.log(d) + self._log_g()) / self.b), "optimal budget", "n_tokens"
            )
        with np.errstate(under="ignore"):
            n = _finite_or_raise(c / (k * d), "optimal model size", "n_tokens")
        return Frontier(compute=c, n_params=n, n_tokens=d.copy(), loss=self.loss(n, d))

    def optimal_for_loss(
        self, loss: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    ) -> Frontier:
        """The training-compute-minimal ``N``, ``D`` and ``C`` that reach ``loss``.

        See :func:`chinchilla_laws.planning.optimal_for_loss`.
        """
        from .planning import optimal_for_loss

        return optimal_for_loss(self, loss, flops_per_param_token=flops_per_param_token)

    def inference_optimal(
        self,
        loss: ArrayLike,
        inference_tokens: ArrayLike,
        *,
        flops_per_inference_token: float = 2.0,
        flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    ) -> InferenceOptimal:
        """The model reaching ``loss`` at the least training plus inference FLOPs.

        See :func:`chinchilla_laws.planning.inference_optimal`.
        """
        from .planning import inference_optimal

        return inference_optimal(
            self,
            loss,
            inference_tokens,
            flops_per_inference_token=flops_per_inference_token,
            flops_per_param_token=flops_per_param_token,
        )

    def tokens_per_param(
        self, compute: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    ) -> FloatArray:
        """``D_opt / N_opt`` at budgets ``compute`` (FLOPs, ``C = 6 N D`` by default)."""
        return self.optimal(compute, flops_per_param_token=flops_per_param_token).tokens_per_param

    def with_name(self, name: str) -> ChinchillaLaw:
        """The same law under another label."""
        return ChinchillaLaw(
            E=self.E, A=self.A, B=self.B, alpha=self.alpha, beta=self.beta, name=name
        )

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        return (
            f"ChinchillaLaw(E={self.E!r}, A={self.A!r}, B={self.B!r}, "
            f"alpha={self.alpha!r}, beta={self.beta!r}{label})"
        )


def _check_k(value: Any) -> float:
    return as_positive_scalar(value, "flops_per_param_token")


def optimal_frontier(
    law: Any, compute: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
) -> Frontier:
    """The compute-optimal allocation of any law whose family has a frontier.

    The one path every result's ``optimal(compute)`` takes: validate the budgets,
    call the family's vectorised :meth:`~chinchilla_laws.family.LawFamily.frontier`
    on the law's parameters, wrap the row in a :class:`Frontier`.
    """
    c, _ = _as_budget(compute, "compute")
    k = _check_k(flops_per_param_token)
    fam: LawFamily = law.family
    params = np.array([[law.params[p] for p in fam.param_names]])
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        fr = fam.frontier(params, c, k)
    n, d = fr.n_params[0], fr.n_tokens[0]
    bad = ~((n > 0) & np.isfinite(n) & (d > 0) & np.isfinite(d))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`compute` = {float(c[i]):.6g} is out of range for this law: its frontier "
            f"N_opt = {float(n[i]):.3g}, D_opt = {float(d[i]):.3g} is not a finite positive "
            f"float64 ({law!r})."
        )
    return Frontier(compute=c.copy(), n_params=n, n_tokens=d, loss=np.array(fr.loss[0]))


class ChinchillaFamily(LawFamily):
    r"""``L(N, D) = E + A/N^alpha + B/D^beta`` (Hoffmann et al. 2022): the first family.

    Solver coordinates ``theta = (log A, log B, log E, alpha, beta)``; the kernel
    works on ``u = (a - alpha m_x, b - beta m_y, e, alpha s_x, beta s_y)`` with
    ``x = (log N - m_x) / s_x`` and ``y`` likewise, which removes the strong
    ``a``--``alpha`` and ``b``--``beta`` correlation (condition number about 1e11 on
    Chinchilla's data without it).
    """

    name = "chinchilla"
    equation = "L(N, D) = E + A/N^alpha + B/D^beta"
    param_names = ("E", "A", "B", "alpha", "beta")
    theta_params = ("A", "B", "E", "alpha", "beta")
    log_theta = (True, True, True, False, False)
    theta_names = ("a", "b", "e", "alpha", "beta")
    exponents = ("alpha", "beta")
    data_names = ("n_params", "n_tokens", "loss")
    start_low = (0.0, 0.0, -1.0, 0.0, 0.0)
    start_high = (25.0, 25.0, 1.0, 2.0, 2.0)

    DEAD_SHARE = 1e-6
    """A term whose share of the predicted loss stays below this at every point is dead."""

    @property
    def kernel(self) -> Any:
        return K.objective_grad

    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        import jax
        import jax.numpy as jnp

        p1 = u[0] - u[3] * X[:, 0]
        p2 = u[1] - u[4] * X[:, 1]
        p3 = jnp.broadcast_to(u[2], p1.shape)
        r = jax.nn.logsumexp(jnp.stack([p1, p2, p3]), axis=0) - target
        c = jnp.clip(r, -delta, delta)
        return jnp.sum(w * c * (r - 0.5 * c))

    def design(self, data: Mapping[str, FloatArray]) -> Design:
        log_n = np.log(data["n_params"])
        log_d = np.log(data["n_tokens"])
        mx, my = float(np.mean(log_n)), float(np.mean(log_d))
        sx, sy = float(np.std(log_n)), float(np.std(log_d))
        sx = sx if sx > 0 else 1.0
        sy = sy if sy > 0 else 1.0
        X = np.stack([(log_n - mx) / sx, (log_d - my) / sy], axis=1)
        S = np.eye(5)
        S[0, 3] = -mx
        S[1, 4] = -my
        S[3, 3] = sx
        S[4, 4] = sy
        return Design(X=X, target=np.log(data["loss"]), scale=S, offset=np.zeros(5))

    def identifiability(self, data: Mapping[str, FloatArray], active: BoolArray) -> list[str]:
        notes = []
        for name in ("n_params", "n_tokens"):
            distinct = np.unique(data[name][active]).size
            if distinct < 2:
                raise ValueError(
                    f"`{name}` must take at least two distinct values; got one for every "
                    "point: its exponent cannot be fitted."
                )
            if distinct < 3:
                notes.append(
                    f"`{name}` takes only {distinct} distinct values: a power law plus a "
                    "constant needs at least 3, so E cannot be told apart from that term."
                )
        # log N and log D on one line (e.g. every run at one tokens-per-parameter ratio):
        # A/N^alpha and B/D^beta cannot be told apart
        x = np.log(data["n_params"][active])
        y = np.log(data["n_tokens"][active])
        xa = x - x.mean()
        ya = y - y.mean()
        corr = float(xa @ ya / math.sqrt(float(xa @ xa) * float(ya @ ya)))
        if abs(corr) > 1.0 - 1e-9:
            raise ValueError(
                "`n_params` and `n_tokens` lie on one line in log space (correlation "
                f"{corr:.12f}), e.g. all runs use one tokens-per-parameter ratio; the N and "
                "D terms of the law cannot be told apart. Add runs at other ratios."
            )
        return notes

    def degenerate(self, thetas: FloatArray, problem: Problem, weights: FloatArray) -> BoolArray:
        """A term is dead when its share of the predicted loss is below ``DEAD_SHARE``
        at every point with non-zero weight, or at every point but those at one value
        of its variable (a step, not a power law); it is constant when its exponent
        moves its logarithm by less than ``DEAD_SHARE`` across the points."""
        active = weights > 0
        x = problem.X[active, 0]
        y = problem.X[active, 1]
        u = problem.to_u(np.atleast_2d(thetas))
        p = np.stack(
            [
                u[:, 0:1] - u[:, 3:4] * x[None, :],
                u[:, 1:2] - u[:, 4:5] * y[None, :],
                np.broadcast_to(u[:, 2:3], (u.shape[0], x.size)),
            ]
        )
        m = p.max(axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            shares = np.exp(p - m) / np.exp(p - m).sum(axis=0)
        alive = shares >= self.DEAD_SHARE
        dead = (~alive.any(axis=2)).any(axis=0)
        # a power-law term alive at only one value of its variable is a step that fits
        # the points there (e.g. beta = 24, B = 1e190 on data without a D term)
        for k, col in ((0, x), (1, y)):
            for r in np.flatnonzero(~dead):
                if np.unique(col[alive[k, r]]).size < 2:
                    dead[r] = True
        flat = (np.abs(u[:, 3]) * np.ptp(x) < self.DEAD_SHARE) | (
            np.abs(u[:, 4]) * np.ptp(y) < self.DEAD_SHARE
        )
        out: BoolArray = dead | flat | ~np.isfinite(u).all(axis=1)
        return out

    def frontier(
        self, params: FloatArray, compute: FloatArray, flops_per_param_token: float
    ) -> FrontierArrays:
        """Closed form (Hoffmann et al. 2022, Eq. 4), vectorised over parameter rows."""
        E, A, B, alpha, beta = (params[:, k : k + 1] for k in range(5))
        # in logs: finite for every valid law even where G itself leaves float64
        log_g = (np.log(alpha) + np.log(A) - np.log(beta) - np.log(B)) / (alpha + beta)
        ck = np.log(compute / flops_per_param_token)[None, :]
        log_n = log_g + beta / (alpha + beta) * ck
        log_d = -log_g + alpha / (alpha + beta) * ck
        n = np.exp(log_n)
        d = np.exp(log_d)
        loss = E + A * np.exp(-alpha * log_n) + B * np.exp(-beta * log_d)
        return FrontierArrays(n_params=n, n_tokens=d, loss=loss, extra={})

    def default_starts(self) -> FloatArray:
        ab = np.arange(0.0, 26.0, 5.0)
        e = np.arange(-1.0, 1.01, 0.5)
        ex = np.arange(0.0, 2.01, 0.5)
        mesh = np.meshgrid(ab, ab, e, ex, ex, indexing="ij")
        return np.ascontiguousarray(np.stack([m.ravel() for m in mesh], axis=1))

    def make_law(self, params: Mapping[str, float], *, name: str = "") -> ChinchillaLaw:
        return ChinchillaLaw(name=name, **{k: params[k] for k in self.param_names})


CHINCHILLA = register_family(ChinchillaFamily())
"""The Chinchilla law family (registered as ``"chinchilla"``)."""
ChinchillaLaw.family = CHINCHILLA


HOFFMANN_2022_PRINTED = ChinchillaLaw(
    E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28, name="Hoffmann et al. 2022 (printed)"
)
"""Hoffmann et al. (2022), Appendix D.2, as printed (rounded)."""

HOFFMANN_2022_TEX = ChinchillaLaw.from_theta(
    [6.0073404, 6.0179186, 0.5267228, 0.33917084, 0.2849083],
    name="Hoffmann et al. 2022 (TeX source)",
)
"""Hoffmann et al. (2022), unrounded values from the paper's TeX source."""

BESIROGLU_2024 = ChinchillaLaw(
    E=1.81686, A=482.006, B=2085.434, alpha=0.34781, beta=0.36585, name="Besiroglu et al. 2024"
)
"""Besiroglu et al. (2024), main (maximum-likelihood) estimate on the 240-point Epoch set."""

PRESETS: dict[str, ChinchillaLaw] = {
    "hoffmann2022": HOFFMANN_2022_PRINTED,
    "hoffmann2022-tex": HOFFMANN_2022_TEX,
    "besiroglu2024": BESIROGLU_2024,
}
"""Named presets, keyed as the command line accepts them."""


def get_preset(name: str) -> ChinchillaLaw:
    """Return a preset law by name (``hoffmann2022``, ``hoffmann2022-tex``, ``besiroglu2024``)."""
    if not isinstance(name, str):
        raise TypeError(f"`name` must be one of {sorted(PRESETS)}; got {_describe(name)}.")
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"`name` must be one of {sorted(PRESETS)}; got {name!r}.") from None
