"""The persistent build cache: keyed blobs in one SQLite file below `.newsgen/`.

It knows nothing of the stages. `build()` opens it and hands each stage the
tables it memoises into, seen through `model.Store` alone; the stages decide
what a key means. A cache written by another version of newsgen (or of the
libraries that shape its output), or one SQLite cannot read, is deleted and
started afresh, never trusted. One build at a time has it open: a lock file
beside it keeps the others waiting. Another, per output folder, keeps a
deploy and a build writing into that folder from overlapping.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sqlite3
import tempfile
import zlib
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from .model import MARSHAL_FORMAT, CacheFailed, unmarshalled

try:
    import fcntl
except ImportError:  # Windows: there, builds sharing a cache are not kept apart
    fcntl = None  # type: ignore[assignment]

CACHE_DIR = ".newsgen"
CACHE_FILE = "cache.sqlite"
LOCK_SUFFIX = ".lock"
"""Added to the cache file's name, the file a build holds locked while it has the cache open; the lock
files of output folders insert a hash of the folder before it."""

# Raise when the tables' layout or the meaning of their keys changes.
SCHEMA = 6

TABLES = ("files", "documents", "chunks", "bodies", "letters", "shapes", "contexts", "pages", "renders", "builds")
"""The memo tables: file stat -> content hash, parsed documents, the same a chunk of files at a
time with the files' stats, article HTML, the collation weights of letters, the archive's shape by
what it is made from, page inputs -> context hash, rendered pages, the last render of each plan,
and the last build into each output folder."""


class Cache:
    """An open cache; use as a context manager so its changes are committed and it is closed."""

    def __init__(self, path: Path, fingerprint: str, on_wait: Callable[[], None] = lambda: None):
        """Open (or create) the cache at `path`; wipe it when made by other code than `fingerprint` names.

        One Cache at a time has a cache file open: another opening it first
        calls `on_wait`, then waits until the first is closed.
        """
        self.path = path
        self.fingerprint = fingerprint
        self.reset = False
        self._tables: dict[str, Table] = {}
        self._uncommitted = 0
        self._held: list[int] = []  # the descriptors of the output folders' lock files held (see hold_output)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Two builds writing at once would fail on SQLite's lock, and one forgetting the entries it did not
            # touch would take those the other is using: the second build waits for the first instead.
            self._lock = _locked(Path(str(path) + LOCK_SUFFIX), on_wait)
        except OSError as error:
            raise _failed(path, error) from None
        try:
            self._connection = self._opened()
        except BaseException as error:
            os.close(self._lock)
            if isinstance(error, (sqlite3.Error, OSError)):
                raise CacheFailed(path, str(error)) from error
            raise

    def _opened(self) -> sqlite3.Connection:
        """The connection to the cache file; one SQLite cannot read is deleted and made afresh."""
        try:
            return self._open()
        except sqlite3.DatabaseError:
            self._delete_files()
            self.reset = True
            return self._open()

    @classmethod
    def temporary(cls, fingerprint: str) -> "Cache":
        """A cache in a fresh temporary folder, deleted on close: a cold build with the same code path."""
        folder = tempfile.TemporaryDirectory(prefix="newsgen-cache-")
        cache = cls(Path(folder.name) / CACHE_FILE, fingerprint)
        cache._temporary = folder
        return cache

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            stored = dict(connection.execute("SELECT name, value FROM meta").fetchall())
            expected = {"schema": str(SCHEMA), "fingerprint": self.fingerprint}
            if stored and stored != expected:
                self.reset = True
                # The manifests and outcomes stay: they say what is in the output folders, whatever
                # code wrote it; pruning and deploy need them.
                for (table,) in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' "
                        "AND name NOT IN ('meta', 'manifests', 'manifest', 'outcome')"
                ).fetchall():
                    connection.execute(f'DROP TABLE "{table}"')
                connection.execute("DELETE FROM meta")
            for table in TABLES:
                connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            connection.execute("CREATE TABLE IF NOT EXISTS manifests (output TEXT NOT NULL, part INTEGER NOT NULL, "
                               "value BLOB NOT NULL, PRIMARY KEY (output, part))")
            connection.execute("CREATE TABLE IF NOT EXISTS outcome (output TEXT PRIMARY KEY, value TEXT NOT NULL)")
            connection.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", expected.items())
            connection.execute("BEGIN")
            return connection
        except BaseException:
            connection.close()
            raise

    def _delete_files(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def table(self, name: str) -> "Table":
        """The memo table `name` (one of TABLES) as a Store."""
        if name not in TABLES:
            raise ValueError(f"no cache table {name!r}")
        if name not in self._tables:
            self._tables[name] = Table(self._connection, name, self._stored)
        return self._tables[name]

    def manifest(self, output_dir: Path) -> dict[str, str]:
        """What the last build into `output_dir` wrote there: output path -> entry (see write)."""
        return _manifest(self._connection, output_dir)

    def save_manifest(self, output_dir: Path, entries: Mapping[str, str],
                      before: Mapping[str, str] | None = None) -> None:
        """Make `entries` the manifest of `output_dir`; `before` is the manifest as read at the start of the build.

        What changed since `before` is added as a delta, as long as the deltas stay few and small; else the
        whole manifest is written again (28 MB at 174,000 files, for one file written by an edit).
        """
        output = str(output_dir)
        parts, last = self._connection.execute(
            "SELECT count(*), max(part) FROM manifests WHERE output = ?", (output,)).fetchone()
        if before is not None and 0 < parts <= _MANIFEST_DELTAS:
            # Most entries are the very objects read at the start: compared by identity first, they cost little.
            was = before.get
            changed = {relpath: entry for relpath, entry in entries.items() if was(relpath) is not entry and was(relpath) != entry}
            removed = [relpath for relpath in before if relpath not in entries]
            if len(changed) + len(removed) <= len(entries) // 8:
                if changed or removed:
                    self._connection.execute("INSERT INTO manifests VALUES (?, ?, ?)",
                                             (output, last + 1, _sealed(marshal.dumps((changed, removed), MARSHAL_FORMAT))))
                return
        self._connection.execute("DELETE FROM manifests WHERE output = ?", (output,))
        self._connection.execute("INSERT INTO manifests VALUES (?, 0, ?)",
                                 (output, _sealed(marshal.dumps(dict(entries), MARSHAL_FORMAT))))
        if _has_table(self._connection, "manifest"):
            self._connection.execute("DELETE FROM manifest WHERE output = ?", (output,))

    def save_outcome(self, output_dir: Path, outcome: str) -> None:
        """Record how the last build into `output_dir` went: WRITING as it starts writing, then BUILT, or
        FAILED (nothing or not all of it written)."""
        self._connection.execute("INSERT OR REPLACE INTO outcome VALUES (?, ?)", (str(output_dir), outcome))

    def hold_output(self, output_dir: Path, on_wait: Callable[[], None] = lambda: None) -> None:
        """Keep those in an `unbuilt` block for `output_dir` (a deploy of it) waiting until this cache is closed,
        its last changes committed; wait first, after calling `on_wait`, for any in such a block now."""
        try:
            self._held.append(_locked(_output_lock(self.path, output_dir), on_wait))
        except OSError as error:
            raise _failed(self.path, error) from None

    def outcome(self, output_dir: Path) -> str | None:
        """The outcome save_outcome last recorded for `output_dir`; None if none was."""
        row = self._connection.execute("SELECT value FROM outcome WHERE output = ?", (str(output_dir),)).fetchone()
        return row[0] if row else None

    def forget_untouched(self) -> int:
        """Delete the entries this session never touched, in each table where they far outnumber the touched.

        Called after a successful build: what it did not ask for belongs to
        older versions of files and pages. Some slack is kept so that two
        builds of one site with different settings (a preview and the
        published site) do not evict each other. Returns how many went.
        """
        forgotten: dict[str, int] = {}
        for table in self._tables.values():
            total = self._connection.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
            if total > 3 * len(table.touched) + _SLACK.get(table.name, _DEFAULT_SLACK):
                forgotten[table.name] = self._forget(table)
        for name, named in _NAMING.items():
            if any(forgotten.get(other) for other in named):
                forgotten[name] = forgotten.get(name, 0) + self._forget(self.table(name))
        return sum(forgotten.values())

    def _forget(self, table: "Table") -> int:
        """Delete the entries of `table` not touched this session; return how many went."""
        stale = [key for (key,) in self._connection.execute(f"SELECT key FROM {table.name}")
                 if key not in table.touched]
        self._connection.executemany(f"DELETE FROM {table.name} WHERE key = ?", ((k,) for k in stale))
        return len(stale)

    def commit(self) -> None:
        """Make everything stored so far durable."""
        self._connection.execute("COMMIT")
        self._connection.execute("BEGIN")
        self._uncommitted = 0

    def _stored(self, size: int) -> None:
        """Count `size` bytes stored; commit once they add up to _COMMIT_BYTES.

        Every entry is a memo whose key names what it was made from, so one committed before a
        build fails is as true as any, and an entry naming others (a render's record, a chunk of
        documents) is stored after them.
        """
        self._uncommitted += size
        if self._uncommitted >= _COMMIT_BYTES:
            self.commit()

    def close(self) -> None:
        """Commit and close; a temporary cache is deleted."""
        try:
            if self._connection.in_transaction:  # SQLite rolls back by itself on some errors, a full disk among them
                self._connection.execute("COMMIT")
        finally:
            self._connection.close()
            for descriptor in [*self._held, self._lock]:
                os.close(descriptor)  # which unlocks it
            temporary = getattr(self, "_temporary", None)
            if temporary is not None:
                temporary.cleanup()

    def __enter__(self) -> "Cache":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: object) -> None:
        """Commit and close, even after an error; an error of SQLite's, then or before, is raised as CacheFailed."""
        try:
            self.close()
        except sqlite3.Error as failure:
            if error is None:
                raise CacheFailed(self.path, str(failure)) from failure
        if isinstance(error, sqlite3.Error):
            raise CacheFailed(self.path, str(error)) from error


# Untouched entries kept beyond three for each touched one: a thousand small ones cost nothing, but one
# archive's shape, or one render's record, weighs megabytes at 100,000 articles, and a build touches one;
# a chunk of documents weighs a megabyte.
_DEFAULT_SLACK = 1000
_SLACK = {"shapes": 3, "renders": 3, "chunks": 3}
# Entries that name others' keys and are trusted without looking them up: a render's record names pages
# and contexts, a document (alone or in a chunk) its article's HTML. Once untouched ones of those are
# forgotten, so are the untouched entries naming them.
_NAMING = {"renders": ("pages", "contexts"), "documents": ("bodies",), "chunks": ("bodies",)}


@contextlib.contextmanager
def unbuilt(cache_file: Path, output_dir: Path, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """While in this block, no build with the cache at `cache_file` writes into `output_dir`; one writing
    there (see Cache.hold_output) is waited for first, after calling `on_wait`.

    Several processes can be in such a block at once. Where there is no
    cache folder, or one this process cannot write to, it waits for
    nothing: no build has run there, or none could.
    """
    try:
        descriptor = _locked(_output_lock(cache_file, output_dir), on_wait, shared=True)
    except OSError:  # no cache folder, or none a build could write to either
        yield
        return
    try:
        yield
    finally:
        os.close(descriptor)


def _failed(cache_file: Path, error: OSError) -> CacheFailed:
    """The cache at `cache_file` failed because its folder refused a file: name the file and why."""
    if isinstance(error, (FileExistsError, NotADirectoryError)):  # making the folder: a file stands in its way
        return CacheFailed(cache_file, f"{error.filename} is not a folder")
    return CacheFailed(cache_file, f"{error.filename}: {error.strerror or error}")


def _output_lock(cache_file: Path, output_dir: Path) -> Path:
    """The file locked by builds writing into `output_dir`, and by what must not see them do it."""
    folder = hashlib.blake2b(str(output_dir).encode(), digest_size=8).hexdigest()
    return Path(f"{cache_file}.{folder}{LOCK_SUFFIX}")


def _locked(lock_file: Path, on_wait: Callable[[], None], shared: bool = False) -> int:
    """Open `lock_file` and lock it, calling `on_wait` and waiting while another process's lock stands in the way.

    Shared, the lock keeps out only exclusive ones: those of the builds.
    Returns the open file's descriptor: closing it unlocks it, as does the
    end of the process.
    """
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is None:
        return descriptor
    kind = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        try:
            fcntl.flock(descriptor, kind | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(descriptor, kind)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


BUILT, FAILED, WRITING = "built", "failed", "writing"
"""The outcomes of a build that the cache records per output folder; WRITING, recorded as a build
starts writing, stays only when it was killed before it could record another."""


def output_record(cache_file: Path, output_dir: Path) -> tuple[dict[str, str], str | None] | None:
    """What the cache at `cache_file` knows of `output_dir`: its manifest and the last build's outcome.

    Read only, whatever code made the cache, and never created or wiped:
    None when there is no cache or it cannot be read.
    """
    if not cache_file.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{cache_file.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            manifest = _manifest(connection, output_dir)
            outcome = None
            if connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='outcome'").fetchone():
                row = connection.execute("SELECT value FROM outcome WHERE output = ?", (str(output_dir),)).fetchone()
                outcome = row[0] if row else None
            return manifest, outcome
        finally:
            connection.close()
    except sqlite3.Error:
        return None


def _manifest(connection: sqlite3.Connection, output_dir: Path) -> dict[str, str]:
    """The manifest of `output_dir` as the connection's cache holds it: output path -> entry.

    Kept whole in one entry, and what later builds changed in a few more: as a row per file, reading
    174,000 of them took 0.23 s a build. A damaged one reads as empty. A cache of older versions of
    newsgen holds a row per file, in the table `manifest`.
    """
    output = str(output_dir)
    if _has_table(connection, "manifests"):
        parts = connection.execute("SELECT value FROM manifests WHERE output = ? ORDER BY part", (output,)).fetchall()
        if parts:
            return _applied([unmarshalled(_checked(value)) for (value,) in parts])
    if _has_table(connection, "manifest"):
        return dict(connection.execute("SELECT relpath, entry FROM manifest WHERE output = ?", (output,)))
    return {}


def _applied(parts: list) -> dict[str, str]:
    """A manifest from its stored parts: the whole of it, then each delta (changed entries, removed paths)."""
    manifest, *deltas = parts
    if not isinstance(manifest, dict):
        return {}
    for delta in deltas:
        if not (isinstance(delta, tuple) and len(delta) == 2 and isinstance(delta[0], dict) and isinstance(delta[1], list)):
            return {}
        changed, removed = delta
        manifest.update(changed)
        for relpath in removed:
            manifest.pop(relpath, None)
    return manifest


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name = ?", (name,)).fetchone() is not None


# Deltas a manifest may gather before it is written whole again.
_MANIFEST_DELTAS = 16


# Bytes stored between commits. A cold build of 100,000 articles stores 2.7 GB: in one transaction, the
# write-ahead log grew as large, and each insert slowed as it grew (storing 174,000 pages of 10 kB took
# 16 s, against 10 s committing every 64 MB; committing every 5 MB took 16 s again).
_COMMIT_BYTES = 64 * 2**20

# Keys per query: SQLite allows 32,766 parameters; fewer keep each statement small.
_BATCH = 500


class Table:
    """One memo table: bytes by text key. Satisfies model.Store.

    Values are stored with a checksum, so damage reads as a miss, and not
    compressed: compressing cost the build more time (in the one process that
    talks to SQLite) than it saved in disk space.
    """

    def __init__(self, connection: sqlite3.Connection, name: str, stored: Callable[[int], None] = lambda size: None):
        """The table `name` of `connection`; `stored` is told the size of each value stored."""
        self._connection = connection
        self.name = name
        self._stored = stored
        self._get = f"SELECT value FROM {name} WHERE key = ?"
        self._has = f"SELECT 1 FROM {name} WHERE key = ?"
        self._put = f"INSERT OR REPLACE INTO {name} VALUES (?, ?)"
        self.touched: set[str] = set()
        """Every key asked for or stored since the cache was opened."""

    def get(self, key: str) -> bytes | None:
        """The bytes stored under `key`, or None (also when they are damaged)."""
        self.touched.add(key)
        row = self._connection.execute(self._get, (key,)).fetchone()
        return None if row is None else _checked(row[0])

    def put(self, key: str, value: bytes) -> None:
        """Store `value` under `key`."""
        self.touched.add(key)
        self._connection.execute(self._put, (key, _sealed(value)))
        self._stored(len(value))

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored bytes of each of `keys` that is stored and readable, in few queries."""
        found = ((key, _checked(value)) for key, value in self._rows("key, value", keys))
        return {key: value for key, value in found if value is not None}

    def present(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` that are stored, in few queries."""
        return {key for (key,) in self._rows("key", keys)}

    def keep(self, keys: Iterable[str]) -> None:
        """Count `keys` as touched, without a query: forget_untouched() leaves them."""
        self.touched.update(keys)

    def _rows(self, columns: str, keys: Iterable[str]) -> Iterator[tuple]:
        wanted = list(dict.fromkeys(keys))
        self.touched.update(wanted)
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start:start + _BATCH]
            marks = ",".join("?" * len(batch))
            yield from self._connection.execute(f"SELECT {columns} FROM {self.name} WHERE key IN ({marks})", batch)

    def __contains__(self, key: object) -> bool:
        self.touched.add(str(key))
        return self._connection.execute(self._has, (key,)).fetchone() is not None


# A CRC-32 finds damage (a torn or flipped page) as surely as a cryptographic hash
# would, at a quarter of the cost: every page's bytes pass through it twice a cold build.
_CHECKSUM = 4


def _sealed(value: bytes) -> bytes:
    return zlib.crc32(value).to_bytes(_CHECKSUM, "big") + value


def _checked(stored: bytes) -> bytes | None:
    value = stored[_CHECKSUM:]
    return value if len(stored) >= _CHECKSUM and zlib.crc32(value).to_bytes(_CHECKSUM, "big") == stored[:_CHECKSUM] else None
