"""build(): the stages in order, on one screen."""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator, MutableMapping, Sequence

from .cache import BUILT, CACHE_DIR, CACHE_FILE, FAILED, WRITING, Cache
from .config import CONFIG_FILE, SOURCE_FOLDERS, load_config
from .index import index
from .load import RECENT_NS, ContentFile, content_files, load
from .model import BuildReport, OutputFile, UsageError, WriteReport
from .plan import plan
from .render import render
from .search import search_files
from .theme import default_theme_dir
from .write import checking, write


def build(
    site_dir: Path,
    output_dir: Path | None = None,
    *,
    base_url: str | None = None,
    drafts: bool = False,
    jobs: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    decoded: MutableMapping[str, tuple] | None = None,
    progress: Callable[[str], None] = lambda stage: None,
) -> BuildReport:
    """Build the site in `site_dir` into `output_dir` (default `site_dir/public`).

    Raises BuildFailed with every problem found before anything is written, so
    a failed build leaves the previous output as it was; ToolFailed, equally
    before writing, when the search indexer cannot run. `dry_run` checks
    everything, templates included, and writes nothing (nor indexes). `now` is the moment
    the news sitemap looks two days back from; only a site with the news
    sitemap on, built without one, reads the clock, since that file is about
    the moment of publishing. The stages memoise into the cache in
    `cache_dir` (default `site_dir/.newsgen/`); without `use_cache` they use
    a throwaway one: the result is the same, only slower. A caller that
    builds again and again (`newsgen serve`) passes the same `decoded` dict
    to each build: documents then stay decoded in memory from one build to
    the next (see load). Builds sharing a cache run one at a time, and one
    writes into a folder only while no deploy of it runs: a build that finds
    the cache or the folder in use reports the stage WAIT to `progress`, and
    waits. Worker processes
    import the caller's main module, so a script calling build() needs the
    usual `if __name__ == "__main__":` guard of multiprocessing.
    """
    started = time.perf_counter()
    site_dir = site_dir.resolve()
    if not (site_dir / "content").is_dir() and not (site_dir / CONFIG_FILE).is_file():
        raise UsageError(f"{site_dir} has no content/ folder and no {CONFIG_FILE}: is it a newsgen site?")
    output_dir = _checked_output(site_dir, output_dir or site_dir / "public")
    theme = default_theme_dir()
    jobs = jobs or os.cpu_count() or 1

    fingerprint = code_fingerprint()
    cache_file = (cache_dir or site_dir / CACHE_DIR) / CACHE_FILE
    waiting = functools.partial(progress, WAIT)
    with _fewer_collections(), Cache(cache_file, fingerprint, waiting) if use_cache else Cache.temporary(fingerprint) as cache, \
            _outcome_recorded(cache, output_dir, not dry_run):
        progress("config")
        config = load_config(site_dir)
        if base_url is not None:
            config = config.with_base_url(base_url)
        if now is None and config.news_sitemap and config.base_url:
            now = datetime.now(timezone.utc)
        template_dirs = [site_dir / "templates", theme / "templates"]

        # What the last build wrote is checked on disk while the stages run: write needs it, not they.
        manifest = {} if dry_run else cache.manifest(output_dir)
        killed_writing = cache.outcome(output_dir) == WRITING
        with checking(output_dir, manifest, jobs) as altered_outputs:
            # Nothing changed since the last build into this folder: its report is the answer.
            sources = content_files(site_dir)
            inputs = sources_fingerprint(site_dir, theme, sources, f"{fingerprint} {config} {drafts} {now}")
            last = _last_build(cache, output_dir, inputs)
            if last and manifest and not killed_writing and not altered_outputs():
                return replace(last, seconds=time.perf_counter() - started)

            bodies, pages = cache.table("bodies"), cache.table("pages")
            progress("load")
            documents = load(site_dir, config, theme, drafts=drafts, jobs=jobs, sources=sources,
                             files=cache.table("files"), documents=cache.table("documents"), bodies=bodies,
                             chunks=cache.table("chunks"), decoded=decoded)
            progress("index")
            archive = index(documents, letters=cache.table("letters"), shapes=cache.table("shapes"))
            progress("plan")
            site = plan(archive, config, now=now)
            progress("render")
            rendered = render(site, template_dirs, jobs=jobs, pages=pages, bodies=bodies,
                              contexts=cache.table("contexts"), renders=cache.table("renders"))
            index_files: tuple[OutputFile, ...] = ()
            if site.search_bundle and not dry_run:
                progress("search")
                index_files = search_files(rendered.files, pages, config.language, site.search_bundle)
            written = WriteReport(written=0, unchanged=0)
            if not dry_run:
                progress("write")
                cache.hold_output(output_dir, waiting)  # from a deploy of the folder, till the cache is closed
                # Committed first: should this process be killed while writing, the next build and deploy know.
                cache.save_outcome(output_dir, WRITING)
                cache.commit()
                written = write(rendered.files + index_files, site.static_files, output_dir, pages, manifest,
                                altered_outputs(), jobs=jobs, sweep=killed_writing)
                cache.save_manifest(output_dir, written.manifest, before=manifest)
                cache.forget_untouched()

            report = BuildReport(
                articles=len(archive.articles),
                persons=len(archive.persons),
                events=len(archive.events),
                documents_parsed=documents.parsed,
                documents_cached=documents.cached,
                pages_rendered=rendered.rendered,
                pages_cached=rendered.cached,
                contexts_made=rendered.contexts_made,
                inputs_made=rendered.inputs_made,
                files_written=written.written,
                files_unchanged=written.unchanged,
                files_pruned=written.pruned,
                seconds=time.perf_counter() - started,
                warnings=site.warnings + rendered.warnings,
            )
            if inputs and not dry_run:
                _remember_build(cache, output_dir, inputs, report)
    return report


WAIT = "wait"
"""The stage a build reports while another build holds its cache (before "config") or a deploy its output
folder (before "write"): it lasts as long as that one."""

BUILD_GC_THRESHOLDS = (100_000, 1_000_000, 1_000_000)
"""The garbage collector's thresholds while building: the youngest objects scanned every 100,000
allocations rather than 700, the older ones never."""


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often while building.

    A build makes millions of small, long-lived, acyclic objects (documents,
    page contexts); with the default thresholds Python scans them again and
    again, which made planning a 10,000-article site twice as slow. Even
    scanning the survivors every 50 collections took a quarter of planning
    100,000 articles (3.2 s against 2.5 s), so only the youngest objects
    are scanned: a cycle that outlives one collection waits for the end of
    the build. Cold builds of 10,000 articles peaked at the same memory
    either way, with one process or two. Putting
    the defaults back makes Python scan once more everything the build still
    holds (0.3 s at 10,000 articles): a program that ends with the build can
    set BUILD_GC_THRESHOLDS itself beforehand, so that nothing changes here.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@contextlib.contextmanager
def _outcome_recorded(cache: Cache, output_dir: Path, record: bool) -> Iterator[None]:
    """Record in the cache whether this build into `output_dir` finished, so deploy can refuse a failed one."""
    if not record:
        yield
        return
    try:
        yield
    except BaseException:  # a failed build, or one stopped half-way: either way not a build to publish
        cache.save_outcome(output_dir, FAILED)
        raise
    cache.save_outcome(output_dir, BUILT)


def _last_build(cache: Cache, output_dir: Path, inputs: str | None) -> BuildReport | None:
    """The report of the last build into `output_dir`, as a build with nothing to do, if its inputs were `inputs`."""
    stored = cache.table("builds").get(str(output_dir))
    if inputs is None or stored is None:
        return None
    try:
        record = json.loads(stored)
        if record.pop("inputs") != inputs:
            return None
        last = BuildReport(**{**record, "warnings": tuple(record.get("warnings", ()))})
    except (ValueError, TypeError, KeyError):
        return None
    return replace(
        last,
        documents_parsed=0, documents_cached=last.documents_parsed + last.documents_cached,
        pages_rendered=0, pages_cached=last.pages,
        files_written=0, files_unchanged=last.files_written + last.files_unchanged, files_pruned=0,
    )


def _remember_build(cache: Cache, output_dir: Path, inputs: str, report: BuildReport) -> None:
    record = {"inputs": inputs, **asdict(report)}
    cache.table("builds").put(str(output_dir), json.dumps(record).encode())


def sources_fingerprint(site_dir: Path, theme: Path, content: Sequence[ContentFile], settings: str) -> str | None:
    """A hash of the name, size and modification time of every file a build reads, and of `settings`.

    `content` is the content files as load.content_files() listed them; the
    template and static folders are walked here. None when a file was
    modified too recently for its time to tell a second change from the
    first (see load): the build then runs in full.
    """
    digest = hashlib.sha256(settings.encode())
    recent = time.time_ns() - RECENT_NS
    listed = [(path, size, mtime_ns) for _, path, size, mtime_ns in content]
    folders = [site_dir / "templates", site_dir / "static", theme / "templates", theme / "static"]
    for number, files in enumerate([listed, *(sorted(_walk(str(folder))) for folder in folders)]):
        for path, size, mtime_ns in files:
            if mtime_ns > recent:
                return None
            digest.update(f"{number}\0{path}\0{size}\0{mtime_ns}\n".encode())
    config_file = site_dir / CONFIG_FILE
    if config_file.is_file():
        stat = config_file.stat()
        if stat.st_mtime_ns > recent:
            return None
        digest.update(f"{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _walk(folder: str) -> Iterator[tuple[str, int, int]]:
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.is_dir():
            yield from _walk(entry.path)
        else:
            try:
                stat = entry.stat()
            except OSError:  # a link to nothing: the build says so, and this hash need only see it
                yield entry.path, -1, 0
                continue
            yield entry.path, stat.st_size, stat.st_mtime_ns


def code_fingerprint() -> str:
    """A hash of newsgen's own code and the versions of the libraries that shape its output.

    A cache made by anything else is wiped: a new version of newsgen, of
    markdown-it-py or of Jinja2 may turn the same input into other bytes.
    """
    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        if path.name in _COMMAND_MODULES:
            continue
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for library in _OUTPUT_LIBRARIES:
        try:
            digest.update(f"{library} {metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library} -\0".encode())
    return digest.hexdigest()


# The commands around the build: they never shape its output, so a change to them keeps the cache.
_COMMAND_MODULES = frozenset({"__main__.py", "cli.py", "serve.py", "deploy.py", "scaffold.py", "mediatypes.py"})

_OUTPUT_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "nh3", "Jinja2", "MarkupSafe", "Babel", "PyYAML", "python-slugify", "tzdata",
                     "pagefind", "pagefind_bin", "cbor2", "pyuca")


def _checked_output(site_dir: Path, output_dir: Path) -> Path:
    """Refuse an output folder that holds, or lies inside, the site's own sources."""
    output_dir = output_dir.resolve()
    sources = [site_dir / name for name in SOURCE_FOLDERS]
    if (site_dir.is_relative_to(output_dir) or output_dir == site_dir / CACHE_DIR
            or any(output_dir.is_relative_to(s) for s in sources)):
        raise UsageError(f"the output folder {output_dir} must not contain or lie inside the site's sources or cache")
    return output_dir
