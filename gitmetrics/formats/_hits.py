"""``Hits``: which lines (or branch arms) of one file were hit, kept compactly.

A report of millions of lines is held as two arrays of line numbers (2 bytes a line)
instead of a dict entry per line (about 90 bytes in CPython), so the memory a parse
keeps grows with a fraction of the report's size. Only *whether* an entry was hit is
kept: merging reports needs nothing else (a line is covered if any report covered it).
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping
from itertools import chain
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar, cast

K = TypeVar("K", int, str)

# the separator of packed string keys; a key holding it is kept in a tuple instead
_SEP = "\x00"

if TYPE_CHECKING:
    Packed: TypeAlias = "array[int] | str | tuple[object, ...]"


def _pack(keys: Collection[K]) -> Packed:
    """``keys`` in the smallest form that gives them back unchanged."""
    if not keys:
        return ()
    first = next(iter(keys))
    if isinstance(first, str):
        joined = _SEP.join(keys)
        if joined.count(_SEP) == len(keys) - 1 and joined:
            return joined
        return tuple(keys)
    # 2 bytes a line for files under 65,536 lines, which is nearly all of them
    for code in ("H", "I", "Q"):
        try:
            return array(code, keys)
        except (OverflowError, TypeError):
            continue
    return tuple(keys)


def _unpack(packed: Packed) -> Iterable[object]:
    if isinstance(packed, str):
        return packed.split(_SEP)
    return packed


def _size(packed: Packed) -> int:
    if isinstance(packed, str):
        return packed.count(_SEP) + 1
    return len(packed)


class Hits(Mapping[K, int], Generic[K]):
    """A read-only map of entry -> 1 (hit) or 0 (not hit), stored packed.

    Entries are line numbers for most formats, statement ids for Go and format-specific
    strings such as ``"12:0:1"`` for branches. ``covered`` is how many were hit and
    ``len()`` how many there are; iterating gives the hit entries first.
    """

    __slots__ = ("_hit", "_missed")

    def __init__(self, hit: Collection[K], missed: Collection[K]) -> None:
        """``hit`` and ``missed`` must be disjoint and free of repeats."""
        self._hit = _pack(hit)
        self._missed = _pack(missed)

    @classmethod
    def from_counts(cls, counts: Mapping[K, int]) -> Hits[K]:
        """From a map of entry -> hit count (any count above 0 is a hit)."""
        if isinstance(counts, Hits):
            return counts
        hit = [k for k, n in counts.items() if n > 0]
        if len(hit) == len(counts):
            return cls(hit, ())
        missed = [k for k, n in counts.items() if n <= 0]
        return cls(hit, missed)

    @classmethod
    def from_lists(cls, hit: list[K], missed: list[K]) -> Hits[K]:
        """From the entries hit and those not hit, either with repeats; one in both was hit."""
        if len(set(hit).union(missed)) != len(hit) + len(missed):
            merged: dict[K, int] = dict.fromkeys(missed, 0)
            merged.update(dict.fromkeys(hit, 1))
            return cls.from_counts(merged)
        return cls(hit, missed)

    @staticmethod
    def of_arms(lines: list[int], covered: list[int], total: list[int]) -> Hits[str]:
        """Branch arms ``"<line>:<arm>"`` of lines that say how many of their arms were
        taken, not which (Cobertura, JaCoCo): the first ``covered`` are marked hit."""
        taken = [f"{n}:{a}" for n, c in zip(lines, covered, strict=True) for a in range(c)]
        not_taken = [
            f"{n}:{a}" for n, c, t in zip(lines, covered, total, strict=True) for a in range(c, t)
        ]
        return Hits.from_lists(taken, not_taken)

    @property
    def covered(self) -> int:
        """How many entries were hit."""
        return _size(self._hit)

    def hit(self) -> Iterable[K]:
        """The entries that were hit."""
        return cast(Iterable[K], _unpack(self._hit))

    def missed(self) -> Iterable[K]:
        """The entries that were not hit."""
        return cast(Iterable[K], _unpack(self._missed))

    def union(self, other: Mapping[K, int]) -> Hits[K]:
        """Entries of both; an entry is hit if either side hit it."""
        theirs = Hits.from_counts(other)
        hit = set(self.hit())
        hit.update(theirs.hit())
        everything = set(self)
        everything.update(theirs)
        return Hits(sorted(hit), sorted(everything - hit))

    @classmethod
    def union_of(cls, maps: Iterable[Mapping[K, int]]) -> Hits[K]:
        """The union of ``maps`` (an entry is hit if any hit it); empty for none."""
        out: Hits[K] | None = None
        for m in maps:
            out = Hits.from_counts(m) if out is None else out.union(m)
        return out if out is not None else cls((), ())

    def __len__(self) -> int:
        return _size(self._hit) + _size(self._missed)

    def __iter__(self) -> Iterator[K]:
        return iter(cast(Iterable[K], chain(_unpack(self._hit), _unpack(self._missed))))

    def __contains__(self, key: object) -> bool:
        return key in _unpack(self._hit) or key in _unpack(self._missed)

    def __getitem__(self, key: K) -> int:
        if key in _unpack(self._hit):
            return 1
        if key in _unpack(self._missed):
            return 0
        raise KeyError(key)

    def __repr__(self) -> str:
        return f"Hits(covered={self.covered}, total={len(self)})"
