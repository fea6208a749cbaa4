"""HTML to an article with trafilatura: main text, title, site name, author, date and canonical URL.

Navigation, cookie banners, related-article lists, footers and scripts are left out by trafilatura's
main-content extraction; comments are left out too (they are not the outlet's words).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from index.errors import IngestError
from index.ingest.decoding import normalise_newlines

_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body|<meta|<title|<article)",
                         re.IGNORECASE | re.DOTALL)


def looks_like_html(raw: bytes) -> bool:
    """Tell an HTML document from plain text by how it begins (HTML saved as .txt is still HTML)."""
    return bool(_HTML_START.match(raw[:4096].lstrip(b"\xef\xbb\xbf")))


def extract(html: str, url: str | None = None) -> dict:
    """The article in an HTML page: {"text", "title", "outlet", "author", "date", "url", "language"}.

    `text` is the stored text: the title as the first line, then one paragraph per line, separated by
    blank lines. IngestError when the page has no article text.
    """
    import logging

    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    from trafilatura import bare_extraction

    try:
        doc = bare_extraction(html, url=url, with_metadata=True, include_comments=False, include_tables=False,
                              favor_precision=True)
    except Exception as exc:  # malformed markup trafilatura cannot parse
        raise IngestError(f"cannot read the HTML ({type(exc).__name__})") from None
    if doc is None:
        raise IngestError("no article text found in the HTML page")
    get = (lambda key: doc.get(key)) if isinstance(doc, dict) else (lambda key: getattr(doc, key, None))
    body = normalise_newlines(get("text") or "").strip()
    if not body:
        raise IngestError("no article text found in the HTML page")
    paragraphs = [" ".join(p.split()) for p in body.split("\n") if p.strip()]
    title = " ".join((get("title") or "").split()) or None
    if title and paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    text = "\n\n".join(([title] if title else []) + paragraphs) + "\n"
    canonical = get("url") or url
    if canonical and urlparse(canonical).scheme not in ("http", "https"):
        canonical = url
    outlet = get("sitename") or (urlparse(canonical).hostname if canonical else None)
    return {"text": text, "title": title, "outlet": outlet, "author": get("author"), "date": get("date"),
            "url": canonical, "language": get("language")}
