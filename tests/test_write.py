"""Stage 5, write: only inside the output folder, atomic per file, unchanged files left alone."""

import os

import pytest

from newsgen.model import BuildFailed, OutputFile, StaticFile
from newsgen.write import write


def test_files_are_written_and_unchanged_ones_are_left_alone(tmp_path):
    out = tmp_path / "public"
    report = write([OutputFile("index.html", b"a"), OutputFile("x/y/index.html", b"b")], [], out)
    assert (report.written, report.unchanged) == (2, 0)
    os.utime(out / "index.html", (1, 1))
    report = write([OutputFile("index.html", b"a"), OutputFile("x/y/index.html", b"c")], [], out)
    assert (report.written, report.unchanged) == (1, 1)
    assert os.stat(out / "index.html").st_mtime == 1
    assert (out / "x/y/index.html").read_bytes() == b"c"
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["index.html", "index.html"]


def test_static_files_are_copied(tmp_path):
    source = tmp_path / "logo.svg"
    source.write_bytes(b"<svg/>")
    write([], [StaticFile(source, "img/logo.svg")], tmp_path / "public")
    assert (tmp_path / "public/img/logo.svg").read_bytes() == b"<svg/>"


@pytest.mark.parametrize("relpath", ["../escape.html", "/etc/passwd", "a/../../b.html", "a\\..\\b", ""])
def test_nothing_is_written_outside_the_output_folder(tmp_path, relpath):
    out = tmp_path / "public"
    with pytest.raises(BuildFailed):
        write([OutputFile("ok.html", b"ok"), OutputFile(relpath, b"x")], [], out)
    assert not (out / "ok.html").exists()  # checked before anything was written
    assert not (tmp_path / "escape.html").exists()


def test_a_link_out_of_the_output_folder_is_not_followed(tmp_path):
    out = tmp_path / "public"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "persons").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(BuildFailed):
        write([OutputFile("persons/index.html", b"x")], [], out)
    assert list((tmp_path / "elsewhere").iterdir()) == []
