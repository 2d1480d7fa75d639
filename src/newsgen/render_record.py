"""The record render keeps of its last run of each plan: every page's inputs, key and the articles it read.

Rendering the same plan again (same Plan.inputs_key, same templates), a page
whose articles are unchanged is known unchanged from this record alone.
"""

from __future__ import annotations

import marshal

from .model import MARSHAL_FORMAT, Store, unmarshalled

Entry = tuple[str, str, "str | None", "tuple[int, ...] | None", str, str]
"""What a render records of each page: its path, template, inputs' hash and articles read (see
model.Inputs), key, and language."""


class RenderRecord:
    """The last render of one plan, kept in `renders` a chunk of pages per entry, brought up to date chunk by chunk.

    The entry under the plan's key holds the articles' digests the chunks
    were made with; each chunk's entry is rewritten only when it changed.
    So an edit rewrites a few small entries, and only a chunk of the record
    is in memory at a time. Before the first chunk is rewritten the digests
    are emptied, and they are written again once every page is stored: a
    render that fails half-way leaves no record to trust.
    """

    def __init__(self, renders: Store, key: str, article_digests: tuple[str | None, ...]):
        self._renders, self._key, self._digests = renders, key, article_digests
        stored = unmarshalled(renders.get(key))
        self._known = isinstance(stored, tuple) and len(stored) == len(article_digests)
        self._changed = ({i for i, (old, new) in enumerate(zip(stored, article_digests)) if old != new or new is None}
                         if self._known else set())
        self._outdated = stored != article_digests
        self._emptied = False

    def chunk(self, number: int) -> tuple[list | None, list[Entry | None] | None]:
        """The stored entries of chunk `number`, and the same with None for each page that cannot be kept.

        A page cannot be kept when an article it read has changed since, or
        when it reads the articles in ways no list of them can vouch for.
        """
        stored = unmarshalled(self._renders.get(f"{self._key}:{number}")) if self._known else None
        if not isinstance(stored, list):
            return None, None
        changed = self._changed
        return stored, [entry if entry[3] is not None and changed.isdisjoint(entry[3]) else None for entry in stored]

    def save(self, number: int, entries: list[Entry], stored: list | None) -> None:
        """Make `entries` the record of chunk `number`, unless they are what is `stored` already."""
        if entries == stored:
            return
        if not self._emptied:
            self._renders.put(self._key, b"")
            self._emptied = True
        self._renders.put(f"{self._key}:{number}", marshal.dumps(entries, MARSHAL_FORMAT))

    def finish(self) -> None:
        """Record the digests the chunks are now made with: call once every page is stored."""
        if self._emptied or self._outdated:
            self._renders.put(self._key, marshal.dumps(self._digests, MARSHAL_FORMAT))
