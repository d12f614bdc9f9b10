"""The Dagster code location of the fleet: `dagster dev -m orchestrate.definitions` (or `./scripts/fleet`).

* **Assets**: one per provider, `fleet/<provider>` (group `fleet`), partitioned by tenant
  (`DynamicPartitionsDefinition` `<provider>_tenants`). Materializing a partition runs that tenant's
  `meltano --environment=<env> run --state-id-suffix=<tenant> <tap> <loader> [<write-back>]` (runner.py):
  Meltano's output in the run's logs, rows per stream, duration and exit code as materialization metadata.
* **Pools**: each asset is in the pool `fleet-<provider>` (the per-provider cap; the instance's
  `concurrency.pools.default_limit`, or `dagster instance concurrency set fleet-<provider> N`). The global cap is
  the run queue's `concurrency.runs.max_concurrent_runs` (orchestrate/dagster.yaml). Loads into one DuckDB file
  never overlap: the run holds `<duckdb file>.lock` (runner.py), whatever the pools say.
* **Retries**: RetryPolicy (exponential backoff with jitter) for transient failures; permanent ones raise
  `Failure(allow_retries=False)`; an unknown failure is retried once (runner.classify, the README's rule).
* **Sensor** `fleet_tenants`: keeps every provider's partitions equal to the tenants of the tenants file.
* **Sensor** `fleet_webhooks` (webhook_sensor.py): the webhook receiver's pending events become the tenant's run.
* **Schedules** `<provider>_<cron>`: one per provider and cron (the provider's default: hourly, Findity every
  15 minutes; and every `schedule:` a tenant sets), requesting one run per tenant of that cron whose change
  probe (probe.py) does not say that nothing is new.

The tenants file is read again at every run, sensor tick and schedule tick, so edits apply without a reload;
only a tenant with a new cron needs the code location reloaded (for its schedule to exist).
"""

import re
import typing as t

import dagster as dg

from orchestrate.probe import decide_all, record_success
from orchestrate.runner import TRANSIENT, UNKNOWN, RunResult, RunStartError, run_tenant
from orchestrate.settings import FleetSettings
from orchestrate.tenants import PROVIDERS, Fleet, TenantsFileError, load_fleet
from orchestrate.webhook_sensor import webhook_sensor

TENANT_TAG = "fleet/tenant"
PROVIDER_TAG = "fleet/provider"


def asset_key(provider: str) -> dg.AssetKey:
    return dg.AssetKey(["fleet", provider])


def partitions_name(provider: str) -> str:
    return f"{provider}_tenants"


def pool_name(provider: str) -> str:
    return f"fleet-{provider}"


def schedule_name(provider: str, cron: str) -> str:
    """`ivesk_hourly`, `findity_every_15_minutes`, `candis_daily_at_0630`, else `<provider>_cron_<fields>`."""
    minute, hour, *rest = cron.split()
    plain = all(field == "*" for field in rest)
    if plain and hour == "*" and (every := re.fullmatch(r"\*/(\d+)", minute)):
        return f"{provider}_every_{every.group(1)}_minutes"
    if plain and minute == "0" and hour == "*":
        return f"{provider}_hourly"
    if plain and minute.isdigit() and hour.isdigit():
        return f"{provider}_daily_at_{int(hour):02d}{int(minute):02d}"
    fields = re.sub(r"[^0-9A-Za-z]+", "_", cron.replace("*", "x").replace("/", "every")).strip("_")
    return f"{provider}_cron_{fields}"


def retry_policy(settings: FleetSettings) -> dg.RetryPolicy:
    return dg.RetryPolicy(
        max_retries=settings.retry_max_retries,
        delay=settings.retry_delay,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


def _metadata(result: RunResult) -> dict[str, t.Any]:
    metadata: dict[str, t.Any] = {
        "tenant": result.tenant,
        "exit_code": result.exit_code,
        "duration_s": dg.MetadataValue.float(round(result.duration, 3)),
        "started_at": dg.MetadataValue.timestamp(result.started_at),
        "finished_at": dg.MetadataValue.timestamp(result.finished_at),
        "rows": dg.MetadataValue.json(result.rows),
        "rows_total": sum(result.rows.values()),
        "command": dg.MetadataValue.text(" ".join(["meltano", *result.command[1:]])),
    }
    metadata |= {f"rows/{stream}": count for stream, count in sorted(result.rows.items())}
    if result.state_id:
        metadata["state_id"] = result.state_id
    if result.duckdb_file:
        metadata["duckdb_file"] = dg.MetadataValue.path(result.duckdb_file)
        metadata["duckdb_lock_wait_s"] = dg.MetadataValue.float(round(result.lock_wait, 3))
    return metadata


def materialize_tenant(
    context: dg.AssetExecutionContext, provider: str, settings: FleetSettings
) -> dg.MaterializeResult:
    """One tenant's run; every failure is a `Failure` that names the tenant, retried only when transient."""
    tenant = context.partition_key
    try:
        fleet = load_fleet(settings.tenants_file, settings.meltano_yml)
    except TenantsFileError as exc:
        problems = "; ".join(exc.problems)
        raise dg.Failure(
            f"tenant {tenant}: the tenants file {exc.path} is wrong: {problems}", allow_retries=False
        ) from None
    run = fleet.runs.get(tenant)
    if run is None or run.tenant.provider != provider:
        raise dg.Failure(f"tenant {tenant}: not a {provider} tenant of {settings.tenants_file}", allow_retries=False)

    def log(level: str, line: str) -> None:
        getattr(context.log, level)(line)

    try:
        result = run_tenant(run, settings, log)
    except RunStartError as exc:
        raise dg.Failure(
            str(exc), metadata={"tenant": tenant, "failure": exc.kind}, allow_retries=exc.kind == TRANSIENT
        ) from None
    metadata = _metadata(result)
    if result.ok:
        record_success(settings, tenant, result.started_at)  # the change probe's "last successful run" (probe.py)
        return dg.MaterializeResult(metadata=metadata)
    kind = result.kind()
    retry = kind == TRANSIENT or (kind == UNKNOWN and context.retry_number < 1)
    metadata |= {"failure": kind, "attempt": context.retry_number + 1}
    if result.error_line:
        metadata["error"] = result.error_line
    raise dg.Failure(result.summary(), metadata=metadata, allow_retries=retry)


def tenant_asset(
    provider: str, settings: FleetSettings, partitions: dg.DynamicPartitionsDefinition
) -> dg.AssetsDefinition:
    spec = PROVIDERS[provider]
    write_back = f" {spec.write_back}" if spec.write_back else ""

    @dg.asset(
        key=asset_key(provider),
        partitions_def=partitions,
        pool=pool_name(provider),
        retry_policy=retry_policy(settings),
        group_name="fleet",
        kinds={"meltano"},
        metadata={"tap": spec.tap},
        description=(
            f"{spec.tap} for one tenant per partition: `meltano run --state-id-suffix=<tenant> {spec.tap} "
            f"<loader>{write_back}`, with the tenant's settings from the tenants file."
        ),
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return materialize_tenant(context, provider, settings)

    return _asset


def sync_requests(fleet: Fleet, instance: dg.DagsterInstance) -> tuple[list[t.Any], list[str]]:
    """The partition changes that make every provider's partitions the tenants of `fleet`, and a line each."""
    requests: list[t.Any] = []
    lines: list[str] = []
    for provider in PROVIDERS:
        partitions = dg.DynamicPartitionsDefinition(name=partitions_name(provider))
        wanted = [run.name for run in fleet.of_provider(provider)]
        have = set(instance.get_dynamic_partitions(partitions_name(provider)))
        added = [name for name in wanted if name not in have]
        removed = sorted(have - set(wanted))
        if added:
            requests.append(partitions.build_add_request(added))
            lines.append(f"{provider}: adding {', '.join(added)}")
        if removed:
            requests.append(partitions.build_delete_request(removed))
            lines.append(f"{provider}: removing {', '.join(removed)}")
    return requests, lines


def tenants_sensor(settings: FleetSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name="fleet_tenants",
        minimum_interval_seconds=settings.sensor_interval,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Keeps each provider's tenant partitions equal to the tenants of {settings.tenants_file}.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        try:
            fleet = load_fleet(settings.tenants_file, settings.meltano_yml)
        except TenantsFileError as exc:  # keep the partitions as they are until the file is right again
            return dg.SkipReason(f"{exc.path} is wrong, partitions unchanged: " + "; ".join(exc.problems))
        requests, lines = sync_requests(fleet, context.instance)
        if not requests:
            return dg.SkipReason(f"{len(fleet)} tenant(s) of {fleet.path} in sync")
        for line in lines:
            context.log.info(line)
        return dg.SensorResult(dynamic_partitions_requests=requests)

    return _sensor


def tenant_schedule(
    provider: str, cron: str, settings: FleetSettings, asset: dg.AssetsDefinition
) -> dg.ScheduleDefinition:
    status = dg.DefaultScheduleStatus.RUNNING if settings.schedules_running else dg.DefaultScheduleStatus.STOPPED

    @dg.schedule(
        cron_schedule=cron,
        name=schedule_name(provider, cron),
        target=asset,
        execution_timezone="UTC",
        default_status=status,
        description=f"One run per {provider} tenant whose schedule is `{cron}`.",
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> t.Iterator[dg.RunRequest | dg.SkipReason]:
        try:
            fleet = load_fleet(settings.tenants_file, settings.meltano_yml)
        except TenantsFileError as exc:
            yield dg.SkipReason(f"{exc.path} is wrong: " + "; ".join(exc.problems))
            return
        known = set(context.instance.get_dynamic_partitions(partitions_name(provider)))
        due = [run for run in fleet.of_provider(provider) if run.schedule == cron]
        for run in due:
            if run.name not in known:  # the sensor adds it on its next tick; the next schedule tick runs it
                context.log.warning(f"tenant {run.name} has no partition yet (the fleet_tenants sensor adds it)")
        ready = [run for run in due if run.name in known]
        skipped = 0
        for run, decision in zip(ready, decide_all(ready, settings), strict=True):  # the change probe (probe.py)
            if not decision.run:
                skipped += 1
                context.log.info(f"tenant {run.name}: no run: {decision.reason}")
                continue
            context.log.info(f"tenant {run.name}: run: {decision.reason}")
            yield dg.RunRequest(
                run_key=run.name,
                partition_key=run.name,
                asset_selection=[asset_key(provider)],
                tags={TENANT_TAG: run.name, PROVIDER_TAG: provider},
            )
        if not ready:
            yield dg.SkipReason(f"no {provider} tenant with a partition is scheduled `{cron}`")
        elif skipped == len(ready):
            yield dg.SkipReason(f"nothing new for any of the {skipped} {provider} tenant(s) (change probe)")

    return _schedule


def crons(provider: str, fleet: Fleet | None) -> list[str]:
    """The provider's default cron and every other cron its tenants ask for."""
    found = [PROVIDERS[provider].schedule]
    for run in fleet.of_provider(provider) if fleet else []:
        if run.schedule not in found:
            found.append(run.schedule)
    return found


def build_definitions(settings: FleetSettings) -> dg.Definitions:
    """Assets, sensor and schedules of the fleet. A missing or wrong tenants file still loads (the sensor
    says what is wrong); only the providers' default schedules exist then."""
    try:
        fleet: Fleet | None = load_fleet(settings.tenants_file, settings.meltano_yml)
    except TenantsFileError:
        fleet = None
    assets = []
    schedules = []
    for provider in PROVIDERS:
        asset = tenant_asset(provider, settings, dg.DynamicPartitionsDefinition(name=partitions_name(provider)))
        assets.append(asset)
        schedules += [tenant_schedule(provider, cron, settings, asset) for cron in crons(provider, fleet)]
    sensors = [tenants_sensor(settings), webhook_sensor(settings, asset_key=asset_key)]  # webhooks/README.md
    return dg.Definitions(assets=assets, sensors=sensors, schedules=schedules)


@dg.definitions
def defs() -> dg.Definitions:
    """The code location `dagster dev -m orchestrate.definitions` loads, configured from the environment."""
    return build_definitions(FleetSettings.from_env())
