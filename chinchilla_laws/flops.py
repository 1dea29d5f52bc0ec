r"""Compute accounting: ``C = 6 N D`` and the exact count of Hoffmann et al. (2022), Appendix F.

Two ways of counting the training FLOPs of a dense decoder-only transformer:

* the common approximation ``C = 6 N D`` (2 FLOPs per parameter per token in the
  forward pass, 4 in the backward pass), with :func:`compute_6nd` and its inverses
  :func:`tokens_from_compute` and :func:`params_from_compute`;
* the architecture-level count of Hoffmann et al. (2022, Appendix F), from a
  :class:`TransformerShape`, with the parameter count that goes with it, and its
  ratio to ``6 N D`` (:func:`flops_ratio_to_6nd`, the paper's Table A4).

Notes
-----
Appendix F as written counts the embedding and final-logit FLOPs, and the paper says
the embeddings are counted in the parameter count too. Its own Table A4 does not
come out of that count: the printed ratios are reproduced only when the embedding and
logit FLOPs are left out and ``N`` counts the transformer blocks, the final layer norm
and the ``d_model x vocab_size`` output projection, but not the input embedding.
Every function here takes ``variant``:

``"appendix_f"`` (default)
    The count as written: embeddings and logits FLOPs included; ``N`` includes the
    input embedding *and* the (untied) output projection.
``"table_a4"``
    The count consistent with Table A4: no embedding or logit FLOPs; ``N`` without
    the input embedding.

References
----------
Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
arXiv:2203.15556, Appendix F and Table A4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._constants import FLOPS_PER_PARAM_TOKEN
from ._typing import FloatArray
from ._validation import _describe, as_choice, as_int, as_positive_array, as_positive_scalar
from .result import Record

__all__ = [
    "FLOPS_VARIANTS",
    "TABLE_A4_RATIOS",
    "TABLE_A4_SHAPES",
    "FlopsVariant",
    "TransformerShape",
    "compute_6nd",
    "flops_per_token",
    "flops_ratio_to_6nd",
    "params_from_compute",
    "tokens_from_compute",
]

FlopsVariant = Literal["appendix_f", "table_a4"]
"""The two variants of the Appendix F count (see the module docstring)."""

FLOPS_VARIANTS: tuple[FlopsVariant, ...] = ("appendix_f", "table_a4")
"""Accepted values of ``variant``."""


def _variant(value: Any) -> FlopsVariant:
    out = as_choice(value, "variant", FLOPS_VARIANTS)
    return "table_a4" if out == "table_a4" else "appendix_f"


# ---------------------------------------------------------------------------- C = 6 N D
def _broadcast(a: FloatArray, a_name: str, b: FloatArray, b_name: str) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"`{a_name}` and `{b_name}` must broadcast together; "
            f"got shapes {a.shape} and {b.shape}."
        ) from None


def _as_k(value: Any) -> float:
    return as_positive_scalar(value, "flops_per_param_token")


def compute_6nd(
    n_params: ArrayLike,
    n_tokens: ArrayLike,
    *,
    flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN,
) -> FloatArray:
    r"""Training compute ``C = k N D`` in FLOPs, with ``k = 6`` by default.

    Parameters
    ----------
    n_params : array_like
        Parameter counts ``N`` (positive, finite).
    n_tokens : array_like
        Training tokens ``D`` (positive, finite); broadcast against ``n_params``.
    flops_per_param_token : float, optional
        ``k``: FLOPs per parameter per token. The default 6 is the paper's
        convention (2 forward, 4 backward).

    Returns
    -------
    ndarray
        ``k N D`` as float64, with the broadcast shape of the inputs (0-d for
        scalars).

    Notes
    -----
    .. math::

        C = k N D, \qquad k = 6 .

    For the architecture-level count use :func:`flops_per_token`:
    ``C = flops_per_token(shape) * D``.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Section 3 and Appendix F.

    Examples
    --------
    Chinchilla: 70B parameters trained on 1.4T tokens.

    >>> from chinchilla_laws.flops import compute_6nd
    >>> print(f"{float(compute_6nd(70e9, 1.4e12)):.3e}")
    5.880e+23
    >>> compute_6nd([1e9, 2e9], 20e9)
    array([1.2e+20, 2.4e+20])
    """
    n = as_positive_array(n_params, "n_params")
    d = as_positive_array(n_tokens, "n_tokens")
    k = _as_k(flops_per_param_token)
    _broadcast(n, "n_params", d, "n_tokens")
    out: FloatArray = np.asarray(k * n * d, dtype=np.float64)
    return out


def tokens_from_compute(
    compute: ArrayLike, n_params: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
) -> FloatArray:
    r"""Training tokens ``D = C / (k N)`` for a budget ``C`` (``C = 6 N D`` by default).

    Parameters
    ----------
    compute : array_like
        Training budgets ``C`` in FLOPs (positive, finite), under ``C = k N D``.
    n_params : array_like
        Parameter counts ``N`` (positive, finite); broadcast against ``compute``.
    flops_per_param_token : float, optional
        ``k`` in ``C = k N D``; 6 by default.

    Returns
    -------
    ndarray
        ``C / (k N)`` as float64, with the broadcast shape of the inputs.

    See Also
    --------
    compute_6nd, params_from_compute

    Examples
    --------
    >>> from chinchilla_laws.flops import tokens_from_compute
    >>> print(f"{float(tokens_from_compute(5.76e23, 70e9)):.4g}")
    1.371e+12
    """
    c = as_positive_array(compute, "compute")
    n = as_positive_array(n_params, "n_params")
    k = _as_k(flops_per_param_token)
    _broadcast(c, "compute", n, "n_params")
    out: FloatArray = np.asarray(c / (k * n), dtype=np.float64)
    return out


def params_from_compute(
    compute: ArrayLike, n_tokens: ArrayLike, *, flops_per_param_token: float = FLOPS_PER_PARAM_TOKEN
) -> FloatArray:
    r"""Parameter count ``N = C / (k D)`` for a budget ``C`` (``C = 6 N D`` by default).

    Parameters
    ----------
    compute : array_like
        Training budgets ``C`` in FLOPs (positive, finite), under ``C = k N D``.
    n_tokens : array_like
        Training tokens ``D`` (positive, finite); broadcast against ``compute``.
    flops_per_param_token : float, optional
        ``k`` in ``C = k N D``; 6 by default.

    Returns
    -------
    ndarray
        ``C / (k D)`` as float64, with the broadcast shape of the inputs.

    See Also
    --------
    compute_6nd, tokens_from_compute

    Examples
    --------
    >>> from chinchilla_laws.flops import params_from_compute
    >>> print(f"{float(params_from_compute(5.88e23, 1.4e12)):.4g}")
    7e+10
    """
    c = as_positive_array(compute, "compute")
    d = as_positive_array(n_tokens, "n_tokens")
    k = _as_k(flops_per_param_token)
    _broadcast(c, "compute", d, "n_tokens")
    out: FloatArray = np.asarray(c / (k * d), dtype=np.float64)
    return out


# ---------------------------------------------------------------------------- Appendix F
_SHAPE_FIELDS = (
    "n_layers",
    "d_model",
    "ffw_size",
    "n_heads",
    "key_size",
    "vocab_size",
    "seq_len",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TransformerShape(Record):
    r"""The architecture of a dense decoder-only transformer, as in Hoffmann et al. (2022).

    All FLOP and parameter counts are exact Python integers. Every method takes
    ``variant`` (``"appendix_f"`` or ``"table_a4"``, see Notes).

    Parameters
    ----------
    n_layers : int
        Transformer blocks.
    d_model : int
        Width of the residual stream.
    ffw_size : int
        Hidden width of the feed-forward block.
    n_heads : int
        Attention heads.
    key_size : int
        Key/query/value size per head ("kq size" in Table A4).
    vocab_size : int, optional
        Vocabulary size; 32,000 as in the paper.
    seq_len : int, optional
        Training sequence length; 2,048 as in the paper.

    Notes
    -----
    Forward FLOPs per sequence (Appendix F; a multiply-accumulate is 2 FLOPs), with
    :math:`S` = ``seq_len``, :math:`V` = ``vocab_size``, :math:`d` = ``d_model``,
    :math:`f` = ``ffw_size``, :math:`h` = ``n_heads`` and :math:`a = h \cdot`
    ``key_size``:

    .. math::

        F_{emb} &= 2 S V d, \qquad F_{logits} = 2 S d V, \\
        F_{attn} &= 2 \cdot 3 S d a + 2 S^2 a + 3 h S^2 + 2 S^2 a + 2 S a d, \\
        F_{dense} &= 2 S (2 d f), \\
        F_{fwd} &= F_{emb} + L (F_{attn} + F_{dense}) + F_{logits}.

    The backward pass costs :math:`2 F_{fwd}`, so a training step costs
    :math:`3 F_{fwd}` per sequence and :math:`3 F_{fwd} / S` per token.

    The parameter count that reproduces Table A4 is, per block,

    .. math::

        P_{block} = \underbrace{4 d a + 3 a + d}_{q, k, v, o \text{ and biases}}
            + \underbrace{d^2 + 2 d}_{\text{relative positions}}
            + \underbrace{2 d f + f + d}_{\text{feed-forward}}
            + \underbrace{2 \cdot 2 d}_{\text{two layer norms}},

    and in total :math:`N = L P_{block} + 2 d + d V` (blocks, final layer norm,
    output projection). ``variant="table_a4"`` uses this :math:`N` and leaves
    :math:`F_{emb}` and :math:`F_{logits}` out; ``variant="appendix_f"`` adds the
    input embedding :math:`d V` to :math:`N` and keeps both FLOP terms, as the text
    of Appendix F says. Only the :math:`d^2` relative-position term and exactly one
    :math:`d V` matrix are pinned by the three-decimal ratios; the :math:`O(d)` bias
    and layer-norm terms are below the table's resolution.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Appendix F and Table A4.

    Examples
    --------
    The 73M model of Table A4:

    >>> from chinchilla_laws.flops import TransformerShape
    >>> shape = TransformerShape(n_layers=10, d_model=640, ffw_size=2560, n_heads=10, key_size=64)
    >>> shape.param_count(variant="table_a4")
    73825280
    >>> shape.training_flops_per_token(variant="table_a4")
    454041600
    >>> print(f"{shape.ratio_to_6nd(variant='table_a4'):.3f}")
    1.025
    """

    n_layers: int
    d_model: int
    ffw_size: int
    n_heads: int
    key_size: int
    vocab_size: int = 32000
    seq_len: int = 2048

    def __post_init__(self) -> None:
        for name in _SHAPE_FIELDS:
            object.__setattr__(self, name, as_int(getattr(self, name), name, minimum=1))

    # ------------------------------------------------------------------ FLOPs
    @property
    def attention_size(self) -> int:
        """``n_heads * key_size``, the width of the query/key/value projections."""
        return self.n_heads * self.key_size

    def forward_flops_breakdown(self) -> dict[str, int]:
        """Forward FLOPs per sequence by Appendix F term, summed over layers.

        Returns
        -------
        dict
            ``"embeddings"``, ``"attention"`` (all layers), ``"dense"`` (all layers)
            and ``"logits"``, as in Appendix F (no ``variant``: the ``"table_a4"``
            variant drops the first and the last).

        Examples
        --------
        >>> from chinchilla_laws.flops import TABLE_A4_SHAPES
        >>> TABLE_A4_SHAPES[0].forward_flops_breakdown()["dense"]
        134217728000
        """
        s, v, d, f = self.seq_len, self.vocab_size, self.d_model, self.ffw_size
        h, a = self.n_heads, self.attention_size
        attention = (
            2 * 3 * s * d * a  # key, query and value projections
            + 2 * s * s * a  # key @ query logits
            + 3 * h * s * s  # softmax
            + 2 * s * s * a  # softmax @ query reductions
            + 2 * s * a * d  # final linear
        )
        dense = 2 * s * (d * f + d * f)
        return {
            "embeddings": 2 * s * v * d,
            "attention": self.n_layers * attention,
            "dense": self.n_layers * dense,
            "logits": 2 * s * d * v,
        }

    def forward_flops_per_sequence(self, *, variant: FlopsVariant = "appendix_f") -> int:
        """Forward-pass FLOPs for one sequence of ``seq_len`` tokens.

        Parameters
        ----------
        variant : {"appendix_f", "table_a4"}, optional
            ``"appendix_f"`` counts the embedding and logit FLOPs; ``"table_a4"``
            leaves them out. See the class Notes.

        Returns
        -------
        int
            The exact count.
        """
        parts = self.forward_flops_breakdown()
        total = parts["attention"] + parts["dense"]
        if _variant(variant) == "appendix_f":
            total += parts["embeddings"] + parts["logits"]
        return total

    def training_flops_per_sequence(self, *, variant: FlopsVariant = "appendix_f") -> int:
        """Training FLOPs for one sequence: forward plus backward (``2 x`` forward).

        Parameters
        ----------
        variant : {"appendix_f", "table_a4"}, optional
            See :meth:`forward_flops_per_sequence`.

        Returns
        -------
        int
            ``3 * forward_flops_per_sequence(variant=variant)``.
        """
        return 3 * self.forward_flops_per_sequence(variant=variant)

    def training_flops_per_token(self, *, variant: FlopsVariant = "appendix_f") -> int:
        """Training FLOPs per token: ``C = training_flops_per_token() * D``.

        Parameters
        ----------
        variant : {"appendix_f", "table_a4"}, optional
            See :meth:`forward_flops_per_sequence`.

        Returns
        -------
        int
            ``training_flops_per_sequence(variant=variant) / seq_len`` (every
            Appendix F term is a multiple of ``seq_len``, so this is exact).
        """
        return self.training_flops_per_sequence(variant=variant) // self.seq_len

    # ------------------------------------------------------------------ parameters
    def param_count(self, *, variant: FlopsVariant = "appendix_f") -> int:
        """The parameter count ``N`` that goes with the FLOP count.

        Parameters
        ----------
        variant : {"appendix_f", "table_a4"}, optional
            ``"table_a4"``: blocks, final layer norm and output projection
            (``d_model x vocab_size``). ``"appendix_f"``: the same plus the input
            embedding (another ``vocab_size x d_model``, untied). See the class
            Notes for the formula.

        Returns
        -------
        int
            The exact count.
        """
        d, f, v, a = self.d_model, self.ffw_size, self.vocab_size, self.attention_size
        attention = 4 * d * a + 3 * a + d  # q, k, v (d -> a) and output (a -> d) with biases
        relative = d * d + 2 * d  # relative-position projection and its two bias vectors
        feed_forward = 2 * d * f + f + d
        layer_norms = 2 * (2 * d)
        block = attention + relative + feed_forward + layer_norms
        total = self.n_layers * block + 2 * d + d * v  # final layer norm, output projection
        if _variant(variant) == "appendix_f":
            total += v * d  # input embedding
        return total

    def ratio_to_6nd(self, *, variant: FlopsVariant = "appendix_f") -> float:
        """The exact training FLOPs over ``6 N D`` (Table A4's "Ours / 6ND").

        See :func:`flops_ratio_to_6nd`.
        """
        return self.training_flops_per_token(variant=variant) / (
            FLOPS_PER_PARAM_TOKEN * self.param_count(variant=variant)
        )


def flops_per_token(shape: TransformerShape, *, variant: FlopsVariant = "appendix_f") -> float:
    r"""Training FLOPs per token of ``shape`` under the Appendix F count.

    Use it in place of ``6 N`` to convert a compute budget and a token count:
    ``C = flops_per_token(shape) * D`` and ``D = C / flops_per_token(shape)``.

    Parameters
    ----------
    shape : TransformerShape
        The architecture.
    variant : {"appendix_f", "table_a4"}, optional
        ``"appendix_f"`` (default) counts the embedding and logit FLOPs as the text of
        Appendix F does; ``"table_a4"`` leaves them out, as Table A4 does.

    Returns
    -------
    float
        ``3 F_fwd / seq_len``, with ``F_fwd`` the forward FLOPs per sequence.

    Notes
    -----
    .. math::

        C = \frac{3 F_{fwd}}{S} D,

    with :math:`S` = ``seq_len``; see :class:`TransformerShape` for :math:`F_{fwd}`.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Appendix F.

    Examples
    --------
    Tokens for a ``1e21`` FLOP budget on the 1.1B model of Table A4:

    >>> from chinchilla_laws.flops import TABLE_A4_SHAPES, flops_per_token
    >>> shape = TABLE_A4_SHAPES[3]
    >>> print(f"{1e21 / flops_per_token(shape):.4g}")
    1.274e+11
    >>> print(f"{1e21 / flops_per_token(shape, variant='table_a4'):.4g}")
    1.396e+11
    """
    return float(_shape(shape).training_flops_per_token(variant=variant))


def flops_ratio_to_6nd(shape: TransformerShape, *, variant: FlopsVariant = "appendix_f") -> float:
    r"""The Appendix F training FLOPs of ``shape`` over ``6 N D`` (Table A4).

    Parameters
    ----------
    shape : TransformerShape
        The architecture.
    variant : {"appendix_f", "table_a4"}, optional
        ``"appendix_f"`` (default): the count as written, embedding and logit FLOPs
        included and ``N`` including the input embedding. ``"table_a4"``: the count
        that reproduces the paper's Table A4, without embedding and logit FLOPs and
        with ``N`` excluding the input embedding.

    Returns
    -------
    float
        ``flops_per_token(shape, variant=variant) / (6 N)``, with ``N =
        shape.param_count(variant=variant)``; independent of ``D``.

    Notes
    -----
    .. math::

        \frac{C_{exact}}{6 N D} = \frac{3 F_{fwd} / S}{6 N}.

    Table A4 prints 1.03, 1.10, 1.08, 1.04, 1.03 and 0.99 for its six models
    (:data:`TABLE_A4_SHAPES`). ``variant="table_a4"`` gives 1.025, 1.101, 1.083,
    1.044, 1.033 and 0.994, which round to the printed values. The count as written
    (``variant="appendix_f"``) gives 1.237, 1.188, 1.146, 1.090, 1.071 and 1.011, and
    does not reproduce the table; that inconsistency is the paper's.

    References
    ----------
    Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models",
    arXiv:2203.15556, Appendix F and Table A4.

    Examples
    --------
    >>> from chinchilla_laws.flops import TABLE_A4_SHAPES, flops_ratio_to_6nd
    >>> [round(flops_ratio_to_6nd(s, variant="table_a4"), 2) for s in TABLE_A4_SHAPES]
    [1.03, 1.1, 1.08, 1.04, 1.03, 0.99]
    >>> print(f"{flops_ratio_to_6nd(TABLE_A4_SHAPES[0]):.3f}")
    1.237
    """
    return _shape(shape).ratio_to_6nd(variant=variant)


def _shape(value: Any) -> TransformerShape:
    if not isinstance(value, TransformerShape):
        raise TypeError(f"`shape` must be a TransformerShape; got {_describe(value)}.")
    return value


TABLE_A4_SHAPES: tuple[TransformerShape, ...] = (
    TransformerShape(n_layers=10, d_model=640, ffw_size=2560, n_heads=10, key_size=64),
    TransformerShape(n_layers=20, d_model=1024, ffw_size=4096, n_heads=16, key_size=64),
    TransformerShape(n_layers=24, d_model=1280, ffw_size=5120, n_heads=10, key_size=128),
    TransformerShape(n_layers=26, d_model=1792, ffw_size=7168, n_heads=14, key_size=128),
    TransformerShape(n_layers=28, d_model=2048, ffw_size=8192, n_heads=16, key_size=128),
    TransformerShape(n_layers=40, d_model=3584, ffw_size=14336, n_heads=28, key_size=128),
)
"""The six models of Hoffmann et al. (2022), Table A4 (73M to 6.8B; ``vocab_size``
32,000, ``seq_len`` 2,048)."""

TABLE_A4_RATIOS: tuple[float, ...] = (1.03, 1.10, 1.08, 1.04, 1.03, 0.99)
"""The "Ours / 6ND" column of Table A4 as printed, in the order of :data:`TABLE_A4_SHAPES`."""
