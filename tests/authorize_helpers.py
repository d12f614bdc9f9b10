"""`<tap>-authorize` as a real process, and the browser's part of the flow over real HTTP: open the URL the
command prints, answer the sandbox's consent form, follow its redirect to the command's loopback receiver."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import typing as t
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests

from tests.helpers import BIN

URL_LINE = re.compile(r"open this URL to authorize .*?: (\S+)$")


@dataclasses.dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str

    @property
    def last_error(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""


class AuthorizeCommand:
    """`executable --config <file> --no-browser --timeout <s> *args`, started at once."""

    def __init__(self, executable: str, config: dict, tmp: Path, *args: str, timeout: float = 60) -> None:
        path = tmp / "authorize-config.json"
        path.write_text(json.dumps({k: v for k, v in config.items() if v is not None}))
        argv = [str(BIN / executable), "--config", str(path), "--no-browser", "--timeout", str(timeout), *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        #: the human lines: stdout, or stderr with --json
        self._human = self.proc.stderr if "--json" in args else self.proc.stdout
        self._read: list[str] = []
        self._url: str | None = None

    def url(self) -> str:
        """The authorize URL, from the line the command prints before it waits (read, not slept for)."""
        assert self._human is not None
        if self._url is not None:
            return self._url
        for line in self._human:
            self._read.append(line)
            found = URL_LINE.search(line.strip())
            if found:
                self._url = found.group(1)
                return self._url
        raise AssertionError(f"no URL line: {''.join(self._read)}{self.finish().stderr}")

    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlparse(self.url()).query).items()}

    def consent(self, decision: str, organization: str | None = None) -> requests.Response:
        """Open the URL, choose `organization` (default: the first offered) and press the `decision` button; the
        sandbox's 303 is followed to the command's redirect URI."""
        url = self.url()
        page = requests.get(url, timeout=30)
        assert page.status_code == 200, page.text
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        request_id = re.search(r'name="request" value="([^"]+)"', page.text)
        offered = re.findall(r'<option value="([^"]+)"', page.text)
        assert action and request_id and offered, page.text
        form = {"request": request_id.group(1), "decision": decision, "organization": organization or offered[0]}
        origin = f"{urlparse(url).scheme}://{urlparse(url).netloc}"
        return requests.post(origin + action.group(1), data=form, timeout=30)

    def finish(self) -> Finished:
        out, err = self.proc.communicate(timeout=120)
        read = "".join(self._read)
        if self._human is self.proc.stderr:
            return Finished(self.proc.returncode, out, read + err)
        return Finished(self.proc.returncode, read + out, err)


def stored_tokens(tmp: Path) -> list[dict]:
    """The token store's entries (`token_store_dir` = tmp/tokens)."""
    return [json.loads(p.read_text()) for p in (tmp / "tokens").glob("*.json")]


def assert_a_denied_consent_ends_with_one_line(command: AuthorizeCommand, tap: str, tmp: Path) -> None:
    assert "Authorization denied" in command.consent("deny").text
    done = command.finish()
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"{tap}: error: authorization denied (access_denied: The user denied the consent): nothing was stored"
    ]
    assert not stored_tokens(tmp)


def secrets_absent(text: str, secrets: t.Iterable[str]) -> bool:
    return not [s for s in secrets if s and s in text]
