"""The cache: keyed bytes that survive the process, wiped when made by other code or unreadable."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from newsgen import cache as cache_module
from newsgen.cache import BUILT, FAILED, LOCK_SUFFIX, TABLES, Cache, Table, output_record, unbuilt
from newsgen.model import CacheFailed


def test_what_is_put_is_there_after_reopening(tmp_path):
    path = tmp_path / ".newsgen/cache.sqlite"
    with Cache(path, "code-1") as cache:
        cache.table("pages").put("k", "Tô Lâm".encode() * 100)
    with Cache(path, "code-1") as cache:
        pages = cache.table("pages")
        assert pages.get("k") == "Tô Lâm".encode() * 100 and "k" in pages
        assert pages.get("other") is None and "other" not in pages
        assert not cache.reset


def test_tables_are_separate(tmp_path):
    with Cache(tmp_path / "c.sqlite", "code") as cache:
        cache.table("pages").put("k", b"page")
        assert cache.table("bodies").get("k") is None
        with pytest.raises(ValueError):
            cache.table("nonsense")
    assert set(TABLES) == {"files", "documents", "chunks", "bodies", "letters", "shapes", "contexts", "pages", "renders",
                           "builds"}


def test_a_cache_made_by_other_code_starts_empty(tmp_path):
    path = tmp_path / "c.sqlite"
    with Cache(path, "code-1") as cache:
        cache.table("pages").put("k", b"old")
        cache.save_manifest(tmp_path / "out", {"index.html": "entry"})
    with Cache(path, "code-2") as cache:
        assert cache.reset and cache.table("pages").get("k") is None
        assert cache.manifest(tmp_path / "out") == {"index.html": "entry"}  # still needed to prune


def test_a_file_that_is_not_a_database_is_replaced(tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"garbage" * 1000)
    with Cache(path, "code") as cache:
        assert cache.reset
        cache.table("pages").put("k", b"v")
    with Cache(path, "code") as cache:
        assert cache.table("pages").get("k") == b"v"


def test_a_damaged_entry_reads_as_missing(tmp_path):
    path = tmp_path / "c.sqlite"
    with Cache(path, "code") as cache:
        cache.table("pages").put("k", b"v")
    with sqlite3.connect(path) as connection:
        (stored,) = connection.execute("SELECT value FROM pages").fetchone()
        connection.execute("UPDATE pages SET value = ?", (stored[:-1] + b"w",))  # one byte flipped on disk
    with Cache(path, "code") as cache:
        assert cache.table("pages").get("k") is None and cache.table("pages").get_many(["k"]) == {}


def test_a_long_build_commits_what_it_stored_as_it_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(cache_module, "_COMMIT_BYTES", 1000)
    path = tmp_path / "c.sqlite"
    with Cache(path, "code") as cache:
        for n in range(5):
            cache.table("pages").put(f"k{n}", b"x" * 400)
        other = sqlite3.connect(path)
        assert other.execute("SELECT count(*) FROM pages").fetchone() == (3,)  # the first 1,200 bytes
        other.close()
    with Cache(path, "code") as cache:
        assert cache.table("pages").get_many([f"k{n}" for n in range(5)]).keys() == {f"k{n}" for n in range(5)}


def test_manifests_are_kept_per_output_folder(tmp_path):
    with Cache(tmp_path / "c.sqlite", "code") as cache:
        cache.save_manifest(tmp_path / "public", {"a.html": "1"})
        cache.save_manifest(tmp_path / "preview", {"b.html": "2"})
        cache.save_manifest(tmp_path / "public", {"c.html": "3"})
        assert cache.manifest(tmp_path / "public") == {"c.html": "3"}
        assert cache.manifest(tmp_path / "preview") == {"b.html": "2"}


def test_an_unchanged_manifest_is_not_written_again_and_a_damaged_one_reads_as_empty(tmp_path):
    path = tmp_path / "c.sqlite"
    entries = {f"{n}/index.html": f"{n}:1:key{n}" for n in range(100)}
    with Cache(path, "code") as cache:
        cache.save_manifest(tmp_path / "public", entries)
    with Cache(path, "code") as cache:
        changes = cache._connection.total_changes
        cache.save_manifest(tmp_path / "public", dict(entries), before=cache.manifest(tmp_path / "public"))
        assert cache._connection.total_changes == changes
    with sqlite3.connect(path) as connection:
        (stored,) = connection.execute("SELECT value FROM manifests").fetchone()
        connection.execute("UPDATE manifests SET value = ?", (stored[:-1] + b"w",))
    with Cache(path, "code") as cache:
        assert cache.manifest(tmp_path / "public") == {}
        assert output_record(path, tmp_path / "public") == ({}, None)


def test_a_manifest_gathers_what_each_build_changed_and_is_written_whole_now_and_then(tmp_path):
    path, out = tmp_path / "c.sqlite", tmp_path / "public"
    entries = {f"{n}/index.html": f"{n}:1:key" for n in range(100)}

    def parts():
        with sqlite3.connect(path) as connection:
            return connection.execute("SELECT count(*) FROM manifests").fetchone()[0]
    with Cache(path, "code") as cache:
        cache.save_manifest(out, entries)
        seen = set()
        for step in range(40):
            before = cache.manifest(out)
            entries = {**before, f"{step % 7}/index.html": f"changed {step}", f"new{step}.html": "new"}
            del entries[f"{50 + step}/index.html"]
            cache.save_manifest(out, entries, before=before)
            cache.commit()
            assert cache.manifest(out) == entries
            seen.add(parts())
        assert seen == set(range(1, 18))  # the whole, then up to 16 deltas, then the whole again
        before = cache.manifest(out)
        cache.save_manifest(out, {relpath: "rewritten" for relpath in before}, before=before)
        cache.commit()
        assert parts() == 1 and set(cache.manifest(out).values()) == {"rewritten"}


def test_a_manifest_an_older_version_kept_a_row_per_file_is_read_then_replaced(tmp_path):
    path = tmp_path / "c.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE manifest (output TEXT NOT NULL, relpath TEXT NOT NULL, entry TEXT NOT NULL, "
                           "PRIMARY KEY (output, relpath))")
        connection.executemany("INSERT INTO manifest VALUES (?, ?, ?)",
                               [(str(tmp_path / "public"), "a.html", "1"), (str(tmp_path / "public"), "b.html", "2")])
    assert output_record(path, tmp_path / "public") == ({"a.html": "1", "b.html": "2"}, None)
    with Cache(path, "code") as cache:
        before = cache.manifest(tmp_path / "public")
        assert before == {"a.html": "1", "b.html": "2"}
        cache.save_manifest(tmp_path / "public", before, before=before)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM manifest").fetchone() == (0,)
    assert output_record(path, tmp_path / "public") == ({"a.html": "1", "b.html": "2"}, None)


# Thousands of pages pile up; a few archive shapes or render records do, since each weighs megabytes at a large archive.
@pytest.mark.parametrize("table, old", [("pages", 3000), ("shapes", 10), ("renders", 10), ("chunks", 10)])
def test_entries_no_build_asks_for_are_forgotten_once_they_pile_up(tmp_path, table, old):
    path = tmp_path / "c.sqlite"
    with Cache(path, "code") as cache:
        for n in range(old):
            cache.table(table).put(f"old-{n}", b"x")
    with Cache(path, "code") as cache:
        store = cache.table(table)
        store.put("new", b"y")
        assert "old-1" in store
        assert cache.forget_untouched() == old - 1
    with Cache(path, "code") as cache:
        assert cache.table(table).get("new") == b"y" and cache.table(table).get("old-1") == b"x"
        assert cache.table(table).get("old-2") is None


@pytest.mark.parametrize("naming, named", [("renders", "pages"), ("documents", "bodies"), ("chunks", "bodies")])
def test_entries_naming_forgotten_ones_are_forgotten_with_them(tmp_path, naming, named):
    path = tmp_path / "c.sqlite"
    with Cache(path, "code") as cache:
        for n in range(3000):
            cache.table(named).put(f"old-{n}", b"x")
        cache.table(naming).put("old", b"names old-1")
        cache.table(naming).put("kept", b"names new")
    with Cache(path, "code") as cache:
        cache.table(named).keep(["new"])  # kept by the stage, without being read
        cache.table(naming).get("kept")
        assert cache.forget_untouched() == 3000 + 1
    with Cache(path, "code") as cache:
        assert cache.table(naming).get("old") is None and cache.table(naming).get("kept")
    with Cache(path, "code") as cache:  # nothing named forgotten: every entry naming stays
        cache.table(naming).put("another", b"names new")
        assert cache.forget_untouched() == 0 and "kept" in cache.table(naming)


def test_a_few_untouched_entries_are_kept(tmp_path):
    with Cache(tmp_path / "c.sqlite", "code") as cache:
        cache.table("pages").put("a", b"x")
    with Cache(tmp_path / "c.sqlite", "code") as cache:
        assert cache.forget_untouched() == 0


def test_a_temporary_cache_disappears(tmp_path):
    cache = Cache.temporary("code")
    folder = cache.path.parent
    cache.table("pages").put("k", b"v")
    cache.close()
    assert not folder.exists()


def test_the_outcome_of_the_last_build_per_folder_is_kept_and_read_without_opening_the_cache(tmp_path):
    path = tmp_path / "c.sqlite"
    assert output_record(path, tmp_path / "out") is None and not path.exists()  # reading creates nothing
    with Cache(path, "code-1") as cache:
        cache.save_manifest(tmp_path / "out", {"index.html": "entry"})
        cache.save_outcome(tmp_path / "out", BUILT)
        cache.save_outcome(tmp_path / "other", FAILED)
    with Cache(path, "code-2") as cache:  # another version of newsgen: the memo tables go, not this
        assert cache.reset
    assert output_record(path, tmp_path / "out") == ({"index.html": "entry"}, BUILT)
    assert output_record(path, tmp_path / "other") == ({}, FAILED)
    assert output_record(path, tmp_path / "never") == ({}, None)


def test_a_cache_in_use_is_opened_once_the_other_is_closed_and_whoever_waits_is_told(tmp_path):
    path = tmp_path / "c.sqlite"
    waiting, seen = threading.Event(), []

    def second() -> None:
        with Cache(path, "code", on_wait=waiting.set) as cache:
            seen.append(cache.table("pages").get("k"))

    first = Cache(path, "code")
    first.table("pages").put("k", b"stored by the first")
    opener = threading.Thread(target=second)
    opener.start()
    assert waiting.wait(10)
    opener.join(0.2)
    assert opener.is_alive() and seen == []  # still waiting
    first.close()
    opener.join(10)
    assert seen == [b"stored by the first"]
    with Cache(path, "code", on_wait=lambda: pytest.fail("nobody has it open")):
        pass


def test_while_unbuilt_no_build_writes_into_that_folder_and_one_writing_there_is_waited_for(tmp_path):
    path, public, preview = tmp_path / "c.sqlite", tmp_path / "public", tmp_path / "preview"
    writing = Cache(path, "code")
    writing.hold_output(public)
    waited, held = threading.Event(), threading.Event()

    def deployer() -> None:
        with unbuilt(path, public, on_wait=waited.set):
            with unbuilt(path, public, on_wait=lambda: pytest.fail("blocks that keep builds out do not keep out each other")):
                with unbuilt(path, preview, on_wait=lambda: pytest.fail("nobody writes into the preview")):
                    builder = threading.Thread(target=lambda: Cache(path, "code").hold_output(public, held.set))
                    builder.start()
                    assert held.wait(10)  # the next build waits for the block to end before it writes
        builder.join(10)
        assert not builder.is_alive()

    inside = threading.Thread(target=deployer)
    inside.start()
    assert waited.wait(10)
    inside.join(0.2)
    assert inside.is_alive()  # waiting for the build writing into public/
    writing.close()
    inside.join(20)
    assert not inside.is_alive() and held.is_set()


def test_where_no_build_ran_unbuilt_creates_nothing(tmp_path):
    cache_file = tmp_path / ".newsgen/cache.sqlite"
    with unbuilt(cache_file, tmp_path / "public"):
        assert not (tmp_path / ".newsgen").exists()
    (tmp_path / ".newsgen").mkdir()
    with unbuilt(cache_file, tmp_path / "public"):
        pass
    [lock] = (tmp_path / ".newsgen").iterdir()
    assert lock.name.startswith("cache.sqlite.") and lock.name.endswith(LOCK_SUFFIX)
    lock.unlink()
    (tmp_path / ".newsgen").rmdir()
    (tmp_path / ".newsgen").write_text("a file where the cache folder would be")
    with unbuilt(cache_file, tmp_path / "public"):
        pass


def test_a_cache_that_cannot_be_written_fails_naming_itself_and_keeps_what_was_committed(tmp_path, monkeypatch):
    path = tmp_path / "c.sqlite"
    with Cache(path, "code") as cache:
        cache.table("pages").put("kept", b"committed")

    def full(self, key, value):
        raise sqlite3.OperationalError("database or disk is full")
    with monkeypatch.context() as patched:
        patched.setattr(Table, "put", full)
        with pytest.raises(CacheFailed) as failed, Cache(path, "code") as cache:
            cache.table("pages").put("lost", b"never stored")
    assert str(failed.value) == f"{path}: the build cache failed: database or disk is full"
    with Cache(path, "code") as cache:
        assert cache.table("pages").get("kept") == b"committed"


def test_a_cache_folder_that_is_a_file_fails_naming_it(tmp_path):
    (tmp_path / ".newsgen").write_text("not a folder")
    with pytest.raises(CacheFailed) as failed:
        Cache(tmp_path / ".newsgen/cache.sqlite", "code")
    assert failed.value.reason == f"{tmp_path / '.newsgen'} is not a folder"
