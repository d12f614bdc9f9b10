"""The fleet over the sandbox's multi-tenant mode: one emulator per provider serving several tenants (Candis
organizations, Pleo companies, Įvesk company codes, Findity organizations), Dagster (in process, a test instance)
materializing five tenants of every provider with real `meltano run`s into one PostgreSQL database and one DuckDB
file, two cycles: everything, then only what is new. What landed is compared, tenant by tenant, with that
tenant's ground truth (`?tenant=`)."""

from __future__ import annotations

import collections
import contextlib
import inspect
import json
import re
import typing as t

import pytest
from tap_pleo import streams_reference
from tap_pleo.client import PleoStream
from warehouse_summary import DuckDBWarehouse, PostgresWarehouse, compare

from sandbox import candis, findity, ivesk, pleo
from tests.e2e.conftest import PostgresServer
from tests.helpers import Sandbox, sandbox_factory
from tests.orchestrate.conftest import fleet_at
from tests.orchestrate.harness import Fleet, max_overlap

pytestmark = pytest.mark.e2e

POOL_LIMIT = 2  # per provider (Dagster pool fleet-<provider> on the test instance)
FIELDS = {"candis": "organizationId", "pleo": "companyId", "ivesk": "companycode", "findity": "organizationId"}
EXCLUDE = {"candis": ("files",), "pleo": ("files", "companies"), "ivesk": ("files",), "findity": ("files",)}
SCOPE = {"candis": "organization_id", "pleo": "company_id", "ivesk": "company_codes", "findity": "organization_id"}
#: Pleo's reference streams are read in full every run (tap-pleo README): left out of the no-change rule
FULL_TABLE_PATHS = tuple(
    cls.path.split("{")[0]
    for _, cls in inspect.getmembers(streams_reference, inspect.isclass)
    if issubclass(cls, PleoStream) and cls.__module__ == streams_reference.__name__ and getattr(cls, "path", None)
)
_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}|\d{6,}")


def tenants_of(sandbox: Sandbox) -> list[dict[str, t.Any]]:
    return sandbox.admin("GET", "/tenants")["tenants"]


def truth(sandbox: Sandbox, tenant: str) -> dict[str, t.Any]:
    return sandbox.admin("GET", f"/ground-truth?tenant={tenant}")


def start_sandboxes(stack: contextlib.ExitStack) -> dict[str, Sandbox]:
    out = {}
    for name, module, config, scale, count in (
        ("candis", candis, candis.CandisConfig, 20, 6),
        ("pleo", pleo, pleo.PleoConfig, 20, 7),
        ("ivesk", ivesk, ivesk.IveskConfig, 40, 5),
        ("findity", findity, findity.FindityConfig, 20, 5),
    ):
        start = stack.enter_context(contextlib.contextmanager(sandbox_factory)(module.create_app, config, scale))
        out[name] = start(**config.tenant_settings(count))
    return out


def tenant_entries(sandboxes: dict[str, Sandbox]) -> tuple[list[dict], dict[str, str], dict[str, tuple[str, str]]]:
    """The tenants file's tenants, the secret values by variable, and {tenant: (provider, tenant id)}."""
    c, p, i, f = (sandboxes[n] for n in ("candis", "pleo", "ivesk", "findity"))
    entries: list[dict] = []
    secrets = {
        "CANDIS_SECRET": candis.CLIENT_SECRET,
        "IVESK_KEY": ivesk.API_KEY,
        "FINDITY_SECRET": findity.CLIENT_SECRET,
        "PLEO_ORG_KEY": pleo.API_KEY,
    }
    scopes: dict[str, tuple[str, str]] = {}
    candis_settings = {
        "api_url": c.url,
        "token_url": c.url + "/auth/realms/candis/protocol/openid-connect/token",
        "client_id": candis.CLIENT_ID,
        "max_retries": 1,
    }
    for n, org in enumerate(tenants_of(c)):
        name = f"candis-{org['id'].removesuffix('-organization')}"
        var = f"CANDIS_TOKEN_{n}"
        secrets[var] = org["refreshToken"] if n < 5 else "sandbox-refresh-token-revoked"  # the 6th: revoked
        entries.append(
            {
                "name": name,
                "provider": "candis",
                "organization_id": org["id"],
                "loader": "target-duckdb" if n == 0 else "target-postgres",
                "settings": candis_settings,
                "secrets": {"client_secret": "CANDIS_SECRET", "refresh_token": var},
            }
        )
        scopes[name] = ("candis", org["id"])
    companies = tenants_of(p)
    pleo_settings = {"api_url": p.url, "max_retries": 1, "max_requests_per_minute": 0}
    for n, company in enumerate(companies[:4]):
        name, var = f"pleo-{n}", f"PLEO_KEY_{n}"
        secrets[var] = company["apiKey"]  # a company-scoped key
        entries.append(
            {
                "name": name,
                "provider": "pleo",
                "company_id": company["id"],
                "loader": "target-duckdb" if n == 1 else "target-postgres",
                "settings": pleo_settings,
                "secrets": {"api_key": var},
            }
        )
        scopes[name] = ("pleo", company["id"])
    entries.append(  # one organization-scoped key, the other three companies in one run
        {
            "name": "pleo-group",
            "provider": "pleo",
            "company_ids": [company["id"] for company in companies[4:]],
            "loader": "target-postgres",
            "settings": pleo_settings,
            "secrets": {"api_key": "PLEO_ORG_KEY"},
        }
    )
    for n, company in enumerate(tenants_of(i)):
        name = f"ivesk-{company['id']}"
        entries.append(
            {
                "name": name,
                "provider": "ivesk",
                "company_codes": [company["id"]],
                "loader": "target-duckdb" if n == 2 else "target-postgres",
                "settings": {"api_url": i.url, "max_retries": 1},
                "secrets": {"api_key": "IVESK_KEY"},
            }
        )
        scopes[name] = ("ivesk", company["id"])
    for n, org in enumerate(tenants_of(f)):
        name = f"findity-{n}"
        entries.append(
            {
                "name": name,
                "provider": "findity",
                "organization_id": org["id"],
                "loader": "target-duckdb" if n == 3 else "target-postgres",
                "settings": {
                    "api_url": f.url + "/api",
                    "token_url": f.url + "/oauth/token",
                    "client_id": findity.CLIENT_ID,
                    "max_retries": 1,
                },
                "secrets": {"client_secret": "FINDITY_SECRET"},
            }
        )
        scopes[name] = ("findity", org["id"])
    entries.append(  # its secret variable is not set: fails before any meltano starts
        {
            "name": "findity-unset",
            "provider": "findity",
            "organization_id": tenants_of(f)[0]["id"],
            "settings": {"api_url": f.url + "/api", "token_url": f.url + "/oauth/token", "client_id": "x"},
            "secrets": {"client_secret": "FINDITY_UNSET_SECRET"},
        }
    )
    return entries, secrets, scopes


def cycle_order(entries: list[dict]) -> list[tuple[str, str]]:
    return [(e["provider"], e["name"]) for e in entries]


def reports(fleet: Fleet, postgres: str, sandboxes: dict, entries: list[dict]) -> dict[str, t.Any]:
    """Per tenant (and per company of pleo-group): the comparison of its rows (tenant field = its id) with its
    ground truth, in the warehouse its loader writes."""
    out = {}
    for entry in entries:
        if entry["name"] in ("findity-unset", "candis-eta"):
            continue
        provider = entry["provider"]
        ids = entry.get("company_ids") or entry.get("company_codes") or [entry.get(SCOPE[provider])]
        for tenant_id in ids:
            expected = truth(sandboxes[provider], tenant_id)
            schema = f"tap_{provider}"
            if entry["loader"] == "target-duckdb":
                warehouse = DuckDBWarehouse(fleet.root / "warehouse.duckdb", schema=schema)
            else:
                warehouse = PostgresWarehouse(postgres, schema=schema)
            with warehouse:
                warehouse.only(FIELDS[provider], tenant_id)
                report = compare(
                    expected,
                    warehouse,
                    title=f"{entry['name']} {tenant_id}",
                    exact=entry["loader"] == "target-postgres",
                    exclude=EXCLUDE[provider],
                )
            out[f"{entry['name']}/{tenant_id}"] = (report, expected)
    return out


def assert_reports(found: dict[str, t.Any], *, no_duplicates: bool) -> None:
    for key, (report, expected) in found.items():
        assert report.ok, f"{key}\n" + report.render()
        compared = [ln for ln in report.lines if ln.label == "rows"]
        assert sum(int(expected["streams"][ln.stream]["count"]) for ln in compared) > 0, key
        assert [ln for ln in report.lines if ln.label not in ("rows", "bytes")], f"{key}: no money compared"
        if no_duplicates:
            assert not [ln for ln in compared if ln.note], f"{key}\n" + report.render()


def requests_per_tenant_and_endpoint(sandbox: Sandbox, tenant_ids: list[str]) -> collections.Counter:
    """The sandbox's requests by (tenant, endpoint): the tenant whose id the path or query names (else `*`), the
    path with its ids replaced by `{id}`."""
    counts: collections.Counter = collections.Counter()
    for entry in sandbox.requests():
        if entry["path"].startswith(("/_sandbox", *FULL_TABLE_PATHS)):
            continue
        text = entry["path"] + json.dumps(entry.get("query") or {})
        tenant = next((tenant for tenant in tenant_ids if tenant in text), "*")
        counts[(tenant, entry.get("method", "GET") + " " + _IDS.sub("{id}", entry["path"]))] += 1
    return counts


@pytest.mark.timeout(1500)  # two cycles of 22 + 20 meltano runs: ~8 min alone, far more on a loaded CI machine
def test_a_multi_tenant_fleet_lands_every_tenant_once_with_its_own_truth_state_and_failures(
    tmp_path, postgres_server: PostgresServer
) -> None:
    with contextlib.ExitStack() as stack:
        sandboxes = start_sandboxes(stack)
        fleet: Fleet = stack.enter_context(fleet_at(tmp_path))
        database = postgres_server.create_database("fleet_multitenant")
        entries, secrets, scopes = tenant_entries(sandboxes)
        fleet.write_tenant_list(entries)
        fleet.with_settings(
            environ={**fleet.settings.base_environ(), **secrets, **postgres_server.target_env(database)}
        )
        fleet.sync_partitions()
        for provider in sandboxes:
            fleet.instance.event_log_storage.set_concurrency_slots(f"fleet-{provider}", POOL_LIMIT)
        assert len(fleet.partitions("candis")) == 6 and len(fleet.partitions("findity")) == 6
        assert len(fleet.partitions("pleo")) == 5 and len(fleet.partitions("ivesk")) == 5
        good = [e["name"] for e in entries if e["name"] not in ("candis-eta", "findity-unset")]

        # ---------------------------------------------------------------- cycle 1: everything
        first = fleet.materialize_many(cycle_order(entries))

        failed = sorted(name for name, o in first.items() if not o.success)
        assert failed == ["candis-eta", "findity-unset"], {n: first[n].failure for n in failed}
        revoked, unset = first["candis-eta"], first["findity-unset"]
        assert revoked.failure.startswith("tenant candis-eta: tap-candis: error: ")
        assert "credentials rejected: invalid_grant" in revoked.failure
        assert unset.failure == (
            "tenant findity-unset: environment variable(s) FINDITY_UNSET_SECRET not set (named in the tenants file)"
        )
        for failure in (revoked, unset):  # permanent: failed once, never retried
            assert failure.events == ["STEP_START", "STEP_FAILURE"] and failure.metadata["failure"] == "permanent"
        for name in good:
            first[name].assert_succeeded()
            assert first[name].metadata["rows_total"] > 0
        # each tenant its own state id, loader in it
        entry_of = {e["name"]: e for e in entries}
        for name in good:
            provider = entry_of[name]["provider"]
            loader = entry_of[name]["loader"]
            assert first[name].metadata["state_id"] == f"test:tap-{provider}-to-{loader}:{name}"
        # the concurrency cap: never more than POOL_LIMIT runs of one provider at once, and it was reached
        by_provider = {
            provider: max_overlap(w for e in entries if e["provider"] == provider for w in first[e["name"]].windows())
            for provider in sandboxes
        }
        assert max(by_provider.values()) == POOL_LIMIT and min(by_provider.values()) >= 1, by_provider
        # the DuckDB runs (one file, all providers) took turns
        duckdb_runs = [
            first[e["name"]].metadata for e in entries if e["name"] in good and e["loader"] == "target-duckdb"
        ]
        assert len(duckdb_runs) == 4
        assert max_overlap((m["started_at"], m["finished_at"]) for m in duckdb_runs) == 1
        # every tenant's rows, once, with its id, its money = its ground truth
        landed = reports(fleet, postgres_server.dsn(database), sandboxes, entries)
        assert len(landed) == 5 + 4 + 3 + 5 + 5  # candis, pleo (4 + pleo-group's 3 companies), ivesk, findity
        assert_reports(landed, no_duplicates=True)
        # pleo-group read each of its three companies: per company what that company holds
        group = [key for key in landed if key.startswith("pleo-group/")]
        assert len(group) == 3
        for key in group:
            _, expected = landed[key]
            assert int(expected["streams"]["accounting_entries"]["count"]) > 0
        assert first["pleo-group"].metadata["rows/accounting_entries"] == sum(
            int(landed[key][1]["streams"]["accounting_entries"]["count"]) for key in group
        )
        # Meltano's output is in the runs' logs; no secret value is
        logs = {name: "\n".join(fleet.log_messages(first[name].run_id)) for name in [*good, "candis-eta"]}
        assert "Block run completed" in logs["ivesk-302320404"] and "invalid_grant" in logs["candis-eta"]
        values = [v for v in secrets.values() if len(v) > 8]
        assert not [name for name, text in logs.items() if any(v in text for v in values)]
        # the write-backs closed each tenant's own exports / jobs
        for org in tenants_of(sandboxes["findity"]):
            statuses = {
                e["status"] for e in sandboxes["findity"].admin("GET", f"/findity/exports?organizationId={org['id']}")
            }
            assert statuses == {"PROCESSED"}, (org["id"], statuses)

        # ---------------------------------------------------------------- cycle 2: only what is new
        ivesk_new = scopes["ivesk-" + tenants_of(sandboxes["ivesk"])[0]["id"]][1]
        landed_before = int(landed[f"ivesk-{ivesk_new}/{ivesk_new}"][1]["streams"]["documents"]["count"])
        exported = sandboxes["ivesk"].admin("POST", "/ivesk/export", {"count": 3, "companycode": ivesk_new})
        assert exported["exported"] == 3
        for sandbox in sandboxes.values():
            sandbox.clear_requests()
        second = fleet.materialize_many([(entry_of[name]["provider"], name) for name in good])

        for name in good:
            second[name].assert_succeeded()
        assert second[f"ivesk-{ivesk_new}"].metadata["rows/documents"] == 3
        # the no-change rule of the e2e tests, per tenant: at most two requests per endpoint (the tenant with new
        # documents left out: it downloads their files; Pleo's full-table reference streams left out); requests
        # naming no tenant, at most two per tenant run
        tenant_ids = {provider: [tid for p, tid in scopes.values() if p == provider] for provider in sandboxes}
        tenant_ids["pleo"] += [c["id"] for c in tenants_of(sandboxes["pleo"])[4:]]
        runs = collections.Counter(entry_of[name]["provider"] for name in good)
        for provider, sandbox in sandboxes.items():
            counts = requests_per_tenant_and_endpoint(sandbox, tenant_ids[provider])
            assert counts, provider
            too_many = {
                key: n
                for key, n in counts.items()
                if key[0] != ivesk_new and n > (2 * runs[provider] if key[0] == "*" else 2)
            }
            assert not too_many, (provider, too_many)
        landed = reports(fleet, postgres_server.dsn(database), sandboxes, entries)
        assert_reports(landed, no_duplicates=True)
        # its three new documents landed beside the ones before (the ground truth counts each document once)
        assert int(landed[f"ivesk-{ivesk_new}/{ivesk_new}"][1]["streams"]["documents"]["count"]) == landed_before + 3
