"""What each planned page is made from, as short hashes: the inputs of its context.

Plan gives every page, beside the recipe of its context, a hash of the
inputs that recipe reads: the hashes of the documents behind it (from
Archive.digests), the names and counts it shows, its place in its list,
and the site's settings. Equal inputs, equal context: render remembers
each page's context hash by its inputs, so a rebuild makes again only the
contexts an edit can reach. An input left out here would let a page go
stale; `tests/test_incremental.py` compares rebuilds with cold builds to
catch that. Whatever this module cannot vouch for (a document without a
digest) gives no inputs, and such a page's context is always made.

Articles' documents are read only through their cards, and every card read
is noted (see `reading`): everything else read here is the archive's shape,
so a page whose articles are unchanged has unchanged inputs under one shape.
"""

from __future__ import annotations

import hashlib
import marshal
from typing import Any, Callable, Mapping, Sequence

from .model import Archive, Event, Person


class Unknown(Exception):
    """A page reads something whose digest is not known: it has no inputs, and its context is always made."""


def digest(value: Any) -> str:
    """A hash of plain data (str, int, None, and tuples, lists and dicts of them).

    marshal's format 2 writes no back-references, so equal values give equal bytes.
    """
    return hashlib.blake2b(marshal.dumps(value, 2), digest_size=20).hexdigest()


class PageInputs:
    """The inputs of the views plan makes from an archive, each worked out once per build."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.person_by_id = {p.id: p for p in archive.persons}
        self.event_by_id = {e.id: e for e in archive.events}
        self._cards: list[str | None] = [None] * len(archive.articles)
        self._items: dict[tuple[str, str], tuple] = {}
        self._read: list[int] = []

    def reading(self, declared: Callable[[], Any]) -> tuple[Any, tuple[int, ...]]:
        """`declared()`, and the articles whose cards it read (by place in the archive), in the order read."""
        self._read = []
        value = declared()
        return value, tuple(self._read)

    def _document(self, path: str | None) -> str:
        """The digest of the document read from `path`; Unknown when load gave none.

        Private: an article's document is read through its card, which notes the read.
        """
        found = self.archive.digests.get(path) if path is not None else None
        if found is None:
            raise Unknown(path)
        return found

    def entity(self, entity: Person | Event) -> str:
        """What a person or event is made from: its file, or, when only named in articles, its id and name alone."""
        if entity.path is None:
            return f"named\0{entity.id}\0{entity.name}"
        return self._document(entity.path)

    def card(self, i: int) -> str:
        """Article `i` as lists show it: its document and the ids and names of its persons and events."""
        self._read.append(i)
        return self._card(i)

    def _card(self, i: int) -> str:
        found = self._cards[i]
        if found is None:
            archive = self.archive
            found = self._cards[i] = digest((
                self._document(archive.articles.heads[i].path),
                [(pid, self.person_by_id[pid].name) for pid in archive.article_persons[i]],
                [(eid, self.event_by_id[eid].name) for eid in archive.article_events[i]],
            ))
        return found

    def cards(self, indexes: Sequence[int]) -> list[str]:
        """The cards of these articles, in order."""
        cards = self._cards
        self._read.extend(indexes)
        # List pages show the same articles again and again: most cards are known, and taken without a call each.
        found = [cards[i] for i in indexes]
        return [self._card(i) for i in indexes] if None in found else found

    def article(self, i: int) -> tuple:
        """An article page: the article, and the cards of its related articles."""
        related = self.archive.related[i] if self.archive.related else ()
        return (self.card(i), self.cards(related))

    def person_item(self, person_id: str) -> tuple:
        """A person as the persons list shows them: their document and how many articles name them."""
        return self._item(person_id, self.person_by_id, self.archive.person_articles)

    def event_item(self, event_id: str) -> tuple:
        """An event as lists show it: its document and how many articles are about it or its sub-events."""
        return self._item(event_id, self.event_by_id, self.archive.event_articles)

    def _item(self, entity_id: str, by_id: Mapping[str, Person] | Mapping[str, Event],
              articles: Mapping[str, tuple[int, ...]]) -> tuple:
        key = (type(by_id[entity_id]).__name__, entity_id)
        if key not in self._items:
            self._items[key] = (entity_id, self.entity(by_id[entity_id]), len(articles.get(entity_id, ())))
        return self._items[key]

    def person(self, person: Person, event_ids: Sequence[str]) -> tuple:
        """A person's own part of their pages: item, first and last coverage, and the events listed (first page only)."""
        indexes = self.archive.person_articles.get(person.id, ())
        ends = (indexes[0], indexes[-1]) if indexes else ()
        return (self.person_item(person.id), [self.archive.articles.heads[i].date.isoformat() for i in ends],
                [self.event_item(eid) for eid in event_ids])

    def event(self, event: Event, ancestors: Sequence[str], person_ids: Sequence[str]) -> tuple:
        """An event's own part of its pages: item, the chain above it, parent, sub-events, persons (first page only)."""
        archive = self.archive
        parent_id = archive.event_parent.get(event.id)
        return (
            self.event_item(event.id),
            [(a, self.event_by_id[a].name) for a in ancestors],
            self.event_item(parent_id) if parent_id else None,
            [self.event_item(c) for c in archive.event_children.get(event.id, ())],
            [(pid, self.person_by_id[pid].name) for pid in person_ids],
        )

    def persons_index(self) -> list[tuple]:
        """The persons list: every person's item, in the archive's order."""
        return [self.person_item(p.id) for p in self.archive.persons]

    def events_index(self) -> list[tuple]:
        """The events list: every event's item and parent, in the archive's order."""
        return [(self.event_item(e.id), self.archive.event_parent.get(e.id)) for e in self.archive.events]

    def months(self) -> list[tuple[int, int, int]]:
        """The archive page: every month with articles, and how many."""
        return [(year, month, len(indexes)) for (year, month), indexes in self.archive.months.items()]
