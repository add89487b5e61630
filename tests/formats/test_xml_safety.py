"""Hostile and broken XML reports end in a ReportError that names the file, never elsewhere."""

from __future__ import annotations

import socket
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gitmetrics import formats
from gitmetrics.errors import ReportError
from gitmetrics.formats import _xml, clover, cobertura, jacoco

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "reports"
GCOVR = FIXTURES / "cobertura" / "gcovr-c" / "coverage.xml"
PARSERS = [cobertura, jacoco, clover]
ROOTS = {
    "cobertura": '<coverage line-rate="1" lines-valid="1" lines-covered="1">',
    "jacoco": "<report name='x'>",
    "clover": '<coverage generated="1"><project>',
}
CLOSE = {"cobertura": "</coverage>", "jacoco": "</report>", "clover": "</project></coverage>"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Record (and refuse) every attempt to open a connection while the test runs."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts
    assert attempts == []


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _report(module: ModuleType, prolog: str, body: str) -> str:
    return f'<?xml version="1.0"?>\n{prolog}\n{ROOTS[module.NAME]}{body}{CLOSE[module.NAME]}\n'


def _refused(module: ModuleType, path: Path, **kwargs: Any) -> ReportError:
    with pytest.raises(ReportError) as info:
        module.parse(path, **kwargs)
    assert str(path) in info.value.message
    return info.value


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_billion_laughs_is_refused(module: ModuleType, tmp_path: Path) -> None:
    entities = ['<!ENTITY a0 "lol">'] + [
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    ]
    doctype = f"<!DOCTYPE root [{''.join(entities)}]>"
    path = _write(tmp_path, "laughs.xml", _report(module, doctype, "<x>&a9;</x>"))
    err = _refused(module, path)
    assert "EntitiesForbidden" in err.message


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_external_file_entity_is_never_read(module: ModuleType, tmp_path: Path) -> None:
    secret = _write(tmp_path, "secret.txt", "TOP-SECRET-VALUE")
    doctype = f'<!DOCTYPE root [<!ENTITY x SYSTEM "file://{secret}">]>'
    path = _write(tmp_path, "xxe.xml", _report(module, doctype, "<x>&x;</x>"))
    err = _refused(module, path)
    assert "TOP-SECRET-VALUE" not in str(err)


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_external_http_entity_makes_no_connection(
    module: ModuleType, tmp_path: Path, no_network: list[Any]
) -> None:
    doctype = '<!DOCTYPE root [<!ENTITY x SYSTEM "http://127.0.0.1:9/evil">]>'
    path = _write(tmp_path, "xxe.xml", _report(module, doctype, "<x>&x;</x>"))
    _refused(module, path)


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_parameter_entity_makes_no_connection(
    module: ModuleType, tmp_path: Path, no_network: list[Any]
) -> None:
    doctype = '<!DOCTYPE root [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>'
    path = _write(tmp_path, "param.xml", _report(module, doctype, ""))
    _refused(module, path)


def test_doctype_with_remote_dtd_is_accepted_and_never_fetched(
    tmp_path: Path, no_network: list[Any]
) -> None:
    # gcovr and istanbul write such a DOCTYPE; JaCoCo a PUBLIC one
    for module, doctype in [
        (cobertura, '<!DOCTYPE coverage SYSTEM "http://127.0.0.1:9/coverage-04.dtd">'),
        (jacoco, '<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'),
        (clover, '<!DOCTYPE coverage SYSTEM "https://127.0.0.1:9/clover.dtd">'),
    ]:
        body = '<metrics statements="1" coveredstatements="1"/>' if module is clover else ""
        path = _write(tmp_path, f"{module.NAME}.xml", _report(module, doctype, body))
        module.parse(path)


def test_real_gcovr_report_parses_offline(no_network: list[Any]) -> None:
    assert cobertura.parse(GCOVR).lines_valid == 23


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_report_over_the_cap_is_refused(module: ModuleType) -> None:
    err = _refused(module, GCOVR, max_bytes=1000)
    assert "1,000-byte cap" in err.message
    assert err.hint is not None and "max_report_bytes" in err.hint


def test_cap_is_also_checked_by_the_format_entry_point() -> None:
    with pytest.raises(ReportError, match=r"coverage\.xml: report is 6,691 bytes"):
        formats.parse(GCOVR, "cobertura", max_bytes=1000)


def test_cap_holds_while_streaming(tmp_path: Path) -> None:
    # the size check in the reader, not a stat() before it, stops a growing file or a pipe
    path = _write(tmp_path, "coverage.xml", GCOVR.read_bytes())
    with pytest.raises(ReportError, match="over the 70,000-byte cap"):
        for _ in _xml.iter_elements(path, max_bytes=70_000):
            path.write_bytes(GCOVR.read_bytes() * 20)


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_binary_garbage(module: ModuleType, tmp_path: Path) -> None:
    path = _write(tmp_path, "report.xml", bytes(range(256)) * 4)
    err = _refused(module, path)
    assert "not an XML report" in err.message


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_garbage_inside_xml(module: ModuleType, tmp_path: Path) -> None:
    path = _write(tmp_path, "report.xml", b"<?xml version='1.0'?>\n<coverage \x00\x01\xff>")
    err = _refused(module, path)
    assert "line 2, column 11: not well-formed XML: not well-formed (invalid token)" in err.message


@pytest.mark.parametrize(
    ("module", "report"),
    [
        (cobertura, FIXTURES / "cobertura" / "gcovr-c" / "coverage.xml"),
        (jacoco, FIXTURES / "jacoco" / "java-branches" / "jacoco.xml"),
        (clover, FIXTURES / "clover" / "phpunit-pcov" / "clover.xml"),
    ],
    ids=lambda v: getattr(v, "NAME", ""),
)
@pytest.mark.parametrize("cut", [0.3, 0.7, 0.99])
def test_truncated_real_report(
    module: ModuleType, report: Path, cut: float, tmp_path: Path
) -> None:
    data = report.read_bytes()
    path = _write(tmp_path, report.name, data[: int(len(data) * cut)])
    err = _refused(module, path)
    assert "not well-formed XML" in err.message


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_json_under_an_xml_name(module: ModuleType, tmp_path: Path) -> None:
    path = _write(tmp_path, "coverage.xml", '{"meta": {"format": 3}, "totals": {}}\n')
    err = _refused(module, path)
    assert "not an XML report (it looks like JSON)" in err.message
    assert "meta" not in err.message.removeprefix(str(path))


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
def test_lcov_under_an_xml_name(module: ModuleType, tmp_path: Path) -> None:
    path = _write(tmp_path, "coverage.xml", "TN:\nSF:a.c\nDA:1,1\nend_of_record\n")
    assert "not an XML report (it looks like an LCOV tracefile)" in _refused(module, path).message


@pytest.mark.parametrize("module", PARSERS, ids=lambda m: m.NAME)
@pytest.mark.parametrize("content", [b"", b"   \n\n"])
def test_empty_file(module: ModuleType, content: bytes, tmp_path: Path) -> None:
    path = _write(tmp_path, "coverage.xml", content)
    err = _refused(module, path)
    assert "empty" in err.message or "not well-formed" in err.message


def test_empty_file_through_the_entry_point(tmp_path: Path) -> None:
    path = _write(tmp_path, "coverage.xml", b"")
    with pytest.raises(ReportError, match=r"coverage\.xml: report is empty"):
        formats.parse(path, "cobertura")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.xml"
    with pytest.raises(ReportError, match=r"nope\.xml: cannot read report"):
        cobertura.parse(path)


def test_absurd_nesting_is_refused(tmp_path: Path) -> None:
    body = "<x>" * 5000 + "</x>" * 5000
    path = _write(tmp_path, "deep.xml", _report(cobertura, "", body))
    err = _refused(cobertura, path)
    assert "nested deeper than" in err.message


def test_unknown_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path, "coverage.xml", '<?xml version="1.0" encoding="x-nope"?><coverage/>')
    _refused(cobertura, path)


def test_errors_carry_no_traceback_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "coverage.xml", "<coverage line-rate='1'><packages>")
    err = _refused(cobertura, path)
    assert "Traceback" not in str(err)
    assert err.__cause__ is None


@pytest.mark.slow
def test_large_report_streams_in_bounded_memory(tmp_path: Path) -> None:
    # about 7 MB, almost all of it <method> lines the parser skips: no tree is kept, so the
    # peak is one chunk's worth of start tags (about 1.2 MB), whatever the file's size
    method = "<method name='m' signature='' line-rate='1'><lines>{}</lines></method>".format(
        "".join(f"<line number='{n}' hits='1'/>" for n in range(1, 41))
    )
    classes = "".join(
        f"<class name='c{i}' filename='f{i}.c'><methods>{method * 10}</methods>"
        f"<lines><line number='1' hits='1'/></lines></class>"
        for i in range(600)
    )
    text = _report(cobertura, "", f"<packages><package name='p'><classes>{classes}</classes>")
    text = text.replace("</coverage>", "</package></packages></coverage>")
    path = _write(tmp_path, "coverage.xml", text)
    size = path.stat().st_size
    assert size > 6_000_000
    tracemalloc.start()
    try:
        cov = cobertura.parse(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(cov.files) == 600
    assert peak < size / 3
