"""Alerts: e-mail (SMTP) and webhooks for new breaches and recoveries, sent once each.

What was reported is remembered per channel in a small JSON state (``alerts/state.json`` in
the metrics repository): a breach is announced once, and its recovery once. A channel that
fails keeps its old state, so the same news is tried again on the next round.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from gitmetrics.config import Config
from gitmetrics.errors import ConfigError
from gitmetrics.render.escape import slack, visible
from gitmetrics.rules import Breach, CheckResult

STATE_PATH = "alerts/state.json"
STATE_VERSION = 1
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class EmailChannel:
    """An SMTP server and the addresses to write to."""

    host: str
    port: int
    security: str  # starttls | tls | none
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password_env: str | None = None
    tls_ca_file: Path | None = None
    tls_verify: bool = True
    subject_prefix: str = "[gitmetrics]"
    timeout: float = DEFAULT_TIMEOUT

    @property
    def id(self) -> str:
        """The channel's name in the alert state and in ``--notify``."""
        return "email"


@dataclass(frozen=True)
class WebhookChannel:
    """An HTTP endpoint that receives a JSON POST."""

    name: str
    url: str
    format: str = "generic"  # slack | generic
    token_env: str | None = None
    use_env_proxy: bool = False
    timeout: float = DEFAULT_TIMEOUT

    @property
    def id(self) -> str:
        """The channel's name in the alert state and in ``--notify``."""
        return f"webhook:{self.name}"


Channel = EmailChannel | WebhookChannel


@dataclass(frozen=True)
class News:
    """What one channel should be told this round."""

    channel: str
    new: tuple[Breach, ...]
    recovered: tuple[Mapping[str, Any], ...]
    #: the set of breach keys the channel will know about once this is delivered
    after: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when there is nothing to say."""
        return not self.new and not self.recovered


@dataclass(frozen=True)
class Delivery:
    """The outcome of sending to one channel."""

    channel: str
    ok: bool
    new: int
    recovered: int
    error: str | None = None


# --- config ---------------------------------------------------------------------------


def channels(cfg: Config, pick: Sequence[str] = ()) -> list[Channel]:
    """The channels configured under ``notify:``; ``pick`` keeps ``email``, ``webhook`` or names."""
    section: Mapping[str, Any] = cfg.raw.get("notify") or {}
    base = cfg.path.resolve().parent
    found: list[Channel] = []
    email = section.get("email")
    if email:
        security = str(email.get("security", "starttls"))
        ca = email.get("tls_ca_file")
        to = email["to"]
        found.append(
            EmailChannel(
                host=str(email["host"]),
                port=int(email.get("port", {"tls": 465, "starttls": 587}.get(security, 25))),
                security=security,
                sender=str(email["from"]),
                to=(to,) if isinstance(to, str) else tuple(to),
                username=email.get("username"),
                password_env=email.get("password_env"),
                tls_ca_file=None if ca is None else (base / Path(ca).expanduser()),
                tls_verify=bool(email.get("tls_verify", True)),
                subject_prefix=str(email.get("subject_prefix", "[gitmetrics]")),
                timeout=float(email.get("timeout", DEFAULT_TIMEOUT)),
            )
        )
    for i, hook in enumerate(section.get("webhooks") or []):
        found.append(
            WebhookChannel(
                name=str(hook.get("name") or i),
                url=str(hook["url"]),
                format=str(hook.get("format", "generic")),
                token_env=hook.get("token_env"),
                use_env_proxy=bool(hook.get("use_env_proxy", False)),
                timeout=float(hook.get("timeout", DEFAULT_TIMEOUT)),
            )
        )
    if not pick:
        return found
    kept: list[Channel] = []
    for want in pick:
        match = [
            c
            for c in found
            if want == c.id
            or (want == "email" and isinstance(c, EmailChannel))
            or (want == "webhook" and isinstance(c, WebhookChannel))
            or (isinstance(c, WebhookChannel) and want == c.name)
        ]
        if not match:
            raise ConfigError(
                f"{cfg.path.name}: notify: no channel {want!r} is configured",
                "configure it under `notify:` (email, webhooks) or pick one that is: "
                + (", ".join(c.id for c in found) or "(none configured)"),
            )
        kept.extend(c for c in match if c not in kept)
    return kept


# --- state ----------------------------------------------------------------------------


def load_state(data: bytes | None) -> dict[str, Any]:
    """The alert state from its JSON (an empty state when absent or unreadable)."""
    empty: dict[str, Any] = {"version": STATE_VERSION, "channels": {}}
    if not data:
        return empty
    try:
        state = json.loads(data)
    except ValueError:
        return empty
    if not isinstance(state, dict) or not isinstance(state.get("channels"), dict):
        return empty
    if int(state.get("version", 0)) > STATE_VERSION:
        raise ConfigError(
            f"{STATE_PATH}: version {state['version']} is newer than this gitmetrics understands",
            "upgrade gitmetrics: pip install -U gitmetrics",
        )
    return state


def dump_state(state: Mapping[str, Any]) -> bytes:
    """The alert state as stable JSON."""
    return (json.dumps(state, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def plan(result: CheckResult, state: Mapping[str, Any], channel_ids: Sequence[str]) -> list[News]:
    """What each channel should hear: breaches it was not told of, and those now gone.

    A breach of a repository that this round could not measure neither starts nor ends.
    """
    current = {b.key: b for b in result.breaches}
    unmeasured = set(result.unmeasured)
    out: list[News] = []
    for cid in channel_ids:
        known: Mapping[str, Mapping[str, Any]] = (state.get("channels") or {}).get(cid, {})
        new = tuple(b for k, b in current.items() if k not in known)
        gone = tuple(
            {"key": k, **v}
            for k, v in known.items()
            if k not in current and v.get("repo") not in unmeasured
        )
        after: dict[str, Mapping[str, Any]] = {
            k: v for k, v in known.items() if k in current or v.get("repo") in unmeasured
        }
        for b in new:
            after[b.key] = {
                "repo": b.repo,
                "rule": b.rule,
                "value": b.value,
                "limit": b.limit,
                "since": result.timestamp,
            }
        out.append(News(cid, new, gone, after))
    return out


def apply(
    state: Mapping[str, Any], deliveries: Sequence[Delivery], news: Sequence[News]
) -> dict[str, Any]:
    """The state after a round: delivered channels move on, failed ones stay as they were."""
    chans = dict(state.get("channels") or {})
    by_id = {n.channel: n for n in news}
    for d in deliveries:
        if d.ok and d.channel in by_id:
            chans[d.channel] = dict(by_id[d.channel].after)
    return {"version": STATE_VERSION, "channels": chans}


# --- messages -------------------------------------------------------------------------


def _short(commit: str | None) -> str:
    return commit[:10] if commit else "?"


def breach_line(b: Breach) -> str:
    """One line for a breach, with the source commit range it came with."""
    who = b.repo or "(all repositories)"
    where = ""
    if b.from_commit and b.from_commit != b.to_commit:
        where = f" [source {_short(b.from_commit)}..{_short(b.to_commit)}]"
    elif b.to_commit:
        where = f" [source {_short(b.to_commit)}]"
    return visible(f"{who}: {b.rule}: {b.message}{where}")


def subject(news: News) -> str:
    """A short summary: how many breaches began and how many ended."""
    parts = []
    if news.new:
        parts.append(f"{len(news.new)} new coverage breach{'es' if len(news.new) != 1 else ''}")
    if news.recovered:
        parts.append(f"{len(news.recovered)} recovered")
    return ", ".join(parts) or "no change"


def text(news: News, result: CheckResult) -> str:
    """The plain-text body of an alert (every line with its control characters shown)."""
    lines = [f"gitmetrics: {subject(news)} (collection of {visible(result.timestamp)})", ""]
    if news.new:
        lines.append("New breaches:")
        for b in news.new:
            lines.append(f"  - {breach_line(b)}")
            lines.extend(visible(f"    {line}") for line in b.explained)
    if news.recovered:
        if news.new:
            lines.append("")
        lines.append("Recovered:")
        for r in news.recovered:
            lines.append(
                visible(
                    f"  - {r.get('repo') or '(all repositories)'}: {r.get('rule')} "
                    f"is met again (was {r.get('value')}, limit {r.get('limit')})"
                )
            )
    still = len(result.breaches) - len(news.new)
    if still > 0:
        lines += ["", f"{still} earlier breach(es) still stand."]
    return "\n".join(lines) + "\n"


def payload(channel: WebhookChannel, news: News, result: CheckResult) -> dict[str, Any]:
    """The JSON body for a webhook: Slack-compatible ``text``, or structured data."""
    body = text(news, result)
    if channel.format == "slack":
        return {"text": slack(body)}
    return {
        "event": "gitmetrics.alert",
        "timestamp": result.timestamp,
        "snapshot": result.snapshot,
        "summary": subject(news),
        "text": body,
        "new": [b.to_dict() for b in news.new],
        "recovered": [dict(r) for r in news.recovered],
        "standing": [b.to_dict() for b in result.breaches if b not in news.new],
    }


# --- delivery (the only network code in gitmetrics besides sync) -----------------------


def send(channel: Channel, news: News, result: CheckResult) -> Delivery:
    """Send one channel its news; every failure becomes a :class:`Delivery` with ``ok=False``."""
    try:
        if isinstance(channel, EmailChannel):
            send_email(channel, news, result)
        else:
            send_webhook(channel, news, result)
    except Exception as exc:  # any failure is reported, never raised: the collection stays
        return Delivery(
            channel.id, False, len(news.new), len(news.recovered), f"{type(exc).__name__}: {exc}"
        )
    return Delivery(channel.id, True, len(news.new), len(news.recovered))


def _tls_context(ch: EmailChannel) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ch.tls_ca_file) if ch.tls_ca_file else None)
    if not ch.tls_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def send_email(ch: EmailChannel, news: News, result: CheckResult) -> None:
    """Deliver one message over SMTP (STARTTLS, implicit TLS, or plain)."""
    msg = EmailMessage()
    msg["Subject"] = f"{ch.subject_prefix} {subject(news)}".strip()
    msg["From"] = ch.sender
    msg["To"] = ", ".join(ch.to)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="gitmetrics.localhost")
    msg.set_content(text(news, result))
    password = None
    if ch.password_env:
        password = os.environ.get(ch.password_env)
        if password is None:
            raise ConfigError(f"notify.email.password_env: ${ch.password_env} is not set")
    smtp: smtplib.SMTP
    if ch.security == "tls":
        smtp = smtplib.SMTP_SSL(ch.host, ch.port, timeout=ch.timeout, context=_tls_context(ch))
    else:
        smtp = smtplib.SMTP(ch.host, ch.port, timeout=ch.timeout)
    with smtp:
        if ch.security == "starttls":
            smtp.starttls(context=_tls_context(ch))
        if ch.username:
            smtp.login(ch.username, password or "")
        smtp.send_message(msg)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects would send the alert to an address the config does not name."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def send_webhook(ch: WebhookChannel, news: News, result: CheckResult) -> None:
    """POST the JSON payload to the configured URL (no redirects; no proxy unless allowed)."""
    data = json.dumps(payload(ch, news, result)).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "gitmetrics"}
    if ch.token_env:
        token = os.environ.get(ch.token_env)
        if token is None:
            raise ConfigError(f"notify.webhooks.{ch.name}.token_env: ${ch.token_env} is not set")
        headers["Authorization"] = f"Bearer {token}"
    handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
    if not ch.use_env_proxy:
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(ch.url, data=data, headers=headers, method="POST")
    try:
        with opener.open(request, timeout=ch.timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise OSError(f"{ch.url}: HTTP {exc.code} {exc.reason}") from None
    if not 200 <= status < 300:
        raise OSError(f"{ch.url}: HTTP {status}")


def notify(
    result: CheckResult, state: Mapping[str, Any], chans: Sequence[Channel]
) -> tuple[list[Delivery], dict[str, Any]]:
    """Send each channel its news; returns the deliveries and the state to remember."""
    news = plan(result, state, [c.id for c in chans])
    deliveries: list[Delivery] = []
    for ch, n in zip(chans, news, strict=True):
        if n.empty:
            deliveries.append(Delivery(ch.id, True, 0, 0))
            continue
        deliveries.append(send(ch, n, result))
    return deliveries, apply(state, deliveries, news)
