"""`tap-candis-authorize` (Meltano: `tap-candis:authorize`): authorize tap-candis for one Candis organization in
the browser and store its refresh token, so the tenant needs no refresh-token secret.

    meltano invoke tap-candis:authorize [--no-browser] [--port N] [--timeout SECONDS] [--print-refresh-token]

The flow is tapkit.authorize's (loopback redirect, `state`, PKCE S256, the code exchanged through the tap's
request policy); Candis's part is the Keycloak endpoints, the scopes `exports core_data offline_access` and
the organization: the consent is given for one organization, asked from `GET /v1/organizations/info` with
the new access token. With `organization_id` set it must be that organization (a consent for another one is
refused, nothing stored); without, the command prints the one to set. The refresh token then starts the
organization's entry in the token store (tapkit.token_store), where the tap finds it when `refresh_token` is
unset. Settings, output (`--json`) and errors are tapkit.commands'.
"""

from __future__ import annotations

import typing as t

from tapkit.authorize import AuthorizationFlow, Tenant, add_authorize_command, authorizing
from tapkit.commands import CommandLine
from tapkit.errors import TapError

from tap_candis.auth import AUTHORIZE_URL, SCOPES, TENANT_SETTING, TOKEN_URL, client_auth
from tap_candis.client import OrganizationInfo
from tap_candis.tap import TapCandis


def organization_of(tap: t.Any) -> Tenant:
    """The organization the new access token reads; the configured `organization_id` if one is set."""
    info = OrganizationInfo(tap).fetch()
    found = str(info["id"])
    configured = tap.config.get(TENANT_SETTING)
    if configured and configured != found:
        msg = (
            f"the consent was given for organization {found}, but organization_id is {configured}: nothing was "
            "stored; authorize again and choose that organization (or change organization_id)"
        )
        raise TapError(msg)
    return Tenant(found, str(info.get("name") or ""))


FLOW = AuthorizationFlow(TOKEN_URL, AUTHORIZE_URL, SCOPES, TENANT_SETTING, organization_of, client_auth)

cli = CommandLine(
    authorizing(TapCandis),
    "tap-candis-authorize",
    "Authorize tap-candis for a Candis organization (OAuth in the browser) and store its refresh token.",
    subcommands=False,
)
add_authorize_command(cli, FLOW)
main = cli.main
