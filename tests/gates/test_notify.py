"""Alerts through a real SMTP server (STARTTLS, login) and a real HTTP server, on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gitmetrics import config as configmod
from gitmetrics import notify
from gitmetrics.errors import ConfigError
from tests.gates.conftest import git, make_repo, set_report, write_config
from tests.helpers import fsck, invoke

PASSWORD = "s3cret-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and localhost), made here."""
    d = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    crt = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = d / "cert.pem", d / "key.pem"
    cert_file.write_bytes(crt.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Inbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "msg": email.message_from_bytes(envelope.content, policy=email.policy.default),
                "tls": session.ssl is not None,
            }
        )
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == PASSWORD.encode()
        if isinstance(data, LoginPassword):
            self.logins.append((data.login, data.password))
        return AuthResult(success=ok)


@pytest.fixture
def smtp(cert: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 that requires STARTTLS before login."""
    inbox = Inbox()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=ctx,
        require_starttls=True,
        authenticator=inbox.authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


class Hooks:
    """What the webhook server received."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []


@pytest.fixture
def webhook() -> Iterator[tuple[Hooks, int]]:
    """A real HTTP server on 127.0.0.1 that records JSON POSTs."""
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hooks.posts.append(
                {
                    "path": self.path,
                    "type": self.headers["Content-Type"],
                    "auth": self.headers.get("Authorization"),
                    "json": json.loads(body),
                }
            )
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hooks, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def setup(tmp_path: Path, smtp_port: int, hook_port: int, cert: Path) -> Path:
    make_repo(tmp_path, "api", 70)
    make_repo(tmp_path, "web", 90)
    return write_config(
        tmp_path / "repos.yaml",
        {"api": "service", "web": "frontend"},
        {
            "rules": {"min_coverage": 80},
            "notify": {
                "email": {
                    "host": "127.0.0.1",
                    "port": smtp_port,
                    "security": "starttls",
                    "username": "alerts",
                    "password_env": "GM_TEST_SMTP_PASSWORD",
                    "from": "gitmetrics@example.com",
                    "to": ["team@example.com", "lead@example.com"],
                    "tls_ca_file": str(cert),
                    "timeout": 5,
                },
                "webhooks": [
                    {
                        "name": "chat",
                        "url": f"http://127.0.0.1:{hook_port}/slack",
                        "format": "slack",
                    },
                    {
                        "name": "ops",
                        "url": f"http://127.0.0.1:{hook_port}/ops",
                        "token_env": "GM_TEST_TOKEN",
                    },
                ],
            },
        },
    )


def watch_once(cfg: Path, *extra: str) -> Any:
    res = invoke("watch", "--once", "-c", str(cfg), *extra)
    assert res.exit_code in (0, 3), res.output  # 3 while a rule is broken
    return res


def state(store: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(git(store, "show", f"HEAD:{notify.STATE_PATH}"))
    return data


def test_alerts_once_per_breach_then_a_recovery(
    tmp_path: Path,
    smtp: tuple[Inbox, int],
    webhook: tuple[Hooks, int],
    cert: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GM_TEST_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("GM_TEST_TOKEN", "tok-123")
    inbox, smtp_port = smtp
    hooks, hook_port = webhook
    cfg = setup(tmp_path, smtp_port, hook_port, cert[0])
    api_commit = git(tmp_path / "api", "rev-parse", "HEAD")

    # round 1: api is below the floor -> one e-mail, one post per webhook
    out = watch_once(cfg)
    assert "alert sent via email: 1 new, 0 recovered" in out.output
    assert len(inbox.messages) == 1
    m = inbox.messages[0]
    assert m["tls"] is True  # delivered after STARTTLS
    assert inbox.logins == [(b"alerts", PASSWORD.encode())]
    assert m["from"] == "gitmetrics@example.com"
    assert m["to"] == ["team@example.com", "lead@example.com"]
    assert m["msg"]["Subject"] == "[gitmetrics] 1 new coverage breach"
    body = m["msg"].get_content().replace("\r\n", "\n")
    assert "New breaches:" in body
    assert "api: min_coverage: coverage 70.00% is below the floor of 80%" in body
    assert f"[source {api_commit[:10]}]" in body  # the source commit of the latest collection
    assert "web" not in body
    by_path = {p["path"]: p for p in hooks.posts}
    assert set(by_path) == {"/slack", "/ops"}
    assert by_path["/slack"]["json"] == {"text": body}  # Slack-compatible
    ops = by_path["/ops"]
    assert ops["auth"] == "Bearer tok-123" and ops["type"] == "application/json"
    assert ops["json"]["event"] == "gitmetrics.alert"
    assert [(b["repo"], b["rule"], b["value"], b["limit"]) for b in ops["json"]["new"]] == [
        ("api", "min_coverage", 70.0, 80.0)
    ]
    assert ops["json"]["new"][0]["to_commit"] == api_commit
    st = state(tmp_path / "metrics")
    assert set(st["channels"]) == {"email", "webhook:chat", "webhook:ops"}
    assert list(st["channels"]["email"]) == ["api:min_coverage"]

    # round 2: the breach stands -> nothing is sent again
    out = watch_once(cfg)
    assert "alert sent" not in out.output and "breach api" in " ".join(out.output.split())
    assert "no new alerts (1 breach(es) already reported)" in out.output
    assert len(inbox.messages) == 1 and len(hooks.posts) == 2

    # round 3: api recovers -> one recovery notice per channel
    set_report(tmp_path / "api", 85)
    out = watch_once(cfg)
    assert "alert sent via email: 0 new, 1 recovered" in out.output
    assert len(inbox.messages) == 2
    m = inbox.messages[1]
    assert m["msg"]["Subject"] == "[gitmetrics] 1 recovered"
    assert "Recovered:\n  - api: min_coverage is met again (was 70.0, limit 80.0)" in (
        m["msg"].get_content().replace("\r\n", "\n")
    )
    recovered = next(p for p in hooks.posts[2:] if p["path"] == "/ops")["json"]["recovered"]
    assert [(r["repo"], r["rule"]) for r in recovered] == [("api", "min_coverage")]
    assert state(tmp_path / "metrics")["channels"]["email"] == {}
    # the alert state lives in its own commits; the store stays valid for git
    fsck(tmp_path / "metrics")
    subjects = git(tmp_path / "metrics", "log", "--format=%s").splitlines()
    assert subjects[0] == "alerts: 3 notification(s) sent"
    assert sum(s.startswith("collect:") for s in subjects) == 3


def test_a_failed_delivery_is_reported_kept_and_retried(
    tmp_path: Path,
    smtp: tuple[Inbox, int],
    webhook: tuple[Hooks, int],
    cert: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GM_TEST_TOKEN", "tok")
    inbox, smtp_port = smtp
    hooks, hook_port = webhook
    cfg = setup(tmp_path, smtp_port, hook_port, cert[0])
    # the password variable is missing: e-mail fails; a dead port: no server listens there
    monkeypatch.delenv("GM_TEST_SMTP_PASSWORD", raising=False)
    dead = free_port()
    text = cfg.read_text().replace(f"127.0.0.1:{hook_port}/ops", f"127.0.0.1:{dead}/ops")
    cfg.write_text(text)
    out = watch_once(cfg)
    flat = " ".join(out.output.split())
    assert "alert not delivered via email: ConfigError:" in flat
    assert "GM_TEST_SMTP_PASSWORD is not set" in flat
    assert "alert not delivered via webhook:ops: URLError:" in flat
    assert "alert sent via webhook:chat: 1 new" in flat
    # the collection is committed all the same
    store = tmp_path / "metrics"
    assert git(store, "log", "-1", "--format=%s", "--", "latest.json").startswith(
        "collect: 2 repos"
    )
    assert set(state(store)["channels"]) == {"webhook:chat"}
    # next round, with the password back: the e-mail goes out, the chat is not told twice
    monkeypatch.setenv("GM_TEST_SMTP_PASSWORD", PASSWORD)
    out = watch_once(cfg, "--notify", "email", "--notify", "chat")
    assert (
        len(inbox.messages) == 1 and "1 new coverage breach" in inbox.messages[0]["msg"]["Subject"]
    )
    assert [p["path"] for p in hooks.posts] == ["/slack"]


def test_wrong_certificate_is_refused_and_tls_verify_false_accepts_it(
    tmp_path: Path, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    base = {"host": "127.0.0.1", "port": port, "from": "a@example.com", "to": "b@example.com"}
    path = write_config(tmp_path / "repos.yaml", {}, {"notify": {"email": base}})
    ch = notify.channels(configmod.load(path))[0]
    result = _one_breach()
    news = notify.plan(result, {}, [ch.id])[0]
    d = notify.send(ch, news, result)
    # the default trust store does not know our self-signed certificate: refused
    assert not d.ok and "CERTIFICATE_VERIFY_FAILED" in (d.error or "")
    assert inbox.messages == []
    # tls_verify: false accepts it (and logs in over the encrypted channel)
    monkeypatch.setenv("GM_PW", PASSWORD)
    lax = {**base, "tls_verify": False, "username": "u", "password_env": "GM_PW"}
    path = write_config(tmp_path / "repos.yaml", {}, {"notify": {"email": lax}})
    ch = notify.channels(configmod.load(path))[0]
    assert notify.send(ch, news, result).ok
    assert len(inbox.messages) == 1 and inbox.messages[0]["tls"]


def _one_breach() -> Any:
    from gitmetrics.rules import Breach, CheckResult

    b = Breach("api", "min_coverage", 70.0, 80.0, "coverage 70.00% is below the floor of 80%")
    return CheckResult("2026-01-01T00:00:00Z", "abc", (b,), ("api",), ())


def test_unknown_channel_and_no_redirects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(
        tmp_path / "repos.yaml",
        {},
        {"notify": {"webhooks": [{"url": "http://127.0.0.1:9/x"}]}},
    )
    cfg = configmod.load(path)
    with pytest.raises(ConfigError, match="no channel 'email' is configured"):
        notify.channels(cfg, ["email"])
    assert [c.id for c in notify.channels(cfg, ["webhook"])] == ["webhook:0"]

    # a server that redirects: the alert must not follow it anywhere
    seen: list[str] = []

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path)
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ch = notify.WebhookChannel("r", f"http://127.0.0.1:{server.server_address[1]}/hook")
        result = _one_breach()
        d = notify.send(ch, notify.plan(result, {}, [ch.id])[0], result)
    finally:
        server.shutdown()
        server.server_close()
    assert not d.ok and "HTTP 307" in (d.error or "")
    assert seen == ["/hook"]


def test_plan_keeps_breaches_of_unmeasured_repos() -> None:
    from gitmetrics.rules import CheckResult

    known = {
        "channels": {
            "email": {"api:min_coverage": {"repo": "api", "rule": "min_coverage"}},
        }
    }
    # api could not be measured this round: it neither recovers nor is announced again
    result = CheckResult("t", None, (), ("web",), ("api",))
    news = notify.plan(result, known, ["email"])[0]
    assert news.empty and "api:min_coverage" in news.after
    # a state file written by a newer gitmetrics is refused, not misread
    with pytest.raises(ConfigError, match="newer"):
        notify.load_state(b'{"version": 9, "channels": {}}')
    assert notify.load_state(b"not json") == {"version": 1, "channels": {}}


def test_implicit_tls(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    """``security: tls``: the connection is encrypted from the first byte (SMTPS)."""
    inbox = Inbox()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ssl_context=ctx)
    controller.start()
    try:
        email_cfg = {
            "host": "127.0.0.1",
            "port": port,
            "security": "tls",
            "from": "a@example.com",
            "to": "b@example.com",
            "tls_ca_file": str(cert[0]),
        }
        path = write_config(tmp_path / "repos.yaml", {}, {"notify": {"email": email_cfg}})
        ch = notify.channels(configmod.load(path))[0]
        result = _one_breach()
        d = notify.send(ch, notify.plan(result, {}, [ch.id])[0], result)
    finally:
        controller.stop()
    assert d.ok, d.error
    assert len(inbox.messages) == 1 and inbox.messages[0]["to"] == ["b@example.com"]
    assert "api: min_coverage" in inbox.messages[0]["msg"].get_content()
