"""The fleet demo's tenants file (orchestrate/examples/tenants.demo.yml, ./scripts/fleet-demo): valid against
meltano.yml, a dozen tenants over the four providers, each a tenant of `sandbox serve --tenants 3`, secrets
only named, and every variable it names set by the demo. Fast: no sandbox served, no Dagster run."""

from __future__ import annotations

import importlib
import subprocess
import typing as t
from collections import Counter

import fleet_demo
import pytest
from orchestrate.tenants import load_fleet

from tests.helpers import BIN, ROOT

TENANTS_FILE = ROOT / "orchestrate" / "examples" / "tenants.demo.yml"
CONFIGS = {"candis": "CandisConfig", "pleo": "PleoConfig", "ivesk": "IveskConfig", "findity": "FindityConfig"}


def test_the_demo_tenants_file_validates_and_names_a_dozen_tenants_over_the_four_providers() -> None:
    fleet = load_fleet(TENANTS_FILE, ROOT / "meltano.yml")

    assert len(fleet) == 12
    assert Counter(run.tenant.provider for run in fleet) == {"candis": 3, "pleo": 3, "ivesk": 3, "findity": 3}
    assert {run.environment for run in fleet} == {"demo"} and {run.loader for run in fleet} == {"target-duckdb"}
    assert all(run.secret_vars for run in fleet)  # every tenant's credentials come from variables
    assert {fleet_demo.BROKEN, fleet_demo.FLAKY} <= {run.name for run in fleet}
    proc = subprocess.run(
        [str(BIN / "tenants"), "--file", str(TENANTS_FILE), "check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "12 tenant(s) valid" in proc.stdout


def three_tenant_sandboxes(request: pytest.FixtureRequest) -> dict[str, t.Any]:
    """Each emulator as `sandbox serve --tenants 3` configures it (a small scale), on a free port."""
    started = {}
    for provider, config_class in CONFIGS.items():
        config_cls = getattr(importlib.import_module(f"sandbox.{provider}"), config_class)
        factory = request.getfixturevalue(f"{provider}_factory")
        started[provider] = factory(**config_cls.tenant_settings(3), scale=5)
    return started


class _Sandbox:
    """What fleet_demo.secrets reads: GET /_sandbox/tenants of each emulator."""

    def __init__(self, sandboxes: dict[str, t.Any]) -> None:
        self.sandboxes = sandboxes

    def admin(self, provider: str, path: str) -> t.Any:
        return self.sandboxes[provider].admin("GET", path)


def test_every_demo_tenant_is_a_tenant_of_the_three_tenant_sandbox_and_the_demo_sets_every_variable(
    request: pytest.FixtureRequest,
) -> None:
    sandboxes = three_tenant_sandboxes(request)
    fleet = load_fleet(TENANTS_FILE, ROOT / "meltano.yml")
    for provider, sandbox in sandboxes.items():
        served = [tenant["id"] for tenant in sandbox.admin("GET", "/tenants")["tenants"]]
        scopes = [
            tenant.organization_id or tenant.company_id or tenant.company_codes[0]
            for tenant in (run.tenant for run in fleet.of_provider(provider))
        ]
        assert scopes == served, provider

    values = fleet_demo.secrets(_Sandbox(sandboxes))

    named = {source for run in fleet for source in run.secret_vars.values()}
    assert named == set(values)
    assert values["FLEET_DEMO_HANSE_PLEO_KEY"] == fleet_demo.REVOKED_KEY
    for run in fleet:  # every tenant resolves its secrets from the demo's environment
        assert run.environ(values)
    assert fleet_demo.REVOKED_KEY not in TENANTS_FILE.read_text()
