"""Safe, streaming XML reading shared by the XML report formats.

Reports come from other people's CI, so they are hostile input: entity declarations
(billion laughs) and external entities are refused by defusedxml, a DOCTYPE is allowed
(JaCoCo, istanbul and gcovr all write one) but its DTD is never fetched, the file is read
in chunks with a byte cap, and no tree is built: callers get each element's start tag
(name, attributes, ancestors, line number) and keep only the counts they need, so memory
stays flat on a 100 MB report. Every failure becomes a ``ReportError`` naming the file.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.common import EntitiesForbidden, ExternalReferenceForbidden

from gitmetrics.errors import ReportError
from gitmetrics.formats._common import digits_value, open_regular, over_cap

_CHUNK = 256 * 1024
T = TypeVar("T")
#: Real reports nest about ten deep; far deeper means a hostile or broken file.
MAX_DEPTH = 200
#: the root elements of the XML formats gitmetrics knows (and of a few it does not)
KNOWN_ROOTS = frozenset({"coverage", "report", "project", "html", "testsuites", "testsuite"})


class Element(NamedTuple):
    """One start tag: local name, attributes, the names of its ancestors and its line."""

    # a NamedTuple, not a frozen dataclass: one is built per element of a 100 MB report

    tag: str
    attrib: Mapping[str, str]
    parents: tuple[str, ...]
    line: int

    @property
    def parent(self) -> str | None:
        """The local name of the enclosing element, ``None`` for the root."""
        return self.parents[-1] if self.parents else None


def _local(tag: str) -> str:
    # the expat namespace separator is "}" ("{uri}name"); these formats use no namespace
    return tag.rpartition("}")[2]


class _Collector:
    """An ElementTree parser target that records start tags instead of building a tree."""

    def __init__(self) -> None:
        self.events: list[Element] = []
        #: the ancestors tuple of each open element, innermost last
        self.stack: list[tuple[str, ...]] = [()]
        self.expat: Any = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = tag.rpartition("}")[2] if "}" in tag else tag
        parents = self.stack[-1]
        line = self.expat.CurrentLineNumber
        if len(parents) >= MAX_DEPTH:
            raise _TooDeep(line)
        self.events.append(Element(name, attrib, parents, line))
        self.stack.append((*parents, name))

    def end(self, tag: str) -> None:
        self.stack.pop()

    def close(self) -> None:
        return None


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def iter_elements(path: Path, *, max_bytes: int) -> Iterator[Element]:
    """Every element of ``path`` in document order, as it is read; ``ReportError`` on any flaw."""
    collector = _Collector()
    for _ in _feed(path, max_bytes, collector):
        yield from _drain(collector)


class _Direct(_Collector):
    """Calls a handler for each start tag straight from expat: no element objects at all."""

    def __init__(self, handler: StartHandler, cutter: Cutter | None = None) -> None:
        super().__init__()
        self.handler = handler
        self.names: list[str] = []
        self.cutter = cutter

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = tag.rpartition("}")[2] if "}" in tag else tag
        names = self.names
        if len(names) >= MAX_DEPTH:
            raise _TooDeep(self.expat.CurrentLineNumber)
        self.handler(name, attrib, names)
        names.append(name)

    def end(self, tag: str) -> None:
        self.names.pop()

    def element(self, name: str, attrib: Mapping[str, str]) -> Element:
        """The element being started, for error messages (its line is expat's current one)."""
        return Element(name, attrib, tuple(self.names), self.expat.CurrentLineNumber)


#: called with the local name, the attributes and the names of the open ancestors
StartHandler = Callable[[str, dict[str, str], list[str]], None]


def walker(handler: StartHandler, cutter: Cutter | None = None) -> _Direct:
    """A walker calling ``handler`` for every start tag; :func:`run` feeds it a file.

    The fastest way through a big report: no object is built per element. While the
    handler runs, the walker's ``element(name, attrib)`` builds an :class:`Element` for
    an error message. With a :class:`Cutter`, runs of simple elements never reach expat
    as elements; the cutter's handler gets each run where it stood in the document.
    """
    return _Direct(handler, cutter)


class NotCut(Exception):
    """A cut run was never seen by expat as element content: read the file uncut."""


#: the target of the processing instruction that stands for a cut run
CUT_TARGET = "gitmetrics-cut"


class Cut(NamedTuple, Generic[T]):
    """One kind of run a :class:`Cutter` takes out: the text between ``open_tag`` and
    ``close_tag`` (with ``open_end``, from the end of the start tag the open tag begins:
    e.g. ``b"<sourcefile "``, ``b">"``)."""

    open_tag: bytes
    close_tag: bytes
    extract: Callable[[bytes], T | None]
    on_cut: Callable[[T, list[str]], None]
    open_end: bytes = b""


class Cutter:
    """Takes runs of simple elements out of the bytes before expat reads them.

    Per-element Python calls are what make a parser slow (expat calling even an empty
    Python function per tag runs at a third of its bare speed). A big report is mostly
    a few kinds of simple elements, e.g. Cobertura's ``<line number="3" hits="1"/>``
    inside ``<lines>...</lines>``. For each :class:`Cut`, the cutter finds the text
    between its open and close tags; when ``extract`` accepts it (it must accept only
    text that is nothing but well-formed simple elements and whitespace, and return
    what they say), the text is replaced by a processing instruction
    ``<?gitmetrics-cut KEY?>`` and ``on_cut`` is called with the extract and the open
    element names when expat reaches it. expat still reads the rest of the document, so
    well-formedness and the entity refusals hold for it, and the cut text is well-formed
    by ``extract``'s own check.

    Text that looked like a run but was not element content (inside a comment, CDATA
    section or processing instruction) leaves its instruction unreported: :meth:`done`
    then raises :class:`NotCut` and the caller reads the file again without a cutter.
    Line numbers expat reports are those of the cut text, so callers also re-read on
    any error, to name the right line.
    """

    def __init__(self, *cuts: Cut[Any]) -> None:
        self.cuts = cuts
        self.pending: dict[str, tuple[Cut[Any], Any]] = {}
        self.carry = b""
        self.made = 0
        self.longest = max(len(c.open_tag) for c in cuts)
        # instructions of the document itself never match ours: they can't guess this
        self.nonce = secrets.token_hex(8)

    def feed(self, chunk: bytes, final: bool) -> bytes:
        """What expat should read of ``chunk``; text that may be cut is held back."""
        buf = self.carry + chunk if self.carry else chunk
        out: list[bytes] = []
        pos = 0
        # where each cut's open tag is next found (a cache: finds are not repeated)
        found_at = [buf.find(c.open_tag) for c in self.cuts]
        while True:
            for k, at in enumerate(found_at):
                if 0 <= at < pos:
                    found_at[k] = buf.find(self.cuts[k].open_tag, pos)
            nearest = [(at, k) for k, at in enumerate(found_at) if at >= 0]
            if not nearest:
                # the end may hold the first bytes of an open tag
                keep = len(buf) if final else max(pos, len(buf) - self.longest + 1)
                break
            i, k = min(nearest)
            cut = self.cuts[k]
            body = i + len(cut.open_tag)
            if cut.open_end:
                e = buf.find(cut.open_end, body)
                if e < 0:
                    keep = len(buf) if final else i
                    break
                if buf[e - 1 : e] == b"/":  # an empty element: no run in it
                    out.append(buf[pos : e + 1])
                    pos = e + 1
                    continue
                body = e + len(cut.open_end)
            j = buf.find(cut.close_tag, body)
            if j < 0:
                keep = len(buf) if final else i
                break
            extracted = cut.extract(buf[body:j])
            if extracted is None:
                out.append(buf[pos:j])
            else:
                self.made += 1
                key = f"{self.nonce}-{self.made}"
                self.pending[key] = (cut, extracted)
                out.append(buf[pos:body])
                out.append(b"<?%s %s?>" % (CUT_TARGET.encode(), key.encode()))
            pos = j
        out.append(buf[pos:keep])
        self.carry = buf[keep:]
        return b"".join(out)

    def take(self, target: str, data: str, names: list[str]) -> None:
        """expat met a processing instruction: hand a cut run to its ``on_cut``."""
        if target == CUT_TARGET:
            found = self.pending.pop(data, None)
            if found is not None:
                found[0].on_cut(found[1], names)

    def done(self) -> None:
        """:class:`NotCut` unless expat met every cut run as element content."""
        if self.pending:
            raise NotCut(f"{len(self.pending)} cut runs were not element content")


def run(path: Path, direct: _Direct, *, max_bytes: int) -> None:
    """Feed ``path`` to a walker from :func:`walker`; ``ReportError`` on any flaw.

    With a cutter, :class:`NotCut` says the file must be read again without one.
    """
    for _ in _feed(path, max_bytes, direct):
        pass
    if direct.cutter is not None:
        direct.cutter.done()


def _feed(path: Path, max_bytes: int, collector: _Collector) -> Iterator[None]:
    """Read ``path`` in chunks into a parser for ``collector``; yields after each chunk."""
    parser = _parser(collector)
    cutter: Cutter | None = None
    if isinstance(collector, _Direct) and collector.cutter is not None:
        cutter = collector.cutter
        # the open elements, innermost last, as expat goes
        take, names = cutter.take, collector.names
        parser.ProcessingInstructionHandler = lambda t, d: take(t, d, names)
    read = 0
    fh, _ = open_regular(path)
    with fh:
        while True:
            try:
                chunk = fh.read(_CHUNK)
            except OSError as exc:
                raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None
            read += len(chunk)
            if read > max_bytes:
                # checked while reading too: the file may grow, or be a pipe or device
                raise over_cap(path, max_bytes)
            if not chunk:
                if read == 0:
                    raise ReportError(f"{path}: report is empty")
                rest = cutter.feed(b"", True) if cutter is not None else b""
                _guard(path, collector, parser.Parse, rest, True)
                yield None
                return
            if read == len(chunk):
                _check_start(path, chunk)
            if cutter is not None:
                chunk = cutter.feed(chunk, False)
            _guard(path, collector, parser.Parse, chunk, False)
            yield None


def _parser(collector: _Collector) -> Any:
    """An expat parser feeding ``collector``, with defusedxml's refusals.

    expat is used directly rather than through ElementTree's Python ``XMLParser``, which
    costs several Python calls per element; the refusals are the ones defusedxml installs
    (entity declarations, external references), and a DOCTYPE's DTD is never fetched.
    """
    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end

    def entity(name: str, *args: Any) -> None:
        raise EntitiesForbidden(name, None, None, None, None, None)

    def external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external
    collector.expat = parser
    return parser


def _check_start(path: Path, first: bytes) -> None:
    """A clear message for the usual mistake: a JSON, LCOV or binary file under an XML name."""
    text = first.removeprefix(b"\xef\xbb\xbf").lstrip()
    if (
        text
        and not text.startswith(b"<")
        and not text.startswith((b"\xff\xfe<\x00", b"\xfe\xff\x00<"))
    ):
        raise ReportError(
            f"{path}: line 1: not an XML report ({_looks_like(text)})",
            "point repos.yaml at the XML report, or set `format:` to the report's real format",
        )


def _looks_like(text: bytes) -> str:
    """What a file that is not XML seems to be, said without quoting it."""
    if b"\x00" in text[:4096]:
        return "it holds binary data"
    if text.startswith((b"{", b"[")):
        return "it looks like JSON"
    if text.startswith((b"TN:", b"SF:")):
        return "it looks like an LCOV tracefile"
    if text.startswith(b"mode:"):
        return "it looks like a Go coverprofile"
    return "it does not start with '<'"


def _drain(collector: _Collector) -> Iterator[Element]:
    events, collector.events = collector.events, []
    yield from events


def _guard(path: Path, collector: _Collector, step: Callable[..., object], *args: object) -> None:
    """Run one parser step, turning every parser failure into a ``ReportError``."""
    try:
        step(*args)
    except (ParseError, expat.ExpatError) as exc:
        if isinstance(exc, expat.ExpatError):
            line: int | None = exc.lineno
            column: int | None = exc.offset + 1
        else:
            line, column = getattr(exc, "position", None) or (None, None)
        raise ReportError(
            f"{path}: {_where(line, column)}not well-formed XML: {_reason(exc)}",
            "the report is truncated or not XML; regenerate it",
        ) from None
    except DefusedXmlException as exc:
        raise ReportError(
            f"{path}: {_where(_line_of(collector))}refused: {type(exc).__name__}"
            " (entity declarations and external entities are never expanded)",
            "generate the report with its tool's own writer; it never needs entities",
        ) from None
    except _TooDeep as exc:
        raise ReportError(
            f"{path}: line {exc.line}: elements nested deeper than {MAX_DEPTH} levels"
        ) from None
    except (ValueError, LookupError, UnicodeError) as exc:
        # e.g. an unknown encoding in the XML declaration (its name is not repeated here)
        raise ReportError(
            f"{path}: {_where(_line_of(collector))}cannot decode the report"
            f" ({type(exc).__name__}: an unknown or unusable encoding)",
            "write the report as UTF-8",
        ) from None


def _line_of(collector: _Collector) -> int | None:
    expat = collector.expat
    return int(expat.CurrentLineNumber) if expat is not None else None


def _where(line: int | None, column: int | None = None) -> str:
    if not line:
        return ""
    return f"line {line}, column {column}: " if column else f"line {line}: "


def _reason(exc: ParseError | expat.ExpatError) -> str:
    # expat's messages are fixed texts ("mismatched tag"), never the document's own;
    # it adds ": line 3, column 0", which is already in front of the message
    if isinstance(exc, expat.ExpatError):
        return expat.ErrorString(exc.code) or "unknown error"
    return re.sub(r":\s*line \d+, column \d+$", "", str(exc))


def expect_root(path: Path, element: Element, *names: str, format_name: str) -> None:
    """``ReportError`` unless ``element`` is the root and is named one of ``names``."""
    if element.parents or element.tag not in names:
        wanted = " or ".join(f"<{n}>" for n in names)
        # a root of another known format is named; any other name could be anything
        found = f"<{element.tag}>" if element.tag in KNOWN_ROOTS else "an unknown element"
        raise ReportError(
            f"{path}: line {element.line}: root element is {found}, not {wanted}",
            f"this is not a {format_name} report; set `format:` in repos.yaml",
        )


def count(path: Path, element: Element, name: str) -> int | None:
    """A whole-number attribute from 0 to 2**53, ``None`` when absent; ``ReportError`` if bad."""
    raw = element.attrib.get(name)
    if raw is None:
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise ReportError(
            f"{path}: line {element.line}: <{element.tag}> {name} is not a non-negative"
            " whole number",
            "the report is damaged; regenerate it",
        )
    return digits_value(text, f"{path}: line {element.line}: <{element.tag}> {name}")


def required_count(path: Path, element: Element, name: str) -> int:
    """Like :func:`count`, but a missing attribute is a ``ReportError`` too."""
    value = count(path, element, name)
    if value is None:
        raise ReportError(
            f"{path}: line {element.line}: <{element.tag}> has no {name} attribute",
            "the report is damaged; regenerate it",
        )
    return value


def check_pair(path: Path, element: Element, covered: int, total: int, what: str) -> None:
    """``ReportError`` when a covered count is larger than its total."""
    if covered > total:
        raise ReportError(
            f"{path}: line {element.line}: <{element.tag}> says {covered} of {total} {what}"
            " are covered",
            "the report is damaged; regenerate it",
        )


_PROLOG = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?\s*
    (?:<\?xml[^>]*\?>\s*)?
    (?:(?:<!--.*?-->|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>)\s*)*
    <(?P<tag>[A-Za-z_][\w.:-]*)(?P<attrs>[^>]*)>""",
    re.VERBOSE | re.DOTALL,
)
_DOCTYPE = re.compile(rb"<!DOCTYPE\s+(?:[^\[>]|\[.*?\])*>", re.DOTALL)


@dataclass(frozen=True)
class Head:
    """What the first bytes of a file say: root tag, its attributes text, doctype, rest."""

    root: str
    attrs: bytes
    doctype: bytes
    after_root: bytes


def sniff(head: bytes) -> Head | None:
    """The root start tag of an XML document from its first bytes, ``None`` if not XML."""
    match = _PROLOG.match(head)
    if match is None:
        return None
    doctype = _DOCTYPE.search(head, 0, match.start("tag"))
    return Head(
        root=_local(match.group("tag").decode("ascii", "replace").replace(":", "}")),
        attrs=match.group("attrs"),
        doctype=doctype.group(0) if doctype else b"",
        after_root=head[match.end() :],
    )


def first_child_tag(after_root: bytes) -> str | None:
    """The name of the first element after the root's start tag, skipping comments."""
    text = re.sub(rb"<!--.*?-->|<\?.*?\?>", b"", after_root, flags=re.DOTALL)
    match = re.search(rb"<([A-Za-z_][\w.:-]*)", text)
    return match.group(1).decode("ascii", "replace") if match else None
