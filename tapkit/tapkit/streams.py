"""Stream building blocks the taps share beyond HTTP (see `tapkit.http` for the request policy)."""

from __future__ import annotations

import typing as t


class OncePerParentChild:
    """Mixed in (before the base stream) into a child stream that is synced once per parent record.

    No state per parent: it would grow by one entry per export, job or document forever. No
    ACTIVATE_VERSION: a new table version per parent would make a target drop the rows of every other parent.
    """

    state_partitioning_keys: t.ClassVar[list[str]] = []

    @property
    def emit_activate_version_messages(self) -> bool:
        return False


class SharedTokenRetry:
    """Mixed in before `tapkit.http.ProviderHTTPMixin` into a stream whose requests run side by side (parallel
    child reads and downloads, tapkit.prefetch): a 401 to a request sent with an access token another request
    has since renewed is retried with the new token, without throwing that one away (a second renewal, and
    `the credentials were rejected` for requests in flight with it)."""

    def validate_status(self, response: t.Any) -> None:
        if response.status_code == 401 and self._sent_with_a_renewed_token(response):
            from singer_sdk.exceptions import RetriableAPIError

            from tapkit.http import describe

            error = RetriableAPIError(describe(response) + " (sent with a token since renewed)", response)
            error.refreshed_token = True  # type: ignore[attr-defined] # retried at once
            raise error
        super().validate_status(response)  # type: ignore[misc]

    def _sent_with_a_renewed_token(self, response: t.Any) -> bool:
        token = getattr(self.authenticator, "access_token", None)  # type: ignore[attr-defined]
        sent = response.request.headers.get("Authorization") if response.request is not None else None
        return bool(token and sent) and sent != f"Bearer {token}"
