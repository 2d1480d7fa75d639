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

from .model import MARSHAL_FORMAT, Article, ArticleHead, BuildFailed, Deferred, Problem, Store, head_of, unmarshalled

FileState = tuple[str, str, int, int]
"""A content file as load found it: its kind, its path as shown, its size and its modification time (ns)."""
Result = tuple[Any, tuple]
"""What load made of a file: its document (or None), and its problems."""

CHUNK_FILES = 1024
"""The files of a chunk, on average. A chunk ends after each file whose path hashes to a multiple of it,
so adding or removing a file changes its own chunk alone, not every chunk after it."""
# Documents pickled together: reading one unpickles its group, and an edit's pages read a few dozen
# articles, spread over a dozen chunks. Unpickled together, a group shares its classes and time zones.
_GROUP = 32


class DocumentChunks:
    """The documents load made of `files` before, a chunk at a time, in `store`.

    Each chunk's entry holds, for each of its files, the size and time it
    had and the key of its document (see load); the heads of its clean
    articles; and the documents themselves, pickled apart from the heads and
    in small groups, so that they are unpickled only when read.
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

        A clean article (no problems) comes as a Deferred: its chunk's documents are unpickled
        only when one of them is first read. Results `decoded` holds by key are taken from there.
        """
        stored = self._store.get_many(key for key, _ in self._chunks)
        found: dict[int, tuple[str, Result]] = {}
        for chunk_key, indexes in self._chunks:
            entry = _readable(stored.get(chunk_key))
            if entry is None:
                continue
            states, heads, pickled = entry
            by_path = {state[1]: (n, state) for n, state in enumerate(states)}
            hits: list[tuple[int, int, str]] = []
            for i in indexes:
                held = by_path.get(self._files[i][1])
                if held is not None and held[1][:4] == self._files[i]:
                    hits.append((i, held[0], held[1][4]))
            results = _results(hits, heads, _ChunkDocuments(pickled, states), decoded)
            if results is None:
                continue
            for (i, _, key), result in zip(hits, results):
                found[i] = (key, result)
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
            documents = [(value.article() if type(value) is Deferred else value, problems)
                         for value, problems in (results[keys[i]] for i in indexes)]
            heads = [head_of(value) if isinstance(value, Article) and not problems else None
                     for value, problems in documents]
            groups = [pickle.dumps(documents[start:start + _GROUP], protocol=pickle.HIGHEST_PROTOCOL)
                      for start in range(0, len(documents), _GROUP)]
            self._store.put(chunk_key, marshal.dumps(
                (states, pickle.dumps(heads, protocol=pickle.HIGHEST_PROTOCOL), groups), MARSHAL_FORMAT))


class _ChunkDocuments:
    """A chunk's documents, each group of them unpickled when the first of its documents is read."""

    __slots__ = ("_groups", "_states", "_decoded")

    def __init__(self, groups: list[bytes], states: list[tuple]):
        self._groups = groups
        self._states = states
        self._decoded: dict[int, list[Result] | None] = {}

    @property
    def count(self) -> int:
        """How many files the chunk holds."""
        return len(self._states)

    def result(self, place: int) -> Result | None:
        """What load made of the chunk's file at `place`; None when it cannot be read."""
        found = self._group(place // _GROUP)
        return None if found is None else found[place % _GROUP]

    def document(self, place: int) -> Any:
        """The document of the chunk's file at `place`, for a Deferred.

        Raises BuildFailed when it cannot be read after all: its heads could be,
        and the cache checks every entry's bytes, so only a bug gets here.
        """
        found = self.result(place)
        if found is None:
            raise BuildFailed([Problem(self._states[place][1], 1, "its document in the build cache cannot be read: "
                                                                   "delete the .newsgen folder and build again")])
        return found[0]

    def _group(self, group: int) -> list[Result] | None:
        if group not in self._decoded:
            self._decoded[group] = self._decode(group)
        return self._decoded[group]

    def _decode(self, group: int) -> list[Result] | None:
        """The results of one group, unpickled; None when they cannot be read."""
        try:
            results = pickle.loads(self._groups[group])
        except Exception:  # an unreadable entry is a miss, never a failure
            return None
        expected = min(_GROUP, self.count - group * _GROUP)
        return results if isinstance(results, list) and len(results) == expected else None


def _groups_of(count: int) -> int:
    return -(-count // _GROUP)


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


def _readable(stored: bytes | None) -> tuple[list, bytes, list[bytes]] | None:
    """A chunk's entry as save() wrote it, or None when there is none or it cannot be read."""
    entry = unmarshalled(stored)
    if not isinstance(entry, tuple) or len(entry) != 3:
        return None
    states, heads, documents = entry
    if not isinstance(states, list) or not isinstance(heads, bytes) or not isinstance(documents, list) \
            or len(documents) != _groups_of(len(states)) or not all(isinstance(group, bytes) for group in documents) \
            or not all(isinstance(state, tuple) and len(state) == 5 for state in states):
        return None
    return states, heads, documents


def _results(hits: list[tuple[int, int, str]], pickled_heads: bytes, documents: _ChunkDocuments,
             decoded: Mapping[str, Result] | None) -> list[Result] | None:
    """The results of the `hits` (place in `files`, place in the chunk, key) of a chunk: from `decoded` when it
    holds them, as Deferreds for clean articles, else from the chunk's documents; None when unreadable."""
    if not hits:
        return None
    if decoded is not None and all(key in decoded for _, _, key in hits):
        return [decoded[key] for _, _, key in hits]
    try:
        heads = pickle.loads(pickled_heads)
    except Exception:  # an unreadable entry is a miss, never a failure
        return None
    if not isinstance(heads, list) or len(heads) != documents.count \
            or not all(head is None or type(head) is ArticleHead for head in heads):
        return None
    found = []
    for _, n, key in hits:
        result = decoded.get(key) if decoded is not None else None
        if result is None and heads[n] is not None:
            result = (Deferred(heads[n], documents.document, n), ())
        elif result is None:  # not a clean article: its problems are reported, or it is a person or an event
            result = documents.result(n)
            if result is None:
                return None
        found.append(result)
    return found
