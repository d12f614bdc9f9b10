"""Check what went over the wire in a sandbox against the provider's transcribed contract.

Every request the sandbox logged (with bodies) is matched to its operation; the request (path and query
parameters, strictly: no parameter the operation does not define; JSON body) and the response (status,
content type, JSON body, strictly: no property the schema does not define) are validated. Requests the
contract does not cover must be on the short list of paths outside the published documents (token
endpoints, pre-signed file hosts).
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from sandbox.contract import ContractError, Deviation, load

from tests.helpers import Sandbox


@dataclasses.dataclass
class Traffic:
    errors: list[ContractError] = dataclasses.field(default_factory=list)
    uncovered: list[str] = dataclasses.field(default_factory=list)
    deviations: set[Deviation] = dataclasses.field(default_factory=set)
    operations: dict[str, int] = dataclasses.field(default_factory=dict)  # operation -> requests checked
    bodies: int = 0  # JSON response bodies validated

    def report(self, limit: int = 40) -> str:
        lines = [str(e) for e in self.errors[:limit]]
        if len(self.errors) > limit:
            lines.append(f"... and {len(self.errors) - limit} more")
        return "\n".join(lines + [f"not in the contract: {u}" for u in self.uncovered[:10]])


def check(sandbox: Sandbox, provider: str, *, outside: t.Sequence[str]) -> Traffic:
    """Validate every logged request of ``sandbox``; ``outside`` are regexes of paths the published
    documents do not cover (their requests are not checked)."""
    contract = load(provider)
    traffic = Traffic()
    seen: set[ContractError] = set()
    for entry in sandbox.requests():
        if entry.get("faults"):
            continue  # an injected fault answers what no contract defines
        operation = contract.match(entry["method"], entry["path"])
        if operation is None:
            if not any(re.search(p, entry["path"]) for p in outside):
                traffic.uncovered.append(f"{entry['method']} {entry['path']}")
            continue
        traffic.operations[operation.key] = traffic.operations.get(operation.key, 0) + 1
        assert "requestBody" in entry, "the sandbox did not log bodies (POST /_sandbox/requests/bodies)"
        errors = operation.request_errors(
            entry["path"], entry["query"], entry["requestBody"], has_body=entry["requestBody"] is not None, strict=True
        )
        errors += operation.response_errors(
            entry["status"], entry.get("contentType"), entry.get("responseBody"), strict=True
        )
        if entry.get("responseBody") is not None:
            traffic.bodies += 1
        for error in errors:
            deviation = contract.deviation_for(error)
            if deviation is not None:
                traffic.deviations.add(deviation)
            elif error not in seen:  # the same problem on every page is reported once
                seen.add(error)
                traffic.errors.append(error)
    return traffic


def assert_follows_contract(sandbox: Sandbox, provider: str, *, outside: t.Sequence[str], min_bodies: int) -> Traffic:
    """Everything ``sandbox`` logged follows ``provider``'s contract; the traffic exercised every operation of
    the contract and every listed deviation (so neither list can go stale)."""
    traffic = check(sandbox, provider, outside=outside)
    assert not traffic.uncovered and not traffic.errors, traffic.report()
    contract = load(provider)
    assert set(traffic.operations) == {op.key for op in contract.operations}, "the run left operations unchecked"
    assert traffic.bodies >= min_bodies, f"only {traffic.bodies} JSON bodies checked"
    unused = [d for d in contract.deviations if d not in traffic.deviations]
    assert not unused, f"deviations that no longer happen: {unused}"
    return traffic


def log_bodies(sandbox: Sandbox) -> None:
    sandbox.admin("POST", "/requests/bodies", {"enabled": True})
