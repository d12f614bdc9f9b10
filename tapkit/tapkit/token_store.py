"""Where rotated refresh tokens live between runs: one small JSON file per authorization, written atomically,
read-refreshed-written under an OS file lock.

Default location: ``$XDG_STATE_HOME/<tap-name>/tokens`` (``~/.local/state/<tap-name>/tokens`` when
XDG_STATE_HOME is unset); the ``token_store_dir`` setting moves it. One directory may serve many tenants of
one OAuth client: each authorization has its own entry.

**What names an entry: the authorization's lineage.** A rotating refresh token is a chain — each refresh
spends one token and hands out the next — and one chain is one authorization (one consent). Two runs must
share an entry exactly when they continue the same chain, so the entry is keyed by the token URL, the client
id and the chain's first token (a SHA-256 of the configured ``refresh_token``), not by the tenant:

* a Candis organization is known only after the first refresh (the tap may discover it from the token), so
  it cannot name the entry the first refresh must read;
* a Pleo authorization may cover several companies: keyed by company, two tenants of one authorization would
  each keep their own copy of the chain, the second would send a token the first already spent, and Pleo
  then revokes the whole authorization;
* a new consent (a new configured refresh token) starts a new chain, so it can never be overridden by an
  older rotated token (the old entry is just left behind).

A token obtained by ``<tap> authorize`` is not in the configuration at all: its chain is stored under the
tenant (``organization_id`` / ``company_id``), which the configuration does name, with the digest of its
first token as its origin. A configuration that later sets that same first token (``--print-refresh-token``)
continues this entry instead of starting over with a spent token.

Store files of earlier versions (keyed by token URL and client id only, one per directory) are still found:
when such a file descends from the configured refresh token it is moved to the lineage's name, so a
single-tenant user's rotated token is not stranded.

**Concurrency.** Two runs of one authorization at the same moment (a retry overlapping a schedule, two
tenants that share a Pleo authorization) must not both send the same refresh token: the authenticator holds
the entry's lock (``fcntl.flock`` on ``<entry>.lock``, POSIX) from reading the newest token until the rotated
one is written, so the second run waits and then refreshes with the token the first one stored. Entries of
different authorizations have different locks and never wait for each other.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import typing as t
from pathlib import Path

if t.TYPE_CHECKING:
    from collections.abc import Iterator

LOGGER = logging.getLogger(__name__)
VERSION = 2


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def lineage(refresh_token: str) -> str:
    """The name of the chain a refresh token starts (a SHA-256; the token cannot be read back from it)."""
    return _digest(refresh_token)


def default_store_dir(tap_name: str) -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / tap_name / "tokens"


class RefreshTokenStore:
    """The rotated refresh tokens of one OAuth client (token URL, client id) in one directory, for one tenant.
    Each method takes the configured refresh token, which picks the authorization: its chain, or — when none
    is configured — the chain `authorize` stored for `tenant`."""

    def __init__(
        self, directory: str | os.PathLike[str], *, token_url: str, client_id: str, tenant: str | None = None
    ) -> None:
        self.directory = Path(directory).expanduser()
        self.token_url = token_url
        self.client_id = client_id
        self.tenant = tenant or ""
        self._resolved: dict[str | None, Path | None] = {}

    # --- file names ------------------------------------------------------------------------------------
    def _name(self, *parts: str) -> Path:
        return self.directory / f"{_digest(self.token_url, self.client_id, *parts)[:32]}.json"

    def lineage_path(self, first_token: str) -> Path:
        """The entry of the chain that `first_token` (a configured refresh token) starts."""
        return self._name("lineage", lineage(first_token))

    @property
    def tenant_path(self) -> Path | None:
        """The entry `authorize` writes for the tenant (None when the tenant is unknown)."""
        return self._name("tenant", self.tenant) if self.tenant else None

    @property
    def legacy_path(self) -> Path:
        """The one file per (token URL, client id) of store version 1."""
        return self.directory / f"{_digest(self.token_url, self.client_id)[:24]}.json"

    def path(self, configured_token: str | None) -> Path | None:
        """The file that holds the authorization (None: no configured token and no tenant); resolved once."""
        key = configured_token or None
        if key not in self._resolved:
            self._resolved[key] = self._resolve(key)
        return self._resolved[key]

    def _resolve(self, configured_token: str | None) -> Path | None:
        if not configured_token:
            return self.tenant_path
        own = self.lineage_path(configured_token)
        if own.exists():
            return own
        tenant = self.tenant_path
        if tenant is not None and _read(tenant).get("origin") == lineage(configured_token):
            return tenant  # `authorize` started this chain and the config now names its first token
        return own

    # --- reading and writing ------------------------------------------------------------------------------
    def stored(self, configured_token: str | None) -> str | None:
        """The newest token stored for the authorization, or None."""
        path = self.path(configured_token)
        if path is None:
            return None
        data = _read(path)
        if not data and configured_token:
            data = self._migrate(configured_token)
        if configured_token and data.get("origin") != lineage(configured_token):
            return None
        token = data.get("refresh_token")
        return token if isinstance(token, str) and token else None

    def load(self, configured_token: str | None) -> str | None:
        """The newest refresh token of the authorization, else `configured_token` (None: neither)."""
        return self.stored(configured_token) or configured_token or None

    def _migrate(self, configured_token: str) -> dict:
        """A version-1 file that descends from the configured token becomes this lineage's entry."""
        legacy = _read(self.legacy_path)
        if not legacy or legacy.get("origin") != lineage(configured_token):
            return {}
        own = self.lineage_path(configured_token)
        with contextlib.suppress(FileNotFoundError):  # another run moved it a moment ago
            os.replace(self.legacy_path, own)
            LOGGER.info("Token store: moved the rotated refresh token to its per-authorization entry")
        return _read(own)

    def check_writable(self) -> None:
        """OSError unless a token can be saved here (checked before a refresh spends the current token)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tok-", suffix=".check")
        os.close(fd)
        Path(tmp).unlink()

    def save(self, refresh_token: str, configured_token: str | None) -> None:
        """Atomically replace the authorization's token (temp file, fsync, rename)."""
        path = self.path(configured_token)
        if path is None:
            msg = "no refresh token is configured and the tenant is unknown: nowhere to store the token"
            raise OSError(msg)
        origin = lineage(configured_token) if configured_token else _read(path).get("origin")
        self._write(path, refresh_token, origin or lineage(refresh_token))

    def start_chain(self, refresh_token: str) -> Path:
        """Store the first token of a new authorization of the tenant (`authorize`): it replaces whatever
        chain the tenant had. Returns the entry's path."""
        path = self.tenant_path
        if path is None:
            msg = "the tenant is unknown: nowhere to store the authorized token"
            raise OSError(msg)
        with self._locked(path):
            self._write(path, refresh_token, lineage(refresh_token))
        return path

    def _write(self, path: Path, refresh_token: str, origin: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = {
            "version": VERSION,
            "token_url": self.token_url,
            "client_id": self.client_id,
            "tenant": self.tenant or None,
            "origin": origin,
            "saved_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "refresh_token": refresh_token,
        }
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tok-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(payload))
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # --- the lock -----------------------------------------------------------------------------------------
    def locked(self, configured_token: str | None) -> t.ContextManager[None]:
        """Hold the authorization's exclusive lock (waits while another process holds it), from reading its
        newest token until the rotated one is saved; nothing when there is no entry."""
        path = self.path(configured_token)
        return self._locked(path) if path is not None else contextlib.nullcontext()

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        # The lock file stays: removing it would let two processes lock two different files.
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                LOGGER.info("Waiting for another run's refresh of the same authorization (token store lock)")
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
