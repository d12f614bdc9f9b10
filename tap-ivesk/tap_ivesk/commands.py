"""`tap-ivesk-commands`: the write side of Įvesk, as plain CLI commands and Meltano plugin commands.

    tap-ivesk-commands upload PATH... [--id ID | --id-from uuid|name|sha256] [--customdata TEXT]
                       [--processlines true|false] [--splitdocuments ...] [--checkduplicates ...]
                       [--rejectnoninvoices ...] [--warehouse W] [--allocation A] [--tags a,b] [--recursive]
    tap-ivesk-commands report-sync-error --document-id ID --company-code CODE --message TEXT
    tap-ivesk-commands report-sync-error --file errors.jsonl   # {"documentid", "companycode", "message"} per line

Settings come from `--config FILE` (the tap's config JSON) or else from the environment as Meltano sets it
for plugin commands (`TAP_IVESK_API_KEY`, `TAP_IVESK_API_URL`, ...). `upload` prints one JSON line per file
(`{"file", "sourcedata": {"id", ...}, "status": "uploaded" | "failed", ...}`): the mapping from your files to the
`sourcedata.id` that comes back on the digitized document. Exit status 1 if anything failed; errors are one
line on stderr and never contain the API key.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
import typing as t
import uuid
from pathlib import Path
from urllib.parse import quote

import requests
from tapkit.http import describe, retry_after_seconds

PROG = "tap-ivesk-commands"
API_URL = "https://app.ivesk.lt/api/pub"
SUPPORTED = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".xml"}
BOOL_OPTIONS = ("processlines", "splitdocuments", "checkduplicates", "rejectnoninvoices")
RETRY = {429, 500, 502, 503, 504}


class CommandError(Exception):
    """One line for the user."""


# ------------------------------------------------------------------------------------------- settings
def load_settings(config_path: str | None) -> dict[str, t.Any]:
    if config_path:
        try:
            settings = json.loads(Path(config_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read config {config_path}: {exc}") from None
        if not isinstance(settings, dict):
            raise CommandError(f"config {config_path} must be a JSON object")
    else:
        settings = {
            k.removeprefix("TAP_IVESK_").lower(): v for k, v in os.environ.items() if k.startswith("TAP_IVESK_")
        }
    if not settings.get("api_key"):
        raise CommandError("missing setting api_key: pass --config FILE or set TAP_IVESK_API_KEY")
    url = str(settings.get("api_url") or API_URL)
    if not url.startswith(("http://", "https://")):
        raise CommandError(f"api_url {url!r} must start with http:// or https://")
    settings["api_url"] = url.rstrip("/")
    return settings


class Client:
    """Bounded, retried requests: 429/5xx/connection errors honour Retry-After, other errors fail fast."""

    def __init__(self, settings: dict[str, t.Any]) -> None:
        self.base = settings["api_url"]
        self.timeout = float(settings.get("request_timeout") or 60)
        self.retries = int(settings.get("max_retries") or 6)
        self.api = requests.Session()
        self.api.headers["x-api-key"] = str(settings["api_key"])
        self.plain = requests.Session()  # presigned S3 URLs: never the API key
        for session in (self.api, self.plain):
            if settings.get("user_agent"):
                session.headers["User-Agent"] = str(settings["user_agent"])

    def call(
        self, session: requests.Session, method: str, url: str, *, rewind: t.Any = None, **kwargs: t.Any
    ) -> requests.Response:
        for attempt in range(self.retries + 1):
            if rewind is not None:
                rewind.seek(0)
            try:
                response = session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.RequestException as exc:
                if attempt == self.retries:
                    raise CommandError(
                        f"{method} {url.split('?')[0].replace(self.base, '')}: {type(exc).__name__} after {attempt + 1} attempts"
                    ) from None
                time.sleep(min(2.0**attempt * 0.5, 30.0))
                continue
            if response.status_code in RETRY and attempt < self.retries:
                wait = retry_after_seconds(response)
                time.sleep(min(wait if wait is not None else 2.0**attempt * 0.5, 300.0))
                continue
            if response.status_code >= 400:
                text = describe(response).replace(self.base, "")
                if response.status_code in (401, 403) and session is self.api:
                    text += "; the API key was rejected: check api_key"
                raise CommandError(text)
            return response
        raise AssertionError  # pragma: no cover


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
                raise CommandError(f"{path} holds no PDF, JPG, PNG, TIFF, HEIC or XML files")
            out.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED:
                raise CommandError(
                    f"{path}: unsupported file type {path.suffix or '(none)'}; Įvesk takes {', '.join(sorted(SUPPORTED))}"
                )
            out.append(path)
        else:
            raise CommandError(f"{path}: no such file or directory")
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


def upload_one(client: Client, path: Path, sourcedata: dict[str, t.Any], options: dict[str, str]) -> dict[str, t.Any]:
    encoded = base64.b64encode(json.dumps(sourcedata, ensure_ascii=False).encode()).decode()
    location = client.call(
        client.api,
        "GET",
        f"{client.base}/uploadlocation/{quote(path.name, safe='')}",
        params={"sourcedata": encoded, **options},
    )
    try:
        body = location.json()
        url, headers = (
            body["url"],
            {"Content-Type": body["Content-Type"], "Content-Disposition": body["Content-Disposition"]},
        )
    except (ValueError, KeyError, TypeError):
        raise CommandError("GET /uploadlocation: the answer lacks url, Content-Type or Content-Disposition") from None
    with path.open("rb") as fh:
        client.call(client.plain, "PUT", url, data=fh, headers=headers, rewind=fh)
    return {"file": str(path), "sourcedata": sourcedata, "status": "uploaded", "size": path.stat().st_size}


def cmd_upload(args: argparse.Namespace, client: Client) -> int:
    files = files_of(args.paths, args.recursive)
    if args.id and len(files) != 1:
        raise CommandError("--id names one file; for several files use --id-from uuid|name|sha256")
    options = {k: getattr(args, k) for k in BOOL_OPTIONS if getattr(args, k) is not None}
    options |= {k: getattr(args, k) for k in ("warehouse", "allocation", "tags") if getattr(args, k)}
    failed = 0
    for path in files:
        sourcedata: dict[str, t.Any] = {"id": args.id or source_id(path, args.id_from)}
        if args.customdata is not None:
            sourcedata["customdata"] = args.customdata
        try:
            result = upload_one(client, path, sourcedata, options)
        except (CommandError, OSError) as exc:
            failed += 1
            result = {"file": str(path), "sourcedata": sourcedata, "status": "failed", "error": str(exc)}
            print(f"{PROG}: error: {path}: {exc}", file=sys.stderr)
        print(json.dumps(result, ensure_ascii=False), flush=True)
    if failed:
        print(f"{PROG}: error: {failed} of {len(files)} uploads failed", file=sys.stderr)
    return 1 if failed else 0


# ------------------------------------------------------------------------------------------- sync errors
def sync_errors_of(args: argparse.Namespace) -> list[dict[str, str]]:
    if args.file:
        try:
            lines = Path(args.file).read_text(encoding="utf-8").splitlines()
            reports = [json.loads(line) for line in lines if line.strip()]
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {args.file}: {exc}") from None
    else:
        missing = [
            flag
            for flag, value in (
                ("--document-id", args.document_id),
                ("--company-code", args.company_code),
                ("--message", args.message),
            )
            if not value
        ]
        if missing:
            raise CommandError(f"missing {', '.join(missing)} (or give --file with one JSON report per line)")
        reports = [{"documentid": args.document_id, "companycode": args.company_code, "message": args.message}]
    for n, report in enumerate(reports, start=1):
        if not isinstance(report, dict) or not all(
            isinstance(report.get(k), str) and report[k] for k in ("documentid", "companycode", "message")
        ):
            raise CommandError(f"report {n} needs string fields documentid, companycode and message")
    return reports


def cmd_report(args: argparse.Namespace, client: Client) -> int:
    failed = 0
    reports = sync_errors_of(args)
    for report in reports:
        body = {k: report[k] for k in ("documentid", "companycode", "message")}
        try:
            client.call(client.api, "POST", f"{client.base}/syncerrors", json=body)
            print(json.dumps({**body, "status": "reported"}, ensure_ascii=False), flush=True)
        except CommandError as exc:
            failed += 1
            print(json.dumps({**body, "status": "failed", "error": str(exc)}, ensure_ascii=False), flush=True)
            print(f"{PROG}: error: document {body['documentid']}: {exc}", file=sys.stderr)
    return 1 if failed else 0


# ------------------------------------------------------------------------------------------- CLI
def _bool(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise argparse.ArgumentTypeError("must be true or false")
    return lowered


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Upload files to Įvesk.lt and report sync errors.")
    parser.add_argument("--config", help="tap config JSON (default: TAP_IVESK_* environment variables)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upload", help="upload files (or every supported file of a folder) for digitization")
    up.add_argument("paths", nargs="+", help="files or folders")
    up.add_argument("--id", help="sourcedata id for a single file")
    up.add_argument(
        "--id-from",
        choices=["uuid", "name", "sha256"],
        default="uuid",
        help="how each file's sourcedata id is made (default: a new UUID)",
    )
    up.add_argument("--customdata", help="sourcedata.customdata for every file")
    up.add_argument("--recursive", action="store_true", help="include sub-folders")
    for option in BOOL_OPTIONS:
        up.add_argument(f"--{option}", type=_bool, help="true or false (Įvesk upload option)")
    up.add_argument("--warehouse")
    up.add_argument("--allocation")
    up.add_argument("--tags", help="comma-separated")
    rep = sub.add_parser("report-sync-error", help="tell the accountant a document failed to import")
    rep.add_argument("--document-id")
    rep.add_argument("--company-code")
    rep.add_argument("--message")
    rep.add_argument("--file", help="JSON Lines file of {documentid, companycode, message}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        client = Client(load_settings(args.config))
        return cmd_upload(args, client) if args.command == "upload" else cmd_report(args, client)
    except CommandError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
