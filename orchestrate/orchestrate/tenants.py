"""The tenants file: every tenant of a fleet, its provider scope, and the NAMES of the variables holding its secrets.

One file (``tenants.yml`` at the project root by default) describes the whole fleet; the Dagster code location
builds one partition per tenant from it, and each run gets the tenant's settings as Meltano environment
variables. Secret values never appear in the file: a tenant names the environment variable that holds each
secret (``secrets: {client_secret: ACME_CANDIS_CLIENT_SECRET}``), read only when its run starts, so a
missing variable fails that tenant's run alone.

A file that is wrong is refused as a whole, one line per problem (unknown provider, duplicate name, unknown
key, a secret setting given as a plain value, ...): a fleet that silently skipped a misspelt tenant would
look healthy while one client's books stopped arriving.
"""

from __future__ import annotations

import dataclasses
import json
import typing as t
from pathlib import Path

import pydantic
import yaml

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
CRON = r"^[0-9A-Za-z*/,?LW#-]+( [0-9A-Za-z*/,?LW#-]+){4}$"  # five cron fields


@dataclasses.dataclass(frozen=True)
class Provider:
    """What the fleet needs to know of one provider's tap."""

    tap: str
    #: The settings that scope a run to one tenant; one of them must be given.
    scope: tuple[str, ...]
    #: Write-back run after the load (`meltano run tap target <write_back>`), if any: the utility plugin's
    #: command, as Meltano cannot place the extractor's own command (`tap-x:ack`) after a loader.
    write_back: str | None
    #: Default schedule (cron): hourly; Findity asks integrations that poll to do so every 15 minutes.
    schedule: str
    #: The record field that names the tenant.
    tenant_field: str


PROVIDERS: dict[str, Provider] = {
    "candis": Provider("tap-candis", ("organization_id",), None, "0 * * * *", "organizationId"),
    "pleo": Provider("tap-pleo", ("company_id", "company_ids"), "pleo-writeback:ack", "0 * * * *", "companyId"),
    "ivesk": Provider("tap-ivesk", ("company_codes",), None, "0 * * * *", "companycode"),
    "findity": Provider("tap-findity", ("organization_id",), "findity-writeback:ack", "*/15 * * * *", "organizationId"),
}


class TenantsFileError(Exception):
    """The tenants file is wrong; `problems` holds one line per problem."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class TenantRunError(Exception):
    """One tenant cannot run (a secret variable is missing); the other tenants are not affected."""


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class Defaults(_Strict):
    """Values every tenant inherits unless it sets its own."""

    environment: str | None = pydantic.Field(None, description="Meltano environment (`meltano --environment`).")
    loader: str = pydantic.Field("target-duckdb", description="Meltano loader plugin the tenant's data goes to.")
    start_date: str | None = pydantic.Field(None, description="The taps' `start_date`.")
    files_root: str | None = pydantic.Field(
        None, description="When set, each tenant's `files_dir` is `<files_root>/<tenant name>`."
    )
    write_back: bool = pydantic.Field(True, description="Run the provider's write-back after the load (Pleo, Findity).")


SNS_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"


class Webhook(_Strict):
    """How the webhook receiver (webhooks/) knows this tenant's events: secrets by variable NAME, like `secrets:`."""

    secret: str | None = pydantic.Field(
        None,
        pattern=ENV_NAME,
        description="NAME of the variable holding the webhook secret: Pleo the subscription's signing secret "
        "(`whsec_...`), Findity the secret path segment of the URL given to Findity.",
    )
    topic_arns: list[t.Annotated[str, pydantic.Field(pattern=SNS_TOPIC_ARN)]] = pydantic.Field(
        default_factory=list, description="Įvesk: the SNS topics (TopicArn) whose messages are accepted."
    )


#: What a provider's webhook block needs (Candis sends no webhooks).
WEBHOOK_NEEDS = {"ivesk": "topic_arns", "pleo": "secret", "findity": "secret"}


class Tenant(_Strict):
    """One provider scope with its own credentials or scope id."""

    name: str = pydantic.Field(pattern=SLUG, description="Unique slug: the Meltano state id suffix and partition key.")
    provider: t.Literal["candis", "pleo", "ivesk", "findity"]
    organization_id: str | None = pydantic.Field(None, description="Candis or Findity organization.")
    company_id: str | None = pydantic.Field(None, description="Pleo company.")
    company_ids: list[str] | None = pydantic.Field(None, description='Pleo companies under one key (or ["*"]).')
    company_codes: list[str] | None = pydantic.Field(None, description="Įvesk company codes.")
    secrets: dict[str, t.Annotated[str, pydantic.Field(pattern=ENV_NAME)]] = pydantic.Field(
        default_factory=dict, description="Secret setting -> NAME of the environment variable holding its value."
    )
    settings: dict[str, t.Any] = pydantic.Field(default_factory=dict, description="Other (non-secret) tap settings.")
    environment: str | None = None
    loader: str | None = None
    start_date: str | None = None
    files_dir: str | None = None
    schedule: str | None = pydantic.Field(
        None, pattern=CRON, description="Cron schedule (5 fields, UTC); default per provider."
    )
    write_back: bool | None = None
    webhook: Webhook | None = pydantic.Field(None, description="The tenant's provider events (webhooks/README.md).")

    @property
    def spec(self) -> Provider:
        return PROVIDERS[self.provider]


class TenantsFile(_Strict):
    version: t.Literal[1] = 1
    defaults: Defaults = Defaults()
    tenants: list[Tenant]


@dataclasses.dataclass(frozen=True)
class TenantRun:
    """Everything one tenant's run needs, resolved against the defaults."""

    tenant: Tenant
    environment: str | None
    loader: str
    schedule: str
    write_back: str | None
    #: Non-secret settings, as Meltano environment variables.
    env: dict[str, str]
    #: Secret setting environment variable -> the variable the tenants file names for it.
    secret_vars: dict[str, str]

    @property
    def name(self) -> str:
        return self.tenant.name

    @property
    def tap(self) -> str:
        return self.tenant.spec.tap

    def command(self, meltano: str = "meltano") -> list[str]:
        """`meltano [--environment=E] run --state-id-suffix=<tenant> <tap> <loader> [<write-back>]`."""
        args = [meltano]
        if self.environment:
            args.append(f"--environment={self.environment}")
        args += ["run", f"--state-id-suffix={self.name}", self.tap, self.loader]
        if self.write_back:
            args.append(self.write_back)
        return args

    def environ(self, environ: t.Mapping[str, str]) -> dict[str, str]:
        """The variables to add to the run's environment: settings plus secrets read from `environ` now."""
        missing = sorted({v for v in self.secret_vars.values() if not environ.get(v)})
        if missing:
            msg = (
                f"tenant {self.name}: environment variable(s) {', '.join(missing)} not set (named in the tenants file)"
            )
            raise TenantRunError(msg)
        return {**self.env, **{var: environ[source] for var, source in self.secret_vars.items()}}


class Fleet:
    """A validated tenants file."""

    def __init__(self, path: str, document: TenantsFile, runs: list[TenantRun]) -> None:
        self.path = path
        self.document = document
        self.runs = {run.name: run for run in runs}

    def __iter__(self) -> t.Iterator[TenantRun]:
        return iter(self.runs.values())

    def __len__(self) -> int:
        return len(self.runs)

    def of_provider(self, provider: str) -> list[TenantRun]:
        return [run for run in self if run.tenant.provider == provider]


def setting_env(tap: str, name: str, value: t.Any) -> tuple[str, str]:
    """A tap setting as the environment variable Meltano reads (arrays and objects as JSON)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return f"{tap.upper().replace('-', '_')}_{name.upper()}", text


def plugin_settings(meltano_yml: t.Mapping[str, t.Any], kind: str) -> dict[str, dict[str, bool]]:
    """{plugin name: {setting name: sensitive?}} of the plugins of `kind` in a parsed meltano.yml."""
    plugins = (meltano_yml.get("plugins") or {}).get(kind) or []
    return {p["name"]: {s["name"]: bool(s.get("sensitive")) for s in p.get("settings") or []} for p in plugins}


def load_fleet(path: str | Path, meltano_yml: str | Path) -> Fleet:
    """Read and validate the tenants file against the project's meltano.yml; TenantsFileError lists every
    problem, one line each."""
    path = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TenantsFileError(path, ["does not exist"]) from None
    except (OSError, yaml.YAMLError) as exc:
        raise TenantsFileError(path, [" ".join(f"cannot be read as YAML: {exc}".split())]) from None
    try:
        document = TenantsFile.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise TenantsFileError(path, [_problem(raw, error) for error in exc.errors()]) from None
    project = yaml.safe_load(Path(meltano_yml).read_text(encoding="utf-8"))
    problems, runs = _resolve(
        document,
        plugin_settings(project, "extractors"),
        plugin_settings(project, "loaders"),
        plugin_settings(project, "utilities"),
    )
    if problems:
        raise TenantsFileError(path, problems)
    return Fleet(path, document, runs)


def _problem(raw: t.Any, error: t.Mapping[str, t.Any]) -> str:
    """A pydantic error as one line that names the tenant (by name when it has one) and the key."""
    loc = list(error["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] == "tenants" and isinstance(loc[1], int):
        tenants = raw.get("tenants") if isinstance(raw, dict) else None
        entry = tenants[loc[1]] if isinstance(tenants, list) and loc[1] < len(tenants) else None
        label = entry.get("name") if isinstance(entry, dict) and entry.get("name") else f"#{loc[1] + 1}"
        where = f"tenant {label}" + ("" if len(loc) == 2 else ": " + ".".join(str(p) for p in loc[2:]))
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    if kind == "literal_error" and loc[-1] == "provider":
        return f"{where}: unknown provider {error.get('input')!r} (one of {', '.join(PROVIDERS)})"
    if kind == "missing":
        return f"{where}: required"
    return f"{where}: {error['msg']}"


def _resolve(
    document: TenantsFile,
    extractors: dict[str, dict[str, bool]],
    loaders: dict[str, dict[str, bool]],
    utilities: dict[str, dict[str, bool]] | None = None,
) -> tuple[list[str], list[TenantRun]]:
    problems: list[str] = []
    runs: list[TenantRun] = []
    seen: set[str] = set()
    defaults = document.defaults
    for tenant in document.tenants:
        label = f"tenant {tenant.name}"
        if tenant.name in seen:
            problems.append(f"{label}: duplicate name")
            continue
        seen.add(tenant.name)
        spec = tenant.spec
        declared = extractors.get(spec.tap, {})
        scope = {k: getattr(tenant, k) for k in spec.scope if getattr(tenant, k) is not None}
        wrong_scope = [
            k
            for k in ("organization_id", "company_id", "company_ids", "company_codes")
            if k not in spec.scope and getattr(tenant, k) is not None
        ]
        if wrong_scope:
            problems.append(
                f"{label}: {', '.join(wrong_scope)} is not a {tenant.provider} scope (use {' or '.join(spec.scope)})"
            )
        if len(scope) != 1:
            problems.append(f"{label}: give exactly one of {', '.join(spec.scope)}")
        for name in sorted(tenant.settings):
            if name not in declared:
                problems.append(f"{label}: settings.{name} is not a {spec.tap} setting")
            elif declared[name]:
                problems.append(f"{label}: settings.{name} is secret: name its environment variable under secrets")
        for name in sorted(tenant.secrets):
            if name not in declared:
                problems.append(f"{label}: secrets.{name} is not a {spec.tap} setting")
        problems += _webhook_problems(label, tenant)
        loader = tenant.loader or defaults.loader
        if loader not in loaders:
            problems.append(f"{label}: loader {loader} is not a loader of meltano.yml")
        start_date = tenant.start_date or defaults.start_date
        files_dir = tenant.files_dir or (
            f"{defaults.files_root.rstrip('/')}/{tenant.name}" if defaults.files_root else None
        )
        values = {**tenant.settings, **scope}
        values |= {k: v for k, v in (("start_date", start_date), ("files_dir", files_dir)) if v}
        env = dict(setting_env(spec.tap, k, v) for k, v in values.items())
        secret_vars = {setting_env(spec.tap, k, "")[0]: source for k, source in tenant.secrets.items()}
        write_back = tenant.write_back if tenant.write_back is not None else defaults.write_back
        if write_back and spec.write_back:
            # The write-back utility gets the same settings under its own names (FINDITY_WRITEBACK_*): Meltano
            # passes a utility's resolved settings to it, so its defaults would override the tap's variables.
            utility = spec.write_back.split(":", 1)[0]
            shared = (utilities or {}).get(utility, {})
            env |= dict(setting_env(utility, k, v) for k, v in values.items() if k in shared)
            secret_vars |= {setting_env(utility, k, "")[0]: src for k, src in tenant.secrets.items() if k in shared}
        runs.append(
            TenantRun(
                tenant=tenant,
                environment=tenant.environment or defaults.environment,
                loader=loader,
                schedule=tenant.schedule or spec.schedule,
                write_back=spec.write_back if write_back else None,
                env=env,
                secret_vars=secret_vars,
            )
        )
    return problems, runs


def _webhook_problems(label: str, tenant: Tenant) -> list[str]:
    hook = tenant.webhook
    if hook is None:
        return []
    needs = WEBHOOK_NEEDS.get(tenant.provider)
    if needs is None:
        return [f"{label}: webhook: {tenant.provider} sends no webhooks"]
    problems = []
    if not getattr(hook, needs):
        problems.append(f"{label}: webhook.{needs}: required for {tenant.provider}")
    unused = [key for key in ("secret", "topic_arns") if key != needs and getattr(hook, key)]
    problems += [f"{label}: webhook.{key}: not used by {tenant.provider}" for key in unused]
    return problems


def schema() -> dict[str, t.Any]:
    """The tenants file's JSON Schema (for editors and CI)."""
    return TenantsFile.model_json_schema()
