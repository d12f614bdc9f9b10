"""`tap-ivesk-commands`: the write side of Įvesk, as CLI commands and Meltano plugin commands.

    tap-ivesk-commands upload PATH... [--id ID | --id-from uuid|name|sha256] [--customdata TEXT]
                       [--processlines true|false] [--splitdocuments ...] [--checkduplicates ...]
                       [--rejectnoninvoices ...] [--warehouse W] [--allocation A] [--tags a,b] [--recursive]
    tap-ivesk-commands report-sync-error --document-id ID --company-code CODE --message TEXT
    tap-ivesk-commands report-sync-error --file errors.jsonl   # {"documentid", "companycode", "message"} per line
    tap-ivesk-commands subscribe --event on_exported [--event on_digitized] --target URL [--name NAME]

Settings, output and errors are tapkit.commands' (`--config`, `--json`, `tap-ivesk: error: ...`). `upload --json`
prints one line per file (`{"file", "sourcedata": {"id", ...}, "status": "uploaded" | "failed", ...}`): the
mapping from your files to the `sourcedata.id` that comes back on the digitized document. A failed file or
report does not stop the others; the exit status is then 1. The file itself goes to the pre-signed URL the
API answers (S3), which never gets the API key.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import typing as t
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

from tapkit.commands import ACTION_ERRORS, CommandLine, Context, arg, send_presigned
from tapkit.errors import TapError

from tap_ivesk.tap import TapIvesk

SUPPORTED = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".xml"}
BOOL_OPTIONS = ("processlines", "splitdocuments", "checkduplicates", "rejectnoninvoices")
REPORT_FIELDS = ("documentid", "companycode", "message")
EVENT_TYPES = ("on_exported", "on_digitized")

cli = CommandLine(
    TapIvesk, "tap-ivesk-commands", "Upload files to Įvesk.lt, report sync errors and subscribe to webhooks."
)
main = cli.main


def _bool(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise argparse.ArgumentTypeError("must be true or false")
    return lowered


# ------------------------------------------------------------------------------------------- upload
def files_of(paths: list[str], recursive: bool) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in (path.rglob("*") if recursive else path.iterdir())
                if p.is_file() and p.suffix.lower() in SUPPORTED
            )
            if not found:
                raise TapError(f"{path} holds no PDF, JPG, PNG, TIFF, HEIC or XML files")
            out.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED:
                raise TapError(
                    f"{path}: unsupported file type {path.suffix or '(none)'}; Įvesk takes {', '.join(sorted(SUPPORTED))}"
                )
            out.append(path)
        else:
            raise TapError(f"{path}: no such file or directory")
    return out


def source_id(path: Path, how: str) -> str:
    if how == "name":
        return path.name
    if how == "sha256":
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return "sha256:" + digest.hexdigest()
    return str(uuid.uuid4())


def upload_one(ctx: Context, path: Path, sourcedata: dict[str, t.Any], options: dict[str, str]) -> None:
    """`GET /uploadlocation/{name}` (the API, with the key), then `PUT` the file to the pre-signed URL it answers."""
    encoded = base64.b64encode(json.dumps(sourcedata, ensure_ascii=False).encode()).decode()
    location = ctx.stream("documents").request_json(
        "GET",
        f"/uploadlocation/{quote(path.name, safe='')}",
        params={"sourcedata": encoded, **options},
        required=("url", "Content-Type", "Content-Disposition"),
    )
    headers = {k: str(location[k]) for k in ("Content-Type", "Content-Disposition")}
    with path.open("rb") as fh:
        send_presigned(ctx.stream("documents"), "PUT", str(location["url"]), body=fh, headers=headers)


@cli.command(
    "upload",
    help="upload files (or every supported file of a folder) for digitization",
    args=(
        arg("paths", nargs="+", help="files or folders"),
        arg("--id", help="sourcedata id for a single file"),
        arg(
            "--id-from",
            choices=["uuid", "name", "sha256"],
            default="uuid",
            help="how each file's sourcedata id is made (default: a new UUID)",
        ),
        arg("--customdata", help="sourcedata.customdata for every file"),
        arg("--recursive", action="store_true", help="include sub-folders"),
        *(arg(f"--{option}", type=_bool, help="true or false (Įvesk upload option)") for option in BOOL_OPTIONS),
        arg("--warehouse"),
        arg("--allocation"),
        arg("--tags", help="comma-separated"),
    ),
)
def upload(ctx: Context) -> None:
    args = ctx.args
    files = files_of(args.paths, args.recursive)
    if args.id and len(files) != 1:
        raise TapError("--id names one file; for several files use --id-from uuid|name|sha256")
    options = {k: getattr(args, k) for k in BOOL_OPTIONS if getattr(args, k) is not None}
    options |= {k: getattr(args, k) for k in ("warehouse", "allocation", "tags") if getattr(args, k)}
    for path in files:
        sourcedata: dict[str, t.Any] = {"id": args.id or source_id(path, args.id_from)}
        if args.customdata is not None:
            sourcedata["customdata"] = args.customdata
        try:
            upload_one(ctx, path, sourcedata, options)
        except ACTION_ERRORS as exc:
            ctx.out.failed(str(path), exc, file=str(path), sourcedata=sourcedata)
            continue
        size = path.stat().st_size
        ctx.out.result(
            f"{path}: uploaded ({size} bytes), sourcedata id {sourcedata['id']}",
            file=str(path),
            sourcedata=sourcedata,
            status="uploaded",
            size=size,
        )


# ------------------------------------------------------------------------------------------- sync errors
def sync_errors_of(args: argparse.Namespace) -> list[dict[str, str]]:
    if args.file:
        try:
            lines = Path(args.file).read_text(encoding="utf-8").splitlines()
            reports = [json.loads(line) for line in lines if line.strip()]
        except (OSError, ValueError) as exc:
            raise TapError(f"cannot read {args.file}: {exc}") from None
    else:
        flags = {"--document-id": args.document_id, "--company-code": args.company_code, "--message": args.message}
        missing = [flag for flag, value in flags.items() if not value]
        if missing:
            raise TapError(f"missing {', '.join(missing)} (or give --file with one JSON report per line)")
        reports = [{"documentid": args.document_id, "companycode": args.company_code, "message": args.message}]
    for n, report in enumerate(reports, start=1):
        if not isinstance(report, dict) or not all(isinstance(report.get(k), str) and report[k] for k in REPORT_FIELDS):
            raise TapError(f"report {n} needs string fields documentid, companycode and message")
    return reports


@cli.command(
    "report-sync-error",
    help="tell the accountant a document failed to import",
    args=(
        arg("--document-id"),
        arg("--company-code"),
        arg("--message"),
        arg("--file", help="JSON Lines file of {documentid, companycode, message}"),
    ),
)
def report_sync_error(ctx: Context) -> None:
    for report in sync_errors_of(ctx.args):
        body = {k: report[k] for k in REPORT_FIELDS}
        subject = f"document {body['documentid']} (company {body['companycode']})"
        try:
            ctx.stream("documents").request_json("POST", "/syncerrors", json=body)
        except ACTION_ERRORS as exc:
            ctx.out.failed(subject, exc, **body)
            continue
        ctx.out.result(f"{subject}: sync error reported", **body, status="reported")


# ------------------------------------------------------------------------------------------- webhooks
def shown_target(url: str) -> str:
    """The target without its query or credentials (a secret may ride in either)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}" + ("?…" if parts.query else "")


@cli.command(
    "subscribe",
    help="subscribe a URL to Įvesk's webhooks (AWS SNS: it must confirm, e.g. the webhooks receiver's /ivesk)",
    args=(
        arg("--event", choices=EVENT_TYPES, action="append", required=True, help="repeatable"),
        arg("--target", required=True, help="the receiver's URL, e.g. https://hooks.example.com/ivesk"),
        arg("--name", help="subscription name (default webhooks-<event>)"),
    ),
)
def subscribe(ctx: Context) -> None:
    """`POST /subscriptions {name, eventType, target}` per event. SNS then POSTs a SubscriptionConfirmation to
    the target, which must GET its SubscribeURL before notifications flow (the webhooks receiver does)."""
    args = ctx.args
    if urlsplit(args.target).scheme not in ("http", "https"):
        raise TapError("--target must be an http(s) URL")
    target = shown_target(args.target)
    for event in dict.fromkeys(args.event):
        body = {"name": args.name or f"webhooks-{event}", "eventType": event, "target": args.target}
        try:
            answer = ctx.stream("documents").request_json("POST", "/subscriptions", json=body)
        except ACTION_ERRORS as exc:
            ctx.out.failed(f"{event} subscription", exc, eventType=event, target=target)
            continue
        ctx.out.result(
            f"{event}: subscription {body['name']} for {target} requested; it is active once the target confirms it",
            name=body["name"],
            eventType=event,
            target=target,
            subscriptionArn=answer.get("subscriptionArn") if isinstance(answer, dict) else None,
            status="requested",
        )
