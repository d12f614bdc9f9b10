"""AWS SNS message verification (Įvesk delivers its webhooks through SNS).

What AWS documents for an HTTP(S) subscriber ("Verifying the signatures of Amazon SNS messages"):

* The string to sign is made of `Key\\nValue\\n` pairs, in this key order: for a `Notification` `Message`,
  `MessageId`, `Subject` (only when present), `Timestamp`, `TopicArn`, `Type`; for a `SubscriptionConfirmation`
  or `UnsubscribeConfirmation` `Message`, `MessageId`, `SubscribeURL`, `Timestamp`, `Token`, `TopicArn`, `Type`.
  The values are the JSON-decoded strings (escapes turned back into their characters).
* `SignatureVersion` 1 signs it with SHA1withRSA, 2 with SHA256withRSA (PKCS#1 v1.5); `Signature` is base64.
* The public key is in the X.509 certificate at `SigningCertURL`, which must be fetched over HTTPS from an
  SNS host — never from wherever a message says. The same holds for the `SubscribeURL` we GET to confirm.

Certificates are cached by URL (SNS rotates them rarely and names each by its own URL).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import ssl
import threading
import typing as t
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
MESSAGE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERTIFICATE = 64 * 1024  # bytes: a PEM certificate is ~2 KB
CACHE_SIZE = 32


class RejectError(Exception):
    """The message is refused; `status` is the 4xx to answer, the text a one-line reason (no secrets)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class UnavailableError(Exception):
    """Verification could not be completed for a reason on our side or the network's (answer 5xx: retried)."""


def canonical(message: t.Mapping[str, t.Any]) -> bytes:
    """The string SNS signed for this message."""
    kind = message.get("Type")
    if kind == "Notification":
        keys = [k for k in NOTIFICATION_KEYS if k != "Subject" or message.get("Subject") is not None]
    else:
        keys = list(CONFIRMATION_KEYS)
    missing = [k for k in keys if not isinstance(message.get(k), str)]
    if missing:
        raise RejectError(400, f"SNS {kind} without {', '.join(missing)}")
    return "".join(f"{key}\n{message[key]}\n" for key in keys).encode("utf-8")


def check_sns_url(url: t.Any, hosts: re.Pattern[str], what: str) -> str:
    """`url` if it is https on an allowed SNS host (403 otherwise)."""
    if not isinstance(url, str):
        raise RejectError(400, f"SNS message without {what}")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or not hosts.fullmatch(parts.hostname):
        raise RejectError(403, f"{what} is not https on an allowed SNS host ({parts.scheme}://{parts.hostname or ''})")
    if parts.username or parts.password:
        raise RejectError(403, f"{what} carries credentials")
    return url


class CertificateCache:
    """Signing certificates by URL: fetched once over HTTPS (a CA bundle of our choosing), parsed, checked."""

    def __init__(self, *, ca_file: str | None = None, timeout: float = 10.0) -> None:
        self.ca_file = ca_file
        self.timeout = timeout
        self._keys: dict[str, tuple[rsa.RSAPublicKey, dt.datetime]] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def fetch(self, url: str) -> bytes:
        """GET `url` over verified TLS (the caller checked it is https on an SNS host)."""
        request = urllib.request.Request(url, headers={"User-Agent": "webhooks-receiver"})  # noqa: S310 - https only, checked
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._context()) as response:  # noqa: S310 - https only, checked
                body = response.read(MAX_CERTIFICATE + 1)
        except urllib.error.HTTPError as exc:
            raise RejectError(403, f"SigningCertURL answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise UnavailableError(f"cannot fetch the signing certificate: {getattr(exc, 'reason', exc)}") from None
        if len(body) > MAX_CERTIFICATE:
            raise RejectError(403, "SigningCertURL is not a certificate (too large)")
        return body

    def public_key(self, url: str) -> rsa.RSAPublicKey:
        now = dt.datetime.now(dt.UTC)
        with self._lock:
            cached = self._keys.get(url)
        if cached is not None and cached[1] > now:
            return cached[0]
        body = self.fetch(url)
        self.fetches += 1
        try:
            certificate = x509.load_pem_x509_certificate(body)
        except ValueError:
            raise RejectError(403, "SigningCertURL is not a PEM certificate") from None
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise RejectError(403, "the signing certificate is not valid now")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise RejectError(403, "the signing certificate's key is not RSA")
        with self._lock:
            if len(self._keys) >= CACHE_SIZE:
                self._keys.pop(next(iter(self._keys)))
            self._keys[url] = (key, certificate.not_valid_after_utc)
        return key


def verify(message: t.Mapping[str, t.Any], certificates: CertificateCache, hosts: re.Pattern[str]) -> None:
    """Raise RejectError unless `message` is a genuine SNS message (signature over the canonical string, by the
    certificate at an https SNS URL)."""
    if message.get("Type") not in MESSAGE_TYPES:
        raise RejectError(400, f"not an SNS message (Type {str(message.get('Type'))[:40]!r})")
    algorithm = HASHES.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        raise RejectError(400, f"unsupported SignatureVersion {str(message.get('SignatureVersion'))[:10]!r}")
    signed = canonical(message)
    try:
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise RejectError(401, "Signature is not base64") from None
    if not signature:
        raise RejectError(401, "no Signature")
    key = certificates.public_key(check_sns_url(message.get("SigningCertURL"), hosts, "SigningCertURL"))
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise RejectError(401, "SNS signature does not match") from None


def confirm(url: str, certificates: CertificateCache) -> None:
    """GET the SubscribeURL (https on an SNS host, checked by the caller) over verified TLS."""
    try:
        certificates.fetch(url)
    except RejectError as exc:  # the SNS endpoint refused the confirmation: let SNS send it again later
        raise UnavailableError(f"SubscribeURL refused the confirmation ({exc.reason})") from None
