"""Stage 5, write: output files -> the output folder (contained, atomic per file, unchanged files untouched)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from .model import BuildFailed, OutputFile, Problem, StaticFile, WriteReport


def write(files: Sequence[OutputFile], static_files: Iterable[StaticFile], output_dir: Path) -> WriteReport:
    """Place every file inside `output_dir`, replacing only files whose bytes differ.

    Every path is checked before anything is written: one that would land
    outside `output_dir` (absolute, `..`, or through a symbolic link) fails
    the whole write with BuildFailed.
    """
    root = output_dir.resolve()
    static = list(static_files)
    targets = [_target(root, item.relpath) for item in [*files, *static]]
    problems = [target for target in targets if isinstance(target, Problem)]
    if problems:
        raise BuildFailed(problems)

    written = unchanged = 0
    sources = [f.data for f in files] + [s.source for s in static]
    for target, source in zip(targets, sources):
        data = source if isinstance(source, bytes) else source.read_bytes()
        if _same_bytes(target, data):
            unchanged += 1
        else:
            _replace(target, data)
            written += 1
    return WriteReport(written=written, unchanged=unchanged)


def _target(root: Path, relpath: str) -> Path | Problem:
    """The absolute path for `relpath`, or a Problem when it would leave `root`."""
    parts = PurePosixPath(relpath).parts
    if not parts or relpath.startswith("/") or "\\" in relpath or any(p in ("..", ".", "") for p in parts):
        return Problem(relpath, 1, f"refusing to write outside the output folder: {relpath!r}")
    target = root.joinpath(*parts)
    if not target.resolve().is_relative_to(root):
        return Problem(relpath, 1, f"refusing to write through a link that leaves the output folder: {relpath!r}")
    return target


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def _replace(path: Path, data: bytes) -> None:
    """Write `data` beside `path` and rename it into place, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
