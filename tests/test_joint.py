"""Joint fits: groups of runs sharing some parameters."""

from __future__ import annotations

import numpy as np
import pytest

import chinchilla_laws as cl
from chinchilla_laws.joint import grouped_kernel, joint_family

N, D = (a.ravel() for a in np.meshgrid(np.geomspace(1e8, 1e10, 5), np.geomspace(2e9, 2e11, 5)))
STARTS = cl.paper_grid()[::25]
SLOW = cl.ChinchillaLaw(E=1.8, A=400.0, B=410.0, alpha=0.34, beta=0.28)
FAST = cl.ChinchillaLaw(E=1.8, A=250.0, B=300.0, alpha=0.34, beta=0.28)


def _groups(noise: float = 0.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for law in (SLOW, FAST):
        loss = law.loss(N, D) * np.exp(noise * rng.standard_normal(N.size))
        out.append({"n_params": N, "n_tokens": D, "loss": loss})
    return out


def test_grouped_kernel_is_the_sum_of_the_base_kernel() -> None:
    fam = joint_family(cl.CHINCHILLA, 2)
    rng = np.random.default_rng(0)
    X = np.ascontiguousarray(rng.normal(size=(30, 3)))
    X[:, 2] = np.repeat([0.0, 1.0], 15)
    target = rng.normal(size=30)
    w = rng.uniform(0, 2, 30)
    aux = np.array([2.0, 0.0, 15.0, 30.0])
    u = rng.normal(size=10) + np.tile([0, 0, 0.5, 1, 1], 2)
    g = np.empty(10)
    f = fam.kernel(u, X, aux, target, w, 0.1, g)
    f_ref, g_ref = 0.0, np.empty(10)
    for k, sl in enumerate((slice(0, 15), slice(15, 30))):
        gk = np.empty(5)
        f_ref += cl.CHINCHILLA.kernel(u[5 * k : 5 * k + 5], np.ascontiguousarray(X[sl]),
                                      np.empty(0), target[sl], w[sl], 0.1, gk)  # fmt: skip
        g_ref[5 * k : 5 * k + 5] = gk
    # the same sums in the same order: equal to rounding
    assert f == pytest.approx(f_ref, rel=1e-14)
    np.testing.assert_allclose(g, g_ref, rtol=1e-13, atol=1e-15)
    assert grouped_kernel(cl.CHINCHILLA) is fam.kernel


def test_grouped_kernel_cache_name_follows_the_base_kernel_source() -> None:
    # numba checks a cached function against its own file (joint.py) only: the joint
    # kernel's cache name carries a digest of the base kernel's sources, so an edited
    # base kernel compiles a fresh joint kernel instead of loading one that inlines
    # the old code (was: "_grouped__<family>" alone)
    from chinchilla_laws import _lbfgs
    from chinchilla_laws.family import get_family

    names = {}
    for fam in ("chinchilla", "kaplan"):
        base = get_family(fam)
        jitted = grouped_kernel(base)
        names[fam] = getattr(jitted, "py_func", jitted).__qualname__  # plain with JIT off
        assert names[fam] == f"_grouped__{fam}_{_lbfgs.source_digest(base.kernel)}"
    assert names["chinchilla"] != names["kaplan"]


def test_joint_fit_recovers_shared_and_separate_parameters() -> None:
    fit = cl.fit_joint("chinchilla", _groups(), shared=("E", "alpha", "beta"), starts=None)
    assert fit.success
    a, b = fit.law.laws
    assert a.E == b.E and a.alpha == b.alpha and a.beta == b.beta
    # exact data: the truth to the gradient tolerance
    for law, truth in ((a, SLOW), (b, FAST)):
        for k, v in truth.params.items():
            assert law.params[k] == pytest.approx(v, rel=1e-4), k
    assert ("E[0]", "E[1]") in fit.tied
    assert fit.law.shared == ("E", "alpha", "beta")


def test_sharing_is_a_constraint() -> None:
    groups = _groups(noise=0.02, seed=3)
    joint = cl.fit_joint("chinchilla", groups, shared=("E", "alpha"), starts=STARTS, warn=False)
    free = cl.fit_joint("chinchilla", groups, shared=(), starts=STARTS, warn=False)
    sep = [
        cl.fit_parametric(g["n_params"], g["n_tokens"], g["loss"], starts=STARTS, warn=False)
        for g in groups
    ]
    # no sharing: the joint objective is the sum of the separate optima (to tolerance)
    assert free.objective == pytest.approx(sum(s.objective for s in sep), rel=1e-7)
    # sharing constrains: never lower than the separate fits
    assert joint.objective >= free.objective * (1 - 1e-9)
    assert joint.law.laws[0].alpha == joint.law.laws[1].alpha


def test_fixed_base_name_holds_in_every_group() -> None:
    fit = cl.fit_joint("chinchilla", _groups(), shared=("alpha",), fixed={"E": 1.8},
                       starts=STARTS)  # fmt: skip
    assert all(law.E == 1.8 for law in fit.law.laws)
    assert pytest.approx(250.0, rel=1e-4) == fit.law.laws[1].A


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"shared": ("F",)}, ValueError, "`shared` names unknown parameter 'F'"),
        ({"shared": "E"}, TypeError, "`shared` must be a sequence"),
    ],
)
def test_bad_shared_is_named(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        cl.fit_joint("chinchilla", _groups(), **kwargs)


def test_groups_must_be_several_mappings() -> None:
    with pytest.raises(ValueError, match="at least two groups"):
        cl.fit_joint("chinchilla", _groups()[:1], shared=("E",))
    with pytest.raises(TypeError, match="`groups` must be a sequence"):
        cl.fit_joint("chinchilla", _groups()[0], shared=("E",))
