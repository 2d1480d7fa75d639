"""build(): the five stages in order, on one screen."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .config import CONFIG_FILE, load_config
from .index import index
from .load import load
from .model import BuildReport, UsageError
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
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> BuildReport:
    """Build the site in `site_dir` into `output_dir` (default `site_dir/public`).

    Raises BuildFailed with every problem found before anything is written, so
    a failed build leaves the previous output as it was. `dry_run` checks
    everything, templates included, and writes nothing. `now` is the moment
    the news sitemap looks two days back from; only a site with the news
    sitemap on, built without one, reads the clock, since that file is about
    the moment of publishing.
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
    if now is None and config.news_sitemap and config.base_url:
        now = datetime.now(timezone.utc)
    progress("plan")
    site = plan(archive, config, now=now)
    progress("render")
    files = render(site, [site_dir / "templates", theme / "templates"], jobs=jobs)
    written = unchanged = 0
    if not dry_run:
        progress("write")
        report = write(files, site.static_files, output_dir)
        written, unchanged = report.written, report.unchanged

    return BuildReport(
        articles=len(archive.articles),
        persons=len(archive.persons),
        events=len(archive.events),
        pages_rendered=len(files),
        files_written=written,
        files_unchanged=unchanged,
        seconds=time.perf_counter() - started,
        warnings=site.warnings,
    )


def _checked_output(site_dir: Path, output_dir: Path) -> Path:
    """Refuse an output folder that holds, or lies inside, the site's own sources."""
    output_dir = output_dir.resolve()
    sources = [site_dir / name for name in ("content", "templates", "static")]
    if site_dir.is_relative_to(output_dir) or any(output_dir.is_relative_to(s) for s in sources):
        raise UsageError(f"the output folder {output_dir} must not contain or lie inside the site's sources")
    return output_dir
