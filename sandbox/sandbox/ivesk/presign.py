"""Presigned S3 URLs served by the sandbox itself: uploads (SigV2-style `PUT /public/{key}`, as in the vendor's
sample URL) and document PDFs (SigV4-style `GET /documents/...`). Neither carries the API key; both check
the signature and the expiry and answer S3's XML errors."""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import time
from urllib.parse import quote, urlencode

from starlette.responses import Response

from .config import S3_ACCESS_KEY_ID, S3_SECRET, S3_SECURITY_TOKEN

UPLOAD_BUCKET = "ivesk-uploads"


def _sign(text: str) -> str:
    return base64.b64encode(hmac.new(S3_SECRET, text.encode(), hashlib.sha1).digest()).decode()


def upload_string_to_sign(key: str, content_type: str, disposition: str, expires: int) -> str:
    return f"PUT\n\n{content_type}\n{expires}\nx-amz-security-token:{S3_SECURITY_TOKEN}\n/{UPLOAD_BUCKET}/{key}?response-content-disposition={disposition}"


def upload_url(base: str, key: str, content_type: str, disposition: str, expires_s: int) -> str:
    query = {
        "AWSAccessKeyId": S3_ACCESS_KEY_ID,
        "Content-Disposition": disposition,
        "Content-Type": content_type,
        "Expires": str(expires_s),
        "Signature": _sign(upload_string_to_sign(key, content_type, disposition, expires_s)),
        "x-amz-security-token": S3_SECURITY_TOKEN,
    }
    return f"{base}/public/{key}?{urlencode(query, quote_via=quote)}"


def check_upload(key: str, params: dict[str, str], now_s: float) -> tuple[str, str] | Response:
    """(content type, disposition) the URL was signed for, or the S3 error response."""
    try:
        expires = int(params["Expires"])
        disposition, content_type = params["Content-Disposition"], params["Content-Type"]
        signature = params["Signature"]
    except (KeyError, ValueError):
        return s3_error(
            403,
            "AccessDenied",
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        )
    expected = _sign(upload_string_to_sign(key, content_type, disposition, expires))
    if params.get("AWSAccessKeyId") != S3_ACCESS_KEY_ID or not hmac.compare_digest(signature, expected):
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if now_s > expires:
        return s3_error(403, "AccessDenied", "Request has expired")
    return content_type, disposition


def _amz_date(epoch_s: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch_s))


def _pdf_signature(path: str, amz_date: str, expires: int) -> str:
    return hmac.new(S3_SECRET, f"GET\n{path}\n{amz_date}\n{expires}".encode(), hashlib.sha256).hexdigest()


def pdf_url(base: str, path: str, now_s: int, lifetime: int) -> str:
    amz_date = _amz_date(now_s)
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{S3_ACCESS_KEY_ID}/{amz_date[:8]}/eu-west-1/s3/aws4_request",
        "X-Amz-Date": amz_date,
        "X-Amz-Expires": str(lifetime),
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": _pdf_signature(path, amz_date, lifetime),
    }
    return f"{base}{path}?{urlencode(query, quote_via=quote)}"


def check_pdf(path: str, params: dict[str, str], now_s: float) -> Response | None:
    try:
        amz_date, expires, signature = params["X-Amz-Date"], int(params["X-Amz-Expires"]), params["X-Amz-Signature"]
        signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except (KeyError, ValueError):
        return s3_error(
            403,
            "AccessDenied",
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        )
    if not hmac.compare_digest(signature, _pdf_signature(path, amz_date, expires)):
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if now_s > signed_at + expires:
        return s3_error(403, "AccessDenied", "Request has expired")
    return None


def s3_error(status: int, code: str, message: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>SANDBOX{int(time.time() * 1000) % 10**10:010d}</RequestId></Error>"
    )
    return Response(body.encode(), status_code=status, media_type="application/xml")
