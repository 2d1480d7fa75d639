"""build(): the stages in order, on one screen."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from .config import CONFIG_FILE, load_config
from .index import index
from .load import load
from .model import BuildReport, OutputFile, UsageError
from .plan import plan
from .render import render
from .search import search_files
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
    progress: Callable[[str], None] = lambda stage: None,
) -> BuildReport:
    """Build the site in `site_dir` into `output_dir` (default `site_dir/public`).

    Raises BuildFailed with every problem found before anything is written, so
    a failed build leaves the previous output as it was; ToolFailed, equally
    before writing, when the search indexer cannot run. `dry_run` checks
    everything, templates included, and writes nothing (nor indexes).
    """
    started = time.perf_counter()
    site_dir = site_dir.resolve()
    if not (site_dir / "content").is_dir() and not (site_dir / CONFIG_FILE).is_file():
        raise UsageError(f"{site_dir} has no content/ folder and no {CONFIG_FILE}: is it a newsgen site?")
    output_dir = _checked_output(site_dir, output_dir or site_dir / "public")
    theme = default_theme_dir()

    progress("config")
    config = load_config(site_dir)
    if base_url is not None:
        config = config.with_base_url(base_url)
    progress("load")
    documents = load(site_dir, config, theme, drafts=drafts)
    progress("index")
    archive = index(documents)
    progress("plan")
    site = plan(archive, config)
    progress("render")
    pages = render(site, [site_dir / "templates", theme / "templates"], jobs=jobs)
    index_files: tuple[OutputFile, ...] = ()
    if site.search_bundle and not dry_run:
        progress("search")
        index_files = search_files(pages, config.language, site.search_bundle)
    written = unchanged = 0
    if not dry_run:
        progress("write")
        report = write(pages + index_files, site.static_files, output_dir)
        written, unchanged = report.written, report.unchanged

    return BuildReport(
        articles=len(archive.articles),
        persons=len(archive.persons),
        events=len(archive.events),
        pages_rendered=len(pages),
        files_written=written,
        files_unchanged=unchanged,
        seconds=time.perf_counter() - started,
    )


def _checked_output(site_dir: Path, output_dir: Path) -> Path:
    """Refuse an output folder that holds, or lies inside, the site's own sources."""
    output_dir = output_dir.resolve()
    sources = [site_dir / name for name in ("content", "templates", "static")]
    if site_dir.is_relative_to(output_dir) or any(output_dir.is_relative_to(s) for s in sources):
        raise UsageError(f"the output folder {output_dir} must not contain or lie inside the site's sources")
    return output_dir
