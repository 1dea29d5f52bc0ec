"""Emit warnings at the user's line (private).

``warnings.warn(..., stacklevel=2)`` names the library's own frame as soon as the
warning is raised one call deeper than the public function, which is most of the
time. :func:`warn` walks the stack to the first frame outside this package (and
``contextlib``, whose frames sit between a ``with`` block and the package), the
equivalent of Python 3.12's ``skip_file_prefixes`` on every supported version.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings

__all__ = ["warn"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SKIPPED = (_PACKAGE_DIR, contextlib.__file__)


def _internal(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_SKIPPED)


def _stacklevel() -> int:
    """Stack level of the first frame outside the package, counted from ``warn``'s caller."""
    frame = sys._getframe(2)  # the caller of ``warn``
    level = 2
    while frame is not None and _internal(frame.f_code.co_filename):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` with the stack level of the first frame outside the package."""
    warnings.warn(message, category, stacklevel=_stacklevel())
