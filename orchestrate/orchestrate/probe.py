"""The change probe: before a schedule asks for a tenant's run, a cheap HTTP request says whether the provider
holds anything the tap would read. Tenants with nothing new get no run; everything else runs (any doubt: run).

Why: a `meltano run` costs 6-11 s on a small machine even when nothing changed (Meltano, tap and target
start-up; benchmarks/README.md, *Fleet*). A probe costs one token request and one list request.

The rule (:func:`decide`), per tenant at a schedule tick:

1. the probe is off (FLEET_PROBE=0), or the provider has no sound probe (Candis, Pleo, Įvesk today): run;
2. no successful run recorded for the tenant, or the last one started more than FLEET_FORCE_RUN_AFTER seconds
   ago (default 86400): run — this covers what a probe cannot see;
3. the probe fails in any way (no token, HTTP error, timeout, an answer it does not understand): run;
4. the probe finds work: run; it finds none: skip.

A successful materialization (by a schedule, a sensor or by hand: the asset itself always runs) records when
it started in `<fleet home>/tenants/<tenant>/last_success.json` (:func:`record_success`).

Findity (exact): tap-findity reads one thing, `GET /v1/connect/organizations/{org}/exports` — the exports
not yet processed (a full table over that queue; each export's vouchers, rows and files hang off it), and
the write-back acknowledges them after the load. An empty list means a run would extract nothing. An export
that was loaded but not acknowledged (write-back off or failed) stays listed, so such a tenant keeps running.

Secrets: the probe reads the tenant's secrets from the variables the tenants file names, as the run does;
no secret, token or authorization header is ever logged or put into a reason.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import re
import time
import typing as t
from pathlib import Path

import requests
import yaml

from orchestrate.settings import FleetSettings
from orchestrate.tenants import TenantRun, TenantRunError

RUN, SKIP = "run", "skip"


@dataclasses.dataclass(frozen=True)
class Decision:
    tenant: str
    run: bool
    reason: str


class ProbeError(Exception):
    """The probe could not tell (the tenant runs); the message is safe to log."""


# ------------------------------------------------------------------------------------------- last success
def _success_file(settings: FleetSettings, tenant: str) -> Path:
    return settings.fleet_home / "tenants" / tenant / "last_success.json"


def record_success(settings: FleetSettings, tenant: str, started_at: float) -> None:
    """Record that a run of `tenant` that started at `started_at` (epoch seconds) succeeded."""
    path = _success_file(settings, tenant)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"started_at": started_at}), encoding="utf-8")
    os.replace(tmp, path)


def last_success(settings: FleetSettings, tenant: str) -> float | None:
    """When the tenant's last successful run started, or None (never, or unreadable)."""
    try:
        value = json.loads(_success_file(settings, tenant).read_text(encoding="utf-8"))["started_at"]
        return float(value)
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ------------------------------------------------------------------------------------------- tap config
def _expand(value: str, env: t.Mapping[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), m.group(0)), value)


def _named(items: t.Any, name: str) -> dict[str, t.Any]:
    return next((item for item in items or [] if isinstance(item, dict) and item.get("name") == name), {})


def tap_config(run: TenantRun, settings: FleetSettings, env: t.Mapping[str, str]) -> dict[str, str]:
    """The tap settings the run would get, resolved as Meltano does for the names the probe needs: the
    run's environment variables (`TAP_X_<SETTING>`), the Meltano environment's config, the plugin's config,
    the setting's default."""
    project = yaml.safe_load(settings.meltano_yml.read_text(encoding="utf-8")) or {}
    plugin = _named((project.get("plugins") or {}).get("extractors"), run.tap)
    active = run.environment or env.get("MELTANO_ENVIRONMENT") or project.get("default_environment")
    environment = _named(project.get("environments"), str(active)).get("config") or {}
    in_environment = _named((environment.get("plugins") or {}).get("extractors"), run.tap).get("config") or {}
    prefix = run.tap.upper().replace("-", "_") + "_"
    config: dict[str, str] = {}
    for setting in plugin.get("settings") or []:
        name = setting["name"]
        value = env.get(setting.get("env") or prefix + name.upper())
        if value is None:
            value = in_environment.get(name, (plugin.get("config") or {}).get(name, setting.get("value")))
        if value is not None:
            config[name] = _expand(str(value), {**env, "MELTANO_PROJECT_ROOT": str(settings.project_root)})
    return config


# ------------------------------------------------------------------------------------------- probes
def _get(session: requests.Session, url: str, what: str, timeout: float, **kwargs: t.Any) -> t.Any:
    try:
        response = session.request(kwargs.pop("method", "GET"), url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise ProbeError(f"{what}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise ProbeError(f"{what}: HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise ProbeError(f"{what}: not JSON") from None


def probe_findity(config: t.Mapping[str, str], session: requests.Session, timeout: float) -> tuple[bool, str]:
    """(work?, what was found): the organization's unprocessed exports (tap-findity's only list)."""
    for name in ("api_url", "token_url", "client_id", "client_secret", "organization_id"):
        if not config.get(name):
            raise ProbeError(f"setting {name} not known")
    form = {"grant_type": "client_credentials"}
    auth = None
    if config.get("token_client_auth") == "basic":
        auth = (config["client_id"], config["client_secret"])
    else:
        form |= {"client_id": config["client_id"], "client_secret": config["client_secret"]}
    token = _get(session, config["token_url"], "token request", timeout, method="POST", data=form, auth=auth)
    access = token.get("access_token") if isinstance(token, dict) else None
    if not isinstance(access, str) or not access:
        raise ProbeError("token request: no access_token")
    url = f"{config['api_url'].rstrip('/')}/v1/connect/organizations/{config['organization_id']}/exports"
    body = _get(session, url, "GET /exports", timeout, headers={"Authorization": f"Bearer {access}"})
    if isinstance(body, dict):
        body = next((body[k] for k in ("data", "exports", "items", "results") if isinstance(body.get(k), list)), None)
    if not isinstance(body, list):
        raise ProbeError("GET /exports: not a list")
    return bool(body), f"{len(body)} unprocessed export(s)"


#: The providers with a sound probe: a provider missing here always runs.
PROBES: dict[str, t.Callable[[t.Mapping[str, str], requests.Session, float], tuple[bool, str]]] = {
    "findity": probe_findity,
}


def decide(run: TenantRun, settings: FleetSettings, *, now: float | None = None) -> Decision:
    """Whether the schedule asks for this tenant's run now (the rule of the module docstring)."""
    name = run.name
    probe = PROBES.get(run.tenant.provider)
    if not settings.probe_enabled:
        return Decision(name, True, "probe off")
    if probe is None:
        return Decision(name, True, f"no change probe for {run.tenant.provider}")
    started = last_success(settings, name)
    now = time.time() if now is None else now
    if started is None:
        return Decision(name, True, "no successful run recorded")
    age = now - started
    if age >= settings.force_run_after:
        return Decision(name, True, f"last successful run started {age:.0f} s ago (>= {settings.force_run_after:.0f})")
    base = settings.base_environ()
    try:
        env = {**base, **run.environ(base)}
    except TenantRunError:
        return Decision(name, True, "a secret variable is missing (the run says which)")
    try:
        with requests.Session() as session:
            work, found = probe(tap_config(run, settings, env), session, settings.probe_timeout)
    except ProbeError as exc:
        return Decision(name, True, f"probe failed ({exc})")
    except Exception as exc:  # noqa: BLE001 - any doubt: run
        return Decision(name, True, f"probe failed ({type(exc).__name__})")
    return Decision(name, work, found if work else f"nothing new ({found})")


def decide_all(runs: t.Sequence[TenantRun], settings: FleetSettings) -> list[Decision]:
    """:func:`decide` for many tenants at once (FLEET_PROBE_WORKERS threads), in the order given."""
    if not runs:
        return []
    now = time.time()
    workers = max(1, min(settings.probe_workers, len(runs)))
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="fleet-probe") as pool:
        return list(pool.map(lambda run: decide(run, settings, now=now), runs))
