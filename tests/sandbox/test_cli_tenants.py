"""`sandbox serve` in multi-tenant mode: `--tenants N`, `--<provider>-tenants N` and a `--config` file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sandbox.cli import main as cli_main


@contextmanager
def serving(tmp_path: Path, *options: str) -> Iterator[dict[str, str]]:
    """`sandbox serve` of every emulator on free ports with ``options``; yields the port file's URLs."""
    port_file = tmp_path / "ports.json"
    ports = [arg for name in ("candis", "pleo", "ivesk", "findity") for arg in (f"--{name}-port", "0")]
    command = [sys.executable, "-m", "sandbox", "serve", *ports, "--quiet", "--port-file", str(port_file), *options]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            lines = [proc.stdout.readline() for _ in range(4)]  # printed once every emulator accepts connections
            assert all(lines), proc.stderr.read()
            yield json.loads(port_file.read_text())
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()  # the with block then waits for it and closes its pipes


def tenants(url: str) -> list[str]:
    return [t["id"] for t in requests.get(url + "/_sandbox/tenants", timeout=10).json()["tenants"]]


def test_tenants_flags_and_a_config_file_set_the_tenants_of_each_emulator(tmp_path: Path) -> None:
    config = tmp_path / "tenants.json"
    config.write_text(json.dumps({"findity": {"tenants": 2, "rate_limit": 7}, "ivesk": {"scale": 40}}))
    with serving(tmp_path, "--tenants", "3", "--candis-tenants", "4", "--scale", "30", "--config", str(config)) as urls:
        counts = {name: len(tenants(url)) for name, url in urls.items()}
        assert counts == {"candis": 4, "pleo": 3, "ivesk": 3, "findity": 3}  # flags win over the file
        assert tenants(urls["candis"])[:2] == ["alpha-organization", "gamma-organization"]
        assert requests.get(urls["findity"] + "/_sandbox/config", timeout=10).json()["rate_limit"] == 7
        truth = requests.get(urls["ivesk"] + "/_sandbox/ground-truth", timeout=10).json()
        assert truth["scale"] == 30  # --scale wins over the file
        for name, url in urls.items():
            first = tenants(url)[0]
            one = requests.get(f"{url}/_sandbox/ground-truth?tenant={first}", timeout=30).json()
            assert one["tenant"] == first, name


def test_a_config_file_names_the_tenants(tmp_path: Path) -> None:
    config = tmp_path / "tenants.json"
    sections = {
        "candis": {"organizations": ["alpha-organization", "acme-gmbh"], "export_delay": 0},
        "pleo": {"companies": 5},
        "ivesk": {"companies": 4},
        "findity": {"organizations": ["8ab28c4f8499e01c01849e2631a107a9", "f" * 32]},
    }
    config.write_text(json.dumps(sections))
    with serving(tmp_path, "--config", str(config), "--scale", "20") as urls:
        assert tenants(urls["candis"]) == ["alpha-organization", "acme-gmbh"]
        assert len(tenants(urls["pleo"])) == 5 and len(tenants(urls["ivesk"])) == 4
        assert tenants(urls["findity"]) == sections["findity"]["organizations"]
        assert requests.get(urls["candis"] + "/_sandbox/config", timeout=10).json()["export_delay"] == 0


@pytest.mark.parametrize(
    "content,message",
    [
        ("{bad", "--config"),
        ('{"nope": {}}', "unknown provider"),
        ('{"candis": []}', "expected"),
        ('{"candis": {"no_such_setting": 1}}', "candis"),
        ('{"pleo": {"companies": 0}}', "companies"),
        ('{"candis": {"organizations": ["Not A Slug"]}}', "slugs"),
        ('{"ivesk": {"tenants": "x"}}', "tenants"),
        ('{"pleo": {"clock": 1}}', "clock"),
    ],
)
def test_settings_the_emulators_refuse_stop_the_command_before_any_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    config = tmp_path / "tenants.json"
    config.write_text(content)
    assert cli_main(["serve", "--config", str(config), "--candis-port", "0", "--pleo-port", "0"]) == 2
    assert message in capsys.readouterr().err


def test_tenant_counts_below_one_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["serve", "--tenants", "0"])
    assert exit_info.value.code == 2
    assert "--tenants" in capsys.readouterr().err
