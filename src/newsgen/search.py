"""Search: rendered pages -> the Pagefind index and search UI, as output files below the bundle folder.

Pagefind runs as a program on a private temporary copy of the pages that
mark content for the index (`data-pagefind-body`), and its files come back
as bytes: the output folder is written by `write` alone, and the same pages
always give the same bundle.

Pagefind's Python API (`pagefind.index`) is not used for the indexing
itself: its service answers one message per 0.1 s, so adding pages one by
one costs 0.1 s a page, and `get_files()` never returns once the bundle
outgrows its 2 MiB pipe buffer. The package is used to find the binary.

Pagefind 1.5.2 writes the values of each filter in hash-map order, which
changes from run to run, and names the files by hashes of their bytes; so
the filter indexes are put in order here, as later Pagefind releases do
(Pagefind pull request 1124), to keep the same pages giving the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Sequence

import cbor2

from .model import OutputFile, Store, ToolFailed
from .text import is_contained

# Pages without this marker are left out (list pages, the home page, 404), and
# Pagefind indexes every page it is given when none carries it.
_INDEXED = b"data-pagefind-body"
PAGEFIND_VERSION = metadata.version("pagefind")
_REMEDY = "reinstall newsgen with its dependencies (pagefind[bin]), or set 'search: false' in newsgen.yaml"


def search_files(pages: Sequence[OutputFile], contents: Store, language: str, bundle: str) -> tuple[OutputFile, ...]:
    """The Pagefind bundle for `pages` (rendered HTML in `contents`, `language` a BCP 47 code), as files below `bundle`.

    A pure function of its arguments: same pages, same bytes; no files when
    no page marks content for the index. The bundle's bytes go to
    `contents`, and the bundle is remembered there for the same pages, so
    the indexer runs only when a page changed. Raises ToolFailed when the
    Pagefind binary is missing or fails.
    """
    html = [page for page in pages if page.relpath.endswith(".html") and is_contained(page.relpath)]  # write refuses the others
    memo = "search:" + hashlib.sha256(json.dumps(
        [PAGEFIND_VERSION, language, bundle, [(page.relpath, page.key) for page in html]]).encode()).hexdigest()
    remembered = _remembered(contents.get(memo), contents)
    if remembered is not None:
        return remembered
    executable = pagefind_executable()
    with tempfile.TemporaryDirectory(prefix="newsgen-search-") as temporary:
        site, out = Path(temporary, "site"), Path(temporary, "bundle")
        site.mkdir()
        indexed = 0
        for page in html:  # one page in memory at a time
            data = contents.get(page.key)
            if data is None or _INDEXED not in data:
                continue
            target = site.joinpath(*PurePosixPath(page.relpath).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            indexed += 1
        files: list[OutputFile] = []
        if indexed:  # Pagefind refuses to build an empty index; the search page says there is none
            _run(executable, site, out, language)
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    data = path.read_bytes()
                    key = "search:" + hashlib.sha256(data).hexdigest()
                    contents.put(key, data)
                    files.append(OutputFile(bundle + path.relative_to(out).as_posix(), key))
    contents.put(memo, json.dumps([[f.relpath, f.key] for f in files]).encode())
    return tuple(files)


def _remembered(stored: bytes | None, contents: Store) -> tuple[OutputFile, ...] | None:
    """The bundle remembered for these pages, if every one of its files is still in `contents`."""
    if stored is None:
        return None
    try:
        files = tuple(OutputFile(relpath, key) for relpath, key in json.loads(stored))
    except (ValueError, TypeError):
        return None
    return files if contents.present(f.key for f in files) == {f.key for f in files} else None


def _run(executable: Path, site: Path, out: Path, language: str) -> None:
    command = [str(executable), "--site", str(site), "--output-path", str(out),
               "--force-language", _language_code(language), "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace")
    except OSError as error:
        raise ToolFailed(f"cannot run the search indexer {executable}: {error}") from error
    if result.returncode != 0 or not (out / "pagefind-entry.json").is_file():
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()[-3:]
        raise ToolFailed(f"the search indexer {executable} failed with exit code {result.returncode}"
                         + (": " + " / ".join(said) if said else "")
                         + "; set 'search: false' in newsgen.yaml to build without search")
    _order_filters(out)


def pagefind_executable() -> Path:
    """The Pagefind binary: `PAGEFIND_BINARY_PATH`, else the one of the `pagefind[bin]` package, else `PATH`."""
    # Imported here: it brings asyncio, a seventh of newsgen's start-up, which only indexing needs.
    from pagefind.service import get_executable

    try:
        executable = get_executable()
    except FileNotFoundError as error:  # pagefind_bin is installed but its binary is gone
        raise ToolFailed(f"the search indexer Pagefind is broken ({error}): {_REMEDY}") from error
    if executable is None or not executable.is_file():
        shown = f" ({executable} does not exist)" if executable else ""
        raise ToolFailed(f"the search indexer Pagefind is not installed{shown}: {_REMEDY}")
    return executable


def _order_filters(out: Path) -> None:
    """Sort the values of every filter index and the meta index's list of filters, renaming files to match.

    Files keep Pagefind's layout and naming: gzip of `pagefind_dcd` + CBOR,
    named by language and the start of the SHA-1 of the CBOR.
    """
    entry_path = out / "pagefind-entry.json"
    entry = entry_path.read_text(encoding="utf-8")
    for language, index in json.loads(entry)["languages"].items():
        meta_path = out / f"pagefind.{index['hash']}.pf_meta"
        meta = _read_index(meta_path)
        filters, taken = [], set()
        for name, old_hash in meta[3]:
            old_path = out / "filter" / f"{old_hash}.pf_filter"
            filter_name, values = _read_index(old_path)
            data = cbor2.dumps([filter_name, sorted(values, key=lambda value: value[0])])
            full = f"{language}_{_sha1(data)}"
            new_hash = full[:len(language) + 8]
            while new_hash in taken and len(new_hash) < len(full):
                new_hash = full[:len(new_hash) + 1]
            taken.add(new_hash)
            old_path.unlink()
            _write_index(out / "filter" / f"{new_hash}.pf_filter", data)
            filters.append([name, new_hash])
        meta[3] = sorted(filters, key=lambda item: item[0])
        data = cbor2.dumps(meta)
        meta_hash = f"{language}_{_sha1(data)[:len(language) + 8]}"
        meta_path.unlink()
        _write_index(out / f"pagefind.{meta_hash}.pf_meta", data)
        entry = entry.replace(f'"{index["hash"]}"', f'"{meta_hash}"')
    entry_path.write_text(entry, encoding="utf-8")


_MAGIC = b"pagefind_dcd"


def _read_index(path: Path):
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(_MAGIC):
        raise ToolFailed(f"the search indexer wrote {path.name} in a form newsgen does not know")
    return cbor2.loads(data[len(_MAGIC):])


def _write_index(path: Path, data: bytes) -> None:
    path.write_bytes(gzip.compress(_MAGIC + data, compresslevel=9, mtime=0))


def _sha1(data: bytes) -> str:
    """Pagefind's own file hash: SHA-1 with each byte in hexadecimal, without leading zeros."""
    return "".join(f"{byte:x}" for byte in hashlib.sha1(data).digest())


def _language_code(language: str) -> str:
    """Pagefind names its index by the ISO 639-1 part of a code ("vi" for "vi-VN")."""
    return re.split(r"[-_]", language)[0].lower()
