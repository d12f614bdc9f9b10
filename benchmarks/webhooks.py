"""Webhook figures: seconds from a sandbox event to the data in DuckDB, and the receiver's accepted events/s.

    .venv/bin/python -m benchmarks.webhooks latency --events 5     # per provider: admin action -> rows in DuckDB
    .venv/bin/python -m benchmarks.webhooks latency --events 5 --postgres postgres@127.0.0.1:5432/warehouse
    .venv/bin/python -m benchmarks.webhooks load --events 3000 --concurrency 16

`latency`: per provider, a sandbox and the receiver on loopback ports, the tenants file of tests/webhooks, a
private Meltano system database and DuckDB file; each event is the provider's own admin action (Įvesk Export of
one document, Pleo export job opened, Findity bulk send), delivered as a webhook, stored, then `webhooks drain`
runs the tenant's `meltano run`; the time is taken from just before the admin action to the end of the run
(the rows are committed then). `load`: a bounded number of valid, distinct events POSTed by `--concurrency`
client threads over keep-alive connections to one receiver (uvicorn, SQLite store, `synchronous=FULL`): accepted
events per second, per provider's verification (SNS RSA signature with the certificate cached, Standard
Webhooks HMAC, Findity secret URL).
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import contextlib
import datetime as dt
import json
import os
import statistics
import tempfile
import threading
import time
import typing as t
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _meltano_env(workdir: Path) -> dict[str, str]:
    """An isolated Meltano (its own system dir linking the installed plugins, database, warehouse file)."""
    sys_dir = workdir / "sys"
    sys_dir.mkdir(parents=True)
    for kind in ("extractors", "loaders", "utilities"):
        if (ROOT / ".meltano" / kind).is_dir():
            (sys_dir / kind).symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))}
    return env | {
        "MELTANO_SYS_DIR_ROOT": str(sys_dir),
        "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
        "TARGET_DUCKDB_FILEPATH": str(workdir / "warehouse.duckdb"),
        "TARGET_DUCKDB_TEMP_DIR": str(workdir),
        "XDG_STATE_HOME": str(workdir / "xdg-state"),
    }


def postgres_env(dsn: str) -> dict[str, str]:
    """target-postgres settings from `user@host:port/database` (trust or .pgpass authentication)."""
    user, _, rest = dsn.rpartition("@")
    host_port, _, database = rest.partition("/")
    host, _, port = host_port.partition(":")
    return {
        "TARGET_POSTGRES_HOST": host,
        "TARGET_POSTGRES_PORT": port or "5432",
        "TARGET_POSTGRES_USER": user or "postgres",
        "TARGET_POSTGRES_PASSWORD": os.environ.get("TARGET_POSTGRES_PASSWORD", "unused-trust-auth"),
        "TARGET_POSTGRES_DATABASE": database or "postgres",
    }


def latency(
    events: int, postgres: str | None = None, providers: t.Sequence[str] = ("ivesk", "pleo", "findity")
) -> t.Iterator[tuple[str, list[float]]]:
    from orchestrate.tenants import load_fleet
    from sandbox.findity import FindityConfig
    from sandbox.findity import create_app as findity_app
    from sandbox.framework.server import serve_in_thread
    from sandbox.ivesk import IveskConfig
    from sandbox.ivesk import create_app as ivesk_app
    from sandbox.pleo import PleoConfig
    from sandbox.pleo import create_app as pleo_app
    from webhooks.drain import drain_once

    from tests.helpers import Sandbox
    from tests.webhooks.conftest import (
        FINDITY_SECRET,
        SECRETS,
        Setup,
        open_pleo_job,
        subscribe_ivesk,
        subscribe_pleo,
        tenants_document,
        trust_sns,
        wait_until,
    )

    meltano = str(ROOT / ".venv" / "bin" / "meltano")
    apps = {
        "ivesk": lambda: ivesk_app(IveskConfig(scale=60, webhook_retry_base=0.05)),
        "pleo": lambda: pleo_app(PleoConfig(scale=60)),
        "findity": lambda: findity_app(FindityConfig(scale=200)),
    }
    for provider in providers:
        make = apps[provider]
        with tempfile.TemporaryDirectory(prefix=f"webhooks-latency-{provider}-") as tmp, serve_in_thread(make()) as url:
            root = Path(tmp)
            sandbox = Sandbox(url)
            setup = Setup(root=root, environ=dict(SECRETS))
            document = tenants_document(**{provider: url})
            env = _meltano_env(root / "meltano")
            if postgres:
                document["defaults"]["loader"] = "target-postgres"
                env |= postgres_env(postgres)
            setup.write_tenants(document)
            hooks = setup.receiver(sns_ca_file=trust_sns(sandbox, setup) if provider == "ivesk" else None)
            try:
                if provider == "ivesk":
                    subscribe_ivesk(sandbox, f"{hooks.url}/ivesk")
                elif provider == "pleo":
                    subscribe_pleo(sandbox, f"{hooks.url}/pleo", setup)
                else:
                    sandbox.configure(webhook_url=f"{hooks.url}/findity/{FINDITY_SECRET}")
                fleet = load_fleet(setup.tenants_file, ROOT / "meltano.yml")
                seconds = []
                for _ in range(events):
                    started = time.monotonic()
                    if provider == "ivesk":
                        sandbox.admin("POST", "/ivesk/export", {"count": 1})
                    elif provider == "pleo":
                        open_pleo_job(sandbox, 2)
                    else:
                        sandbox.admin("POST", "/findity/bulk-send", {"count": 2})
                    wait_until(hooks.store.pending, what=f"{provider} event", timeout=60)
                    with (root / "meltano.log").open("a") as log:
                        results = drain_once(
                            hooks.store,
                            fleet,
                            project_root=ROOT,
                            meltano=meltano,
                            environ=env | setup.environ,
                            log=lambda line, log=log: print(line, file=log),
                            output=log,
                        )
                    if not results or not all(r.ok for r in results):
                        tail = "\n".join((root / "meltano.log").read_text().splitlines()[-30:])
                        raise SystemExit(f"{provider}: drain failed: {results}\n{tail}")
                    seconds.append(time.monotonic() - started)
                yield provider, seconds
            finally:
                hooks.stop()
                hooks.store.close()


def load(events: int, concurrency: int) -> dict[str, float]:
    """Accepted events per second, per provider endpoint."""
    from sandbox.framework.server import serve_in_thread
    from sandbox.ivesk import IveskConfig
    from sandbox.ivesk import create_app as ivesk_app
    from standardwebhooks.webhooks import Webhook

    from tests.helpers import Sandbox
    from tests.webhooks.conftest import FINDITY_SECRET, SECRETS, TOPIC_EXPORTED, Setup, tenants_document, trust_sns

    found: dict[str, float] = {}
    pleo_secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    app = ivesk_app(IveskConfig(scale=10))
    with tempfile.TemporaryDirectory(prefix="webhooks-load-") as tmp, serve_in_thread(app) as url:
        setup = Setup(root=Path(tmp), environ={**SECRETS, "PLEO_WEBHOOK_SECRET": pleo_secret})
        setup.write_tenants(tenants_document())
        ca_file = trust_sns(Sandbox(url), setup)
        sns = app.state.provider.webhooks.sns
        hooks = setup.receiver(sns_ca_file=ca_file)

        def ivesk_body(i: int) -> tuple[str, bytes, dict[str, str]]:
            envelope = {
                "Type": "Notification",
                "MessageId": str(uuid.uuid4()),
                "TopicArn": TOPIC_EXPORTED,
                "Message": json.dumps({"companyCode": "302320404"}),
                "Timestamp": "2026-01-16T08:26:14.705Z",
            }
            signed = {**envelope, "SignatureVersion": "2", "Signature": sns.signer.sign(envelope, "2")}
            signed["SigningCertURL"] = sns.signing_cert_url
            return "/ivesk", json.dumps(signed).encode(), {"Content-Type": "text/plain"}

        def pleo_body(i: int) -> tuple[str, bytes, dict[str, str]]:
            from sandbox.pleo import DEFAULT_COMPANY_ID

            body = json.dumps(
                {
                    "data": {"id": str(uuid.uuid4()), "companyId": DEFAULT_COMPANY_ID},
                    "eventId": str(i),
                    "eventType": "v1.export-job.created",
                }
            )
            msg_id, now = f"msg_{uuid.uuid4().hex}", dt.datetime.now(dt.UTC)
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(pleo_secret).sign(msg_id, now, body),
                "Content-Type": "application/json",
            }
            return "/pleo", body.encode(), headers

        def findity_body(i: int) -> tuple[str, bytes, dict[str, str]]:
            from sandbox.findity import ORGANIZATION_ID

            body = {"exportId": uuid.uuid4().hex, "organizationId": ORGANIZATION_ID, "numberOfVouchers": 1}
            return f"/findity/{FINDITY_SECRET}", json.dumps(body).encode(), {"Content-Type": "application/json"}

        try:
            for provider, make in (("ivesk", ivesk_body), ("pleo", pleo_body), ("findity", findity_body)):
                bodies = [make(i) for i in range(events)]  # signed before the clock starts
                local = threading.local()

                def send(item: tuple[str, bytes, dict[str, str]], local: threading.local = local) -> int:
                    session = getattr(local, "session", None) or requests.Session()
                    local.session = session
                    path, data, headers = item
                    return session.post(f"{hooks.url}{path}", data=data, headers=headers, timeout=30).status_code

                started = time.monotonic()
                with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
                    statuses = list(pool.map(send, bodies))
                elapsed = time.monotonic() - started
                accepted = statuses.count(200)
                if accepted != events:
                    raise SystemExit(f"{provider}: {events - accepted} of {events} not accepted: {set(statuses)}")
                found[provider] = accepted / elapsed
        finally:
            hooks.stop()
            hooks.store.close()
    return found


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.webhooks", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    lat = commands.add_parser("latency", help="event to data in DuckDB, per provider")
    lat.add_argument("--events", type=int, default=5)
    lat.add_argument("--providers", default="ivesk,pleo,findity", help="comma-separated (default all three)")
    lat.add_argument("--postgres", metavar="USER@HOST:PORT/DB", help="load into PostgreSQL (target-postgres) instead")
    ld = commands.add_parser("load", help="accepted events per second")
    ld.add_argument("--events", type=int, default=3000)
    ld.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        if args.command == "latency":
            print("| provider | events | median s | p95 s | min s | max s |\n|---|---|---|---|---|---|")
            for provider, seconds in latency(args.events, args.postgres, args.providers.split(",")):
                median, p95 = statistics.median(seconds), _percentile(seconds, 0.95)
                print(
                    f"| {provider} | {len(seconds)} | {median:.2f} | {p95:.2f} | {min(seconds):.2f} | {max(seconds):.2f} |"
                )
        else:
            print("| endpoint | events | concurrency | accepted events/s |\n|---|---|---|---|")
            for provider, rate in load(args.events, args.concurrency).items():
                print(f"| {provider} | {args.events} | {args.concurrency} | {rate:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
