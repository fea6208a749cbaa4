"""Ingestion without a model: encodings, HTML, URLs from a loopback server, metadata, bad files."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from index.ingest import Draft, IngestLimits, Skipped, read_inputs
from index.ingest.decoding import decode
from index.sentences import split_passages
from index.models import Source
from tests.conftest import BASIL, SHARED

ARTICLE = "Bridge vote delayed\n\nThe council delayed the vote on Tuesday. “We need more time,” the mayor said.\n"


def _one(item: str, limits: IngestLimits | None = None) -> Draft | Skipped:
    [out] = list(read_inputs([item], limits))
    return out


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("utf8", ARTICLE.encode("utf-8")),
        ("utf8-bom", b"\xef\xbb\xbf" + ARTICLE.encode("utf-8")),
        ("utf16-le-bom", ARTICLE.encode("utf-16")),
        ("utf16-be-bom", b"\xfe\xff" + ARTICLE.encode("utf-16-be")),
        ("crlf", ARTICLE.replace("\n", "\r\n").encode("utf-8")),
        ("cr", ARTICLE.replace("\n", "\r").encode("utf-8")),
    ],
)
def test_encodings_and_line_endings_give_the_same_stored_text(tmp_path, name, raw):
    path = tmp_path / f"{name}.txt"
    path.write_bytes(raw)
    draft = _one(str(path))
    assert isinstance(draft, Draft)
    assert draft.text == ARTICLE
    source = Source(source_id="s", story_id="t", outlet="o", title="t", text=draft.text)
    passages = split_passages(source)
    assert passages[0].text == "Bridge vote delayed" and passages[0].kind == "headline"
    assert all(draft.text[p.start : p.end] == p.text for p in passages)


def test_a_windows_1252_article_is_decoded():
    text = "Caf\u00e9 owners \u201cwelcomed\u201d the d\u00e9cision, said Ren\u00e9e. " * 20
    assert decode(text.encode("cp1252")) == text


def test_empty_binary_large_and_unsupported_files_are_skipped_and_the_rest_read(tmp_path):
    (tmp_path / "good.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n ", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 40)
    (tmp_path / "big.txt").write_text("word " * 3000, encoding="utf-8")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    out = list(read_inputs([str(tmp_path)], IngestLimits(max_article_bytes=10_000)))
    drafts = [o for o in out if isinstance(o, Draft)]
    reasons = {Path(o.path).name: o.reason for o in out if isinstance(o, Skipped)}
    assert [Path(d.origin).name for d in drafts] == ["good.txt"]
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.md"] == "empty file (only white space)"
    assert reasons["image.txt"] == "binary file (not text)"
    assert reasons["big.txt"] == "too large: 15.0 kB is over the 10.0 kB limit (STORYBOT_MAX_ARTICLE_BYTES)"
    assert reasons["report.pdf"] == "unsupported file type .pdf; use .txt, .md or .html"


def test_a_pdf_saved_as_text_is_refused_as_binary(tmp_path):
    (tmp_path / "report.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 20)
    [skipped] = list(read_inputs([str(tmp_path / "report.txt")]))
    assert isinstance(skipped, Skipped) and skipped.reason.startswith("binary file (a PDF document, not text)")


def test_a_plain_file_is_named_after_its_outlet_by_its_file_name(tmp_path):
    (tmp_path / "ap.txt").write_text(ARTICLE, encoding="utf-8")
    [draft] = list(read_inputs([str(tmp_path / "ap.txt")]))
    assert (draft.source_id, draft.outlet) == ("ap", "ap")


def test_a_readme_beside_story_folders_is_skipped_not_made_a_story(tmp_path):
    for story in ("one", "two"):
        (tmp_path / story).mkdir()
        (tmp_path / story / "ap.txt").write_text(ARTICLE.replace("Tuesday", story), encoding="utf-8")
    (tmp_path / "README.md").write_text("# The corpus\n\nTwo stories, one folder each, as the project ships them.\n")
    (tmp_path / "LICENSE.txt").write_text("Permission is hereby granted to copy these notes for any purpose at all.\n")
    out = list(read_inputs([str(tmp_path)]))
    assert sorted(d.story_id for d in out if isinstance(d, Draft)) == ["one", "two"]
    reasons = {Path(o.path).name: o.reason for o in out if isinstance(o, Skipped)}
    assert set(reasons) == {"README.md", "LICENSE.txt"}
    assert all(r.startswith("notes beside story folders") for r in reasons.values())


def test_a_readme_in_a_folder_of_articles_alone_is_read_like_any_article(tmp_path):
    (tmp_path / "README.md").write_text(ARTICLE, encoding="utf-8")
    [draft] = list(read_inputs([str(tmp_path)]))
    assert isinstance(draft, Draft) and draft.source_id == "README"


def test_a_file_name_that_is_not_utf8_does_not_break_anything(tmp_path):
    (tmp_path / b"caf\xe9.txt".decode("utf-8", "surrogateescape")).write_text(ARTICLE, encoding="utf-8")
    [draft] = list(read_inputs([str(tmp_path)]))
    assert isinstance(draft, Draft)
    draft.origin.encode("utf-8")  # printable, storable
    draft.source_id.encode("utf-8")


def test_duplicates_within_one_batch_are_skipped(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.txt").write_text(ARTICLE, encoding="utf-8")
    out = list(read_inputs([str(tmp_path)]))
    assert isinstance(out[0], Draft) and isinstance(out[1], Skipped)
    assert out[1].reason.startswith("same text as ")


PAGE = """<!DOCTYPE html><html lang="en"><head><title>Bridge vote delayed | The Daily Bugle</title>
<meta property="og:site_name" content="The Daily Bugle"><meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2024-04-03T10:00:00Z">
<link rel="canonical" href="https://bugle.example/news/bridge-vote"><script>var tracking = "SCRIPTSECRET";</script>
</head><body><nav><ul><li><a href="/">Home</a></li><li><a href="/news">NAVIGATIONLINK</a></li></ul></nav>
<div class="cookie-banner" id="cookie-consent">We use COOKIEBANNER cookies. <button>Accept</button></div>
<article><h1>Bridge vote delayed</h1>
<p>The city council delayed its vote on the new bridge on Tuesday, saying that it needed more time to study costs.</p>
<p>“We need more time to look at the numbers before anyone commits public money,” the mayor told reporters at city hall.</p>
<p>Opponents of the plan said the delay showed that the project had been rushed from the start and should be dropped.</p>
</article><aside class="related"><h3>Related articles</h3><ul><li><a href="/x">RELATEDSTORY about parks</a></li></ul></aside>
<footer>FOOTERTEXT © 2024 The Daily Bugle</footer></body></html>"""


def _assert_page(draft: Draft) -> None:
    assert isinstance(draft, Draft), draft
    for noise in ("SCRIPTSECRET", "NAVIGATIONLINK", "COOKIEBANNER", "RELATEDSTORY", "FOOTERTEXT", "<p>"):
        assert noise not in draft.text
    assert "delayed its vote on the new bridge" in draft.text
    assert "before anyone commits public money" in draft.text
    assert draft.text.splitlines()[0].startswith("Bridge vote delayed")
    assert draft.outlet == "The Daily Bugle"
    assert draft.author == "Jane Reporter"
    assert draft.date == "2024-04-03"


@pytest.mark.parametrize("suffix", [".html", ".txt"])
def test_html_files_give_the_article_only(tmp_path, suffix):
    path = tmp_path / f"bridge{suffix}"
    path.write_text(PAGE, encoding="utf-8")
    draft = _one(str(path))
    _assert_page(draft)
    assert draft.url == "https://bugle.example/news/bridge-vote"


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        if self.path == "/article":
            body = PAGE.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<p>" + b"x" * 200_000)
        elif self.path == "/slow":
            time.sleep(2)
            self.send_response(200)
            self.end_headers()
        elif self.path == "/image":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(b"\x89PNG")
        else:
            self.send_error(404, "Not Found")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_a_url_is_fetched_and_extracted(server):
    _assert_page(_one(f"{server}/article"))


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "the server answered 404 Not Found"),
        ("/huge", "the page is over the 100.0 kB limit"),
        ("/slow", "no answer within 0.5 s"),
        ("/image", "it is image/png, not an HTML or text page"),
    ],
)
def test_url_failures_are_one_line_reasons(server, path, reason):
    skipped = _one(f"{server}{path}", IngestLimits(fetch_timeout_s=0.5, max_fetch_bytes=100_000))
    assert isinstance(skipped, Skipped) and reason in skipped.reason, skipped


def test_a_closed_port_and_bad_schemes(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused = _one(f"http://127.0.0.1:{port}/x")
    assert isinstance(refused, Skipped) and refused.reason == f"cannot fetch http://127.0.0.1:{port}/x: connection refused"
    for url in ("ftp://example.org/a.txt", "javascript:alert(1)", "file:///etc/passwd"):
        skipped = _one(url)
        assert isinstance(skipped, Skipped) and skipped.reason.startswith("only http and https URLs can be fetched")


def _story_folder(tmp_path: Path, meta) -> Path:
    folder = tmp_path / "story"
    folder.mkdir()
    (folder / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "b.txt").write_text(ARTICLE.replace("Tuesday", "Monday"), encoding="utf-8")
    (folder / "sources.json").write_text(meta if isinstance(meta, str) else json.dumps(meta), encoding="utf-8")
    return folder


def test_metadata_labels_the_sources(tmp_path):
    folder = _story_folder(tmp_path, {"story": {"id": "bridge", "title": "The bridge"},
                                      "sources": {"a": {"outlet": "Bugle", "url": "https://bugle.example/a"}}})
    a, b = list(read_inputs([str(folder)]))
    assert (a.outlet, a.url, a.story_id, a.story_title) == ("Bugle", "https://bugle.example/a", "bridge", "The bridge")
    assert (b.outlet, b.story_id) == ("b", "bridge"), "a source sources.json does not name: its file names it"


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        ("{not json", "sources.json: not valid JSON"),
        ("[1, 2]", "sources.json: must hold a JSON object, not list"),
        ('{"story": "x"}', "sources.json: story "),
        ("[" * 5000 + "]" * 5000, "sources.json: "),
        ({"sources": [1]}, "sources.json: sources input should be a valid dictionary"),
    ],
    ids=["not-json", "list", "story-string", "deep", "sources-list"],
)
def test_a_malformed_metadata_file_skips_the_folder_with_the_reason(tmp_path, meta, reason):
    out = list(read_inputs([str(_story_folder(tmp_path, meta))]))
    assert len(out) == 2 and all(isinstance(o, Skipped) and reason in o.reason for o in out), out


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"url": "javascript:alert(1)"}, "sources.json: sources.a.url value error, must be an http(s) url"),
        ({"title": 42}, "sources.json: sources.a.title input should be a valid string"),
        ({"date": {"y": 2024}}, "sources.json: sources.a.date input should be a valid string"),
        ({"outlet": "x" * 5000}, "sources.json: sources.a.outlet string should have at most 500 characters"),
        ({"title": 10**400}, "sources.json: sources.a.title input should be a valid string"),
    ],
    ids=["javascript-url", "number-title", "object-date", "huge-outlet", "huge-number"],
)
def test_a_bad_metadata_entry_skips_only_that_source(tmp_path, entry, reason):
    meta = json.dumps({"sources": {"a": entry}}) if "title" not in entry or entry["title"] != 10**400 else \
        '{"sources": {"a": {"title": 1' + "0" * 400 + "}}}"
    a, b = list(read_inputs([str(_story_folder(tmp_path, meta))]))
    assert isinstance(a, Skipped) and a.reason.lower().startswith(reason), a
    assert isinstance(b, Draft)


@pytest.mark.skipif(not (SHARED / "corpora").is_dir(), reason=f"the shared corpora are not at {SHARED} (the data set folder is absent)")
def test_shared_corpora_read_whole():
    basil = [o for o in read_inputs([str(BASIL)]) if isinstance(o, Draft)]
    assert len(basil) == 300 and len({d.story_id for d in basil}) == 100
    assert {d.outlet for d in basil} == {"The New York Times", "Fox News", "HuffPost"}
    five = [o for o in read_inputs([str(SHARED / "corpora" / "newswcl50")]) if isinstance(o, Draft)]
    assert len(five) == 35 and len({d.story_id for d in five}) == 7
