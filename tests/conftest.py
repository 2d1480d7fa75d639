"""Shared helpers: write a site from inline files, build it, read its output, look at it in a browser."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from browser import CHROMIUM, launch, serve
from newsgen.build import build
from newsgen.config import SiteConfig
from newsgen.index import index
from newsgen.load import load
from newsgen.model import Archive, Documents
from newsgen.theme import default_theme_dir

REPOSITORY = Path(__file__).resolve().parents[1]


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create `files` (path -> text, dedented, or bytes) below `root`; return `root`."""
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def article(title: str, date: str, **keys: str) -> str:
    """The text of an article file with `title`, `date` and the other front matter `keys` (YAML values)."""
    lines = [f"title: {title}", f"date: {date}"] + [f"{key}: {value}" for key, value in keys.items()]
    return "---\n" + "\n".join(lines) + f"\n---\nBài viết {title}.\n"


@pytest.fixture
def site(tmp_path: Path):
    """A function writing an inline site into a fresh folder and returning its path."""
    def make(files: dict[str, str | bytes]) -> Path:
        return write_files(tmp_path / "site", files)
    return make


def load_site(site_dir: Path, config: SiteConfig | None = None, drafts: bool = False, **stores) -> Documents:
    """Run the load stage on `site_dir` with the default theme (and the cache tables given as `stores`)."""
    return load(site_dir, config or SiteConfig(), default_theme_dir(), drafts=drafts, **stores)


def archive_of(site_dir: Path, config: SiteConfig | None = None) -> Archive:
    """Run load and index on `site_dir`."""
    return index(load_site(site_dir, config))


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, for the whole session; the test skips, saying why, where it is missing."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium, as root)")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab with its own cookies and storage, closed after the test."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def served_sample(tmp_path_factory):
    """The sample archive built for, and served at, http://127.0.0.1:<port>/luu-tru/: (address, output folder)."""
    out = tmp_path_factory.mktemp("served") / "public"
    with serve(out, "/luu-tru/") as address:
        build(REPOSITORY, out, base_url=address, jobs=1, cache_dir=out.parent / "cache")
        yield address, out
