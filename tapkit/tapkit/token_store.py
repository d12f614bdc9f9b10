"""Where rotated refresh tokens live between runs: one small JSON file per tap and client, written atomically.

Default location: ``$XDG_STATE_HOME/<tap-name>/tokens`` (``~/.local/state/<tap-name>/tokens`` when
XDG_STATE_HOME is unset); the ``token_store_dir`` setting moves it. The file is keyed by a hash of the
token URL and client id, and remembers a hash of the refresh token it descends from, so a user who pastes a
new refresh token into the config (a new authorization) is not overridden by an older rotated one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def default_store_dir(tap_name: str) -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / tap_name / "tokens"


class RefreshTokenStore:
    """Persist the newest refresh token for (token_url, client_id)."""

    def __init__(self, directory: str | os.PathLike[str], *, token_url: str, client_id: str) -> None:
        self.directory = Path(directory).expanduser()
        self.path = self.directory / f"{_digest(token_url, client_id)[:24]}.json"

    def load(self, configured_token: str | None) -> str | None:
        """The newest refresh token descending from `configured_token`, else `configured_token`."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return configured_token
        if configured_token and data.get("origin") != _digest(configured_token):
            return configured_token  # the user configured a new authorization
        return data.get("refresh_token") or configured_token

    def check_writable(self) -> None:
        """OSError unless a token can be saved here (checked before a refresh spends the current token)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tok-", suffix=".check")
        os.close(fd)
        Path(tmp).unlink()

    def save(self, refresh_token: str, configured_token: str | None) -> None:
        """Atomically replace the stored token (write temp file, fsync, rename)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = json.dumps({"origin": _digest(configured_token or ""), "refresh_token": refresh_token})
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tok-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
