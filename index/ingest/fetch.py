"""Fetch an article by URL: http(s) only, a timeout, a size limit, and one-line errors when it fails."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from urllib.parse import urlparse

from index.errors import IngestError
from index.drafts import human_size

USER_AGENT = "storybot/0.1 (article fetcher)"
_TEXTUAL = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")


def check_url(url: str) -> str:
    """The URL if it is http(s) with a host; IngestError naming the problem otherwise."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https"):
        raise IngestError(f"only http and https URLs can be fetched, not {parsed.scheme or 'no scheme'}:")
    if not parsed.hostname:
        raise IngestError(f"the URL {url!r} has no host")
    return url


def fetch(url: str, timeout: float, max_bytes: int) -> tuple[bytes, str, str]:
    """(body, content type, final URL) of a page; IngestError("cannot fetch …: reason") on any failure."""
    check_url(url)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
            final = response.geturl()
            check_url(final)
            kind = (response.headers.get_content_type() or "").lower()
            if kind not in _TEXTUAL:
                raise IngestError(f"cannot use {url}: it is {kind or 'of unknown type'}, not an HTML or text page")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise IngestError(f"cannot use {url}: {human_size(int(declared))} is over the {human_size(max_bytes)} limit")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise IngestError(f"cannot use {url}: the page is over the {human_size(max_bytes)} limit")
            return body, kind, final
    except IngestError:
        raise
    except urllib.error.HTTPError as exc:
        raise IngestError(f"cannot fetch {url}: the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, socket.timeout) or "timed out" in str(reason):
            raise IngestError(f"cannot fetch {url}: no answer within {timeout:g} s") from None
        if isinstance(reason, socket.gaierror):
            raise IngestError(f"cannot fetch {url}: the host is unknown or this machine is offline") from None
        if isinstance(reason, ConnectionRefusedError):
            raise IngestError(f"cannot fetch {url}: connection refused") from None
        raise IngestError(f"cannot fetch {url}: {reason}") from None
    except (TimeoutError, socket.timeout):
        raise IngestError(f"cannot fetch {url}: no answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise IngestError(f"cannot fetch {url}: {type(exc).__name__}") from None
