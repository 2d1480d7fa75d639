"""What load made of the content files a chunk at a time, with the size and time each file had then.

Looking each of 100,000 files up in the cache by its time and size, then its
document by its hash, and unpickling each document alone, cost load 3 s a
build. Kept a chunk of about a thousand files to an entry, the files whose
size and time are unchanged since are known with one look-up per chunk.
"""

from __future__ import annotations

import hashlib
import marshal
import pickle
import zlib
from typing import Any, Mapping, Sequence

from .model import Store, unmarshalled

FileState = tuple[str, str, int, int]
"""A content file as load found it: its kind, its path as shown, its size and its modification time (ns)."""
Result = tuple[Any, tuple]
"""What load made of a file: its document (or None), and its problems."""

CHUNK_FILES = 1024
"""The files of a chunk, on average. A chunk ends after each file whose path hashes to a multiple of it,
so adding or removing a file changes its own chunk alone, not every chunk after it."""
# marshal's newest format writes a string shared by many files (a kind) once.
_MARSHAL_FORMAT = 4


class DocumentChunks:
    """The documents load made of `files` before, a chunk at a time, in `store`.

    Each chunk's entry holds, for each of its files, the size and time it
    had, the key of its document (see load), and the documents themselves.
    A file is known when its chunk's entry holds it with the same kind,
    size and time; the entry is rewritten when anything in the chunk
    changed. `settings` names the site and what its documents depend on
    besides their files: the chunks of other settings are kept apart.
    """

    def __init__(self, store: Store, settings: str, files: Sequence[FileState]):
        self._store = store
        self._files = files
        self._chunks = [(hashlib.sha256(f"{settings}\0{last}".encode()).hexdigest(), indexes)
                        for last, indexes in _chunks(files)]
        self._unchanged: set[str] = set()

    def found(self, decoded: Mapping[str, Result] | None = None) -> dict[int, tuple[str, Result]]:
        """The key and result of each file its chunk holds unchanged, by the file's place in `files`.

        Documents `decoded` holds by key are taken from there, not unpickled again.
        """
        stored = self._store.get_many(key for key, _ in self._chunks)
        found: dict[int, tuple[str, Result]] = {}
        for chunk_key, indexes in self._chunks:
            entry = _readable(stored.get(chunk_key))
            if entry is None:
                continue
            states, documents = entry
            by_path = {state[1]: (n, state) for n, state in enumerate(states)}
            hits: list[tuple[int, tuple[int, tuple]]] = []
            for i in indexes:
                held = by_path.get(self._files[i][1])
                if held is not None and held[1][:4] == self._files[i]:
                    hits.append((i, held))
            if not hits:
                continue
            results = _results(documents, len(states), [held for _, held in hits], decoded)
            if results is None:
                continue
            for (i, (_, state)), result in zip(hits, results):
                found[i] = (state[4], result)
            if len(hits) == len(indexes) == len(states):
                self._unchanged.add(chunk_key)
        return found

    def save(self, keys: Sequence[str], results: Mapping[str, Result], settled: Sequence[bool]) -> None:
        """Store each chunk that changed: each file's document key (`keys`) and result, and its size and time when
        it is `settled` (not changed too recently to tell a later change by them, and not while being read)."""
        for chunk_key, indexes in self._chunks:
            if chunk_key in self._unchanged:
                continue
            states = []
            for i in indexes:
                kind, shown, size, mtime_ns = self._files[i]
                states.append((kind, shown, size, mtime_ns, keys[i]) if settled[i] else (kind, shown, None, None, keys[i]))
            documents = pickle.dumps([results[keys[i]] for i in indexes], protocol=pickle.HIGHEST_PROTOCOL)
            self._store.put(chunk_key, marshal.dumps((states, documents), _MARSHAL_FORMAT))


def _chunks(files: Sequence[FileState]) -> list[tuple[str, list[int]]]:
    """The files' places, in runs each ending after a file whose path hashes to a multiple of CHUNK_FILES;
    each run named by that path ('' for the last run)."""
    chunks: list[tuple[str, list[int]]] = []
    current: list[int] = []
    for i, (_, shown, _, _) in enumerate(files):
        current.append(i)
        if zlib.crc32(shown.encode()) % CHUNK_FILES == 0:
            chunks.append((shown, current))
            current = []
    if current:
        chunks.append(("", current))
    return chunks


def _readable(stored: bytes | None) -> tuple[list, bytes] | None:
    """A chunk's entry as save() wrote it, or None when there is none or it cannot be read."""
    entry = unmarshalled(stored)
    if not isinstance(entry, tuple) or len(entry) != 2:
        return None
    states, documents = entry
    if not isinstance(states, list) or not isinstance(documents, bytes) \
            or not all(isinstance(state, tuple) and len(state) == 5 for state in states):
        return None
    return states, documents


def _results(documents: bytes, count: int, hits: list[tuple[int, tuple]],
             decoded: Mapping[str, Result] | None) -> list[Result] | None:
    """The results of the `hits` (place in the chunk, state) of a chunk of `count` files: from `decoded` when
    it holds every one, else from the chunk's `documents` unpickled; None when those cannot be read."""
    if decoded is not None and all(state[4] in decoded for _, state in hits):
        return [decoded[state[4]] for _, state in hits]
    try:
        results = pickle.loads(documents)
    except Exception:  # an unreadable entry is a miss, never a failure
        return None
    if not isinstance(results, list) or len(results) != count:
        return None
    return [results[n] for n, _ in hits]
