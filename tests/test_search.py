"""Stage search: rendered pages -> the Pagefind bundle as output files, with Pagefind's own binary."""

from __future__ import annotations

import json
import tempfile

import pytest

from newsgen.model import MemoryStore, OutputFile, ToolFailed
from newsgen import search


def search_files(pages, language, bundle, store=None):
    """Run the search stage on `pages` given as (relpath, bytes); return its files with their bytes."""
    store = MemoryStore() if store is None else store
    files = []
    for relpath, data in pages:
        store.put(f"page:{relpath}:{hash(data)}", data)
        files.append(OutputFile(relpath, f"page:{relpath}:{hash(data)}"))
    return tuple((f.relpath, store[f.key]) for f in search.search_files(files, store, language, bundle))


def html(title: str, indexed: bool = True, lang: str = "vi") -> bytes:
    body = " data-pagefind-body" if indexed else ""
    return (f'<!DOCTYPE html><html lang="{lang}"><head><title>{title}</title></head>'
            f'<body><nav>Tin mới</nav><main{body}><h1>{title}</h1><p>Nội dung của {title}.</p></main></body></html>'
            ).encode("utf-8")


PAGES = (
    ("2024/09/tham-cuba/index.html", html("Thăm Cuba")),
    ("persons/to-lam/index.html", html("Tô Lâm")),
    ("index.html", html("Tin mới", indexed=False)),
    ("css/style.css", b"body { color: red }"),
)


def entry(files: tuple[tuple[str, bytes], ...], bundle: str = "pagefind/") -> dict:
    (found,) = [data for relpath, data in files if relpath == bundle + "pagefind-entry.json"]
    return json.loads(found)


def test_the_bundle_comes_back_as_files_below_its_folder():
    files = search_files(PAGES, "vi", "pagefind/")
    names = {relpath for relpath, _ in files}
    assert all(name.startswith("pagefind/") for name in names)
    assert {"pagefind/pagefind-ui.js", "pagefind/pagefind-ui.css", "pagefind/pagefind.js"} <= names
    assert any(name.startswith("pagefind/fragment/") for name in names)


def test_only_pages_marked_for_the_index_are_indexed():
    assert entry(search_files(PAGES, "vi", "pagefind/"))["languages"]["vi"]["page_count"] == 2


def test_nothing_to_index_gives_no_bundle():
    assert search_files([("index.html", html("Tin mới", indexed=False))], "vi", "pagefind/") == ()


def test_the_same_pages_give_the_same_bytes():
    assert search_files(PAGES, "vi", "pagefind/") == search_files(list(reversed(PAGES)), "vi", "pagefind/")


def test_the_index_is_named_by_the_language_of_the_site():
    files = search_files([("a/index.html", html("Thăm Cuba", lang="vi-VN"))], "vi-VN", "tim-kiem/")
    assert list(entry(files, "tim-kiem/")["languages"]) == ["vi"]


def test_a_page_that_would_leave_the_folder_is_not_given_to_pagefind(monkeypatch, tmp_path):
    # Pagefind's copy of the site is in <tempdir>/newsgen-search-*/site/: three levels up is tmp_path.
    (tmp_path / "t").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "t"))
    pages = PAGES + (("../../../escape/index.html", html("Thoát ra")),)
    assert entry(search_files(pages, "vi", "pagefind/"))["languages"]["vi"]["page_count"] == 2
    assert not (tmp_path / "escape").exists()


def test_a_missing_binary_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-pagefind"))
    with pytest.raises(ToolFailed, match=r"Pagefind is not installed .*no-pagefind does not exist.*search: false"):
        search_files(PAGES, "vi", "pagefind/")


def test_a_failing_binary_is_a_clear_error(monkeypatch, tmp_path):
    broken = tmp_path / "pagefind"
    broken.write_text("#!/bin/sh\necho 'Error: out of disk space' >&2\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(broken))
    with pytest.raises(ToolFailed, match=r"failed with exit code 3: Error: out of disk space"):
        search_files(PAGES, "vi", "pagefind/")


def test_a_binary_that_cannot_run_is_a_clear_error(monkeypatch, tmp_path):
    not_a_program = tmp_path / "pagefind"
    not_a_program.write_bytes(b"\x00\x01 not a program")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(not_a_program))
    with pytest.raises(ToolFailed, match="cannot run the search indexer"):
        search_files(PAGES, "vi", "pagefind/")


def test_the_same_pages_are_indexed_once(monkeypatch):
    store = MemoryStore()
    first = search_files(PAGES, "vi", "pagefind/", store)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/nonexistent/pagefind")  # running it again would now fail
    assert search_files(PAGES, "vi", "pagefind/", store) == first
    with pytest.raises(ToolFailed):
        search_files(PAGES[:1], "vi", "pagefind/", store)
