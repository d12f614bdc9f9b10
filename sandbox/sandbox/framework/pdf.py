"""A tiny, valid, deterministic one-page PDF (Helvetica text lines, correct xref table).

The size of the file depends only on the length of its content stream, so :func:`pdf_size` can total the
bytes of 100,000 attachments without building them (used by ground-truth views).
"""

from __future__ import annotations

from functools import lru_cache


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")  # WinAnsiEncoding: umlauts and € survive
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


_HEAD = b"BT /F1 11 Tf 56 780 Td 14 TL"
_SPECIAL = frozenset("()\\")


def content_stream(lines: list[str]) -> bytes:
    parts = [_HEAD]
    for n, line in enumerate(lines):
        parts.append(b"(" + _escape(line) + (b") Tj" if n == 0 else b") '"))
    parts.append(b"ET")
    return b"\n".join(parts)


def content_stream_length(lines: list[str]) -> int:
    """``len(content_stream(lines))`` without encoding (plain ASCII lines are counted directly)."""
    total = len(_HEAD) + 2 + len(lines) + 1  # head, "ET", and the newlines between the parts
    for n, line in enumerate(lines):
        if line.isascii() and _SPECIAL.isdisjoint(line):
            total += len(line)
        else:
            total += len(_escape(line))
        total += 5 if n == 0 else 4  # "(" + ") Tj" / "(" + ") '"
    return total


def _assemble(stream: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\nstartxref\n"
    out += str(xref_at).encode() + b"\n%%EOF\n"
    return bytes(out)


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page A4 PDF showing ``lines``."""
    return _assemble(content_stream(lines))


@lru_cache(maxsize=4096)
def pdf_size_for_stream_length(n: int) -> int:
    """Size of :func:`tiny_pdf`'s output for a content stream of ``n`` bytes."""
    return len(_assemble(b"x" * n))


def pdf_size(lines: list[str]) -> int:
    """``len(tiny_pdf(lines))`` without assembling the document."""
    return pdf_size_for_stream_length(content_stream_length(lines))
