"""Process-level robustness: JIT caching, fork after a fit, fits from several threads.

Each test runs a fresh interpreter, because Numba's threading layer and its caching
are process-wide and decided once (see ``chinchilla_laws._jit``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FIT = """
import numba
import numpy as np
import chinchilla_laws as cl
from chinchilla_laws._jit import serialised
from chinchilla_laws.datasets import synthetic_sweep

SWEEP = synthetic_sweep(rng=0)


@numba.njit(parallel=True)
def _parallel_sum(x):
    acc = 0.0
    for i in numba.prange(x.shape[0]):
        acc += x[i]
    return acc


def job(i):
    # the full grid: more than PARALLEL_MIN active starts, so the fit's rounds run in
    # the package's worker threads
    fit = cl.fit_parametric(SWEEP.n_params, SWEEP.n_tokens, SWEEP.loss)
    # and a parallel (prange) kernel through the package's guard, as the package's own
    # parallel kernels run, so that Numba's threading layer is launched too
    assert serialised(_parallel_sum)(np.ones(1000)) == 1000.0
    return fit.objective
"""

# makes the TBB library unloadable, so that the package falls back to workqueue + lock
NO_TBB = """
import ctypes
_CDLL = ctypes.CDLL
class _NoTBB(_CDLL):
    def __init__(self, name, *args, **kwargs):
        if name is not None and "tbb" in str(name):
            raise OSError("no TBB in this test")
        super().__init__(name, *args, **kwargs)
ctypes.CDLL = _NoTBB
"""

FORK = """
import concurrent.futures as cf
import multiprocessing as mp
import numba
if __name__ == "__main__":
    first = job(0)
    with cf.ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as ex:
        assert list(ex.map(job, range(2))) == [first, first]
    print("layer", numba.threading_layer())
"""

THREADS = """
import concurrent.futures as cf
import numba
first = job(0)
with cf.ThreadPoolExecutor(3) as ex:
    assert list(ex.map(job, range(3))) == [first] * 3
print("layer", numba.threading_layer())
"""


def run_script(
    code: str, tmp_path: Path, env: dict[str, str] | None = None, path: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    full_env["PYTHONPATH"] = str(path)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )


SETUPS = {
    "default": ("", {}, None),
    "no-tbb": (NO_TBB, {}, "workqueue"),
    "forced-workqueue": ("", {"NUMBA_THREADING_LAYER": "workqueue"}, "workqueue"),
}


@pytest.mark.parametrize("setup", list(SETUPS))
@pytest.mark.parametrize("scenario", ["fork", "threads"])
def test_fork_after_fit_and_concurrent_threads(tmp_path: Path, setup: str, scenario: str) -> None:
    # fails if the default layer is GNU OpenMP (fork dies) or if two threads enter a
    # workqueue parallel region at once (the process aborts)
    prelude, env, layer = SETUPS[setup]
    code = prelude + FIT + (FORK if scenario == "fork" else THREADS)
    proc = run_script(code, tmp_path, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "layer omp" not in proc.stdout
    if layer is not None:
        assert f"layer {layer}" in proc.stdout
    assert "Warning" not in proc.stderr, proc.stderr


def test_forced_gnu_openmp_warns_once(tmp_path: Path) -> None:
    # a layer the package cannot make fork-safe is reported once, at the user's line
    code = (
        FIT
        + """
import warnings
from chinchilla_laws.warnings import ThreadingLayerWarning
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    job(0)
    job(1)
hits = [w for w in caught if issubclass(w.category, ThreadingLayerWarning)]
print("hits", len(hits), "file", hits[0].filename if hits else "")
print("message", hits[0].message if hits else "")
"""
    )
    proc = run_script(code, tmp_path, {"NUMBA_THREADING_LAYER": "omp"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    if "GNU" not in _omp_vendor():
        pytest.skip("the OpenMP runtime here is not GNU's")
    assert "hits 1 " in proc.stdout
    assert f"file {tmp_path / 'script.py'}" in proc.stdout
    assert "NUMBA_THREADING_LAYER='omp'" in proc.stdout


def _omp_vendor() -> str:
    try:
        from numba.np.ufunc import omppool
    except ImportError:
        return ""
    return str(getattr(omppool, "openmp_vendor", ""))


def test_no_writable_cache_location(tmp_path: Path) -> None:
    # package directory, HOME, XDG cache and NUMBA_CACHE_DIR all unusable: numba's
    # ``cache=True`` raised "no locator available" at import; now the kernels compile
    # in memory with one note. (Blocked by regular files, since chmod does not stop root.)
    pkg = tmp_path / "site"
    shutil.copytree(
        ROOT / "chinchilla_laws", pkg / "chinchilla_laws", ignore=shutil.ignore_patterns("*.nb*")
    )
    shutil.rmtree(pkg / "chinchilla_laws" / "__pycache__", ignore_errors=True)
    (pkg / "chinchilla_laws" / "__pycache__").write_text("not a directory")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, so that no directory can be made under it")
    env = {
        "NUMBA_CACHE_DIR": str(blocker / "numba"),
        "HOME": str(blocker / "home"),
        "XDG_CACHE_HOME": str(blocker / "cache"),
    }
    code = """
import chinchilla_laws as cl
import numpy as np
n = np.repeat([1e7, 1e8, 1e9, 1e10], 4)
d = np.tile([1e9, 1e10, 1e11, 1e12], 4)
fit = cl.fit_parametric(n, d, cl.HOFFMANN_2022_TEX.loss(n, d))
print("status", fit.status.name)
"""
    proc = run_script(code, tmp_path, env, path=pkg)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "status SUCCESS" in proc.stdout
    assert proc.stderr.count("no writable cache location") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
