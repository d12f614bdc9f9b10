"""The tenants file: validated as a whole (one line per problem), resolved into one Meltano run per tenant."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from orchestrate.tenants import TenantRunError, TenantsFileError, load_fleet

from tests.helpers import BIN, ROOT

MELTANO_YML = ROOT / "meltano.yml"

GOOD = """
version: 1
defaults:
  loader: target-postgres
  files_root: /data/files
  start_date: "2024-01-01T00:00:00Z"
tenants:
  - name: acme-candis
    provider: candis
    organization_id: org-acme
    settings: {client_id: partner-app}
    secrets: {client_secret: PARTNER_SECRET, refresh_token: ACME_CANDIS_REFRESH_TOKEN}
  - name: acme-pleo
    provider: pleo
    company_ids: [c-1, c-2]
    secrets: {api_key: ACME_PLEO_KEY}
    write_back: false
  - name: vilnius
    provider: ivesk
    company_codes: ["304555111"]
    secrets: {api_key: VILNIUS_KEY}
    loader: target-duckdb
  - name: nordic-findity
    provider: findity
    organization_id: 8ab28c4f8499e01c01849e2631a107a9
    settings: {client_id: nordic}
    secrets: {client_secret: NORDIC_SECRET}
    schedule: "*/5 * * * *"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_valid_file_resolves_to_one_meltano_run_per_tenant(tmp_path: Path) -> None:
    fleet = load_fleet(write(tmp_path, GOOD), MELTANO_YML)
    assert [run.name for run in fleet] == ["acme-candis", "acme-pleo", "vilnius", "nordic-findity"]
    candis, pleo, ivesk, findity = fleet
    assert candis.command() == [
        "meltano", "run", "--state-id-suffix=acme-candis", "tap-candis", "target-postgres"
    ]  # fmt: skip
    assert findity.command()[-1] == "findity-writeback:ack" and pleo.command()[-1] == "target-postgres"
    assert ivesk.loader == "target-duckdb"
    assert candis.env == {
        "TAP_CANDIS_CLIENT_ID": "partner-app",
        "TAP_CANDIS_ORGANIZATION_ID": "org-acme",
        "TAP_CANDIS_START_DATE": "2024-01-01T00:00:00Z",
        "TAP_CANDIS_FILES_DIR": "/data/files/acme-candis",
    }
    assert pleo.env["TAP_PLEO_COMPANY_IDS"] == '["c-1", "c-2"]'  # arrays as JSON, as Meltano reads them
    # the write-back utility is given the same settings under its own names (else its defaults would win)
    assert findity.env["FINDITY_WRITEBACK_ORGANIZATION_ID"] == findity.env["TAP_FINDITY_ORGANIZATION_ID"]
    assert findity.secret_vars["FINDITY_WRITEBACK_CLIENT_SECRET"] == "NORDIC_SECRET"
    assert not [var for var in pleo.env if var.startswith("PLEO_WRITEBACK_")]  # write_back: false
    assert (candis.schedule, findity.schedule, ivesk.schedule) == ("0 * * * *", "*/5 * * * *", "0 * * * *")
    assert [r.name for r in fleet.of_provider("findity")] == ["nordic-findity"]


def test_secrets_are_read_from_the_named_variables_only_when_the_run_starts(tmp_path: Path) -> None:
    candis = next(iter(load_fleet(write(tmp_path, GOOD), MELTANO_YML)))
    assert "PARTNER_SECRET" not in str(candis.env.values())
    env = candis.environ({"PARTNER_SECRET": "s3cr3t", "ACME_CANDIS_REFRESH_TOKEN": "rt"})
    assert env["TAP_CANDIS_CLIENT_SECRET"] == "s3cr3t" and env["TAP_CANDIS_REFRESH_TOKEN"] == "rt"
    with pytest.raises(TenantRunError, match=r"^tenant acme-candis: environment variable\(s\) ACME_CANDIS_REFRESH"):
        candis.environ({"PARTNER_SECRET": "s3cr3t"})


BAD = """
tenants:
  - name: one
    provider: candis
    organization_id: o1
    secretz: {}
  - name: one
    provider: candis
    organization_id: o2
  - name: two
    provider: xero
  - name: Three_Bad
    provider: ivesk
    company_codes: ["1"]
  - name: four
    provider: pleo
    organization_id: wrong-scope
    settings: {api_key: plp_in_clear, colour: blue}
  - name: five
    provider: findity
    organization_id: o5
    loader: target-snowflake
"""


def test_every_problem_of_a_bad_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(TenantsFileError) as caught:
        load_fleet(write(tmp_path, BAD), MELTANO_YML)
    problems = caught.value.problems
    assert "tenant one: secretz: unknown key" in problems
    assert any(p.startswith("tenant two: provider: unknown provider 'xero'") for p in problems)
    assert any(p.startswith("tenant Three_Bad: name:") for p in problems)
    # the schema is fine, so the second pass reports what needs meltano.yml and the other tenants
    schema_ok = BAD.replace("    secretz: {}\n", "").replace("Three_Bad", "three")
    schema_ok = schema_ok.replace("provider: xero", "provider: candis\n    organization_id: o3")
    with pytest.raises(TenantsFileError) as caught:
        load_fleet(write(tmp_path, schema_ok), MELTANO_YML)
    text = "\n".join(caught.value.problems)
    assert "tenant one: duplicate name" in text
    assert "tenant four: organization_id is not a pleo scope (use company_id or company_ids)" in text
    assert "tenant four: settings.api_key is secret: name its environment variable under secrets" in text
    assert "tenant four: settings.colour is not a tap-pleo setting" in text
    assert "tenant five: loader target-snowflake is not a loader of meltano.yml" in text


def test_the_cli_checks_a_file_and_exits_non_zero_with_one_line_per_problem(tmp_path: Path) -> None:
    good = subprocess.run(
        [str(BIN / "tenants"), "--file", str(write(tmp_path, GOOD)), "--meltano-yml", str(MELTANO_YML), "check"],
        capture_output=True, text=True, check=False, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert "4 tenant(s) valid, 4 missing secret variables now" in good.stdout
    assert good.stderr.count("warning: tenant ") == 4 and "s3cr3t" not in good.stderr
    bad = subprocess.run(
        [str(BIN / "tenants"), "--file", str(write(tmp_path, BAD)), "--meltano-yml", str(MELTANO_YML), "check"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    lines = bad.stderr.strip().splitlines()
    assert bad.returncode == 1 and len(lines) >= 3 and all(line.startswith("tenants: error: ") for line in lines)
    assert "Traceback" not in bad.stderr
