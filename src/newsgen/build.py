"""build(): the five stages in order, on one screen."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Callable

from .cache import CACHE_DIR, CACHE_FILE, Cache
from .config import CONFIG_FILE, load_config
from .index import index
from .load import load
from .model import BuildReport, UsageError, WriteReport
from .plan import plan
from .render import render
from .theme import default_theme_dir
from .write import write


def build(
    site_dir: Path,
    output_dir: Path | None = None,
    *,
    base_url: str | None = None,
    drafts: bool = False,
    jobs: int | None = None,
    dry_run: bool = False,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> BuildReport:
    """Build the site in `site_dir` into `output_dir` (default `site_dir/public`).

    Raises BuildFailed with every problem found before anything is written, so
    a failed build leaves the previous output as it was. `dry_run` checks
    everything, templates included, and writes nothing. The stages memoise
    into the cache in `cache_dir` (default `site_dir/.newsgen/`); without
    `use_cache` they use a throwaway one: the result is the same, only slower.
    """
    started = time.perf_counter()
    site_dir = site_dir.resolve()
    if not (site_dir / "content").is_dir() and not (site_dir / CONFIG_FILE).is_file():
        raise UsageError(f"{site_dir} has no content/ folder and no {CONFIG_FILE}: is it a newsgen site?")
    output_dir = _checked_output(site_dir, output_dir or site_dir / "public")
    theme = default_theme_dir()
    jobs = jobs or os.cpu_count() or 1

    progress("config")
    config = load_config(site_dir)
    if base_url is not None:
        config = config.with_base_url(base_url)
    fingerprint = code_fingerprint()
    cache_file = (cache_dir or site_dir / CACHE_DIR) / CACHE_FILE
    with Cache(cache_file, fingerprint) if use_cache else Cache.temporary(fingerprint) as cache:
        bodies, pages = cache.table("bodies"), cache.table("pages")
        progress("load")
        documents = load(site_dir, config, theme, drafts=drafts, jobs=jobs,
                         files=cache.table("files"), documents=cache.table("documents"), bodies=bodies)
        progress("index")
        archive = index(documents)
        progress("plan")
        site = plan(archive, config)
        progress("render")
        rendered = render(site, [site_dir / "templates", theme / "templates"], jobs=jobs, pages=pages, bodies=bodies)
        written = WriteReport(written=0, unchanged=0)
        if not dry_run:
            progress("write")
            written = write(rendered.files, site.static_files, output_dir, pages, cache.manifest(output_dir))
            cache.save_manifest(output_dir, written.manifest)
            cache.forget_untouched()

    return BuildReport(
        articles=len(archive.articles),
        persons=len(archive.persons),
        events=len(archive.events),
        documents_parsed=documents.parsed,
        documents_cached=documents.cached,
        pages_rendered=rendered.rendered,
        pages_cached=rendered.cached,
        files_written=written.written,
        files_unchanged=written.unchanged,
        files_pruned=written.pruned,
        seconds=time.perf_counter() - started,
    )


def code_fingerprint() -> str:
    """A hash of newsgen's own code and the versions of the libraries that shape its output.

    A cache made by anything else is wiped: a new version of newsgen, of
    Python-Markdown or of Jinja2 may turn the same input into other bytes.
    """
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for library in _OUTPUT_LIBRARIES:
        try:
            digest.update(f"{library} {metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} -\0".encode())
    return digest.hexdigest()


_OUTPUT_LIBRARIES = ("Markdown", "nh3", "Jinja2", "MarkupSafe", "Babel", "PyYAML", "python-slugify", "tzdata")


def _checked_output(site_dir: Path, output_dir: Path) -> Path:
    """Refuse an output folder that holds, or lies inside, the site's own sources."""
    output_dir = output_dir.resolve()
    sources = [site_dir / name for name in ("content", "templates", "static")]
    if (site_dir.is_relative_to(output_dir) or output_dir == site_dir / CACHE_DIR
            or any(output_dir.is_relative_to(s) for s in sources)):
        raise UsageError(f"the output folder {output_dir} must not contain or lie inside the site's sources or cache")
    return output_dir
