"""Fixtures of the webhook tests: a tenants file with one tenant per provider, the receiver on a free loopback
port (restartable on the same port), and the sandboxes wired to it (Įvesk's SNS host trusted, Pleo's
subscription secret, Findity's webhook URL)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
import typing as t
from pathlib import Path

import pytest
import requests
import yaml
from sandbox.findity import CLIENT_ID, CLIENT_SECRET, ORGANIZATION_ID
from sandbox.framework.server import ServerThread
from sandbox.ivesk import API_KEY as IVESK_API_KEY
from sandbox.ivesk import COMPANY_CODES
from sandbox.ivesk.webhooks import REGION_ARN, TOPICS
from sandbox.pleo import API_KEY as PLEO_API_KEY
from sandbox.pleo import DEFAULT_COMPANY_ID
from webhooks.app import Receiver
from webhooks.settings import Settings
from webhooks.store import EventStore

from tests.helpers import ROOT, Sandbox

TOPIC_EXPORTED = f"{REGION_ARN}:{TOPICS['on_exported']}"
TOPIC_DIGITIZED = f"{REGION_ARN}:{TOPICS['on_digitized']}"
FINDITY_SECRET = "f1nd1ty-hook-3c5e9a1b7d"
#: (test, seconds from the sandbox's admin action to the data in the warehouse): printed at the end of the run
LATENCIES: list[tuple[str, float]] = []
SECRETS = {  # the variables the tenants file names
    "IVESK_API_KEY": IVESK_API_KEY,
    "PLEO_API_KEY": PLEO_API_KEY,
    "FINDITY_CLIENT_ID": CLIENT_ID,
    "FINDITY_CLIENT_SECRET": CLIENT_SECRET,
    "FINDITY_WEBHOOK_SECRET": FINDITY_SECRET,
}


def wait_until(condition: t.Callable[[], t.Any], *, what: str, timeout: float = 30) -> t.Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s", pytrace=False)
        time.sleep(0.02)  # the pause between two polls
    return value


def tenants_document(
    *, ivesk: str | None = None, pleo: str | None = None, findity: str | None = None
) -> dict[str, t.Any]:
    """One tenant per provider with its `webhook:` block; the sandboxes' URLs as settings when given."""
    return {
        "version": 1,
        "defaults": {"environment": "test", "loader": "target-duckdb", "write_back": False},
        "tenants": [
            {
                "name": "baltic-ivesk",
                "provider": "ivesk",
                "company_codes": list(COMPANY_CODES),
                "secrets": {"api_key": "IVESK_API_KEY"},
                "settings": {"api_url": ivesk} if ivesk else {},
                "webhook": {"topic_arns": [TOPIC_EXPORTED, TOPIC_DIGITIZED]},
            },
            {
                "name": "nordic-pleo",
                "provider": "pleo",
                "company_id": DEFAULT_COMPANY_ID,
                "secrets": {"api_key": "PLEO_API_KEY"},
                "settings": {"api_url": pleo, "max_requests_per_minute": 0} if pleo else {},
                "webhook": {"secret": "PLEO_WEBHOOK_SECRET"},
            },
            {
                "name": "norrsken-findity",
                "provider": "findity",
                "organization_id": ORGANIZATION_ID,
                "secrets": {"client_id": "FINDITY_CLIENT_ID", "client_secret": "FINDITY_CLIENT_SECRET"},
                "settings": {"api_url": f"{findity}/api", "token_url": f"{findity}/oauth/token"} if findity else {},
                "webhook": {"secret": "FINDITY_WEBHOOK_SECRET"},
            },
        ],
    }


@dataclasses.dataclass
class Hooks:
    """The receiver under test: its URL, its store and the settings it was started with."""

    receiver: Receiver
    server: ServerThread | None
    environ: dict[str, str]

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.base_url

    @property
    def store(self) -> EventStore:
        return self.receiver.store

    @property
    def settings(self) -> Settings:
        return self.receiver.settings

    def post(self, path: str, body: bytes | dict | str, headers: dict[str, str] | None = None) -> requests.Response:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        return requests.post(f"{self.url}{path}", data=data, headers=headers or {}, timeout=30)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def start(self, port: int = 0) -> None:
        """Serve (again), on `port` (0: a free one)."""
        assert self.server is None
        self.server = ServerThread(self.receiver.app, port=port).start()


@dataclasses.dataclass
class Setup:
    """The tenants file, the secrets' environment and a factory of receivers over them."""

    root: Path
    environ: dict[str, str]
    started: list[Hooks] = dataclasses.field(default_factory=list)

    @property
    def tenants_file(self) -> Path:
        return self.root / "tenants.yml"

    @property
    def store_path(self) -> Path:
        return self.root / "events.db"

    def write_tenants(self, document: dict[str, t.Any]) -> None:
        self.tenants_file.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def settings(self, **changes: t.Any) -> Settings:
        values: dict[str, t.Any] = {
            "project_root": ROOT,
            "tenants_file": self.tenants_file,
            "store": str(self.store_path),
            "environ": self.environ,
            "sns_hosts": r"127\.0\.0\.1",
            "sns_timeout": 10.0,
        }
        return Settings(**(values | changes))

    def receiver(self, *, store: EventStore | None = None, serve: bool = True, **changes: t.Any) -> Hooks:
        hooks = Hooks(Receiver(self.settings(**changes), store=store), None, self.environ)
        self.started.append(hooks)
        if serve:
            hooks.start()
        return hooks


@pytest.fixture
def setup(tmp_path: Path) -> t.Iterator[Setup]:
    """A tenants file without sandbox URLs (enough for the receiver) and the tenants' secrets."""
    found = Setup(root=tmp_path, environ=dict(SECRETS))
    found.write_tenants(tenants_document())
    yield found
    for hooks in found.started:
        hooks.stop()
        hooks.store.close()


def trust_sns(ivesk: Sandbox, setup: Setup) -> str:
    """Start the Įvesk sandbox's SNS host; the path of its CA certificate (what the receiver trusts)."""
    view = ivesk.admin("POST", "/ivesk/sns", {"start": True})
    path = setup.root / "sns-ca.pem"
    path.write_text(view["caCertificate"], encoding="utf-8")
    return str(path)


def subscribe_ivesk(ivesk: Sandbox, target: str, event: str = "on_exported") -> dict[str, t.Any]:
    """`POST /subscriptions` (what `tap-ivesk-commands subscribe` sends); the subscription, once the receiver
    confirmed it (the sandbox's SNS host got the GET of its SubscribeURL)."""
    response = requests.post(
        f"{ivesk.url}/subscriptions",
        json={"name": f"test-{event}", "eventType": event, "target": target},
        headers={"x-api-key": IVESK_API_KEY},
        timeout=30,
    )
    assert response.status_code == 200, response.text

    def confirmed() -> dict[str, t.Any] | None:
        """Confirmed, and the confirmation's POST answered (the receiver GETs the SubscribeURL before it
        answers: a receiver stopped in between would cut a request short)."""
        subs = ivesk.admin("GET", "/ivesk/subscriptions")
        for sub in subs:
            answered = any(d["type"] == "SubscriptionConfirmation" and d["delivered"] for d in sub["deliveries"])
            if sub["eventType"] == event and sub["target"] == target and sub["confirmed"] and answered:
                return sub
        return None

    return wait_until(confirmed, what=f"confirmed {event} subscription")


def ivesk_deliveries(ivesk: Sandbox) -> list[dict[str, t.Any]]:
    return [d for s in ivesk.admin("GET", "/ivesk/subscriptions") for d in s["deliveries"]]


def subscribe_pleo(pleo: Sandbox, target: str, setup: Setup, schedule: list[float] | None = None) -> dict:
    """A Pleo webhook subscription to `target`; its secret goes where the tenants file says."""
    body: dict[str, t.Any] = {"url": target}
    if schedule is not None:
        body["retrySchedule"] = schedule
    subscription = pleo.admin("POST", "/pleo/webhooks", body)
    setup.environ["PLEO_WEBHOOK_SECRET"] = subscription["secretKey"]
    return subscription


def open_pleo_job(pleo: Sandbox, count: int = 3) -> dict[str, t.Any]:
    """The accountant clicks Export: a new pending job (the seeded open job of the company expires first)."""
    open_jobs = requests.get(
        f"{pleo.url}/v3/export-jobs",
        params={"company_id": DEFAULT_COMPANY_ID, "statuses": ["pending", "in_progress"]},
        auth=(PLEO_API_KEY, ""),
        timeout=30,
    ).json()["data"]
    for job in open_jobs:
        pleo.admin("POST", f"/pleo/export-jobs/{job['id']}/expire")
    return pleo.admin("POST", "/pleo/export-jobs", {"count": count})


def pleo_deliveries(pleo: Sandbox) -> list[dict[str, t.Any]]:
    return pleo.admin("GET", "/pleo/webhooks")["deliveries"]


@contextlib.contextmanager
def no_new_events(store: EventStore) -> t.Iterator[None]:
    before = store.events()
    yield
    assert store.events() == before


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    if LATENCIES:
        terminalreporter.write_sep("-", "webhooks: from the sandbox event to the data in DuckDB")
        for name, seconds in LATENCIES:
            terminalreporter.write_line(f"{seconds:6.2f} s  {name}")
