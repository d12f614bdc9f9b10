"""The code location built from the tenants file: its assets and pools, the sensor that keeps the partitions
equal to the file's tenants, and the schedules (hourly, Findity every 15 minutes, per-tenant crons)."""

from __future__ import annotations

import datetime
from pathlib import Path

import dagster as dg
from orchestrate.definitions import build_definitions, defs, schedule_name
from orchestrate.settings import FleetSettings

from tests.helpers import ROOT
from tests.orchestrate.harness import Fleet

TENANTS = """
version: 1
tenants:
  - {name: acme, provider: candis, organization_id: org-acme, secrets: {access_token: ACME_TOKEN}}
  - {name: nordic, provider: findity, organization_id: 8ab28c4f8499e01c01849e2631a107a9}
  - {name: vilnius, provider: ivesk, company_codes: ["302320404"]}
  - {name: kaunas, provider: ivesk, company_codes: ["304567812"], schedule: "*/5 * * * *"}
"""


def test_the_code_location_has_one_asset_per_provider_in_its_pool_with_retries(fleet: Fleet) -> None:
    fleet.write_tenants(TENANTS)
    definitions = build_definitions(fleet.settings)
    repository = definitions.get_repository_def()
    ivesk = definitions.get_assets_def(dg.AssetKey(["fleet", "ivesk"]))
    assert ivesk.op.pool == "fleet-ivesk"
    assert ivesk.op.retry_policy == dg.RetryPolicy(
        max_retries=2, delay=0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    )
    assert isinstance(ivesk.partitions_def, dg.DynamicPartitionsDefinition)
    assert ivesk.partitions_def.name == "ivesk_tenants"
    assert sorted(s.name for s in repository.schedule_defs) == [
        "candis_hourly",
        "findity_every_15_minutes",
        "ivesk_every_5_minutes",
        "ivesk_hourly",
        "pleo_hourly",
    ]
    assert "fleet_tenants" in [s.name for s in repository.sensor_defs]


def test_the_module_loads_from_the_environment_even_without_a_tenants_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TENANTS_FILE", str(tmp_path / "absent.yml"))
    monkeypatch.setenv("FLEET_RETRY_DELAY", "5")
    definitions = defs()
    assert len(definitions.get_repository_def().assets_defs_by_key) == 4
    settings = FleetSettings.from_env({"TENANTS_FILE": "t.yml", "FLEET_HOME": "/srv/fleet"})
    assert (settings.project_root, settings.fleet_home, settings.retry_delay) == (ROOT, Path("/srv/fleet"), 60.0)
    assert settings.database_uri == f"sqlite:///{ROOT / '.meltano' / 'meltano.db'}"


def test_the_sensor_adds_a_tenant_added_to_the_file_and_removes_one_removed(fleet: Fleet) -> None:
    fleet.write_tenants(TENANTS)
    fleet.sync_partitions()
    assert (fleet.partitions("ivesk"), fleet.partitions("candis")) == (["kaunas", "vilnius"], ["acme"])
    assert isinstance(fleet.sync_partitions(), dg.SkipReason)  # nothing to change

    fleet.write_tenants(
        TENANTS.replace("vilnius", "alytus")  # vilnius leaves the fleet, alytus joins
    )
    result = fleet.sync_partitions()
    assert isinstance(result, dg.SensorResult)
    assert fleet.partitions("ivesk") == ["alytus", "kaunas"] and fleet.partitions("candis") == ["acme"]

    fleet.write_tenants(TENANTS + "  - {name: broken, provider: xero}\n")  # a wrong file changes nothing
    skipped = fleet.sync_partitions()
    assert isinstance(skipped, dg.SkipReason) and "unknown provider 'xero'" in (skipped.skip_message or "")
    assert fleet.partitions("ivesk") == ["alytus", "kaunas"]


def test_each_schedule_requests_one_run_per_tenant_of_its_cron(fleet: Fleet) -> None:
    fleet.write_tenants(TENANTS)
    fleet.sync_partitions()
    repository = build_definitions(fleet.settings).get_repository_def()
    schedules = {s.name: s for s in repository.schedule_defs}
    when = datetime.datetime(2026, 1, 5, 10, 0, tzinfo=datetime.UTC)

    def requested(name: str) -> list[tuple[str | None, dict[str, str]]]:
        context = dg.build_schedule_context(
            instance=fleet.instance, scheduled_execution_time=when, repository_def=repository
        )
        data = schedules[name].evaluate_tick(context)
        return [
            (r.partition_key, {k: v for k, v in r.tags.items() if k.startswith("fleet/")})
            for r in data.run_requests or []
        ]

    assert schedules["findity_every_15_minutes"].cron_schedule == "*/15 * * * *"
    assert requested("findity_every_15_minutes") == [
        ("nordic", {"fleet/tenant": "nordic", "fleet/provider": "findity"})
    ]
    assert [key for key, _ in requested("ivesk_hourly")] == ["vilnius"]  # kaunas has its own cron
    assert [key for key, _ in requested(schedule_name("ivesk", "*/5 * * * *"))] == ["kaunas"]
    assert requested("pleo_hourly") == []
    assert schedule_name("candis", "30 6 * * *") == "candis_daily_at_0630"
    assert schedule_name("candis", "0 6 * * 1-5") == "candis_cron_0_6_x_x_1_5"
