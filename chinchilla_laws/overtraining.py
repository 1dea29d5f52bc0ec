r"""The over-training law of Gadre et al. (2024) and their downstream error law.

.. math::

    L(N, M) = E + A N^{-\eta} + B \, 6^{-\eta/2} (M N)^{-\eta}, \qquad M = D / N,

one exponent ``eta`` for parameters and data (the paper writes ``a``, ``b`` for
``A``, ``B``; ``.a`` and ``.b`` mean the frontier exponents on every law here).
It is the Chinchilla law with ``alpha = beta = eta`` and ``B_chinchilla = B
6^(-eta/2)``, so its compute-optimal allocation uses a fixed number of tokens per
parameter at every budget, ``M* = (B 6^(-eta/2) / A)^(1/eta)``; over-training
means training at ``M > M*`` to get a smaller model for the same loss.

The downstream error law maps a loss to an average top-1 error,
``Err(L) = epsilon - k exp(-gamma L)``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from . import _family_kernels as FK
from ._constants import HALF_LOG_FLOPS_PER_PARAM_TOKEN
from ._typing import BoolArray, FloatArray
from ._validation import (
    _describe,
    as_float_array,
    as_positive_array,
    as_positive_scalar,
    same_length,
)
from .family import Design, FrontierArrays, LawFamily, register_family
from .laws import FLOPS_PER_PARAM_TOKEN, ChinchillaLaw, Frontier, _as_budget
from .result import LawRecord, Record, Result
from .warnings import GridBoundaryWarning, IdentifiabilityWarning

if TYPE_CHECKING:
    from .planning import InferenceOptimal

__all__ = [
    "GADRE_2024",
    "GADRE_2024_DOWNSTREAM",
    "OVERTRAINING",
    "DownstreamErrorFit",
    "DownstreamErrorLaw",
    "DownstreamFitStatus",
    "OverTrainingFamily",
    "OverTrainingLaw",
    "fit_downstream_error",
]


def _real(value: Any, attr: str, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TypeError(f"`{attr}` must be a real number; got {_describe(value)}.")
    fv = float(value)
    if not math.isfinite(fv) or (positive and fv <= 0):
        kind = "finite positive" if positive else "finite"
        raise ValueError(f"`{attr}` must be a {kind} number; got {fv!r}.")
    return fv


@dataclass(frozen=True, slots=True)
class OverTrainingLaw(LawRecord):
    r"""The over-training law of Gadre et al. (2024), one exponent for ``N`` and ``D``.

    .. math::

        L(N, D) = E + A N^{-\eta} + B \, 6^{-\eta/2} D^{-\eta}
                = E + A N^{-\eta} + B \, 6^{-\eta/2} (M N)^{-\eta}

    Parameters
    ----------
    E, A, B : float
        Irreducible loss and the two scale coefficients (positive; the paper's
        ``E``, ``a``, ``b``).
    eta : float
        The shared exponent (positive; the paper fits ``-eta``).
    name : str, optional
        A label used in tables and figures.

    Notes
    -----
    With ``C = 6 N D`` the law is the Chinchilla law :attr:`chinchilla`
    (``alpha = beta = eta``, ``B 6^(-eta/2)`` for ``B``), so its frontier is the
    closed form ``N_opt = sqrt(C / (6 M*))``, ``D_opt = M* N_opt`` with the
    budget-independent ratio (:attr:`compute_optimal_tokens_per_param`)

    .. math::

        M^* = \left(\frac{B \, 6^{-\eta/2}}{A}\right)^{1/\eta}.

    :meth:`allocate` gives the over-trained allocation at any other ratio
    ``M``: ``N = sqrt(C / (6 M))``, ``D = M N``.

    References
    ----------
    Gadre et al. (2024), "Language models scale reliably with over-training and
    on downstream tasks", arXiv:2403.08540; mlfoundations/scaling,
    ``scaling/laws.py``.

    Examples
    --------
    >>> from chinchilla_laws import GADRE_2024
    >>> print(f"{GADRE_2024.loss_at_multiplier(1439795200, 640):.6f}")
    2.519824
    >>> print(f"{GADRE_2024.compute_optimal_tokens_per_param:.4f}")
    7.4191
    """

    E: float
    A: float
    B: float
    eta: float
    name: str = field(default="", compare=False)

    PARAM_NAMES: ClassVar[tuple[str, ...]] = ("E", "A", "B", "eta")

    def __post_init__(self) -> None:
        for attr in ("E", "A", "B", "eta"):
            object.__setattr__(self, attr, _real(getattr(self, attr), attr))
        if not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string; got {_describe(self.name)}.")

    @classmethod
    def from_theta(cls, theta: ArrayLike, *, name: str = "") -> OverTrainingLaw:
        """Build a law from ``theta = (log A, log B, log E, eta)``."""
        t = as_float_array(theta, "theta")
        if t.shape != (4,):
            raise ValueError(f"`theta` must have 4 entries (a, b, e, eta); got {t.shape[0]}.")
        return cls(E=math.exp(t[2]), A=math.exp(t[0]), B=math.exp(t[1]), eta=t[3], name=name)

    @property
    def theta(self) -> FloatArray:
        """``(log A, log B, log E, eta)``, the fit's coordinates."""
        return np.array([math.log(self.A), math.log(self.B), math.log(self.E), self.eta])

    @property
    def params(self) -> dict[str, float]:
        """The law's parameters by name (``E, A, B, eta``)."""
        return {"E": self.E, "A": self.A, "B": self.B, "eta": self.eta}

    @property
    def chinchilla(self) -> ChinchillaLaw:
        """The same law as a :class:`ChinchillaLaw` (``alpha = beta = eta``)."""
        return ChinchillaLaw(
            E=self.E,
            A=self.A,
            B=self.B * math.exp(-self.eta * HALF_LOG_FLOPS_PER_PARAM_TOKEN),
            alpha=self.eta,
            beta=self.eta,
            name=self.name,
        )

    @property
    def a(self) -> float:
        """Exponent of ``N_opt ∝ C^a``: 1/2 (one shared exponent)."""
        return 0.5

    @property
    def b(self) -> float:
        """Exponent of ``D_opt ∝ C^b``: 1/2."""
        return 0.5

    @property
    def compute_optimal_tokens_per_param(self) -> float:
        """``M* = (B 6^(-eta/2) / A)^(1/eta)``: ``D_opt / N_opt`` at every budget."""
        return math.exp(
            (math.log(self.B) - self.eta * HALF_LOG_FLOPS_PER_PARAM_TOKEN - math.log(self.A))
            / self.eta
        )

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
        """The loss at ``N`` parameters trained on ``D`` tokens (broadcasting)."""
        return self.chinchilla.loss(n_params, n_tokens)

    def __call__(self, n_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
        return self.loss(n_params, n_tokens)

    def loss_at_multiplier(self, n_params: ArrayLike, tokens_per_param: ArrayLike) -> FloatArray:
        """The loss at ``N`` parameters trained on ``M N`` tokens (``M = tokens_per_param > 0``)."""
        n = as_positive_array(n_params, "n_params")
        m = as_positive_array(tokens_per_param, "tokens_per_param")
        try:
            d = n * m
        except ValueError:
            raise ValueError(
                f"`n_params` and `tokens_per_param` must broadcast together; got shapes "
                f"{n.shape} and {m.shape}."
            ) from None
        return self.loss(n, d)

    def optimal(
        self, compute: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
    ) -> Frontier:
        """The compute-optimal ``N``, ``D`` and loss at budgets ``compute`` (``C = 6 N D``)."""
        return self.chinchilla.optimal(compute, flops_per_param_token=flops_per_param_token)

    def allocate(
        self,
        compute: ArrayLike,
        *,
        tokens_per_param: ArrayLike,
        flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
    ) -> Frontier:
        """The allocation at ``M`` tokens per parameter: ``N = sqrt(C / (k M))``, ``D = M N``.

        Parameters
        ----------
        compute : array_like
            Budgets in FLOPs, ``C = k N D`` (``k = flops_per_param_token``, 6 by
            default).
        tokens_per_param : array_like
            ``M``, broadcast against ``compute`` (positive).
        flops_per_param_token : float, default 6

        Returns
        -------
        Frontier
            ``n_params``, ``n_tokens`` and ``loss`` per budget (not an optimum unless
            ``M`` equals :attr:`compute_optimal_tokens_per_param`).
        """
        c, _ = _as_budget(compute, "compute")
        m, _ = _as_budget(tokens_per_param, "tokens_per_param")
        k = as_positive_scalar(flops_per_param_token, "flops_per_param_token")
        try:
            c, m = (np.array(x, dtype=np.float64) for x in np.broadcast_arrays(c, m))
        except ValueError:
            raise ValueError(
                f"`compute` and `tokens_per_param` must broadcast together; got shapes "
                f"{c.shape} and {m.shape}."
            ) from None
        n = np.sqrt(c / (k * m))
        d = m * n
        return Frontier(compute=c, n_params=n, n_tokens=d, loss=self.loss(n, d))

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

        Its ``tokens_per_param`` is the ratio ``M`` that the inference demand makes
        optimal (``M*`` at no demand). See :func:`chinchilla_laws.planning.inference_optimal`.
        """
        from .planning import inference_optimal

        return inference_optimal(
            self,
            loss,
            inference_tokens,
            flops_per_inference_token=flops_per_inference_token,
            flops_per_param_token=flops_per_param_token,
        )

    def with_name(self, name: str) -> OverTrainingLaw:
        """The same law under another label."""
        return OverTrainingLaw(E=self.E, A=self.A, B=self.B, eta=self.eta, name=name)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        return f"OverTrainingLaw(E={self.E!r}, A={self.A!r}, B={self.B!r}, eta={self.eta!r}{label})"


GADRE_2024 = OverTrainingLaw(
    E=1.83665, A=166.211, B=366.687, eta=0.272851, name="Gadre et al. 2024"
)
"""Gadre et al. (2024), trained on RedPajama, C4-eval loss, fitted on 5 small runs
(mlfoundations/scaling @ a003c49, saved notebook output): ``a = 166.211``,
``b = 366.687``, ``eta = 0.272851``, ``E = 1.83665``."""


# ---------------------------------------------------------------------------- downstream


@dataclass(frozen=True, slots=True)
class DownstreamErrorLaw(Record):
    r"""Average top-1 error as a function of loss: ``Err(L) = epsilon - k exp(-gamma L)``.

    Parameters
    ----------
    epsilon : float
        The error approached as the loss grows (finite).
    k : float
        Scale (positive).
    gamma : float
        Rate (positive).
    name : str, optional

    References
    ----------
    Gadre et al. (2024), arXiv:2403.08540, Eq. (5).

    Examples
    --------
    >>> from chinchilla_laws import GADRE_2024_DOWNSTREAM
    >>> print(f"{GADRE_2024_DOWNSTREAM.error(2.5):.6f}")
    0.487296
    """

    epsilon: float
    k: float
    gamma: float
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "epsilon", _real(self.epsilon, "epsilon", positive=False))
        object.__setattr__(self, "k", _real(self.k, "k"))
        object.__setattr__(self, "gamma", _real(self.gamma, "gamma"))
        if not isinstance(self.name, str):
            raise TypeError(f"`name` must be a string; got {_describe(self.name)}.")

    def error(self, loss: ArrayLike) -> FloatArray:
        """``epsilon - k exp(-gamma L)`` at losses ``loss``."""
        lo = as_positive_array(loss, "loss")
        out: FloatArray = self.epsilon - self.k * np.exp(-self.gamma * lo)
        return out

    def __call__(self, loss: ArrayLike) -> FloatArray:
        return self.error(loss)

    def loss_for_error(self, error: ArrayLike) -> FloatArray:
        """The loss at which the error is ``error`` (needs ``error < epsilon``)."""
        err = np.asarray(as_float_array(np.ravel(error), "error")).reshape(np.shape(error))
        if np.any(err >= self.epsilon):
            raise ValueError(
                f"`error` must be below epsilon = {self.epsilon!r}; got max {np.max(err)!r}."
            )
        out: FloatArray = -np.log((self.epsilon - err) / self.k) / self.gamma
        return out

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        return (
            f"DownstreamErrorLaw(epsilon={self.epsilon!r}, k={self.k!r}, "
            f"gamma={self.gamma!r}{label})"
        )


GADRE_2024_DOWNSTREAM = DownstreamErrorLaw(
    epsilon=0.856992, k=2.20649, gamma=0.714591, name="Gadre et al. 2024 (17-task split)"
)
"""Gadre et al. (2024), RedPajama training, C4-eval loss, 17-task average top-1 error
(mlfoundations/scaling saved notebook output): ``k = 2.20649``, ``gamma = 0.714591``,
``epsilon = 0.856992``."""


class DownstreamFitStatus(Enum):
    """Outcome of :func:`fit_downstream_error`; the value is the message."""

    SUCCESS = "converged: the least-squares optimum lies inside the gamma bounds"
    ON_BOUNDARY = (
        "the optimum lies on a bound of gamma; widen `gamma_bounds` (the data may not "
        "curve enough to determine gamma)"
    )
    NONPHYSICAL = (
        "the best fit has k <= 0 (error falling with loss); the data do not follow the law"
    )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class DownstreamErrorFit(Result):
    """Result of :func:`fit_downstream_error`.

    Attributes
    ----------
    law : DownstreamErrorLaw
        The fitted law (``k`` replaced by its absolute value when the fit is
        NONPHYSICAL, so that the object can be built; check ``status``).
    rss : float
        Residual sum of squares ``sum (Err_i - Err(L_i))^2`` at the optimum.
    n_points : int
    status : DownstreamFitStatus
    """

    law: DownstreamErrorLaw
    rss: float
    n_points: int
    status: DownstreamFitStatus

    @property
    def message(self) -> str:
        return self.status.value


def _linear_part(gamma: float, loss: FloatArray, err: FloatArray) -> tuple[float, float, float]:
    """Least-squares ``(epsilon, k)`` at fixed ``gamma`` and the residual sum of squares."""
    z = -np.exp(-gamma * loss)
    design = np.column_stack([np.ones_like(z), z])
    coef, *_ = np.linalg.lstsq(design, err, rcond=None)
    resid = err - design @ coef
    return float(coef[0]), float(coef[1]), float(resid @ resid)


def fit_downstream_error(
    loss: ArrayLike,
    error: ArrayLike,
    *,
    gamma_bounds: tuple[float, float] = (1e-3, 20.0),
    warn: bool = True,
) -> DownstreamErrorFit:
    r"""Fit ``Err(L) = epsilon - k exp(-gamma L)`` by least squares.

    Least squares on the error itself, as the paper does (``scipy.optimize.curve_fit``
    in mlfoundations/scaling). The model is linear in ``(epsilon, k)`` for a fixed
    ``gamma``, so those are solved exactly and the fit is a 1-D minimisation of
    the residual sum of squares over ``gamma`` (variable projection): a scan of 400
    log-spaced values in ``gamma_bounds`` and a bounded Brent refinement around the
    best, which finds the global optimum within the bounds without a start.

    Parameters
    ----------
    loss, error : array_like
        Losses (positive) and the errors measured at them; at least 4 points.
    gamma_bounds : (float, float), default (1e-3, 20)
        Search interval of ``gamma`` (positive, low < high).
    warn : bool, default True
        Emit a warning when the status is not SUCCESS.

    Returns
    -------
    DownstreamErrorFit

    Examples
    --------
    >>> import numpy as np
    >>> from chinchilla_laws import GADRE_2024_DOWNSTREAM, fit_downstream_error
    >>> lo = np.linspace(2.3, 4.5, 12)
    >>> fit = fit_downstream_error(lo, GADRE_2024_DOWNSTREAM.error(lo))
    >>> print(f"k={fit.law.k:.5f} gamma={fit.law.gamma:.6f} epsilon={fit.law.epsilon:.6f}")
    k=2.20649 gamma=0.714591 epsilon=0.856992
    """
    lo = as_float_array(loss, "loss", positive=True, min_size=4)
    err = as_float_array(error, "error", min_size=4)
    n = same_length(loss=lo, error=err)
    if not isinstance(gamma_bounds, (tuple, list)) or len(gamma_bounds) != 2:
        raise TypeError(
            f"`gamma_bounds` must be a pair (low, high); got {_describe(gamma_bounds)}."
        )
    g_lo = as_positive_scalar(gamma_bounds[0], "gamma_bounds[0]")
    g_hi = as_positive_scalar(gamma_bounds[1], "gamma_bounds[1]")
    if not g_lo < g_hi:
        raise ValueError(f"`gamma_bounds` must have low < high; got ({g_lo!r}, {g_hi!r}).")
    if np.ptp(lo) == 0:
        raise ValueError("`loss` must take at least two distinct values; got one.")
    grid = np.geomspace(g_lo, g_hi, 400)
    rss = np.array([_linear_part(g, lo, err)[2] for g in grid])
    j = int(np.argmin(rss))
    left = grid[max(j - 1, 0)]
    right = grid[min(j + 1, grid.size - 1)]
    from scipy.optimize import minimize_scalar  # lazy: scipy.optimize costs 0.3 s to import

    res = minimize_scalar(
        lambda lg: _linear_part(math.exp(lg), lo, err)[2],
        bounds=(math.log(left), math.log(right)),
        method="bounded",
        options={"xatol": 1e-12},
    )
    gamma = math.exp(float(res.x))
    eps, k, r = _linear_part(gamma, lo, err)
    if rss[j] < r:  # the scan point beats the refinement (flat objective)
        gamma = float(grid[j])
        eps, k, r = _linear_part(gamma, lo, err)
    edge = (1.0 + 1e-6) * g_lo >= gamma or gamma >= (1.0 - 1e-6) * g_hi
    if k <= 0:
        status = DownstreamFitStatus.NONPHYSICAL
    elif edge:
        status = DownstreamFitStatus.ON_BOUNDARY
    else:
        status = DownstreamFitStatus.SUCCESS
    if warn and status is not DownstreamFitStatus.SUCCESS:
        cls = (
            GridBoundaryWarning
            if status is DownstreamFitStatus.ON_BOUNDARY
            else (IdentifiabilityWarning)
        )
        warnings.warn(f"fit_downstream_error: {status.value}", cls, stacklevel=2)
    law = DownstreamErrorLaw(epsilon=eps, k=abs(k) if k != 0 else 1e-300, gamma=gamma)
    return DownstreamErrorFit(law=law, rss=r, n_points=n, status=status)


# ----------------------------------------------------------------------------- family


class OverTrainingFamily(LawFamily):
    """The over-training family (registered as ``"overtraining"``).

    Solver coordinates ``theta = (log A, log B, log E, eta)``. The kernel works on
    standardised columns ``x = (log N - m_x)/s`` and ``y = (log D + log(6)/2 - m_y)/s``
    with one scale ``s`` (the pooled standard deviation) for the shared exponent:
    ``u = (a - eta m_x, b - eta m_y, e, eta s)``.
    """

    name = "overtraining"
    equation = "L(N, D) = E + A/N^eta + B 6^(-eta/2)/D^eta (D = M N)"
    param_names = OverTrainingLaw.PARAM_NAMES
    theta_params = ("A", "B", "E", "eta")
    log_theta = (True, True, True, False)
    theta_names = ("a", "b", "e", "eta")
    exponents = ("eta",)
    data_names = ("n_params", "n_tokens", "loss")
    start_low = (0.0, 0.0, -1.0, 0.0)
    start_high = (25.0, 25.0, 1.0, 2.0)

    @property
    def kernel(self) -> Any:
        return FK.ot_objective_grad

    def jax_objective(self, u: Any, X: Any, aux: Any, target: Any, w: Any, delta: Any) -> Any:
        import jax
        import jax.numpy as jnp

        terms = jnp.stack(
            [u[0] - u[3] * X[:, 0], u[1] - u[3] * X[:, 1], jnp.full_like(X[:, 0], u[2])]
        )
        r = jax.nn.logsumexp(terms, axis=0) - target
        c = jnp.clip(r, -delta, delta)
        return jnp.sum(w * c * (r - 0.5 * c))

    def design(self, data: Mapping[str, FloatArray]) -> Design:
        x = np.log(data["n_params"])
        y = np.log(data["n_tokens"]) + HALF_LOG_FLOPS_PER_PARAM_TOKEN
        mx, my = float(np.mean(x)), float(np.mean(y))
        s = math.sqrt(0.5 * (float(np.var(x)) + float(np.var(y)))) or 1.0
        scale = np.eye(4)
        scale[0, 3] = -mx
        scale[1, 3] = -my
        scale[3, 3] = s
        return Design(
            X=np.stack([(x - mx) / s, (y - my) / s], axis=1),
            target=np.log(data["loss"]),
            scale=scale,
            offset=np.zeros(4),
        )

    def identifiability(self, data: Mapping[str, FloatArray], active: BoolArray) -> list[str]:
        x = np.log(data["n_params"][active])
        y = np.log(data["n_tokens"][active])
        for name, col in (("n_params", x), ("n_tokens", y)):
            if np.ptp(col) == 0:
                raise ValueError(
                    f"`{name}` must take at least two distinct values; got one for every "
                    "point: the exponent cannot be fitted."
                )
        xa, ya = x - x.mean(), y - y.mean()
        corr = float(xa @ ya / math.sqrt(float(xa @ xa) * float(ya @ ya)))
        if abs(corr) > 1.0 - 1e-9:
            raise ValueError(
                "`n_params` and `n_tokens` lie on one line in log space: every run has the "
                "same tokens per parameter M, so A and B cannot be told apart. Add runs at "
                "other M."
            )
        return []

    def frontier(
        self, params: FloatArray, compute: FloatArray, flops_per_param_token: float
    ) -> FrontierArrays:
        """``N_opt = sqrt(C / (k M*))``, ``D_opt = M* N_opt`` per row of ``params``."""
        p = np.atleast_2d(params)
        e, a, b, eta = (p[:, k : k + 1] for k in range(4))
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            m_star = np.exp((np.log(b) - eta * HALF_LOG_FLOPS_PER_PARAM_TOKEN - np.log(a)) / eta)
            n = np.sqrt(compute[None, :] / (flops_per_param_token * m_star))
            d = m_star * n
            loss = e + a * n**-eta + b * np.exp(-eta * HALF_LOG_FLOPS_PER_PARAM_TOKEN) * d**-eta
        return FrontierArrays(n_params=n, n_tokens=d, loss=loss, extra={})

    def default_starts(self) -> FloatArray:
        """``a, b`` in ``{0, 5, ..., 25}``, ``e`` in ``{-1, -0.5, ..., 1}``, ``eta`` in
        ``{0.1, 0.2, 0.3, 0.5, 0.8, 1.2}`` (1,080 starts)."""
        ab = np.arange(0.0, 26.0, 5.0)
        e = np.arange(-1.0, 1.01, 0.5)
        eta = np.array([0.1, 0.2, 0.3, 0.5, 0.8, 1.2])
        mesh = np.meshgrid(ab, ab, e, eta, indexing="ij")
        return np.ascontiguousarray(np.stack([m.ravel() for m in mesh], axis=1))

    def make_law(self, params: Mapping[str, float], *, name: str = "") -> OverTrainingLaw:
        return OverTrainingLaw(name=name, **{k: params[k] for k in self.param_names})


OVERTRAINING = register_family(OverTrainingFamily())
"""The over-training law family (registered as ``"overtraining"``)."""
OverTrainingLaw.family = OVERTRAINING
