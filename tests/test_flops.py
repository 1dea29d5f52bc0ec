"""Compute accounting: C = 6ND helpers and the Appendix F count (Hoffmann et al. 2022)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinchilla_laws.flops import (
    FLOPS_VARIANTS,
    TABLE_A4_RATIOS,
    TABLE_A4_SHAPES,
    TransformerShape,
    compute_6nd,
    flops_per_token,
    flops_ratio_to_6nd,
    params_from_compute,
    tokens_from_compute,
)

# --------------------------------------------------------------------------- oracle
# A plain re-statement of Appendix F, written term by term from the paper's list, and
# of the parameter count that reproduces Table A4. Everything is exact integer
# arithmetic, so the package must agree *exactly*.


def oracle_forward(
    n_layers: int,
    d_model: int,
    ffw_size: int,
    n_heads: int,
    key_size: int,
    vocab_size: int,
    seq_len: int,
    *,
    with_embeddings: bool,
) -> int:
    embeddings = 2 * seq_len * vocab_size * d_model
    kqv = 2 * 3 * seq_len * d_model * (key_size * n_heads)
    logits_kq = 2 * seq_len * seq_len * (key_size * n_heads)
    softmax = 3 * n_heads * seq_len * seq_len
    reductions = 2 * seq_len * seq_len * (key_size * n_heads)
    final_linear = 2 * seq_len * (key_size * n_heads) * d_model
    attention = kqv + logits_kq + softmax + reductions + final_linear
    dense = 2 * seq_len * (d_model * ffw_size + d_model * ffw_size)
    final_logits = 2 * seq_len * d_model * vocab_size
    total = n_layers * (attention + dense)
    if with_embeddings:
        total += embeddings + final_logits
    return total


def oracle_params(
    n_layers: int,
    d_model: int,
    ffw_size: int,
    n_heads: int,
    key_size: int,
    vocab_size: int,
    *,
    with_input_embedding: bool,
) -> int:
    d, a = d_model, n_heads * key_size
    per_layer = (
        (3 * (d * a + a) + (a * d + d))  # q, k, v and output projections with biases
        + (d * d + 2 * d)  # relative-position projection and its two biases
        + (d * ffw_size + ffw_size)
        + (ffw_size * d + d)  # feed-forward in and out
        + 2 * (d + d)  # two layer norms (scale and offset)
    )
    total = n_layers * per_layer + 2 * d + d * vocab_size  # final layer norm, output projection
    if with_input_embedding:
        total += vocab_size * d
    return total


def shape_args(shape: TransformerShape) -> tuple[int, ...]:
    return (
        shape.n_layers,
        shape.d_model,
        shape.ffw_size,
        shape.n_heads,
        shape.key_size,
        shape.vocab_size,
        shape.seq_len,
    )


shapes = st.builds(
    TransformerShape,
    n_layers=st.integers(1, 128),
    d_model=st.integers(1, 20_000),
    ffw_size=st.integers(1, 80_000),
    n_heads=st.integers(1, 128),
    key_size=st.integers(1, 256),
    vocab_size=st.integers(1, 300_000),
    seq_len=st.integers(1, 32_768),
)

# --------------------------------------------------------------------------- Table A4

# Table A4 "Ours / 6ND", recomputed to three decimals under the table-consistent count.
TABLE_A4_THREE_DECIMALS = (1.025, 1.101, 1.083, 1.044, 1.033, 0.994)
# The "Params" column of Table A4 (printed to two or three significant figures).
TABLE_A4_PARAMS = (73e6, 305e6, 552e6, 1.1e9, 1.6e9, 6.8e9)
TABLE_A4_IDS = ["73M", "305M", "552M", "1.1B", "1.6B", "6.8B"]


def test_table_a4_constants() -> None:
    assert len(TABLE_A4_SHAPES) == len(TABLE_A4_RATIOS) == 6
    printed = [(10, 640, 2560, 10, 64), (20, 1024, 4096, 16, 64), (24, 1280, 5120, 10, 128)]
    printed += [(26, 1792, 7168, 14, 128), (28, 2048, 8192, 16, 128), (40, 3584, 14336, 28, 128)]
    for shape, row in zip(TABLE_A4_SHAPES, printed, strict=True):
        assert shape_args(shape) == (*row, 32000, 2048)


@pytest.mark.parametrize(
    ("shape", "printed"),
    list(zip(TABLE_A4_SHAPES, TABLE_A4_RATIOS, strict=True)),
    ids=TABLE_A4_IDS,
)
def test_table_a4_printed_two_decimals(shape: TransformerShape, printed: float) -> None:
    # The table prints two decimals: the ratio must round to the printed value.
    ratio = flops_ratio_to_6nd(shape, variant="table_a4")
    assert round(ratio, 2) == printed
    assert abs(ratio - printed) <= 0.005 + 1e-12


@pytest.mark.parametrize(
    ("shape", "expected"),
    list(zip(TABLE_A4_SHAPES, TABLE_A4_THREE_DECIMALS, strict=True)),
    ids=TABLE_A4_IDS,
)
def test_table_a4_three_decimals(shape: TransformerShape, expected: float) -> None:
    # Pins the parameter-count formula: the d**2 relative-position term and exactly one
    # d x vocab matrix are needed for all six to agree at this resolution.
    ratio = flops_ratio_to_6nd(shape, variant="table_a4")
    assert round(ratio, 3) == expected
    assert shape.ratio_to_6nd(variant="table_a4") == ratio


@pytest.mark.parametrize(
    ("shape", "label"),
    list(zip(TABLE_A4_SHAPES, TABLE_A4_PARAMS, strict=True)),
    ids=TABLE_A4_IDS,
)
def test_table_a4_param_column(shape: TransformerShape, label: float) -> None:
    # Labels are printed to 2-3 significant figures (73.8M is printed "73M", 1.14B "1.1B").
    assert shape.param_count(variant="table_a4") == pytest.approx(label, rel=0.05)


def test_appendix_f_variant_is_finite_and_differs() -> None:
    for shape in TABLE_A4_SHAPES:
        as_written = flops_ratio_to_6nd(shape, variant="appendix_f")
        table = flops_ratio_to_6nd(shape, variant="table_a4")
        assert math.isfinite(as_written)
        assert as_written > 0
        assert as_written != table
        # Adding 4 S V d FLOPs per sequence outweighs adding V d to N at these sizes.
        assert as_written > table
        assert flops_ratio_to_6nd(shape) == as_written  # the default is "appendix_f"
    # The count as written does not reproduce the table (the paper's inconsistency).
    assert round(flops_ratio_to_6nd(TABLE_A4_SHAPES[0], variant="appendix_f"), 2) != 1.03


@pytest.mark.parametrize(
    ("name", "arch", "n_params"),
    [
        # Hoffmann et al. (2022), Table 4: layers, d_model, heads, key size; ffw = 4 d_model.
        ("chinchilla", (80, 8192, 4 * 8192, 64, 128), 70e9),
        ("gopher", (80, 16384, 4 * 16384, 128, 128), 280e9),
    ],
)
@pytest.mark.parametrize("variant", FLOPS_VARIANTS)
def test_named_models_param_count(
    name: str, arch: tuple[int, int, int, int, int], n_params: float, variant: Any
) -> None:
    # Sanity: the count lands within 1% of the published model sizes.
    keys = ("n_layers", "d_model", "ffw_size", "n_heads", "key_size")
    shape = TransformerShape(**dict(zip(keys, arch, strict=True)))
    assert shape.param_count(variant=variant) == pytest.approx(n_params, rel=0.01)


# --------------------------------------------------------------------------- oracle parity


@settings(deadline=None, max_examples=200)
@given(shape=shapes)
def test_forward_flops_match_oracle(shape: TransformerShape) -> None:
    # Exact integers on both sides: equality, no tolerance.
    args = shape_args(shape)
    assert shape.forward_flops_per_sequence(variant="appendix_f") == oracle_forward(
        *args, with_embeddings=True
    )
    assert shape.forward_flops_per_sequence(variant="table_a4") == oracle_forward(
        *args, with_embeddings=False
    )


@settings(deadline=None, max_examples=200)
@given(shape=shapes)
def test_param_count_matches_oracle(shape: TransformerShape) -> None:
    args = shape_args(shape)[:-1]
    assert shape.param_count(variant="appendix_f") == oracle_params(
        *args, with_input_embedding=True
    )
    assert shape.param_count(variant="table_a4") == oracle_params(*args, with_input_embedding=False)


@settings(deadline=None, max_examples=200)
@given(shape=shapes, variant=st.sampled_from(FLOPS_VARIANTS))
def test_training_is_three_forward(shape: TransformerShape, variant: Any) -> None:
    # Backward = 2 x forward; per token = per sequence / seq_len, exactly.
    forward = shape.forward_flops_per_sequence(variant=variant)
    training = shape.training_flops_per_sequence(variant=variant)
    assert training == 3 * forward
    per_token = shape.training_flops_per_token(variant=variant)
    assert per_token * shape.seq_len == training
    assert flops_per_token(shape, variant=variant) == float(per_token)
    n = shape.param_count(variant=variant)
    # One float division on each side: agreement to a few ulps.
    assert flops_ratio_to_6nd(shape, variant=variant) == pytest.approx(
        per_token / (6 * n), rel=1e-15
    )


@settings(deadline=None, max_examples=100)
@given(shape=shapes)
def test_variants_differ_by_embeddings(shape: TransformerShape) -> None:
    s, v, d = shape.seq_len, shape.vocab_size, shape.d_model
    diff = shape.forward_flops_per_sequence() - shape.forward_flops_per_sequence(variant="table_a4")
    assert diff == 4 * s * v * d
    assert shape.param_count() - shape.param_count(variant="table_a4") == v * d
    parts = shape.forward_flops_breakdown()
    assert sum(parts.values()) == shape.forward_flops_per_sequence()
    assert parts["embeddings"] == parts["logits"] == 2 * s * v * d


def test_exact_counts_73m() -> None:
    # Hand computation for the smallest Table A4 model (S=2048, d=a=640, h=10, L=10):
    # attention/layer = 6 S d a + 4 S^2 a + 3 h S^2 + 2 S a d = 17_574_133_760.
    shape = TABLE_A4_SHAPES[0]
    parts = shape.forward_flops_breakdown()
    assert parts["attention"] == 10 * 17_574_133_760
    assert parts["dense"] == 10 * 2 * 2048 * 2 * 640 * 2560
    assert parts["embeddings"] == 2 * 2048 * 32000 * 640
    assert shape.param_count(variant="table_a4") == 73_825_280
    assert shape.training_flops_per_token(variant="table_a4") == 454_041_600


def test_flops_per_token_converts_compute_and_tokens() -> None:
    # C = flops_per_token * D is the same as C = k N D with k = 6 * ratio.
    shape = TABLE_A4_SHAPES[3]
    n_tokens = 2.5e10
    for variant in FLOPS_VARIANTS:
        c = flops_per_token(shape, variant=variant) * n_tokens
        k = 6 * flops_ratio_to_6nd(shape, variant=variant)
        n = shape.param_count(variant=variant)
        d = tokens_from_compute(c, n, flops_per_param_token=k)
        assert float(d) == pytest.approx(n_tokens, rel=1e-12)


def test_shape_is_frozen_and_normalised() -> None:
    shape = TransformerShape(
        n_layers=np.int64(2),  # type: ignore[arg-type]
        d_model=8,
        ffw_size=32,
        n_heads=2,
        key_size=4,
        vocab_size=10,
    )
    assert type(shape.n_layers) is int
    assert shape.attention_size == 8
    assert shape == TransformerShape(
        n_layers=2, d_model=8, ffw_size=32, n_heads=2, key_size=4, vocab_size=10
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        shape.n_layers = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        TransformerShape(10, 640, 2560, 10, 64)  # type: ignore[call-arg]  # keyword-only


# --------------------------------------------------------------------------- C = 6 N D


positive = st.floats(min_value=1e3, max_value=1e15, allow_nan=False, allow_infinity=False)
ks = st.floats(min_value=0.5, max_value=20.0, allow_nan=False, allow_infinity=False)


@settings(deadline=None, max_examples=300)
@given(n=positive, d=positive, k=ks)
def test_6nd_round_trip(n: float, d: float, k: float) -> None:
    # Two roundings per side (a product, then a quotient): well inside rtol 1e-12.
    c = compute_6nd(n, d)
    np.testing.assert_allclose(tokens_from_compute(c, n), d, rtol=1e-12)
    np.testing.assert_allclose(params_from_compute(c, d), n, rtol=1e-12)
    ck = compute_6nd(n, d, flops_per_param_token=k)
    np.testing.assert_allclose(tokens_from_compute(ck, n, flops_per_param_token=k), d, rtol=1e-12)
    np.testing.assert_allclose(params_from_compute(ck, d, flops_per_param_token=k), n, rtol=1e-12)


@settings(deadline=None, max_examples=100)
@given(
    n=st.lists(positive, min_size=1, max_size=5),
    d=st.lists(positive, min_size=1, max_size=4),
)
def test_6nd_broadcasts(n: list[float], d: list[float]) -> None:
    nn = np.asarray(n)[:, None]
    dd = np.asarray(d)[None, :]
    c = compute_6nd(nn, dd)
    assert c.shape == (len(n), len(d))
    assert c.dtype == np.float64
    np.testing.assert_allclose(c, 6.0 * nn * dd, rtol=0)  # same single product
    np.testing.assert_allclose(tokens_from_compute(c, nn), np.broadcast_to(dd, c.shape), rtol=1e-12)


def test_6nd_values_and_scalars() -> None:
    c = compute_6nd(70e9, 1.4e12)
    assert isinstance(c, np.ndarray)
    assert c.shape == ()
    assert c.dtype == np.float64
    assert float(c) == pytest.approx(5.88e23, rel=1e-15)
    assert float(compute_6nd(2, 3, flops_per_param_token=2)) == 12.0
    assert compute_6nd([], 1.0).shape == (0,)


def test_6nd_does_not_mutate_input() -> None:
    n = np.array([1e9, 2e9])
    compute_6nd(n, 1e10)
    np.testing.assert_array_equal(n, [1e9, 2e9])


# --------------------------------------------------------------------------- validation


GOOD = {"n_layers": 10, "d_model": 640, "ffw_size": 2560, "n_heads": 10, "key_size": 64}


def _shape_with(**changes: Any) -> Any:
    return lambda: TransformerShape(**{**GOOD, **changes})


BAD_INPUTS: list[tuple[str, Any, type[Exception], str]] = [
    # compute_6nd
    ("nan n_params", lambda: compute_6nd(math.nan, 1.0), ValueError, "`n_params`"),
    ("inf n_params", lambda: compute_6nd(math.inf, 1.0), ValueError, "`n_params`"),
    ("zero n_params", lambda: compute_6nd(0.0, 1.0), ValueError, "`n_params`"),
    ("negative n_params", lambda: compute_6nd([1.0, -1.0], 1.0), ValueError, "`n_params`"),
    ("str n_params", lambda: compute_6nd("1e9", 1.0), TypeError, "`n_params`"),
    ("None n_params", lambda: compute_6nd(None, 1.0), TypeError, "`n_params`"),  # type: ignore[arg-type]
    ("bool n_params", lambda: compute_6nd(True, 1.0), TypeError, "`n_params`"),
    ("ragged n_params", lambda: compute_6nd([1.0, [2.0, 3.0]], 1.0), ValueError, "`n_params`"),  # type: ignore[arg-type]
    ("nan n_tokens", lambda: compute_6nd(1.0, math.nan), ValueError, "`n_tokens`"),
    ("inf n_tokens", lambda: compute_6nd(1.0, [1.0, -math.inf]), ValueError, "`n_tokens`"),
    ("zero n_tokens", lambda: compute_6nd(1.0, 0), ValueError, "`n_tokens`"),
    ("str n_tokens", lambda: compute_6nd(1.0, "x"), TypeError, "`n_tokens`"),
    (
        "no broadcast",
        lambda: compute_6nd([1.0, 2.0], [1.0, 2.0, 3.0]),
        ValueError,
        "`n_params` and `n_tokens`",
    ),
    (
        "k zero",
        lambda: compute_6nd(1.0, 1.0, flops_per_param_token=0.0),
        ValueError,
        "`flops_per_param_token`",
    ),
    (
        "k nan",
        lambda: compute_6nd(1.0, 1.0, flops_per_param_token=math.nan),
        ValueError,
        "`flops_per_param_token`",
    ),
    (
        "k str",
        lambda: compute_6nd(1.0, 1.0, flops_per_param_token="6"),  # type: ignore[arg-type]
        TypeError,
        "`flops_per_param_token`",
    ),
    # tokens_from_compute
    ("nan compute", lambda: tokens_from_compute(math.nan, 1.0), ValueError, "`compute`"),
    ("inf compute", lambda: tokens_from_compute(math.inf, 1.0), ValueError, "`compute`"),
    ("negative compute", lambda: tokens_from_compute(-1.0, 1.0), ValueError, "`compute`"),
    ("str compute", lambda: tokens_from_compute("1e21", 1.0), TypeError, "`compute`"),
    ("zero n_params (inv)", lambda: tokens_from_compute(1.0, 0.0), ValueError, "`n_params`"),
    (
        "k negative (inv)",
        lambda: tokens_from_compute(1.0, 1.0, flops_per_param_token=-6.0),
        ValueError,
        "`flops_per_param_token`",
    ),
    # params_from_compute
    ("zero compute", lambda: params_from_compute(0.0, 1.0), ValueError, "`compute`"),
    ("inf n_tokens (inv)", lambda: params_from_compute(1.0, math.inf), ValueError, "`n_tokens`"),
    (
        "no broadcast (inv)",
        lambda: params_from_compute(np.ones(2), np.ones(3)),
        ValueError,
        "`compute` and `n_tokens`",
    ),
    # TransformerShape
    ("zero layers", _shape_with(n_layers=0), ValueError, "`n_layers`"),
    ("negative d_model", _shape_with(d_model=-640), ValueError, "`d_model`"),
    ("float layers", _shape_with(n_layers=10.0), TypeError, "`n_layers`"),
    ("fractional layers", _shape_with(n_layers=10.5), TypeError, "`n_layers`"),
    ("nan ffw_size", _shape_with(ffw_size=math.nan), TypeError, "`ffw_size`"),
    ("inf n_heads", _shape_with(n_heads=math.inf), TypeError, "`n_heads`"),
    ("bool key_size", _shape_with(key_size=True), TypeError, "`key_size`"),
    ("str vocab_size", _shape_with(vocab_size="32000"), TypeError, "`vocab_size`"),
    ("zero seq_len", _shape_with(seq_len=0), ValueError, "`seq_len`"),
    # variant and shape
    (
        "bad variant",
        lambda: flops_ratio_to_6nd(TABLE_A4_SHAPES[0], variant="appendix-f"),  # type: ignore[arg-type]
        ValueError,
        "`variant`",
    ),
    (
        "non-str variant",
        lambda: flops_per_token(TABLE_A4_SHAPES[0], variant=1),  # type: ignore[arg-type]
        TypeError,
        "`variant`",
    ),
    (
        "bad variant (method)",
        lambda: TABLE_A4_SHAPES[0].param_count(variant="A4"),  # type: ignore[arg-type]
        ValueError,
        "`variant`",
    ),
    (
        "bad variant (forward)",
        lambda: TABLE_A4_SHAPES[0].forward_flops_per_sequence(variant=None),  # type: ignore[arg-type]
        TypeError,
        "`variant`",
    ),
    ("shape as dict", lambda: flops_per_token(GOOD), TypeError, "`shape`"),  # type: ignore[arg-type]
    ("shape as None", lambda: flops_ratio_to_6nd(None), TypeError, "`shape`"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input(call: Any, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        call()
