"""The result protocol: what every law, result and record of this library can do.

Results (fits, estimator results, bootstraps, backtests, profiles, ...) have

- ``status``: an enum whose value is the human message; ``success``; ``message``: one
  line;
- ``summary()``: a multi-line report, and a short ``repr``;
- ``as_dict()`` / ``from_dict()`` (and JSON through :mod:`chinchilla_laws.serialize`),
  restoring the whole state, arrays included;
- ``_repr_markdown_``: notebook display.

All are read-only all the way down: arrays read-only, mapping fields read-only
mappings (``_typing.freeze_arrays`` from ``__post_init__``), and since pickling and
copying go through the constructor, copies and restored objects are too.

``success`` means one thing everywhere: ``status`` is the first member of its enum,
the outcome in which the computation did what was asked and found nothing to warn
about (``SUCCESS``; ``DETERMINED`` for a :class:`~chinchilla_laws.Profile`). Every
status enum lists that outcome first, and :class:`Result` derives ``success`` from
``status`` alone; no result overrides it. What a result knows beyond its status (how
many resamples failed, whether every refit of a profile converged) has its own name
(``n_failed``, ``refits_converged``, ...).

Records (frontiers, bands, budgets, designs: values that carry no status) have the
last three. Both come from the two mixins here, so that rendering lives in
:mod:`chinchilla_laws.report` and storage in :mod:`chinchilla_laws.serialize`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from .family import LawFamily

__all__ = ["BatchStatus", "Record", "Result"]


class Record:
    """``as_dict`` / ``from_dict`` / notebook display / short ``repr`` of a frozen dataclass."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """The whole state as a plain, strict-JSON-ready dict (:mod:`chinchilla_laws.serialize`)."""
        from .serialize import to_dict

        return to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The object stored by :meth:`as_dict` (``ValueError`` for a dict of another kind)."""
        from .serialize import from_dict

        out: Self = from_dict(data, cls)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle and copy through the constructor, so that a copy is as read-only as the
        original (arrays and mappings frozen by ``__post_init__``)."""
        import dataclasses

        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        return (_construct, (type(self), fields))

    def _repr_markdown_(self) -> str:
        from .report import markdown

        return markdown(self)

    def __repr__(self) -> str:
        from .report import short_repr

        return short_repr(self)


class LawRecord:
    """``as_dict`` / ``from_dict`` / notebook display of a law of a registered family.

    The dict is the law layout of :func:`chinchilla_laws.serialize.law_to_dict`
    (``format``, ``version``, ``family``, ``name``, ``params``; a Chinchilla law also
    carries its parameters and ``a``, ``b``, ``G`` at the top level, as version 0.1
    wrote them). Laws keep their own ``repr`` (the parameters, unrounded).
    """

    __slots__ = ()

    family: ClassVar[LawFamily]
    """The engine family of the law (set where the family is registered)."""

    def as_dict(self) -> dict[str, Any]:
        """The law as a plain, strict-JSON-ready dict (the law layout above)."""
        from .serialize import law_to_dict

        return law_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """The law stored by :meth:`as_dict` (or, for Chinchilla, a version-0.1 law dict).

        Raises ``ValueError`` for a dict of another family or an unknown version.
        """
        from .serialize import law_from_dict

        law: Self = law_from_dict(data, family=cls.family.name)
        return law

    def _repr_markdown_(self) -> str:
        from .report import law_markdown

        return law_markdown(self)


def _construct(cls: type[Record], fields: dict[str, Any]) -> Record:
    """``cls(**fields)``: how a pickled or copied record is rebuilt."""
    return cls(**fields)


class Result(Record):
    """A :class:`Record` with ``status``, ``success`` and ``message`` and a ``summary()``.

    ``status`` is the outcome: an enum (each result's own) whose value is the human
    message; ``message`` is one line about this result.
    ``success`` is ``True`` exactly when ``status`` is the first member of its enum
    (the good outcome: ``SUCCESS``, or ``DETERMINED`` for a profile).
    """

    __slots__ = ()

    @property
    def status(self) -> enum.Enum:
        # The outcome: an enum whose value is the human message (each result's own), a
        # field or a property of every result. No docstring on purpose: numpydoc would
        # link every result's documented ``status`` attribute to this one and to each
        # result's own, an ambiguous cross-reference (the class docstring says it).
        raise NotImplementedError

    @property
    def success(self) -> bool:
        """True exactly when :attr:`status` is the first (good) member of its enum."""
        status = self.status
        return status is next(iter(type(status)))

    def summary(self) -> str:
        """A readable multi-line report (:mod:`chinchilla_laws.report`)."""
        from .report import summary

        return summary(self)


class BatchStatus(enum.Enum):
    """Outcome of a batch of refits (bootstrap resamples, backtest splits).

    The value is the message.
    """

    SUCCESS = "every refit succeeded"
    SOME_FAILED = "some refits failed; they are left out of intervals and summaries"
    TOO_FEW = "fewer than two refits succeeded: no intervals or spread"

    @classmethod
    def of(cls, n_total: int, n_failed: int) -> BatchStatus:
        """The status of ``n_total`` refits of which ``n_failed`` failed."""
        if n_failed == 0:
            return cls.SUCCESS
        return cls.TOO_FEW if n_total - n_failed < 2 else cls.SOME_FAILED
