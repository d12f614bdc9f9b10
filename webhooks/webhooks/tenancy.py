"""Which tenant an event belongs to, from the tenants file (orchestrate.tenants) and each tenant's `webhook:`.

* Įvesk: the message's `companyCode` (on_exported) or the document's `companycode` (on_digitized) is one of
  the tenant's `company_codes`; its `TopicArn` one of the tenant's `webhook.topic_arns`.
* Pleo: the job's `companyId` is the tenant's `company_id` or among its `company_ids` (a tenant with
  `company_ids: ["*"]` takes the companies no other tenant names); the signature verifies with its secret.
* Findity: the URL's secret segment is the tenant's `webhook.secret` (constant-time comparison) and the body's
  `organizationId` its `organization_id`.

The file is read again when it changes, so a new tenant needs no restart. A file that is wrong keeps the last
good directory (and says so in the log); with no good file yet, every event is refused as unknown tenant.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import typing as t
from pathlib import Path

from orchestrate.tenants import Fleet, TenantRun, TenantsFileError, load_fleet

LOGGER = logging.getLogger("webhooks")


@dataclasses.dataclass
class Directory:
    """The tenants with a `webhook:` block, indexed the way each provider's events name them."""

    ivesk_codes: dict[str, TenantRun] = dataclasses.field(default_factory=dict)
    pleo_companies: dict[str, list[TenantRun]] = dataclasses.field(default_factory=dict)
    pleo_wildcards: list[TenantRun] = dataclasses.field(default_factory=list)
    findity: list[TenantRun] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, fleet: Fleet) -> Directory:
        directory = cls()
        for run in fleet:
            tenant = run.tenant
            if tenant.webhook is None:
                continue
            if tenant.provider == "ivesk":
                for code in tenant.company_codes or []:
                    other = directory.ivesk_codes.get(code)
                    if other is not None:
                        directory.problems.append(
                            f"company code {code} is in tenants {other.name} and {run.name}: its events go to {other.name}"
                        )
                        continue
                    directory.ivesk_codes[code] = run
            elif tenant.provider == "pleo":
                companies = [tenant.company_id] if tenant.company_id else list(tenant.company_ids or [])
                if "*" in companies:
                    directory.pleo_wildcards.append(run)
                for company in companies:
                    if company != "*":
                        directory.pleo_companies.setdefault(company, []).append(run)
            elif tenant.provider == "findity":
                directory.findity.append(run)
        return directory

    def ivesk_topics(self) -> set[str]:
        return {arn for run in self.ivesk_codes.values() for arn in run.tenant.webhook.topic_arns}  # type: ignore[union-attr]

    def pleo_candidates(self, company_id: str) -> list[TenantRun]:
        return self.pleo_companies.get(company_id) or self.pleo_wildcards


class Tenants:
    """The directory of the tenants file, reloaded when the file changes."""

    def __init__(self, tenants_file: Path, meltano_yml: Path) -> None:
        self.tenants_file = tenants_file
        self.meltano_yml = meltano_yml
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._directory = Directory()
        self.fleet: Fleet | None = None

    def _file_stamp(self) -> tuple[float, int] | None:
        try:
            stat = os.stat(self.tenants_file)
        except OSError:
            return None
        return stat.st_mtime, stat.st_size

    def current(self) -> Directory:
        stamp = self._file_stamp()
        with self._lock:
            if stamp == self._stamp:
                return self._directory
            self._stamp = stamp
            try:
                fleet = load_fleet(self.tenants_file, self.meltano_yml)
            except TenantsFileError as exc:
                LOGGER.error(
                    "tenants file %s is wrong, keeping the last good one: %s", exc.path, "; ".join(exc.problems)
                )
                return self._directory
            self.fleet = fleet
            self._directory = Directory.of(fleet)
            for problem in self._directory.problems:
                LOGGER.warning("tenants file %s: %s", self.tenants_file, problem)
            return self._directory

    def run(self, name: str) -> TenantRun | None:
        self.current()
        return None if self.fleet is None else self.fleet.runs.get(name)


def tenant_names(runs: t.Iterable[TenantRun]) -> str:
    return ", ".join(run.name for run in runs)
