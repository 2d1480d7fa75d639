"""Stage 5, write: only inside the output folder, atomic per file, unchanged files left alone, stale ones pruned."""

import os
import subprocess
import sys

import pytest

from newsgen.workers import worker_pool
from newsgen.model import BuildFailed, MemoryStore, OutputFile, StaticFile, WriteFailed
from newsgen.write import altered, checking, write


def files(**contents: bytes) -> tuple[list[OutputFile], MemoryStore]:
    """Output files named by their keys' relpaths ("x/index.html" as x__index_html), and the store holding them."""
    store = MemoryStore()
    found = []
    for name, data in contents.items():
        key = f"{name}:{data!r}"
        store.put(key, data)
        found.append(OutputFile(name.replace("__", "/").replace("_html", ".html"), key))
    return found, store


def test_files_are_written_and_unchanged_ones_are_left_alone(tmp_path):
    out = tmp_path / "public"
    first, store = files(index_html=b"a", x__y__index_html=b"b")
    report = write(first, [], out, store)
    assert (report.written, report.unchanged) == (2, 0)
    os.utime(out / "index.html", (1, 1))
    second, store = files(index_html=b"a", x__y__index_html=b"c")
    report = write(second, [], out, store, report.manifest)
    assert (report.written, report.unchanged) == (1, 1)
    assert os.stat(out / "index.html").st_mtime == 1
    assert (out / "x/y/index.html").read_bytes() == b"c"
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["index.html", "index.html"]


def test_a_file_the_manifest_vouches_for_is_not_read(tmp_path):
    out = tmp_path / "public"
    made, store = files(index_html=b"a")
    report = write(made, [], out, store)
    again = write(made, [], out, MemoryStore(), report.manifest)  # an empty store: nothing may be fetched
    assert (again.written, again.unchanged) == (0, 1)


def test_a_file_changed_by_hand_is_written_again(tmp_path):
    out = tmp_path / "public"
    made, store = files(index_html=b"a")
    report = write(made, [], out, store)
    (out / "index.html").write_bytes(b"edited by hand")
    again = write(made, [], out, store, report.manifest)
    assert again.written == 1 and (out / "index.html").read_bytes() == b"a"


def test_altered_names_the_files_gone_touched_or_replaced_since_they_were_written(tmp_path):
    out = tmp_path / "public"
    made, store = files(a_html=b"a", b_html=b"b", c_html=b"c", d_html=b"d")
    manifest = write(made, [], out, store).manifest
    (out / "a.html").unlink()
    os.utime(out / "b.html", ns=(1, 1))
    (out / "c.html").unlink()
    (out / "c.html").symlink_to(out / "d.html")
    assert altered(out, manifest) == {"a.html", "b.html", "c.html"}


def test_files_found_unaltered_beforehand_are_not_looked_at_again(tmp_path, monkeypatch):
    out = tmp_path / "public"
    made, store = files(a_html=b"a", b_html=b"b")
    manifest = write(made, [], out, store).manifest
    looked_at = []
    lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda path, **kw: looked_at.append(path) or lstat(path, **kw))
    changed, store = files(a_html=b"a", b_html=b"new")
    report = write(changed, [], out, store, manifest, altered_files=frozenset())
    assert (report.written, report.unchanged) == (1, 1)
    # b.html only to check its path and record it once written; the other lookups are of the folders above
    assert {os.path.basename(path) for path in looked_at if str(path).endswith(".html")} == {"b.html"}


def test_many_files_are_checked_in_another_process_with_the_same_answer(tmp_path, monkeypatch):
    import newsgen.write

    out = tmp_path / "public"
    made, store = files(**{f"p{n}_html": b"x" * n for n in range(30)})
    manifest = write(made, [], out, store).manifest
    (out / "p3.html").write_bytes(b"vandalised")
    pools = []
    monkeypatch.setattr(newsgen.write, "_FILES_CHECKED_APART", 10)
    monkeypatch.setattr(newsgen.write, "worker_pool", lambda jobs: pools.append(jobs) or worker_pool(jobs))
    with checking(out, manifest, jobs=2) as answer:
        assert answer() == altered(out, manifest) == {"p3.html"}
    with checking(out, manifest, jobs=1) as answer:  # one job: no other process
        assert answer() == {"p3.html"}
    with pytest.raises(ValueError), checking(out, manifest, jobs=2):
        raise ValueError("the build failed meanwhile")  # and its process ended with it
    assert pools == [1, 1]


def test_files_of_the_previous_build_that_this_one_does_not_make_are_pruned(tmp_path):
    out = tmp_path / "public"
    made, store = files(index_html=b"a", old__deep__index_html=b"b")
    report = write(made, [], out, store)
    (out / "mine.txt").write_text("not newsgen's")
    (out / "old/notes.txt").write_text("not newsgen's either")
    kept, store = files(index_html=b"a")
    again = write(kept, [], out, store, report.manifest)
    assert again.pruned == 1 and set(again.manifest) == {"index.html"}
    assert not (out / "old/deep").exists()  # emptied folders go too
    assert (out / "mine.txt").exists() and (out / "old/notes.txt").exists()


def test_the_manifest_never_leads_outside_the_output_folder(tmp_path):
    out = tmp_path / "public"
    (tmp_path / "victim.txt").write_text("keep me")
    made, store = files(index_html=b"a")
    report = write(made, [], out, store, {"../victim.txt": "1:1:x", "/etc/hostname": "1:1:x"})
    assert report.pruned == 0 and (tmp_path / "victim.txt").exists()


def test_static_files_are_copied(tmp_path):
    source = tmp_path / "logo.svg"
    source.write_bytes(b"<svg/>")
    report = write([], [StaticFile(source, "img/logo.svg")], tmp_path / "public", MemoryStore())
    assert (tmp_path / "public/img/logo.svg").read_bytes() == b"<svg/>"
    again = write([], [StaticFile(source, "img/logo.svg")], tmp_path / "public", MemoryStore(), report.manifest)
    assert (again.written, again.unchanged) == (0, 1)


@pytest.mark.parametrize("relpath", ["../escape.html", "/etc/passwd", "a/../../b.html", "a\\..\\b", ""])
def test_nothing_is_written_outside_the_output_folder(tmp_path, relpath):
    out = tmp_path / "public"
    store = MemoryStore(ok=b"ok", bad=b"x")
    with pytest.raises(BuildFailed):
        write([OutputFile("ok.html", "ok"), OutputFile(relpath, "bad")], [], out, store)
    assert not (out / "ok.html").exists()  # checked before anything was written
    assert not (tmp_path / "escape.html").exists()


def test_a_link_out_of_the_output_folder_is_not_followed(tmp_path):
    out = tmp_path / "public"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "persons").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BuildFailed):
        write([OutputFile("persons/index.html", "k")], [], out, MemoryStore(k=b"x"))
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_missing_bytes_fail_before_anything_is_written(tmp_path):
    out = tmp_path / "public"
    with pytest.raises(BuildFailed):
        write([OutputFile("a.html", "here"), OutputFile("b.html", "gone")], [], out, MemoryStore(here=b"a"))
    assert not out.exists() or not any(out.iterdir())


def test_processes_place_the_same_files_as_one_process(tmp_path, monkeypatch):
    import newsgen.write

    monkeypatch.setattr(newsgen.write, "_FILES_PER_WORKER", 10)  # so 600 files are shared out
    store = MemoryStore()
    made = []
    for n in range(600):
        store.put(f"k{n}", f"page {n}".encode())
        made.append(OutputFile(f"a/{n % 7}/{n}/index.html", f"k{n}"))
    (tmp_path / "one/a/3/3").mkdir(parents=True)
    (tmp_path / "two/a/3/3").mkdir(parents=True)
    (tmp_path / "one/a/3/3/index.html").write_bytes(b"page 3")  # already right: left alone
    (tmp_path / "two/a/3/3/index.html").write_bytes(b"page 3")
    alone = write(made, [], tmp_path / "one", store, jobs=1)
    shared = write(made, [], tmp_path / "two", store, jobs=2)
    assert (shared.written, shared.unchanged) == (alone.written, alone.unchanged) == (599, 1)
    assert list(shared.manifest) == list(alone.manifest) == [f.relpath for f in made]
    assert all(entry.endswith(f":k{n}") for n, entry in enumerate(shared.manifest.values()))
    assert all((tmp_path / "two" / f.relpath).read_bytes() == store[f.key] for f in made)
    again = write(made, [], tmp_path / "two", store, shared.manifest, jobs=2)
    assert (again.written, again.unchanged) == (0, 600)


def test_a_file_the_file_system_refuses_is_named(tmp_path):
    out = tmp_path / "public"
    out.mkdir()
    (out / "x").write_text("a file where a folder should be")
    made, store = files(a_html=b"a", x__index_html=b"b")
    with pytest.raises(WriteFailed) as failure:
        write(made, [], out, store)
    assert failure.value.path == str(out / "x/index.html") and failure.value.reason == "Not a directory"


def test_sweeping_deletes_what_a_killed_write_left_and_nothing_else(tmp_path):
    out = tmp_path / "public"
    made, store = files(index_html=b"a")
    report = write(made, [], out, store)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(finished.stdout)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as alive:
        try:
            left = {
                f"persons/x/page/2/.index.html.{dead}-7.tmp": True,  # its folder goes with it
                f".feed.xml.{dead}-0.tmp": True,
                f"a/.index.html.{alive.pid}-3.tmp": False,  # a write going on in another process
                f"a/.index.html.{dead}.tmp": False,  # not a name newsgen gives
                "a/notes.tmp": False,
            }
            for relpath in left:
                (out / relpath).parent.mkdir(parents=True, exist_ok=True)
                (out / relpath).write_bytes(b"half")
            write(made, [], out, store, report.manifest, sweep=True)
        finally:
            alive.kill()
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(
        ["index.html", *(relpath for relpath, swept in left.items() if not swept)])
    assert not (out / "persons").exists()
