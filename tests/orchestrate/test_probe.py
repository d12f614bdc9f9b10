"""The change probe (orchestrate/probe.py): a schedule tick asks for no run of a tenant with nothing new, and
for a run of every tenant with news, a failing probe, no recorded success or a success older than the
forced-run age. Real HTTP to a Findity emulator on loopback; one test goes through a real materialization."""

from __future__ import annotations

import time
import types
import typing as t

import dagster as dg
from orchestrate.definitions import build_definitions
from orchestrate.probe import decide, record_success
from orchestrate.tenants import TenantRun, load_fleet
from sandbox.findity import CLIENT_SECRET
from sandbox.findity.config import tenant_organization_ids

from tests.orchestrate.harness import Fleet, findity_tenant

SCHEDULE = "findity_every_15_minutes"


def findity_fleet(fleet: Fleet, sandbox: t.Any, names: list[str], **settings: t.Any) -> dict[str, str]:
    """A Findity tenant per name (an organization each, one OAuth client), partitions synced; name -> org id."""
    organizations = dict(zip(names, tenant_organization_ids(len(names)), strict=True))
    fleet.write_tenant_list(
        [
            findity_tenant(name, organization, sandbox.url, fleet.root, "FINDITY_FLEET_SECRET", **settings)
            for name, organization in organizations.items()
        ],
        loader="target-duckdb",
    )
    fleet.with_settings(environ={**fleet.settings.base_environ(), "FINDITY_FLEET_SECRET": CLIENT_SECRET})
    fleet.sync_partitions()
    return organizations


def tenant_run(fleet: Fleet, name: str) -> TenantRun:
    return load_fleet(fleet.settings.tenants_file, fleet.settings.meltano_yml).runs[name]


def tick(fleet: Fleet) -> tuple[list[str], list[str]]:
    """One evaluation of the Findity schedule: (the tenants it asks runs for, its skip reasons)."""
    repository = build_definitions(fleet.settings).get_repository_def()
    schedule = next(s for s in repository.schedule_defs if s.name == SCHEDULE)
    context = dg.build_schedule_context(instance=fleet.instance, repository_def=repository)
    result = schedule.evaluate_tick(context)
    requested = [request.partition_key for request in result.run_requests or []]
    return requested, [result.skip_message] if result.skip_message else []


def test_only_tenants_with_news_failing_probes_or_no_recent_success_are_run(fleet: Fleet, findity_factory) -> None:
    sandbox = findity_factory(scale=10, initial_exports=0, organizations=tenant_organization_ids(4))
    orgs = findity_fleet(fleet, sandbox, ["quiet", "news", "broken", "stale"])
    assert sorted(tick(fleet)[0]) == sorted(orgs)  # nothing recorded yet: every tenant runs

    now = time.time()
    for name in ("quiet", "news", "broken"):
        record_success(fleet.settings, name, now)
    record_success(fleet.settings, "stale", now - 90_000)  # > 24 h ago
    sandbox.admin("POST", "/findity/bulk-send", {"count": 2, "organizationId": orgs["news"]})
    sandbox.admin(
        "POST",
        "/faults",
        {"path": f"/organizations/{orgs['broken']}/exports$", "kind": "status", "status": 503, "times": None},
    )

    requested, _ = tick(fleet)

    assert sorted(requested) == ["broken", "news", "stale"]  # "quiet" has nothing new
    calls = [(r["method"], r["path"]) for r in sandbox.admin("GET", "/requests")]
    assert ("GET", f"/api/v1/connect/organizations/{orgs['quiet']}/exports") in calls  # it was probed
    assert not any(orgs["stale"] in path for _, path in calls)  # too old: run without probing

    decisions = {name: decide(tenant_run(fleet, name), fleet.settings) for name in ("news", "broken")}
    assert decisions["news"].reason == "1 unprocessed export(s)"
    assert decisions["broken"].run and "HTTP 503" in decisions["broken"].reason
    assert CLIENT_SECRET not in decisions["broken"].reason


def test_a_quiet_fleet_is_skipped_and_the_forced_run_age_and_the_switch_apply(fleet: Fleet, findity_factory) -> None:
    sandbox = findity_factory(scale=10, initial_exports=0, organizations=tenant_organization_ids(2))
    findity_fleet(fleet, sandbox, ["one", "two"])
    for name in ("one", "two"):
        record_success(fleet.settings, name, time.time() - 100)

    requested, skipped = tick(fleet)
    assert requested == [] and skipped == ["nothing new for any of the 2 findity tenant(s) (change probe)"]

    fleet.with_settings(force_run_after=60)  # the last runs started 100 s ago
    assert sorted(tick(fleet)[0]) == ["one", "two"]
    fleet.with_settings(force_run_after=86400, probe_enabled=False)
    assert sorted(tick(fleet)[0]) == ["one", "two"]


def test_a_bad_token_or_an_unreachable_provider_means_a_run(fleet: Fleet, findity_factory) -> None:
    sandbox = findity_factory(scale=10, initial_exports=0)
    findity_fleet(fleet, sandbox, ["nordic"])
    record_success(fleet.settings, "nordic", time.time())
    assert tick(fleet)[0] == []

    fleet.with_settings(environ={**fleet.settings.base_environ(), "FINDITY_FLEET_SECRET": "wrong-secret"})
    decision = decide(tenant_run(fleet, "nordic"), fleet.settings)
    assert decision.run and decision.reason == "probe failed (token request: HTTP 401)", decision
    assert tick(fleet)[0] == ["nordic"]

    findity_fleet(fleet, types.SimpleNamespace(url="http://127.0.0.1:9"), ["nordic"])  # nothing listens
    decision = decide(tenant_run(fleet, "nordic"), fleet.settings)
    assert decision.run and decision.reason == "probe failed (token request: ConnectionError)"


def test_after_a_real_run_acknowledged_the_exports_the_next_tick_skips_until_a_new_export(
    fleet: Fleet, findity_factory
) -> None:
    sandbox = findity_factory(scale=20, initial_exports=1)  # one export sent, ten reports left to send
    findity_fleet(fleet, sandbox, ["nordic"])
    assert tick(fleet)[0] == ["nordic"]

    outcome = fleet.materialize("findity", "nordic")["nordic"]  # the run records its success, acks the export
    assert outcome.success, outcome.failure

    assert tick(fleet)[0] == []
    sandbox.admin("POST", "/findity/bulk-send", {"count": 1})
    assert tick(fleet)[0] == ["nordic"]
