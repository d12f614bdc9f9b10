"""The Įvesk public API (`/api/pub` on app.ivesk.lt; the sandbox serves it at its root)."""

from __future__ import annotations

import base64
import binascii
import json
import posixpath
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..framework.http import base_url
from ..framework.jsonutil import json_response, read_json
from ..framework.provider import ApiError
from ..framework.timeutil import iso_ms, parse_iso8601
from .config import API_KEY, COLUMN_NAMES, SCHEMA_URL
from .parties import nameascii
from .presign import check_pdf, check_upload, pdf_url, s3_error, upload_url
from .provider import Ivesk, IveskProvider
from .webhooks import EVENT_TYPES

CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
    ".xml": "application/xml",
}
BOOL_OPTIONS = ("processlines", "splitdocuments", "checkduplicates", "rejectnoninvoices")
MAX_SYNC_MESSAGE = 2000


def require_api_key(request: Request) -> None:
    key = request.headers.get("x-api-key")
    if not key:
        raise ApiError(401, "Unauthorized")
    if key != API_KEY:
        raise ApiError(403, "Forbidden")


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ApiError(400, f"Query parameter '{name}' must be true or false")


def parse_sourcedata(value: str) -> dict[str, Any]:
    try:
        padded = value + "=" * (-len(value) % 4)
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise ApiError(
            400, 'Query parameter \'sourcedata\' must be base64 of a JSON object {"id": ..., "customdata": ...}'
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ApiError(400, "Query parameter 'sourcedata' must contain a non-empty string 'id'")
    return data


def invalid_json(detail: str | None) -> ApiError:
    """Įvesk's answer to a missing or malformed JSON body."""
    return ApiError(400, "Request body is not valid JSON")


async def string_fields(request: Request, names: tuple[str, ...], *, strip: bool) -> dict[str, Any]:
    """The request's JSON object whose ``names`` are non-empty strings (with ``strip``: not only white space)."""
    body = await read_json(request, invalid_json)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and (body[k].strip() if strip else body[k]) for k in names
    ):
        fields = f"{', '.join(names[:-1])} and {names[-1]}"
        raise ApiError(400, f"Body must be a JSON object with string fields {fields}")
    return body


router = APIRouter()


# -- upload -------------------------------------------------------------------------------------
@router.get("/uploadlocation/{fileName:path}")
async def upload_location(fileName: str, request: Request, provider: Ivesk) -> Response:
    require_api_key(request)
    name = posixpath.basename(fileName.strip())
    if not name:
        raise ApiError(400, "File name is required")
    content_type = CONTENT_TYPES.get(posixpath.splitext(name)[1].lower())
    if content_type is None:
        raise ApiError(
            400,
            f"Unsupported file type '{posixpath.splitext(name)[1] or name}': upload PDF, JPG, PNG, TIFF, HEIC or XML",
        )
    query = request.query_params
    options: dict[str, Any] = {}
    for option in BOOL_OPTIONS:
        if option in query:
            options[option] = parse_bool(option, query[option])
    for option in ("warehouse", "allocation"):
        if query.get(option):
            options[option] = query[option]
    if query.get("tags"):
        options["tags"] = [t.strip() for t in query["tags"].split(",") if t.strip()]
    sourcedata = parse_sourcedata(query["sourcedata"]) if query.get("sourcedata") else None
    safe = nameascii(name).replace('"', "'").encode("ascii", "replace").decode().replace("?", "_")
    disposition = f'filename="{safe}"'
    state = provider.state
    upload = state.new_upload(name, content_type, disposition, options, sourcedata, query.get("userdata"))
    expires = (provider.now_ms() // 1000) + provider.config.upload_url_lifetime
    return json_response(
        {
            "url": upload_url(base_url(request), upload.key, content_type, disposition, expires),
            "Content-Type": content_type,
            "Content-Disposition": disposition,
        }
    )


@router.put("/public/{key}")
async def s3_put(key: str, request: Request, provider: Ivesk) -> Response:
    signed = check_upload(key, dict(request.query_params), provider.now_ms() / 1000)
    if isinstance(signed, Response):
        return signed
    content_type, disposition = signed
    if (
        request.headers.get("content-type", "") != content_type
        or request.headers.get("content-disposition", "") != disposition
    ):
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check the Content-Type and Content-Disposition headers.",
        )
    upload = provider.state.uploads.get(key)
    if upload is None:
        return s3_error(403, "AccessDenied", "Access Denied")
    if request.headers.get("x-api-key"):
        provider.state.presigned_with_api_key += 1
    body = await request.body()
    if upload.status == "awaiting_upload":
        provider.state.store_upload(upload, body)
        provider.schedule_digitization(upload)
    return Response(b"", status_code=200, headers={"ETag": f'"{(upload.sha256 or "")[:32]}"'})


# -- documents ----------------------------------------------------------------------------------
def queue(provider: IveskProvider, name: str, request: Request) -> Response:
    require_api_key(request)
    query = request.query_params
    after = -1
    if query.get("from"):
        try:
            after = parse_iso8601(query["from"])
        except ValueError:
            raise ApiError(400, f"Query parameter 'from' is not a valid ISO 8601 timestamp: {query['from']}") from None
    doctype = query.get("doctype")
    provider.announce_digitized()
    state = provider.state
    config = provider.config
    page = state.queue_page(
        name, after, config.page_size, inclusive=config.from_inclusive and after >= 0, split_ties=config.split_ties
    )
    base, now_s, lifetime = base_url(request), provider.now_ms() // 1000, provider.config.pdf_url_lifetime
    documents = []
    for entry in page.entries:
        core = state.core(entry.key)
        if doctype and core.doctype != doctype:
            continue
        doc = state.document(entry.key)
        path = f"/documents/{core.companycode}/{entry.key[0][0]}{entry.key[1]}/{core.id}.pdf"
        doc["url"] = pdf_url(base, path, now_s, lifetime)
        documents.append(doc)
    body: dict[str, Any] = {"$schema": SCHEMA_URL, "documents": documents}
    if page.next_ms is not None:
        body["next"] = iso_ms(page.next_ms)
    return json_response(body)


@router.get("/digitized")
async def digitized(request: Request, provider: Ivesk) -> Response:
    return queue(provider, "digitized", request)


@router.get("/exported")
async def exported(request: Request, provider: Ivesk) -> Response:
    return queue(provider, "exported", request)


@router.get("/documents/{company}/{ref}/{name}")
async def document_pdf(company: str, ref: str, name: str, request: Request, provider: Ivesk) -> Response:
    if request.headers.get("x-api-key"):  # S3 ignores it, but a client must not hand its key to S3
        provider.state.presigned_with_api_key += 1
    denied = check_pdf(request.url.path, dict(request.query_params), provider.now_ms() / 1000)
    if denied is not None:
        return denied
    space = {"s": "seed", "u": "upload"}.get(ref[:1])
    state = provider.state
    try:
        key = (space, int(ref[1:]))
        limit = state.scale if space == "seed" else len(state.upload_docs)
        valid = space is not None and 0 <= key[1] < limit and name == f"{state.core(key).id}.pdf"
    except ValueError:
        valid = False
    if not valid:
        return s3_error(404, "NoSuchKey", "The specified key does not exist.")
    content, media_type = state.pdf(key)  # type: ignore[arg-type]
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'inline; filename="{name}"'})


# -- code lists ---------------------------------------------------------------------------------
@router.get("/columns/{companyCode}")
async def columns(companyCode: str, request: Request, provider: Ivesk) -> Response:
    require_api_key(request)
    if companyCode not in provider.state.companies:
        raise ApiError(404, f"Company {companyCode} not found")
    query = request.query_params
    column = query.get("column")
    if not column:
        raise ApiError(400, "Query parameter 'column' is required")
    if column not in COLUMN_NAMES:
        raise ApiError(400, f"Unknown column '{column}': use one of {', '.join(COLUMN_NAMES)}")
    since = None
    if query.get("modifiedsince"):
        try:
            since = parse_iso8601(query["modifiedsince"])
        except ValueError:
            raise ApiError(
                400, f"Query parameter 'modifiedsince' is not a valid ISO 8601 timestamp: {query['modifiedsince']}"
            ) from None
    after = None
    if query.get("next"):
        try:
            after = json.loads(base64.urlsafe_b64decode(query["next"] + "=" * (-len(query["next"]) % 4)))["after"]
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise ApiError(400, "Query parameter 'next' is not a valid cursor") from None
    items = [
        i
        for i in provider.state.codelist(companyCode, column).sorted_items()
        if (after is None or i.code > after) and (since is None or i.modifiedat_ms >= since)
    ]
    size = provider.config.columns_page_size
    page = items[:size]
    body: dict[str, Any] = {"items": []}
    for item in page:
        out: dict[str, Any] = {"code": item.code}
        if item.description is not None:
            out["description"] = item.description
        out["modifiedat"] = iso_ms(item.modifiedat_ms)
        body["items"].append(out)
    if len(items) > size:
        body["next"] = base64.urlsafe_b64encode(json.dumps({"after": page[-1].code}).encode()).decode().rstrip("=")
    return json_response(body)


# -- sync errors, webhooks ----------------------------------------------------------------------
@router.post("/syncerrors")
async def syncerrors(request: Request, provider: Ivesk) -> Response:
    require_api_key(request)
    body = await string_fields(request, ("documentid", "companycode", "message"), strip=True)
    if len(body["message"]) > MAX_SYNC_MESSAGE:
        raise ApiError(400, f"message is longer than {MAX_SYNC_MESSAGE} characters")
    state = provider.state
    key = state.key_of(body["documentid"])
    if key is None:
        raise ApiError(404, f"Document {body['documentid']} not found")
    if state.core(key).companycode != body["companycode"]:
        raise ApiError(400, f"Document {body['documentid']} does not belong to company {body['companycode']}")
    record = {
        "documentid": body["documentid"],
        "companycode": body["companycode"],
        "message": body["message"],
        "createdat": iso_ms(provider.now_ms()),
    }
    state.syncerrors.append(record)
    return json_response(record)


@router.post("/subscriptions")
async def subscriptions(request: Request, provider: Ivesk) -> Response:
    require_api_key(request)
    body = await string_fields(request, ("name", "eventType", "target"), strip=False)
    if body["eventType"] not in EVENT_TYPES:
        raise ApiError(400, f"eventType must be one of {', '.join(EVENT_TYPES)}")
    if not body["target"].startswith(("http://", "https://")):
        raise ApiError(400, "target must be an http(s) URL")
    subscription = provider.webhooks.subscribe(body["name"], body["eventType"], body["target"], base_url(request))
    return json_response(
        {
            "name": subscription["name"],
            "eventType": subscription["eventType"],
            "target": subscription["target"],
            "subscriptionArn": "pending confirmation",
        }
    )


@router.get("/_sns/")
async def sns_confirm(request: Request, provider: Ivesk) -> Response:
    query = request.query_params
    if query.get("Action") != "ConfirmSubscription":
        return s3_error(400, "InvalidAction", "Unknown action")
    subscription = provider.webhooks.confirm(query.get("TopicArn", ""), query.get("Token", ""))
    if subscription is None:
        return s3_error(404, "NotFound", "Subscription confirmation token is invalid")
    xml = (
        '<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult>'
        f"<SubscriptionArn>{subscription['subscriptionArn']}</SubscriptionArn></ConfirmSubscriptionResult>"
        "</ConfirmSubscriptionResponse>"
    )
    return Response(xml.encode(), media_type="text/xml")
