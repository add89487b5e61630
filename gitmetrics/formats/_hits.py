"""``Hits``: which lines (or branch arms) of one file were hit, kept compactly.

A report of millions of lines is held as packed keys plus one bit per key instead of a
dict entry per line (about 90 bytes in CPython), so the memory a parse keeps grows with
a fraction of the report's size. Only *whether* an entry was hit is kept: merging reports
needs nothing else (a line is covered if any report covered it).

Keys are packed in the smallest of these forms that gives them back unchanged:

- ``bytes``: increasing line numbers as the gaps between them (the first from 0), one
  byte a line, for files whose lines are listed in order with gaps under 256;
- ``array``: any other integers, 2 bytes each for files under 65,536 lines;
- :class:`Arms`: LCOV's numeric branch keys ``"<line>,<block>,<branch>"``, 4 bytes each;
- :class:`LineArms`: the keys ``"<line>:<arm>"`` of :meth:`Hits.of_arms`, 4 bytes each;
- ``str``: other string keys joined by NUL;
- ``tuple``: anything else.

Which keys were hit is either a count (the first ``n`` keys were hit, the rest not) or a
bitmap with a bit per key (most significant bit first).
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import (
    Collection,
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
    ValuesView,
)
from itertools import accumulate, chain, compress, islice, repeat
from operator import add, and_, getitem, lshift, not_, or_, rshift
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar, cast

K = TypeVar("K", int, str)

_BIG_ENDIAN = sys.byteorder == "big"

# the separator of packed string keys; a key holding it is kept in a tuple instead
_SEP = "\x00"


class Arms(array):  # type: ignore[type-arg]
    """LCOV branch keys ``"<line>,<block>,<branch>"`` packed as ``line << 16 | block << 8
    | branch`` (block and branch below 256, no leading zeros)."""

    __slots__ = ()


class LineArms(array):  # type: ignore[type-arg]
    """Branch keys ``"<line>:<arm>"`` (Cobertura, JaCoCo) packed as ``line << 8 | arm``
    (arm below 256)."""

    __slots__ = ()


if TYPE_CHECKING:
    Packed: TypeAlias = "bytes | array[int] | Arms | LineArms | str | tuple[object, ...]"

# a byte 0 or 1 per key <-> the ASCII digits int(_, 2) reads and format(_, "b") writes
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_DIGITS = bytes.maketrans(b"01", b"\x00\x01")


def pack_bits(flags: bytes) -> bytes:
    """A byte 0 or 1 per key as a bitmap (most significant bit first, zero-padded)."""
    pad = -len(flags) % 8
    if not flags:
        return b""
    return int(flags.translate(_TO_DIGITS) + b"0" * pad, 2).to_bytes((len(flags) + pad) // 8)


def unpack_bits(bits: bytes, n: int) -> bytes:
    """The first ``n`` bits of ``bits`` as a byte 0 or 1 each."""
    if not n:
        return b""
    text = format(int.from_bytes(bits), f"0{8 * len(bits)}b")
    return text.encode("ascii", "strict")[:n].translate(_FROM_DIGITS)


def gaps(lines: Sequence[int]) -> bytes | None:
    """Increasing ``lines`` as the gaps between them (the first from 0), one byte each;
    ``None`` unless every gap is 1 to 255.

    The gaps are taken all at once on one big integer holding the lines as 16-bit lanes:
    ``x - (x << 16)`` leaves in each lane a line minus the one before it, and when every
    lane comes out 1 to 255 the lines were increasing (the subtraction is one-to-one).
    """
    n = len(lines)
    if not n:
        return b""
    try:
        x = int.from_bytes(struct.pack(f"<{n}H", *lines), "little")
    except struct.error:  # a line over 65,535 (or a negative one)
        return None
    try:
        diff = (x - ((x << 16) & ((1 << 16 * n) - 1))).to_bytes(2 * n, "little")
    except OverflowError:  # a line lower than the one before it
        return None
    packed = diff[0::2]
    if diff[1::2].count(0) != n or b"\x00" in packed:
        return None
    return packed


def increasing(keys: bytes | bytearray) -> bool:
    """Whether the 32-bit little-endian lanes of ``keys`` strictly increase."""
    n = len(keys) // 4
    x = int.from_bytes(keys, "little")
    try:
        diff = array("I", (x - ((x << 32) & ((1 << 32 * n) - 1))).to_bytes(4 * n, "little"))
    except OverflowError:
        return False
    if _BIG_ENDIAN:
        diff.byteswap()
    # each lane 1 or more, adding up to the last key: the lanes were its increasing steps
    return 0 not in diff and sum(diff) == int.from_bytes(keys[-4:], "little")


def _pack(keys: Collection[object], *, ordered: bool = True) -> Packed:
    """``keys`` in the smallest form that gives them back unchanged (``ordered=False``:
    integers known not to be in increasing order, not worth trying as gaps)."""
    if not keys:
        return ()
    first = next(iter(keys))
    if isinstance(first, str):
        joined = _SEP.join(cast(Collection[str], keys))
        if joined.count(_SEP) == len(keys) - 1 and joined:
            return joined
        return tuple(keys)
    if isinstance(first, int) and not isinstance(first, bool):
        as_gaps = None
        if ordered and isinstance(keys, Sequence):
            as_gaps = gaps(cast(Sequence[int], keys))
        if as_gaps is not None:
            return as_gaps
        # 2 bytes a line for files under 65,536 lines, which is nearly all of them; made
        # through struct, which converts the keys at a third of the cost of array("H", keys)
        # (array's per-item argument parsing); struct refuses what array("H") refuses
        try:
            short = array("H")
            short.frombytes(struct.pack(f"={len(keys)}H", *cast(Iterable[int], keys)))
            return short
        except struct.error:
            pass
        for code in ("I", "Q"):
            try:
                return array(code, cast(Iterable[int], keys))
            except (OverflowError, TypeError):
                continue
    return tuple(keys)


def _unpack(packed: Packed) -> Iterable[object]:
    if isinstance(packed, bytes):
        return accumulate(packed)
    if isinstance(packed, Arms):
        return map("{},{},{}".format, *_arm_columns(packed))
    if isinstance(packed, LineArms):
        return map("{}:{}".format, map(rshift, packed, repeat(8)), map(and_, packed, repeat(255)))
    if isinstance(packed, str):
        return packed.split(_SEP)
    return packed


def _arm_columns(arms: Arms) -> tuple[Iterable[int], Iterable[int], Iterable[int]]:
    return (
        map(rshift, arms, repeat(16)),
        map(and_, map(rshift, arms, repeat(8)), repeat(255)),
        map(and_, arms, repeat(255)),
    )


def _size(packed: Packed) -> int:
    if isinstance(packed, str):
        return packed.count(_SEP) + 1
    return len(packed)


class Hits(Mapping[K, int], Generic[K]):
    """A read-only map of entry -> 1 (hit) or 0 (not hit), stored packed.

    Entries are line numbers for most formats, statement ids for Go and format-specific
    strings such as ``"12:0:1"`` for branches. ``covered`` is how many were hit and
    ``len()`` how many there are; ``items()`` gives each entry with its state in the
    order the entries are kept (line order for a format that lists lines in order).
    """

    __slots__ = ("_flags", "_keys")

    _keys: Packed
    _flags: int | bytes  # how many leading keys were hit, or a bit per key

    def __init__(self, hit: Collection[K], missed: Collection[K]) -> None:
        """``hit`` and ``missed`` must be disjoint and free of repeats."""
        if not missed:
            self._keys, self._flags = _pack(hit), len(hit)
        elif not hit:
            self._keys, self._flags = _pack(missed), 0
        else:
            # (hit, then missed: rarely in line order)
            self._keys, self._flags = _pack([*hit, *missed], ordered=False), len(hit)

    @classmethod
    def packed(cls, keys: Packed, bits: bytes | int) -> Hits[K]:
        """From keys already packed (``bytes`` gaps, ``array``, :class:`Arms`, joined
        ``str``) and a bitmap of the hit ones as :func:`pack_bits` makes it (or how many
        leading keys were hit)."""
        out: Hits[K] = cls.__new__(cls)
        out._keys, out._flags = keys, bits
        return out

    @classmethod
    def from_counts(cls, counts: Mapping[K, int]) -> Hits[K]:
        """From a map of entry -> hit count (any count above 0 is a hit)."""
        if isinstance(counts, Hits):
            return counts
        keys = list(counts)
        flags = bytes(map((0).__lt__, counts.values()))
        return cls._from_flags(keys, flags)

    @classmethod
    def _from_flags(cls, keys: list[K], flags: bytes) -> Hits[K]:
        """Keys (free of repeats) with a byte 0 or 1 each."""
        if b"\x00" not in flags:
            return cls(keys, ())
        if b"\x01" not in flags:
            return cls((), keys)
        packed = _pack(keys)
        if isinstance(packed, bytes | array | str):
            return cls.packed(packed, pack_bits(flags))
        hit = list(compress(keys, flags))
        return cls(hit, list(compress(keys, map(not_, flags))))

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
        packed = _line_arms(lines, covered, total)
        if packed is not None:
            return packed
        taken = [f"{n}:{a}" for n, c in zip(lines, covered, strict=True) for a in range(c)]
        not_taken = [
            f"{n}:{a}" for n, c, t in zip(lines, covered, total, strict=True) for a in range(c, t)
        ]
        return Hits.from_lists(taken, not_taken)

    def _keys_seq(self) -> Iterable[K]:
        return cast(Iterable[K], _unpack(self._keys))

    def _flag_bytes(self) -> bytes:
        """A byte 0 or 1 per key, in key order."""
        flags = self._flags
        if isinstance(flags, int):
            return b"\x01" * flags + b"\x00" * (len(self) - flags)
        return unpack_bits(flags, len(self))

    @property
    def covered(self) -> int:
        """How many entries were hit."""
        flags = self._flags
        return flags if isinstance(flags, int) else int.from_bytes(flags).bit_count()

    def hit(self) -> Iterable[K]:
        """The entries that were hit."""
        if isinstance(self._flags, int):
            return islice(self._keys_seq(), self._flags)
        return compress(self._keys_seq(), self._flag_bytes())

    def missed(self) -> Iterable[K]:
        """The entries that were not hit."""
        if isinstance(self._flags, int):
            return islice(self._keys_seq(), self._flags, None)
        return compress(self._keys_seq(), map(not_, self._flag_bytes()))

    def items(self) -> ItemsView[K, int]:
        """Each entry with 1 (hit) or 0, in the order they are kept."""
        return _Items(self)

    def values(self) -> ValuesView[int]:
        """1 (hit) or 0 for each entry, in the order they are kept."""
        return _Values(self)

    def union(self, other: Mapping[K, int]) -> Hits[K]:
        """Entries of both; an entry is hit if either side hit it."""
        theirs = Hits.from_counts(other)
        hit = set(self.hit())
        hit.update(theirs.hit())
        everything = set(self)
        everything.update(theirs)
        keys = sorted(everything)
        return Hits._from_flags(keys, bytes(map(hit.__contains__, keys)))

    @classmethod
    def union_of(cls, maps: Iterable[Mapping[K, int]]) -> Hits[K]:
        """The union of ``maps`` (an entry is hit if any hit it); empty for none."""
        out: Hits[K] | None = None
        for m in maps:
            out = Hits.from_counts(m) if out is None else out.union(m)
        return out if out is not None else cls((), ())

    def __len__(self) -> int:
        return _size(self._keys)

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys_seq())

    def __contains__(self, key: object) -> bool:
        return key in cast(Iterable[object], self._keys_seq())

    def __getitem__(self, key: K) -> int:
        keys = self._keys_seq()
        try:
            i = (keys if isinstance(keys, list | tuple | array) else list(keys)).index(key)
        except ValueError:
            raise KeyError(key) from None
        flags = self._flags
        if isinstance(flags, int):
            return 1 if i < flags else 0
        return (flags[i >> 3] >> (7 - (i & 7))) & 1

    def __reduce__(self) -> tuple[object, ...]:
        return (Hits.packed, (self._keys, self._flags))

    def __repr__(self) -> str:
        return f"Hits(covered={self.covered}, total={len(self)})"


# the hit flags of a line's arms, by [arms][covered arms], for up to 8 arms
_ARM_FLAGS = tuple(tuple(b"\x01" * c + b"\x00" * (t - c) for c in range(t + 1)) for t in range(9))


def _line_arms(lines: list[int], covered: list[int], total: list[int]) -> Hits[str] | None:
    """:meth:`Hits.of_arms` with no string per arm, ``None`` unless every line appears
    once and is below 2**24, and every line has at most 8 arms.

    Building a string ``"12:0"`` per arm took a tenth of a Cobertura parse: the keys are
    packed as :class:`LineArms` (formatted only when read), line by line, and each
    line's flags come from a table.
    """
    n = len(lines)
    if not n or len(set(lines)) != n or min(lines) < 0 or max(lines) >= 1 << 24:
        return None
    if max(total) > 8 or min(covered) < 0:
        return None
    try:
        flags = b"".join(map(getitem, map(_ARM_FLAGS.__getitem__, total), covered))
    except IndexError:  # more covered arms than arms: the general path keeps them all
        return None
    starts = list(map(lshift, lines, repeat(8)))
    if total.count(total[0]) == n:
        # the usual case, every line with as many arms: one column per arm, interleaved
        columns = (map(or_, starts, repeat(arm)) for arm in range(total[0]))
        keys = LineArms("I", chain.from_iterable(zip(*columns, strict=True)))
    else:
        keys = LineArms("I", chain.from_iterable(map(range, starts, map(add, starts, total))))
    if not keys:
        return Hits((), ())
    return Hits.packed(keys, pack_bits(flags))


class _Items(ItemsView[K, int]):
    """``Hits.items()`` in one pass (the mixin's would look every key up)."""

    _mapping: Hits[K]

    def __iter__(self) -> Iterator[tuple[K, int]]:
        hits = self._mapping
        return zip(hits._keys_seq(), hits._flag_bytes(), strict=True)


class _Values(ValuesView[int]):
    """``Hits.values()`` in one pass."""

    _mapping: Hits[int] | Hits[str]

    def __iter__(self) -> Iterator[int]:
        return iter(self._mapping._flag_bytes())
