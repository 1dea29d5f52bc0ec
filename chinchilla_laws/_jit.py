"""Numba set-up for the kernels (private): the decorator, JIT caching, threading layer.

Three process-wide concerns live here so that ``_kernels.py`` stays pure numerics:

* **Caching.** Kernels are compiled with ``cache=True`` where Numba finds a writable
  cache location (``NUMBA_CACHE_DIR``, the package's ``__pycache__``, the user's cache
  directory). Where it finds none (a read-only install, HOME and cache directory), the
  kernels are compiled in memory for this process instead, and one note is logged on
  the ``chinchilla_laws`` logger.
* **Threading layer.** Numba's default choice on Linux is GNU OpenMP when TBB cannot be
  loaded, and GNU OpenMP does not survive ``fork()``: a ``ProcessPoolExecutor`` with the
  default start method dies after one fit. Unless the user set
  ``NUMBA_THREADING_LAYER``, importing the package selects TBB (from the ``tbb`` package,
  a dependency on Linux x86-64; its library is pre-loaded from the environment's
  ``lib`` folder, where pip puts it) and otherwise the ``workqueue`` layer. Both survive
  ``fork()``.
* **Concurrency.** The ``workqueue`` layer aborts the process when two threads enter a
  parallel region at once, so every parallel kernel call goes through
  :func:`parallel_region`, which serialises them unless the layer is thread-safe.

A layer forced through ``NUMBA_THREADING_LAYER`` (or launched before this package was
imported) that is not fork-safe -- GNU OpenMP -- cannot be made safe from here: the
first parallel fit then warns once (:class:`~chinchilla_laws.warnings.ThreadingLayerWarning`).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numba as nb
from numba.np.ufunc import parallel as _nb_parallel

__all__ = ["THREADING_LAYER", "kernel", "parallel_region", "serialised"]

_F = TypeVar("_F", bound=Callable[..., Any])
_OPTIONS: dict[str, Any] = {"nogil": True, "error_model": "numpy"}
_LOG = logging.getLogger("chinchilla_laws")

_cache_available = True
"""False once Numba has found no cache location; later kernels then skip the attempt."""


def _note_no_cache(error: RuntimeError) -> None:
    global _cache_available
    if _cache_available:
        _cache_available = False
        _LOG.warning(
            "chinchilla_laws: Numba found no writable cache location (%s); the kernels are "
            "compiled in memory for this process. Set NUMBA_CACHE_DIR to a writable "
            "directory to cache them across processes.",
            error,
        )


def kernel(*, parallel: bool = False) -> Callable[[_F], _F]:
    """The kernels' decorator: ``numba.njit`` with the package's fixed options.

    ``cache=True`` where a cache location is writable, ``cache=False`` otherwise.
    """

    def decorate(func: _F) -> _F:
        if _cache_available:
            try:
                return nb.njit(cache=True, parallel=parallel, **_OPTIONS)(func)  # type: ignore[no-any-return]
            except RuntimeError as error:
                # numba raises this at decoration when none of its locators applies
                if "no locator available" not in str(error):
                    raise
                _note_no_cache(error)
        return nb.njit(cache=False, parallel=parallel, **_OPTIONS)(func)  # type: ignore[no-any-return]

    return decorate


def _user_layer() -> str | None:
    value = os.environ.get("NUMBA_THREADING_LAYER", "").strip().lower()
    return value or None


def _tbb_loadable() -> bool:
    """Whether Numba's TBB layer can be loaded, pre-loading pip's ``libtbb`` if needed."""
    if sys.platform.startswith("linux"):
        # pip installs libtbb into <prefix>/lib, which is not on the loader's path;
        # loading it first by full path lets numba's ``tbbpool`` resolve it by soname
        for prefix in dict.fromkeys((sys.prefix, sys.base_prefix)):
            path = os.path.join(prefix, "lib", "libtbb.so.12")
            if os.path.exists(path):
                with contextlib.suppress(OSError):
                    ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
                break
    try:
        _nb_parallel._check_tbb_version_compatible()  # type: ignore[no-untyped-call]
        importlib.import_module("numba.np.ufunc.tbbpool")
    except (ImportError, AttributeError):
        return False
    return True


def _choose_layer() -> str:
    user = _user_layer()
    if user is not None:
        return user
    if _nb_parallel._is_initialized:  # someone launched numba's threads before us
        return str(_nb_parallel.threading_layer())  # type: ignore[no-untyped-call]
    return "tbb" if _tbb_loadable() else "workqueue"


THREADING_LAYER = _choose_layer()
"""The layer chosen at import (the user's ``NUMBA_THREADING_LAYER`` if set)."""

_USER_FORCED = _user_layer() is not None or _nb_parallel._is_initialized


def _apply_layer() -> None:
    # numba reads its configuration from the environment again when a NUMBA_* variable
    # changes; re-assert the choice until the threads are launched
    if not _nb_parallel._is_initialized and not _USER_FORCED:
        nb.config.THREADING_LAYER = THREADING_LAYER  # type: ignore[attr-defined]


_apply_layer()

_lock = threading.Lock()
_checked = False


def _reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # a lock held by another thread at fork() stays held in the child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def _active_layer() -> str | None:
    if not _nb_parallel._is_initialized:
        return None
    return str(_nb_parallel.threading_layer())  # type: ignore[no-untyped-call]


def _check_fork_safety() -> None:
    """Warn once when the launched layer is GNU OpenMP, which does not survive fork()."""
    global _checked
    layer = _active_layer()
    if layer is None or _checked:
        return
    _checked = True
    if layer != "omp":
        return
    try:
        omppool = importlib.import_module("numba.np.ufunc.omppool")
    except ImportError:  # pragma: no cover - omp was launched, so it imports
        return
    if getattr(omppool, "openmp_vendor", "") != "GNU":
        return
    from ._warn import warn
    from .warnings import ThreadingLayerWarning

    cause = (
        f"NUMBA_THREADING_LAYER={os.environ['NUMBA_THREADING_LAYER']!r}"
        if _user_layer() is not None
        else "a Numba parallel function that ran before chinchilla_laws was imported"
    )
    warn(
        f"{cause} selected Numba's GNU OpenMP threading layer, which does not survive "
        "fork(): a process forked after a fit (multiprocessing's default start method "
        "on Linux) can abort. Use the 'spawn' or 'forkserver' start method, or leave "
        "NUMBA_THREADING_LAYER unset so that chinchilla_laws selects 'tbb' or 'workqueue'.",
        ThreadingLayerWarning,
    )


@contextlib.contextmanager
def parallel_region() -> Iterator[None]:
    """Context for every call of a ``parallel=True`` kernel.

    Serialises the calls across threads unless the active layer is thread-safe (TBB,
    OpenMP), and warns once if the layer does not survive ``fork()``.
    """
    _apply_layer()
    if _active_layer() in ("tbb", "omp"):
        yield
    else:
        with _lock:
            yield
    _check_fork_safety()


def serialised(func: _F) -> _F:
    """``func`` (a ``parallel=True`` kernel) called inside :func:`parallel_region`."""

    def call(*args: Any) -> Any:
        with parallel_region():
            return func(*args)

    return call  # type: ignore[return-value]
