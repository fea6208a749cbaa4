"""Bytes to text: UTF-8 (with or without BOM), UTF-16, or a detected legacy 8-bit encoding; one newline style."""

from __future__ import annotations

import codecs
import re

from index.errors import IngestError

_LINE_ENDS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_newlines(text: str) -> str:
    """CRLF, CR and Unicode line separators become "\n", once, before any offset is taken."""
    return _LINE_ENDS.sub("\n", text)


def decode(raw: bytes) -> str:
    """Decode an article's bytes; IngestError("binary file (not text)") or an encoding error otherwise."""
    if raw.startswith(b"%PDF"):  # a PDF saved as .txt: its header is ASCII, its body compressed streams
        raise IngestError("binary file (a PDF document, not text); save the article as text or HTML first")
    if raw.startswith(codecs.BOM_UTF8):
        return _checked(raw[3:].decode("utf-8", errors="strict") if _utf8(raw[3:]) else None)
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                return _checked(raw[len(bom):].decode(name))
            except UnicodeDecodeError:
                raise IngestError("not valid UTF-16 text") from None
    if _looks_utf16_without_bom(raw):
        for name in ("utf-16-le", "utf-16-be"):
            try:
                return _checked(raw.decode(name))
            except (UnicodeDecodeError, IngestError):
                continue
    if b"\x00" in raw:
        raise IngestError("binary file (not text)")
    if _utf8(raw):
        return _checked(raw.decode("utf-8"))
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise IngestError("not text in UTF-8, UTF-16 or a known 8-bit encoding")
    return _checked(str(best))


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_utf16_without_bom(raw: bytes) -> bool:
    """Every other byte zero over the first kilobyte: ASCII-range text in UTF-16."""
    head = raw[:1024]
    if len(head) < 4:
        return False
    zeros_even = head[0::2].count(0) / len(head[0::2])
    zeros_odd = head[1::2].count(0) / len(head[1::2])
    return max(zeros_even, zeros_odd) > 0.4 and min(zeros_even, zeros_odd) < 0.05


def _checked(text: str | None) -> str:
    if text is None:
        raise IngestError("not valid UTF-8 text")
    text = normalise_newlines(text.lstrip("\ufeff"))
    sample = text[:20000]
    if sample and len(_CONTROL.findall(sample)) / len(sample) > 0.01:
        raise IngestError("binary file (not text)")
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text
