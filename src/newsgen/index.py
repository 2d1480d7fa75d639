"""Stage 2, index: Documents -> Archive (names resolved to entities, articles grouped and sorted).

Everything here is a function of the Documents value; the Stores it is
given only spare it work: the collation weights of the letters of names, and
the archive's shape (the order, groups and related lists) by a hash of the
few things it is made from, so that editing an article's text costs no
indexing at all.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
import operator
from collections import Counter, defaultdict
from dataclasses import replace
from typing import Iterable, TypeVar

from .model import (MARSHAL_FORMAT, Archive, Article, BuildFailed, Documents, Event, Person, Problem, Ref, Store,
                    unmarshalled)
from .text import add_letter_weights, collation_key, known_letter_weights, name_key, slugify, sort_text

Entity = TypeVar("Entity", Person, Event)

RELATED_MAX = 5
"""How many related articles an article lists."""
RELATED_LOOKBACK = 50
"""How many of each person's or event's nearest earlier articles are candidates: bounded work per article."""


_LETTERS_KEY = "letters"


def index(documents: Documents, letters: Store | None = None, shapes: Store | None = None) -> Archive:
    """Resolve every person and event name, group articles by entity and month; raise BuildFailed on conflicts.

    `letters` keeps the collation weights of the letters names are written
    with from one build to the next, so sorting rarely needs the collation
    table. `shapes` keeps each archive's shape by a hash of what it is made
    from (see _shape_key): documents giving a known hash are indexed by
    taking their shape, not by working it out again.
    """
    if letters is not None:
        _take_letter_weights(letters)
    key = _shape_key(documents, shapes) if shapes is not None else None
    shape = _readable_shape(shapes.get(key)) if shapes is not None and key is not None else None
    if shape is not None:
        return _archive_of_shape(documents, shape, key)
    archive = _worked_out(documents)
    if letters is not None:
        _keep_letter_weights(letters)
    if shapes is not None and key is not None:
        shapes.put(key, marshal.dumps(_shape_of(documents, archive), MARSHAL_FORMAT))
        archive = replace(archive, shape=key)
    return archive


def _worked_out(documents: Documents) -> Archive:
    """The archive of `documents`, every name resolved and every list sorted afresh."""
    problems: list[Problem] = []
    heads = documents.articles.heads
    articles = documents.articles.reordered(
        sorted(range(len(heads)), key=lambda n: (heads[n].date, heads[n].path), reverse=True))

    persons, article_persons = _resolve(
        "person", documents.persons, [a.persons for a in articles], Person, problems)
    events, article_events = _resolve(
        "event", documents.events, [a.events for a in articles], Event, problems)
    event_parent = _parents(events, problems)
    if problems:
        raise BuildFailed(problems)

    oldest_first = range(len(articles) - 1, -1, -1)
    person_articles: dict[str, list[int]] = defaultdict(list)
    direct_event_articles: dict[str, list[int]] = defaultdict(list)
    months: dict[tuple[int, int], list[int]] = defaultdict(list)
    related: list[tuple[int, ...]] = [()] * len(articles)
    for i in oldest_first:
        related[i] = _related([person_articles[p] for p in article_persons[i]]
                              + [direct_event_articles[e] for e in article_events[i]])
        for person_id in article_persons[i]:
            person_articles[person_id].append(i)
        for event_id in article_events[i]:
            direct_event_articles[event_id].append(i)
        months[(articles[i].date.year, articles[i].date.month)].append(i)

    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in event_parent.items():
        children[parent].append(child)
    order = {event.id: n for n, event in enumerate(events)}
    event_children = {parent: tuple(sorted(kids, key=order.__getitem__)) for parent, kids in children.items()}

    return Archive(
        articles=articles,
        persons=persons,
        events=events,
        article_persons=article_persons,
        article_events=article_events,
        person_articles={key: tuple(value) for key, value in person_articles.items()},
        event_articles={
            event.id: _with_descendants(event.id, direct_event_articles, event_children)
            for event in events
        },
        event_parent=event_parent,
        event_children=event_children,
        months={key: tuple(months[key]) for key in sorted(months)},
        related=tuple(related),
        static_files=documents.static_files,
        digests=documents.digests,
    )


def _shape_key(documents: Documents, shapes: Store) -> str | None:
    """A hash of everything the archive's shape is made from; None when a file has no digest.

    Of an article, index reads only its path, date and the names it gives
    with where they are written; the rest passes through untouched, so an
    edit to an article's text or title keeps the shape. Entity files count
    whole, by the digest load gave each (they are few, and pass into the
    archive as they are). Each article counts by a hash of what index reads
    of it, which `shapes` keeps by its document's digest from one build to
    the next: making them all took 0.85 s at 100,000 articles.
    """
    entities = []
    for entity in itertools.chain(documents.persons, documents.events):
        found = documents.digests.get(entity.path) if entity.path is not None else None
        if found is None:
            return None
        entities.append(found)
    known = _readable_parts(shapes.get(_PARTS_KEY))
    parts: dict[str, bytes] = {}
    ordered = []
    for n, head in enumerate(documents.articles.heads):
        digest = documents.digests.get(head.path)
        if digest is None:
            return None
        part = parts.get(digest)
        if part is None:
            part = parts[digest] = known.get(digest) or _article_part(documents.articles[n])
        ordered.append(part)
    if parts != known:
        shapes.put(_PARTS_KEY, marshal.dumps(parts, MARSHAL_FORMAT))
    return hashlib.sha256(marshal.dumps((len(documents.persons), entities, ordered), MARSHAL_FORMAT)).hexdigest()


# Where `shapes` keeps the hash of what index reads of each article, by its document's digest.
_PARTS_KEY = "article parts"


def _article_part(article: Article) -> bytes:
    """A hash of what index reads of an article: its path, date, and the names it gives with where."""
    read = (article.path, article.date.isoformat(), [(r.text, r.path, r.line) for r in article.persons],
            [(r.text, r.path, r.line) for r in article.events])
    return hashlib.sha256(marshal.dumps(read, MARSHAL_FORMAT)).digest()


def _readable_parts(stored: bytes | None) -> dict[str, bytes]:
    """The article hashes as _shape_key stored them; none when there are none or they cannot be read."""
    parts = unmarshalled(stored)
    if not isinstance(parts, dict) or not all(isinstance(part, bytes) for part in parts.values()):
        return {}
    return parts


def _shape_of(documents: Documents, archive: Archive) -> tuple:
    """The archive as plain data, its documents named by their place in `documents`.

    An entity only named in articles is kept as its id and name, all it is made of.
    """
    article_at = {id(head): n for n, head in enumerate(documents.articles.heads)}
    entity_at = {id(e): n for n, e in enumerate(itertools.chain(documents.persons, documents.events))}
    return (
        [article_at[id(head)] for head in archive.articles.heads],
        [entity_at.get(id(e), (e.id, e.name)) for e in archive.persons],
        [entity_at.get(id(e), (e.id, e.name)) for e in archive.events],
        archive.article_persons, archive.article_events,
        dict(archive.person_articles), dict(archive.event_articles),
        dict(archive.event_parent), dict(archive.event_children),
        dict(archive.months), archive.related,
    )


def _readable_shape(stored: bytes | None) -> tuple | None:
    """A shape as _shape_of made it, or None when there is none or it cannot be read."""
    shape = unmarshalled(stored)
    return shape if isinstance(shape, tuple) and len(shape) == 11 else None


def _archive_of_shape(documents: Documents, shape: tuple, key: str) -> Archive:
    """The archive of `documents` from the shape stored for them: the documents put back in their places."""
    (order, person_places, event_places, article_persons, article_events,
     person_articles, event_articles, event_parent, event_children, months, related) = shape
    entities = (*documents.persons, *documents.events)
    return Archive(
        articles=documents.articles.reordered(order),
        persons=tuple(entities[p] if isinstance(p, int) else Person(id=p[0], name=p[1]) for p in person_places),
        events=tuple(entities[e] if isinstance(e, int) else Event(id=e[0], name=e[1]) for e in event_places),
        article_persons=article_persons,
        article_events=article_events,
        person_articles=person_articles,
        event_articles=event_articles,
        event_parent=event_parent,
        event_children=event_children,
        months=months,
        related=related,
        static_files=documents.static_files,
        digests=documents.digests,
        shape=key,
    )


def _take_letter_weights(letters: Store) -> None:
    stored = letters.get(_LETTERS_KEY)
    if stored is not None:
        try:
            add_letter_weights(marshal.loads(stored))
        except (ValueError, EOFError, TypeError):  # unreadable: the weights are worked out again
            pass


def _keep_letter_weights(letters: Store) -> None:
    encoded = marshal.dumps(known_letter_weights(), 2)
    if letters.get(_LETTERS_KEY) != encoded:
        letters.put(_LETTERS_KEY, encoded)


def _related(earlier_lists: list[list[int]]) -> tuple[int, ...]:
    """The articles related to an article: published before it, sharing the most persons and events, newest first.

    `earlier_lists` holds, for each of its persons and events, that entity's
    articles so far (all older than this one). Only the nearest RELATED_LOOKBACK of
    each are counted, so an article that names a leader in a third of the
    archive costs as little as any other; and since only older articles are
    candidates, a new article never changes the related list of an old one.
    """
    if len(earlier_lists) == 1:  # one person or event: its newest articles (a smaller index is newer)
        return tuple(reversed(earlier_lists[0][-RELATED_MAX:]))
    shared = Counter(itertools.chain.from_iterable([earlier[-RELATED_LOOKBACK:] for earlier in earlier_lists]))
    # Most shared first, then newest. Sorting the few hundred pairs in C beats heapq.nsmallest's Python loop.
    best = sorted(zip(map(operator.neg, shared.values()), shared.keys()))[:RELATED_MAX]
    return tuple(j for _, j in best)


def _resolve(kind: str, files: Iterable[Entity], refs_per_article: list[tuple[Ref, ...]],
             make: type[Entity], problems: list[Problem]) -> tuple[tuple[Entity, ...], tuple[tuple[str, ...], ...]]:
    """Match every name to an entity file by id, name or alias; a name with no file becomes an entity of its own."""
    by_id: dict[str, Entity] = {}
    by_key: dict[str, Entity] = {}
    for entity in files:
        if entity.id in by_id:
            problems.append(_clash(kind, entity, by_id[entity.id], "", f"both have the id {entity.id!r}"))
            continue
        by_id[entity.id] = entity
        names = [(entity.id, ""), (entity.name, "name"), *((alias, "aliases") for alias in entity.aliases)]
        for name, field_name in names:
            other = by_key.setdefault(name_key(name), entity)
            if other is not entity:
                problems.append(_clash(kind, entity, other, field_name, f"both are called {name!r}"))

    # Names with no file: one entity per id; spellings that differ in more
    # than case or tone placement but share a slug are an error, never a merge.
    unmatched: dict[str, list[Ref]] = defaultdict(list)
    for refs in refs_per_article:
        for ref in refs:
            if name_key(ref.text) not in by_key:
                unmatched[name_key(ref.text)].append(ref)
    claimed: dict[str, Ref] = {}
    firsts = {key: min(refs, key=_position) for key, refs in unmatched.items()}
    for key in sorted(firsts, key=lambda key: _position(firsts[key])):
        first, refs = firsts[key], unmatched[key]
        entity_id = slugify(first.text)
        if not entity_id:
            problems.append(Problem(first.path, first.line, f"{kind} name {first.text!r} gives an empty id"))
        elif entity_id in claimed:
            other = claimed[entity_id]
            problems.append(Problem(
                first.path, first.line,
                f"{kind} {first.text!r} and {other.text!r} ({other.path}:{other.line}) both have the id "
                f"{entity_id!r}: write one spelling, or give the {kind} a file with the other as an alias",
            ))
        elif entity_id in by_id:
            owner = by_id[entity_id]
            problems.append(Problem(
                first.path, first.line,
                f"{kind} {first.text!r} has the id {entity_id!r} of {owner.path} ({owner.name!r}) "
                f"but is not its name or alias: add it to 'aliases' there, or spell it as there",
            ))
        else:
            claimed[entity_id] = first
            spellings = Counter(ref.text for ref in refs)
            name = min(spellings, key=lambda text: (-spellings[text], text))
            entity = make(id=entity_id, name=name)
            by_id[entity_id] = entity
            by_key[key] = entity

    resolved = []
    for refs in refs_per_article:
        ids = (by_key[name_key(ref.text)].id for ref in refs if name_key(ref.text) in by_key)
        resolved.append(tuple(dict.fromkeys(ids)))
    return tuple(sorted(by_id.values(), key=_sort_key)), tuple(resolved)


def _position(ref: Ref) -> tuple[str, int]:
    return (ref.path, ref.line)


def _sort_key(entity: Person | Event) -> tuple:
    """Events by start date, then name; persons by sort_name or given name, then full name: in Vietnamese letter order."""
    if isinstance(entity, Event):
        return (entity.start is None, entity.start or "", collation_key(entity.name), entity.id)
    return (collation_key(sort_text(entity.name, entity.sort_name)), collation_key(entity.name), entity.id)


def _clash(kind: str, entity: Person | Event, other: Person | Event, field_name: str, why: str) -> Problem:
    """Two entity files claiming one id or name, reported at the line of `field_name` in the second."""
    return Problem(entity.path or "?", entity.lines.get(field_name, 1),
                   f"{kind} files {entity.path} and {other.path} {why}")


def _parents(events: tuple[Event, ...], problems: list[Problem]) -> dict[str, str]:
    """Map each event id to its parent's id; unknown parents and cycles are problems."""
    by_key = {}
    for event in events:
        if event.path is not None:
            for name in (event.id, event.name, *event.aliases):
                by_key[name_key(name)] = event.id
    parents = {}
    for event in events:
        if event.parent is None:
            continue
        parent = by_key.get(name_key(event.parent.text))
        if parent is None:
            problems.append(Problem(event.parent.path, event.parent.line,
                                    f"unknown parent event {event.parent.text!r}: no file in content/events has that id, name or alias"))
        elif parent == event.id:
            problems.append(Problem(event.parent.path, event.parent.line, "an event cannot be its own parent"))
        else:
            parents[event.id] = parent
    for event_id in sorted(parents):
        seen = [event_id]
        while (up := parents.get(seen[-1])) is not None:
            if up == event_id:
                event = next(e for e in events if e.id == event_id)
                assert event.parent is not None
                problems.append(Problem(event.parent.path, event.parent.line,
                                        f"parent events form a loop: {' -> '.join([*seen, up])}"))
                break
            if up in seen:
                break
            seen.append(up)
    return parents


def _with_descendants(event_id: str, direct: dict[str, list[int]], children: dict[str, tuple[str, ...]]) -> tuple[int, ...]:
    """The articles about an event or any of its sub-events, oldest first (indexes descend)."""
    found: set[int] = set()
    stack = [event_id]
    while stack:
        current = stack.pop()
        found.update(direct.get(current, ()))
        stack.extend(children.get(current, ()))
    return tuple(sorted(found, reverse=True))

