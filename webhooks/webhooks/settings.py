"""The receiver's settings: environment variables (every one optional), read once at start.

webhooks/README.md lists them with their defaults. Tests build a :class:`Settings` directly.
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing as t
from pathlib import Path

#: The SNS hosts whose certificates and confirmation URLs are trusted: sns.<region>.amazonaws.com (and the
#: China partition's .amazonaws.com.cn), the pattern the AWS SDKs' message validators use.
DEFAULT_SNS_HOSTS = r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"
#: Largest request body accepted. SNS messages are at most 256 KiB; with the envelope's JSON escaping an
#: on_digitized document can take more, so 1 MiB.
DEFAULT_MAX_BODY = 1 << 20


#: The numeric variables: name -> (field, type, default).
NUMBERS: dict[str, tuple[str, type, float]] = {
    "WEBHOOKS_PORT": ("port", int, 8780),
    "WEBHOOKS_MAX_BODY": ("max_body", int, DEFAULT_MAX_BODY),
    "WEBHOOKS_SNS_TIMEOUT": ("sns_timeout", float, 10.0),
}


def numbers(environ: t.Mapping[str, str]) -> dict[str, t.Any]:
    """The numeric settings found in `environ` (each >= 0), by field name; ValueError names a bad one."""
    found: dict[str, t.Any] = {}
    for variable, (field, kind, default) in NUMBERS.items():
        raw = environ.get(variable, "").strip() or str(default)
        try:
            value = kind(float(raw)) if kind is int and float(raw).is_integer() else kind(raw)
        except ValueError:
            raise ValueError(f"{variable}={raw!r} is not a number{' (whole)' if kind is int else ''}") from None
        if value < 0:
            raise ValueError(f"{variable}={raw!r} must be >= 0")
        found[field] = value
    return found


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where the tenants file and the store are, and what the endpoints accept."""

    #: The Meltano project (meltano.yml): MELTANO_PROJECT_ROOT, else the current directory.
    project_root: Path
    #: TENANTS_FILE, default `<project root>/tenants.yml` (the fleet's file, with each tenant's `webhook:`).
    tenants_file: Path
    #: WEBHOOKS_STORE: a SQLite file path (default `<project root>/.meltano/webhooks/events.db`) or a
    #: `postgresql://` URL.
    store: str
    #: WEBHOOKS_HOST / WEBHOOKS_PORT: where `webhooks serve` listens (default 127.0.0.1:8780).
    host: str = "127.0.0.1"
    port: int = 8780
    #: WEBHOOKS_MAX_BODY bytes (default 1 MiB): a larger body is refused with 413 before it is read whole.
    max_body: int = DEFAULT_MAX_BODY
    #: WEBHOOKS_SNS_CERT_HOSTS: regular expression a SigningCertURL's and a SubscribeURL's host must match
    #: in full (both must also be https).
    sns_hosts: str = DEFAULT_SNS_HOSTS
    #: WEBHOOKS_SNS_CA_FILE: CA bundle (PEM) for fetching the signing certificate; default the system's.
    sns_ca_file: str | None = None
    #: WEBHOOKS_SNS_TIMEOUT seconds (default 10) for the certificate fetch and the SubscribeURL GET.
    sns_timeout: float = 10.0
    #: WEBHOOKS_CRASH_AFTER_STORE=1 (tests only): the process exits right after storing a new event, before
    #: it answers — what a crash or a kill between the two does.
    crash_after_store: bool = False
    #: The environment the tenants' secrets are read from (None: os.environ, at each request).
    environ: t.Mapping[str, str] | None = None

    @property
    def meltano_yml(self) -> Path:
        return self.project_root / "meltano.yml"

    @property
    def sns_host_pattern(self) -> re.Pattern[str]:
        return re.compile(self.sns_hosts)

    def secret(self, name: str) -> str | None:
        env = os.environ if self.environ is None else self.environ
        return env.get(name) or None

    @classmethod
    def from_env(cls, environ: t.Mapping[str, str] | None = None, **overrides: t.Any) -> Settings:
        env = os.environ if environ is None else environ
        root = Path(overrides.pop("project_root", None) or env.get("MELTANO_PROJECT_ROOT") or Path.cwd()).resolve()
        values: dict[str, t.Any] = {
            "project_root": root,
            "tenants_file": Path(env.get("TENANTS_FILE") or root / "tenants.yml"),
            "store": env.get("WEBHOOKS_STORE") or str(root / ".meltano" / "webhooks" / "events.db"),
            "host": env.get("WEBHOOKS_HOST") or "127.0.0.1",
            "sns_hosts": env.get("WEBHOOKS_SNS_CERT_HOSTS") or DEFAULT_SNS_HOSTS,
            "sns_ca_file": env.get("WEBHOOKS_SNS_CA_FILE") or None,
            "crash_after_store": env.get("WEBHOOKS_CRASH_AFTER_STORE", "").strip().lower() in ("1", "true", "yes"),
            "environ": None if environ is None else dict(environ),
            **numbers(env),
        }
        values |= {k: v for k, v in overrides.items() if v is not None}
        try:
            re.compile(values["sns_hosts"])
        except re.error as exc:
            raise ValueError(f"WEBHOOKS_SNS_CERT_HOSTS is not a regular expression: {exc}") from None
        return cls(**values)
