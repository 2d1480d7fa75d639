"""Stage 5, write: output files -> the output folder (contained, atomic per file, unchanged files untouched, stale ones pruned)."""

from __future__ import annotations

import contextlib
import functools
import itertools
import marshal
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Collection, Iterable, Iterator, Mapping, Sequence

from .model import BuildFailed, OutputFile, Problem, StaticFile, Store, WriteFailed, WriteReport
from .text import is_contained
from .workers import in_order, useful_jobs, worker_pool


def write(
    files: Sequence[OutputFile],
    static_files: Iterable[StaticFile],
    output_dir: Path,
    contents: Store,
    manifest: Mapping[str, str] | None = None,
    altered_files: Collection[str] | None = None,
    jobs: int = 1,
    sweep: bool = False,
) -> WriteReport:
    """Place every file inside `output_dir`, replacing only files whose bytes differ, and prune.

    `contents` holds each OutputFile's bytes by its key. `manifest` is what
    the previous build into `output_dir` wrote (WriteReport.manifest): a
    file it lists with the same key is known unchanged without being read,
    unless it is among `altered_files` (what altered() found of the
    manifest; None to look now), and a file it lists that this build does
    not make is deleted. Nothing else in `output_dir` is ever deleted.
    Files are placed by `jobs` processes when there are enough of them.
    Every path is checked before anything is written: one that would land
    outside `output_dir` (absolute, `..`, or through a symbolic link) fails
    the whole write with BuildFailed. With `sweep`, for a folder a write was
    killed in, the temporary files such a write leaves are deleted first.
    """
    root = output_dir.resolve()
    if sweep:
        _sweep(root)
    previous = dict(manifest or {})
    if altered_files is None:
        altered_files = altered(root, previous)
    sources: list[tuple[str, str, StaticFile | None]] = [(f.relpath, f.key, None) for f in files]
    for static in static_files:
        stat = static.source.stat()
        sources.append((static.relpath, f"static:{stat.st_mtime_ns}:{stat.st_size}:{static.source}", static))
    # A file the manifest vouches for is not written, so only the others need their paths checked: the
    # manifest names only files placed here before, each path checked then (checking 174,000 cost 0.4 s).
    entries: dict[str, str] = {}
    todo: list[tuple[str, str, StaticFile | None]] = []
    for relpath, key, static in sources:
        entry = previous.get(relpath)
        if entry is not None and _key_of(entry) == key and relpath not in altered_files:
            entries[relpath] = entry
        else:
            entries[relpath] = ""  # its place, so that the manifest keeps the plan's order
            todo.append((relpath, key, static))
    checked = _Targets(root)
    targets = [checked(relpath) for relpath, _, _ in todo]
    problems = [target for target in targets if isinstance(target, Problem)]
    if problems:
        raise BuildFailed(problems)

    missing = [Problem(relpath, 1, "its rendered bytes are missing from the cache: build again")
               for relpath, key, static in todo if not static and key not in contents]
    if missing:
        raise BuildFailed(missing)

    written = 0
    placing = [(target, relpath, key, static) for target, (relpath, key, static) in zip(targets, todo)]
    for relpath, changed, entry in _placed(_with_bytes(placing, contents), len(placing), jobs):
        written += changed
        entries[relpath] = entry
    unchanged = len(entries) - written
    pruned = _prune(root, checked, [relpath for relpath in previous if relpath not in entries])
    return WriteReport(written=written, unchanged=unchanged, pruned=pruned, manifest=entries)


# Files fetched from the cache at once, and sent to a process together.
_BATCH = 256
# Below this many files per process, starting processes costs more than it saves.
_FILES_PER_WORKER = 1000


def _placed(batches: Iterator[list[tuple[str, str, str, bytes]]], count: int,
            jobs: int) -> Iterator[tuple[str, bool, str]]:
    """Place the files of `batches` (`count` in all), in `jobs` processes when there are enough; results in order.

    Creating a file is mostly the kernel's work, which processes share out
    over the cores. Threads did not: they spent more time handing Python's
    lock to each other than they saved (17,000 files took 4-5.6 s with four
    threads, 2.7-3.5 s with none, on ext4).
    """
    jobs = useful_jobs(jobs, count, _FILES_PER_WORKER)
    if jobs == 1:
        for batch in batches:
            yield from map(_place, batch)
        return
    with worker_pool(jobs) as pool:
        for _, results in in_order(pool, _place_all, batches, ahead=2 * jobs):
            yield from results


def _place_all(batch: list[tuple[str, str, str, bytes]]) -> list[tuple[str, bool, str]]:
    """Place a batch of files: the unit of work sent to a process."""
    return [_place(item) for item in batch]


def _with_bytes(todo: list[tuple[str, str, str, StaticFile | None]],
                contents: Store) -> Iterator[list[tuple[str, str, str, bytes]]]:
    """The files to place, a batch at a time, each with its bytes: so only a batch's bytes are in memory."""
    for start in range(0, len(todo), _BATCH):
        batch = todo[start:start + _BATCH]
        found = contents.get_many(key for _, _, key, static in batch if not static)
        placed = []
        for target, relpath, key, static in batch:
            data = static.source.read_bytes() if static else found.get(key)
            if data is None:  # present a moment ago, unreadable now: a damaged cache
                raise BuildFailed([Problem(relpath, 1, "its rendered bytes cannot be read from the cache: build again")])
            placed.append((target, relpath, key, data))
        yield placed


def _place(item: tuple[str, str, str, bytes]) -> tuple[str, bool, str]:
    """Put one file's bytes at its target unless they are there already: (relpath, whether written, manifest entry).

    Raises WriteFailed when the file system refuses.
    """
    target, relpath, key, data = item
    try:
        changed = not _same_bytes(target, data)
        if changed:
            _replace(target, data)
        return relpath, changed, _entry(target, key)
    except OSError as error:
        raise WriteFailed(target, error.strerror or str(error)) from None


def intact(output_dir: Path, manifest: Mapping[str, str]) -> bool:
    """Whether `output_dir` holds every file of `manifest` as it was written (same size and time)."""
    return bool(manifest) and not altered(output_dir, manifest)


def altered(output_dir: Path, manifest: Mapping[str, str]) -> frozenset[str]:
    """The files of `manifest` that `output_dir` no longer holds as written: gone, or of another size or time."""
    prefix = f"{output_dir.resolve()}/"
    return frozenset(relpath for relpath, entry in manifest.items() if not _as_written(prefix + relpath, entry))


# Below this many files the output folder is looked at in the build's own process: another
# takes 0.2 s to start, longer than a site of 10,000 articles takes to list its sources, and
# a build with nothing to do would wait for it.
_FILES_CHECKED_APART = 20_000


@contextlib.contextmanager
def checking(output_dir: Path, manifest: Mapping[str, str], jobs: int) -> Iterator[Callable[[], frozenset[str]]]:
    """Start finding altered(output_dir, manifest), and yield the function that waits for the answer.

    With two jobs or more and many files, another process looks at the
    output folder while this one loads and renders: for 174,000 files that
    took 0.6 s of the 4.0 s of a rebuild after an edit. Otherwise the
    answer is found when first asked for.
    """
    if jobs < 2 or len(manifest) < _FILES_CHECKED_APART:
        yield functools.cache(lambda: altered(output_dir, manifest))
        return
    # Marshalled, the manifest crosses over ten times faster than pickled (6 against 58 ms).
    parcel = [marshal.dumps(dict(manifest))]  # handed over, then let go of: 27 MB at 174,000 files
    pool, waiter = worker_pool(1), ThreadPoolExecutor(1)
    # Starting the process waits until the fork server has imported newsgen (0.15 s): a thread waits instead.
    answer = waiter.submit(lambda: pool.submit(_altered_marshalled, output_dir, parcel.pop()).result())
    try:
        yield answer.result
    finally:
        # Even a failed build waits for the answer: a process left behind would wait for work forever.
        waiter.shutdown()
        pool.shutdown()


def _entry(target: str, key: str) -> str:
    """What the manifest remembers of a file: the size and time it has on disk now, and its key.

    A link put in a file's place never matches: its own size and time are read, not its target's.
    """
    return _stamp(os.lstat(target)) + key


def _stamp(stat: os.stat_result) -> str:
    """The start of a manifest entry: a file's size and modification time."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:"


def _key_of(entry: str) -> str:
    """The key a manifest entry names, after the stamp."""
    return entry.split(":", 2)[-1]


def _altered_marshalled(output_dir: Path, manifest: bytes) -> frozenset[str]:
    """altered(), the unit of work sent to a process."""
    return altered(output_dir, marshal.loads(manifest))


def _as_written(target: str, entry: str) -> bool:
    """Whether `target` has the size and time its manifest entry recorded; a link in its place never has."""
    try:
        return entry.startswith(_stamp(os.lstat(target)))
    except OSError:
        return False


def _prune(root: Path, checked: _Targets, relpaths: Iterable[str]) -> int:
    """Delete these files a previous build wrote, and the folders they leave empty; return how many."""
    pruned = 0
    for relpath in sorted(relpaths):
        found = checked(relpath)
        if isinstance(found, Problem):
            continue
        target = Path(found)
        if target.is_symlink() or not target.is_file():
            continue
        _delete(root, target)
        pruned += 1
    return pruned


def _delete(root: Path, target: Path) -> None:
    """Delete `target`, and the folders up to `root` that it leaves empty."""
    target.unlink()
    folder = target.parent
    while folder != root and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


# The name _replace gives the file it writes before renaming it into place.
_TEMPORARY = re.compile(r"\..+\.(\d+)-\d+\.tmp")


def _sweep(root: Path) -> None:
    """Delete the temporary files of _replace below `root` that no running process is writing, and the
    folders they leave empty: a process killed between writing and renaming leaves them behind."""
    for folder, _, names in os.walk(root):
        for name in names:
            match = _TEMPORARY.fullmatch(name)
            if match and not _running(int(match.group(1))):
                _delete(root, Path(folder, name))


def _running(pid: int) -> bool:
    """Whether process `pid` is running, other than this one (which has written nothing yet)."""
    if pid == os.getpid():
        return False
    if os.name != "posix":  # elsewhere signal 0 does not merely ask: taken as running, its file is kept
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's, running
        pass
    return True


class _Targets:
    """Output paths checked to stay inside `root`; each folder's real path is looked up once."""

    def __init__(self, root: Path):
        self.root = root
        self.inside: dict[str, bool] = {str(root): True}

    def __call__(self, relpath: str) -> str | Problem:
        """The absolute path for `relpath`, or a Problem when it would leave the root."""
        if not is_contained(relpath):
            return Problem(relpath, 1, f"refusing to write outside the output folder: {relpath!r}")
        target = f"{self.root}/{relpath}"
        if not self._inside(os.path.dirname(target)) or (os.path.islink(target) and not self._real_inside(target)):
            return Problem(relpath, 1, f"refusing to write through a link that leaves the output folder: {relpath!r}")
        return target

    def _inside(self, folder: str) -> bool:
        """Whether `folder`, below the root, really is inside it: its parent is, and it is no link out."""
        known = self.inside.get(folder)
        if known is None and not folder.startswith(f"{self.root}/"):
            return False
        if known is None:
            known = self._inside(os.path.dirname(folder)) and (not os.path.islink(folder) or self._real_inside(folder))
            self.inside[folder] = known
        return known

    def _real_inside(self, path: str) -> bool:
        return Path(os.path.realpath(path)).is_relative_to(self.root)


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as stream:
            return stream.read() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


_serial = itertools.count()
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def _replace(path: str, data: bytes) -> None:
    """Write `data` beside `path` and rename it into place, so a reader never sees half a file."""
    folder, name = os.path.split(path)
    # Unique within the process (each call takes a new number) and between processes (the pid).
    temporary = f"{folder}/.{name}.{os.getpid()}-{next(_serial)}.tmp"
    try:
        handle = os.open(temporary, _NEW_FILE, 0o644)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        handle = os.open(temporary, _NEW_FILE, 0o644)
    except FileExistsError:  # left by a process of the same number that was killed while writing
        os.unlink(temporary)
        handle = os.open(temporary, _NEW_FILE, 0o644)
    try:
        # Plain system calls: a Python file object costs four more per file (fstat, ioctl, lseek …).
        try:
            unwritten = memoryview(data)
            while unwritten:
                unwritten = unwritten[os.write(handle, unwritten):]
            if hasattr(os, "fchmod"):
                os.fchmod(handle, 0o644)  # as the umask may have taken away
            else:
                os.chmod(temporary, 0o644)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
