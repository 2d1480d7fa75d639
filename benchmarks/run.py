"""Time newsgen, Hugo and Pelican on the same synthetic corpus, in one run, and print a table of ratios.

    make bench                                   # 1,000 and 10,000 articles
    make bench BENCH_ARGS="--sizes 1000 --huge"  # add 100,000 articles (newsgen and Hugo only)

For each size and tool: a cold build (no cache, empty output), a rebuild
with nothing changed, a rebuild after one article's text changed, and the
peak memory of the whole process tree during a second cold build. Memory is
sampled in a run of its own because sampling a process tree every 20 ms
takes a good share of a 2-core machine: timed runs are left alone. Hugo keeps no cache between runs, so
its edit rebuild is measured the way Hugo users get one: `hugo server`
noticing the change and rebuilding in memory, as it reports. Pelican runs
with its content cache (LOAD_CONTENT_CACHE, CACHE_CONTENT) on.

Feeds, sitemaps and search are off for every tool, so all three make the
same kinds of pages: articles, paginated lists, and a page per person and
per event (Hugo taxonomy terms, Pelican tags).

Nothing is deleted while tools are timed: earlier outputs, caches and
corpora are moved into a trash folder, emptied once the table is printed.
On some file systems (ext4 without a journal) deleting tens of thousands of
files makes creating files slow for a minute or more after: the kernel
steps over every recently freed inode, one by one, for each new file. A
tool timed right after a deletion would pay for it.
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import edited_article, generate  # noqa: E402

BIN = Path(sys.executable).parent


@dataclass
class Run:
    """One timed command: wall seconds, and the peak of the summed RSS of its process tree when sampled."""

    seconds: float
    peak_mib: float | None = None


@dataclass
class Result:
    tool: str
    articles: int
    cold: Run | None = None
    unchanged: Run | None = None
    edit: Run | None = None
    notes: list[str] = field(default_factory=list)


def measure(command: list[str], cwd: Path, memory: bool = False) -> Run:
    """Run `command` to completion and time it; with `memory`, sample the memory of it and its children every 20 ms."""
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    if memory:
        while process.poll() is None:
            peak = max(peak, _tree_rss(process))
            time.sleep(0.02)
    output = process.communicate()[0].decode(errors="replace")
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return Run(seconds, peak / 2**20 if memory else None)


def measure_cold(command: list[str], site: Path, leftovers: tuple[str, ...], trash: Trash) -> Run:
    """Two cold builds of `site` (its `leftovers` put away first): the first timed, the second sampled for memory."""
    runs = []
    for memory in (False, True):
        for leftover in leftovers:
            trash.put_away(site / leftover)
        runs.append(measure(command, site, memory=memory))
    return Run(runs[0].seconds, runs[1].peak_mib)


@dataclass
class Trash:
    """A folder below the work folder that outputs are moved into while tools are timed, emptied when none is."""

    folder: Path
    moved: int = 0

    @classmethod
    def below(cls, work: Path) -> "Trash":
        return cls(work / ".trash")

    def put_away(self, path: Path) -> None:
        """Move `path`, if it exists, into the trash: a rename, so no file is freed while tools are timed."""
        if path.exists() or path.is_symlink():
            self.folder.mkdir(parents=True, exist_ok=True)
            self.moved += 1
            path.rename(self.folder / f"{self.moved}-{path.name}")

    def empty(self, settle: bool) -> None:
        """Delete the trash; with `settle`, then wait until the file system has stopped stepping over the
        freed inodes, so the next timing is not slowed."""
        if not self.folder.exists():
            return
        print(f"   emptying {self.folder}…", flush=True)
        shutil.rmtree(self.folder)
        if settle:
            os.sync()
            time.sleep(SETTLE_SECONDS)


# ext4 without a journal steps over inodes freed in the last 60 s (once written out; 360 s while unwritten).
SETTLE_SECONDS = 65


def _tree_rss(process: psutil.Process) -> int:
    try:
        members = [process, *process.children(recursive=True)]
        return sum(p.memory_info().rss for p in members if p.is_running())
    except psutil.Error:
        return 0


def age(folder: Path, seconds_ago: int = 3600) -> None:
    """Date every file an hour back, as the files of a kept archive are."""
    moment = time.time_ns() - seconds_ago * 1_000_000_000
    for path in folder.rglob("*"):
        os.utime(path, ns=(moment, moment))


def edit(path: Path) -> None:
    with path.open("a", encoding="utf-8") as stream:
        stream.write("\nMột câu được thêm vào để đo thời gian dựng lại.\n")


def bench_newsgen(site: Path, articles: int, trash: Trash) -> Result:
    result = Result("newsgen", articles)
    command = [str(BIN / "newsgen"), "build", str(site), "--quiet"]
    result.cold = measure_cold(command, site, (".newsgen", "public"), trash)
    result.unchanged = measure(command, site)
    edit(edited_article(site, "newsgen"))
    result.edit = measure(command, site)
    return result


def bench_pelican(site: Path, articles: int, trash: Trash) -> Result:
    result = Result("Pelican", articles)
    command = [str(BIN / "pelican"), "content", "-s", "pelicanconf.py", "-o", "output", "--quiet"]
    result.cold = measure_cold(command, site, ("output", "cache"), trash)
    result.unchanged = measure(command, site)
    edit(edited_article(site, "pelican"))
    result.edit = measure(command, site)
    return result


def bench_hugo(site: Path, articles: int, trash: Trash) -> Result:
    result = Result("Hugo", articles)
    command = [str(BIN / "hugo"), "--quiet", "--source", str(site), "--destination", "public"]
    result.cold = measure_cold(command, site, ("public", "resources"), trash)
    result.unchanged = measure(command, site)
    result.notes.append("no-change: a full `hugo` run (Hugo keeps no build cache)")
    result.edit = _hugo_server_rebuild(site)
    result.notes.append("edit: `hugo server` rebuilding in memory, time from the edit to its 'Total in' line")
    return result


def _hugo_server_rebuild(site: Path) -> Run:
    """Start `hugo server`, edit one article, and time until the server reports its rebuild done."""
    port = _free_port()
    command = [str(BIN / "hugo"), "server", "--source", str(site), "--port", str(port), "--bind", "127.0.0.1",
               "--disableLiveReload", "--disableFastRender"]
    server = psutil.Popen(command, cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.decode(errors="replace")) for line in server.stdout],
                     daemon=True).start()
    try:
        _wait_for(lines, "Web Server is available", timeout=900)
        time.sleep(1.0)
        peak = _tree_rss(server)
        started = time.perf_counter()
        edit(edited_article(site, "hugo"))
        _wait_for(lines, "Total in", timeout=300)
        return Run(time.perf_counter() - started, max(peak, _tree_rss(server)) / 2**20)
    finally:
        server.terminate()
        server.wait(30)


def _wait_for(lines: queue.Queue, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if text in line:
            return line
    raise RuntimeError(f"timed out waiting for {text!r}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def table(results: list[Result]) -> str:
    """A Markdown table: each measure for each tool, and its ratio to newsgen's (above 1: newsgen is faster)."""
    rows = ["| articles | measure | newsgen | Hugo | Pelican | Hugo / newsgen | Pelican / newsgen |",
            "|---:|---|---:|---:|---:|---:|---:|"]
    for articles in sorted({r.articles for r in results}):
        by_tool = {r.tool: r for r in results if r.articles == articles}
        for measure_name, label, unit in [("cold", "cold build", "s"), ("unchanged", "no-change rebuild", "s"),
                                          ("edit", "one-article edit", "s"), ("peak", "peak RSS (cold)", "MiB")]:
            values = {tool: _value(result, measure_name) for tool, result in by_tool.items()}
            base = values.get("newsgen")
            cells = [_cell(values.get(tool), unit) for tool in ("newsgen", "Hugo", "Pelican")]
            ratios = [_ratio(values.get(tool), base) for tool in ("Hugo", "Pelican")]
            rows.append(f"| {articles:,} | {label} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(rows)


def _value(result: Result, name: str) -> float | None:
    if name == "peak":
        return result.cold.peak_mib if result.cold else None
    run = getattr(result, name)
    return run.seconds if run else None


def _cell(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} {unit}" if unit == "MiB" else f"{value:.2f} {unit}"


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}×" if value is not None and base else "–"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000], help="corpus sizes, in articles")
    parser.add_argument("--huge", action="store_true", help="also 100,000 articles (newsgen and Hugo)")
    parser.add_argument("--tools", nargs="+", default=["newsgen", "hugo", "pelican"])
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsgen-bench"), help="where corpora are written")
    args = parser.parse_args()
    sizes = args.sizes + ([100_000] if args.huge else [])
    benches = {"newsgen": bench_newsgen, "hugo": bench_hugo, "pelican": bench_pelican}

    print(f"# {platform.node()}: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
          f"Python {platform.python_version()}; {_versions()}", flush=True)
    trash = Trash.below(args.work)
    trash.empty(settle=True)  # left by an interrupted run
    results = []
    for size in sizes:
        print(f"## {size:,} articles: writing the corpus", flush=True)
        for tool in benches:
            trash.put_away(args.work / str(size) / tool)
        sites = generate(size, args.work / str(size))
        for site in sites.values():
            age(site)
        for tool in args.tools:
            if size >= 100_000 and tool == "pelican":
                continue  # hours at this size; the 10,000 row tells the story
            print(f"   {tool}…", flush=True)
            result = benches[tool](sites[tool], size, trash)
            results.append(result)
            for note in result.notes:
                print(f"   ({tool} {note})")
    print()
    print(table(results))
    trash.empty(settle=False)
    return 0


def _versions() -> str:
    found = []
    for command in (["newsgen", "--version"], ["hugo", "version"], ["pelican", "--version"]):
        try:
            output = subprocess.run([str(BIN / command[0]), *command[1:]], capture_output=True, text=True).stdout
            output = re.sub(r"\x1b\[[0-9;]*m", "", output)
            found.append(re.sub(r"\s+", " ", output.strip())[:60])
        except OSError:
            found.append(f"{command[0]} missing")
    return "; ".join(found)


if __name__ == "__main__":
    sys.exit(main())
