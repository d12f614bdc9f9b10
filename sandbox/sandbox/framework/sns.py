"""AWS SNS's side of an HTTP(S) subscription, for emulators whose webhooks SNS delivers (Įvesk).

* :class:`SnsSigner` — an RSA key and a self-signed X.509 certificate, generated at start (nothing on disk
  outlives the process), that sign messages the way SNS does: `SignatureVersion` 1 = SHA1withRSA, 2 =
  SHA256withRSA (PKCS#1 v1.5), base64, over the string AWS documents: `Key\\nValue\\n` for `Message`,
  `MessageId`, `Subject` (when present), `Timestamp`, `TopicArn`, `Type` of a Notification, and for
  `Message`, `MessageId`, `SubscribeURL`, `Timestamp`, `Token`, `TopicArn`, `Type` of the two confirmations.
* :class:`SnsEndpoint` — the `https://sns.<region>.amazonaws.com` of the sandbox: an HTTPS server on a free
  loopback port (its own throw-away CA; receivers trust `ca_pem`) serving the signing certificate at the
  `SigningCertURL` and the `SubscribeURL` / `UnsubscribeURL` actions (`?Action=ConfirmSubscription` /
  `Unsubscribe`), answered in SNS's XML. Started on first use, stopped with the emulator.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from starlette.responses import Response

SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
SIGNATURE_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return builder.not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))


def string_to_sign(message: dict[str, Any]) -> bytes:
    keys = SIGNED_KEYS[message["Type"]]
    return "".join(f"{k}\n{message[k]}\n" for k in keys if k in message).encode("utf-8")


class SnsSigner:
    """The signing key and certificate of one emulated SNS."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = _name("sns.amazonaws.com")
        builder = _validity(x509.CertificateBuilder().subject_name(name).issuer_name(name))
        certificate = (
            builder.public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .sign(self._key, hashes.SHA256())
        )
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        # SNS names each certificate file by a hash: SimpleNotificationService-<32 hex>.pem
        self.certificate_name = f"SimpleNotificationService-{hashlib.md5(self.certificate_pem).hexdigest()}.pem"  # noqa: S324 - a file name, not a security use

    def sign(self, message: dict[str, Any], version: str) -> str:
        signature = self._key.sign(string_to_sign(message), padding.PKCS1v15(), SIGNATURE_HASHES[version]())
        return base64.b64encode(signature).decode()


class _TlsFiles:
    """A throw-away CA and a server certificate for 127.0.0.1 / localhost signed by it (EC P-256), as files
    uvicorn can load; `ca_pem` is what a client trusts."""

    def __init__(self) -> None:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("accounting-sandbox SNS test CA")
        ca = (
            _validity(x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        san = x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        )
        leaf = (
            _validity(x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(san, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_pem = ca.public_bytes(serialization.Encoding.PEM)
        self.directory = Path(tempfile.mkdtemp(prefix="sandbox-sns-"))
        self.certfile = self.directory / "server.pem"
        self.keyfile = self.directory / "server.key"
        self.certfile.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        self.keyfile.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def sns_xml(action: str, result: str = "") -> Response:
    body = (
        f'<{action}Response xmlns="{SNS_XMLNS}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>sandbox</RequestId></ResponseMetadata></{action}Response>"
    )
    return Response(body.encode(), media_type="text/xml")


def sns_error(status: int, code: str, message: str) -> Response:
    body = (
        f'<ErrorResponse xmlns="{SNS_XMLNS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>"
    )
    return Response(body.encode(), status_code=status, media_type="text/xml")


class SnsEndpoint:
    """The emulated SNS host: signer, HTTPS server (started by :meth:`start`) and the two query actions.

    `confirm(topic_arn, token)` and `unsubscribe(subscription_arn)` return the subscription ARN, or None
    when there is no such subscription (answered 404 NotFound, as SNS does)."""

    def __init__(
        self,
        confirm: Callable[[str, str], str | None],
        unsubscribe: Callable[[str], str | None],
    ) -> None:
        self._confirm, self._unsubscribe = confirm, unsubscribe
        self._lock = threading.Lock()
        self._server: Any = None
        self._tls: _TlsFiles | None = None
        self.signer: SnsSigner | None = None
        self.url = ""
        self.ca_pem = b""

    def start(self) -> SnsEndpoint:
        from .server import ServerThread

        with self._lock:
            if self._server is None:
                self.signer = SnsSigner()
                self._tls = _TlsFiles()
                self.ca_pem = self._tls.ca_pem
                server = ServerThread(
                    self._app(), ssl_certfile=str(self._tls.certfile), ssl_keyfile=str(self._tls.keyfile)
                )
                self._server = server.start()
                self.url = f"https://127.0.0.1:{server.port}"
        return self

    @property
    def signing_cert_url(self) -> str:
        assert self.signer is not None
        return f"{self.url}/{self.signer.certificate_name}"

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            tls, self._tls = self._tls, None
        if server is not None:
            server.stop()
        if tls is not None:
            tls.remove()

    def _app(self) -> FastAPI:
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

        @app.middleware("http")
        async def one_request_per_connection(request: Request, call_next: Callable[[Request], Any]) -> Response:
            # TLS connections left open would still be waiting for their peer's close_notify when the emulator
            # stops (asyncio's SSL shutdown): close each after its answer, as SNS's clients expect nothing else
            response = await call_next(request)
            response.headers["Connection"] = "close"
            return response

        @app.get("/")
        async def action(request: Request) -> Response:
            query = request.query_params
            if query.get("Action") == "ConfirmSubscription":
                arn = self._confirm(query.get("TopicArn", ""), query.get("Token", ""))
                if arn is None:
                    return sns_error(404, "NotFound", "Subscription confirmation token is invalid")
                return sns_xml("ConfirmSubscription", f"<SubscriptionArn>{arn}</SubscriptionArn>")
            if query.get("Action") == "Unsubscribe":
                if self._unsubscribe(query.get("SubscriptionArn", "")) is None:
                    return sns_error(404, "NotFound", "Subscription does not exist")
                return sns_xml("Unsubscribe")
            return sns_error(400, "InvalidAction", "Unknown action")

        @app.get("/{name}")
        async def certificate(name: str) -> Response:
            if self.signer is None or name != self.signer.certificate_name:
                return sns_error(404, "NotFound", "Not found")
            return Response(self.signer.certificate_pem, media_type="application/x-x509-ca-cert")

        return app
