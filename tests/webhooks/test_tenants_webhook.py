"""The tenants file's `webhook:` block: what each provider needs, refused one line per problem."""

from __future__ import annotations

import pytest
from orchestrate.tenants import TenantsFileError, load_fleet

from tests.helpers import ROOT
from tests.webhooks.conftest import TOPIC_EXPORTED, Setup, tenants_document


def problems(setup: Setup, *tenants: dict) -> list[str]:
    setup.write_tenants({"version": 1, "tenants": list(tenants)})
    with pytest.raises(TenantsFileError) as caught:
        load_fleet(setup.tenants_file, ROOT / "meltano.yml")
    return caught.value.problems


def test_the_test_tenants_with_their_webhook_blocks_are_valid(setup):
    fleet = load_fleet(setup.tenants_file, ROOT / "meltano.yml")
    assert {run.name: run.tenant.webhook is not None for run in fleet} == {
        "baltic-ivesk": True,
        "nordic-pleo": True,
        "norrsken-findity": True,
    }


def test_a_webhook_block_a_provider_cannot_use_is_refused(setup):
    assert problems(
        setup,
        {"name": "c", "provider": "candis", "organization_id": "o", "webhook": {"secret": "C_SECRET"}},
        {"name": "p", "provider": "pleo", "company_id": "x", "webhook": {"topic_arns": [TOPIC_EXPORTED]}},
        {"name": "i", "provider": "ivesk", "company_codes": ["1"], "webhook": {"secret": "I_SECRET"}},
    ) == [
        "tenant c: webhook: candis sends no webhooks",
        "tenant p: webhook.secret: required for pleo",
        "tenant p: webhook.topic_arns: not used by pleo",
        "tenant i: webhook.topic_arns: required for ivesk",
        "tenant i: webhook.secret: not used by ivesk",
    ]


def test_secrets_are_variable_names_and_topics_are_sns_arns(setup):
    document = tenants_document()
    document["tenants"][0]["webhook"]["topic_arns"] = ["DPWebHook_onexport"]
    document["tenants"][1]["webhook"]["secret"] = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"  # a value, not a name
    found = problems(setup, *document["tenants"])
    assert len(found) == 2
    assert found[0].startswith("tenant baltic-ivesk: webhook.topic_arns.0: String should match pattern")
    assert found[1].startswith("tenant nordic-pleo: webhook.secret: String should match pattern")
