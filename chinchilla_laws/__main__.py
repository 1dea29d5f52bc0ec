"""``python -m chinchilla_laws``: the command line (no arguments runs ``demo``)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
