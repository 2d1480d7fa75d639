"""Stage 3, plan: Archive -> Plan (every page's output path, template and plain-data context).

The only place URLs and output paths are made. Every link in a context is
already final for the page that holds it: relative and naming `index.html`
without a `base_url`, root-relative under the `base_url`'s path with one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import quote, urlsplit

from .config import SiteConfig
from .model import Archive, Article, BuildFailed, Event, Page, Person, Plan, Problem

NOT_FOUND = "404.html"


def plan(archive: Archive, config: SiteConfig) -> Plan:
    """Lay out every page of the site; raise BuildFailed when two things would share one output path."""
    return _Planner(archive, config).plan()


@dataclass(frozen=True)
class Links:
    """Makes the link from one output file to another, by the site's link style."""

    base_path: str  # "" for relative links, else the base_url's path ending in "/"

    def href(self, from_file: str, to: str) -> str:
        """The link from output file `from_file` to `to`: a folder (ending in '/') or a file, both site-relative."""
        return self.prefix(from_file) + self.target(to)

    def prefix(self, from_file: str) -> str:
        """What every link from `from_file` starts with: the base path, or '../' up to the site root.

        Relative links climb to the root and go down again rather than take the
        shortest way: they are as correct, and every page at one depth then
        shares the same links, which plan can make once.
        """
        return self.base_path or "../" * from_file.count("/")

    def target(self, to: str) -> str:
        """The part of a link after the prefix: `to` quoted, naming `index.html` for folders without a base path."""
        if self.base_path:
            return _quoted(to)  # the base path comes from a URL: already quoted
        return _quoted(to + "index.html" if to.endswith("/") or to == "" else to)


@functools.lru_cache(maxsize=65536)
def _quoted(path: str) -> str:
    return quote(path)


class _Planner:
    def __init__(self, archive: Archive, config: SiteConfig):
        self.archive = archive
        self.config = config
        self.links = Links(urlsplit(config.base_url).path if config.base_url else "")
        self.permalinks = config.permalinks
        self.pages: list[Page] = []
        self.owners: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.person_by_id = {p.id: p for p in archive.persons}
        self.event_by_id = {e.id: e for e in archive.events}
        self.article_dirs = [self._article_dir(a) for a in archive.articles]
        # Views that depend on a page only through its link prefix, made once per prefix.
        self.cards: dict[tuple[str, int], dict] = {}
        self.entity_links: dict[tuple[str, str, str], dict] = {}

    def plan(self) -> Plan:
        archive = self.archive
        self._list("home", "", range(len(archive.articles)), "index.html", origin="the home page")
        for i, article in enumerate(archive.articles):
            self._add(self.article_dirs[i] + "index.html", "article.html", article.path, kind="article",
                      title=article.title, bodies=(article.body,), article=lambda here, i=i: self._article(here, i))
        self._add(self.permalinks.persons + "index.html", "persons.html", "the persons list", kind="persons",
                  title="Nhân vật", persons=lambda here: [self._person_item(here, p) for p in archive.persons])
        for person in archive.persons:
            self._person_pages(person)
        self._add(self.permalinks.events + "index.html", "events.html", "the events list", kind="events",
                  title="Sự kiện", events=lambda here: self._event_tree(here))
        for event in archive.events:
            self._event_pages(event)
        self._archive_pages()
        self._add(NOT_FOUND, "404.html", "the 404 page", kind="not_found", title="Không tìm thấy trang")
        for static in archive.static_files:
            self._claim(static.relpath, f"static file {static.source.name}")
        if self.problems:
            raise BuildFailed(self.problems)
        return Plan(pages=tuple(self.pages), static_files=archive.static_files)

    # -- paths ---------------------------------------------------------

    def _article_dir(self, article: Article) -> str:
        d = article.date
        return self.permalinks.article.format(year=d.year, month=f"{d.month:02d}", day=f"{d.day:02d}", slug=article.slug)

    def _person_dir(self, person_id: str) -> str:
        return self.permalinks.person.format(id=person_id)

    def _event_dir(self, event_id: str) -> str:
        return self.permalinks.event.format(id=event_id)

    def _claim(self, relpath: str, origin: str) -> bool:
        """Reserve an output path; a second claimant is a problem naming both."""
        if relpath in self.owners:
            first = self.owners[relpath]
            files = [o for o in (origin, first) if o.endswith(".md")]
            self.problems.append(Problem(
                files[0] if files else origin, 1,
                f"{first} and {origin} would both be written to {relpath}: give one a different 'slug'",
            ))
            return False
        self.owners[relpath] = origin
        return True

    # -- pages ---------------------------------------------------------

    def _add(self, relpath: str, template: str, origin: str, kind: str, title: str,
             pagination: dict | None = None, bodies: tuple[str, ...] = (),
             **parts: Callable[[str], Any] | Any) -> None:
        """Add one page; each part is a value or a function of the page's own path (for its links)."""
        if not self._claim(relpath, origin):
            return
        here = relpath
        context: dict[str, Any] = {
            "site": self._site(here),
            "page": {
                "kind": kind,
                "title": title,
                "url": self.links.href(here, _folder_of(here)),
                "canonical": self.config.base_url + _folder_of(here) if self.config.base_url else None,
                "pagination": pagination,
            },
        }
        for name, value in parts.items():
            context[name] = value(here) if callable(value) else value
        self.pages.append(Page(relpath=relpath, template=template, context=context, bodies=bodies))

    def _site(self, here: str) -> dict[str, Any]:
        href = self.links.href
        p = self.permalinks
        return {
            "title": self.config.title,
            "description": self.config.description,
            "language": self.config.language,
            "timezone": self.config.timezone,
            "base_url": self.config.base_url,
            "urls": {
                "home": href(here, ""),
                "persons": href(here, p.persons),
                "events": href(here, p.events),
                "archive": href(here, p.archive),
                "stylesheet": href(here, "css/style.css"),
            },
        }

    def _list(self, kind: str, folder: str, indexes: Sequence[int], template: str, origin: str,
              title: str | None = None, **parts: Any) -> None:
        """Pages of a list of articles: the first at `folder`, the next ones below it."""
        chunks = _chunks(list(indexes), self.config.per_page)
        folders = [folder] + [folder + self.permalinks.page.format(number=n) for n in range(2, len(chunks) + 1)]
        for n, chunk in enumerate(chunks, start=1):
            here = folders[n - 1] + "index.html"
            pagination = {
                "number": n,
                "count": len(chunks),
                "previous": self.links.href(here, folders[n - 2]) if n > 1 else None,
                "next": self.links.href(here, folders[n]) if n < len(chunks) else None,
                "pages": [{"number": k, "url": self.links.href(here, folders[k - 1]) if k else None}
                          for k in page_window(n, len(chunks))],
            }
            page_title = title or self.config.title
            if n > 1:
                page_title = f"{page_title} – trang {n}"
            self._add(here, template, origin if n == 1 else f"{origin}, page {n}", kind=kind, title=page_title,
                      pagination=pagination,
                      articles=lambda here, chunk=chunk: [self._card(here, i) for i in chunk], **parts)

    def _person_pages(self, person: Person) -> None:
        indexes = self.archive.person_articles.get(person.id, ())
        event_ids = tuple(dict.fromkeys(eid for i in indexes for eid in self.archive.article_events[i]))
        self._list("person", self._person_dir(person.id), indexes, "person.html",
                   origin=person.path or f"person {person.name!r}", title=person.name,
                   person=self._per_prefix(lambda here: self._person(here, person, event_ids)))

    def _event_pages(self, event: Event) -> None:
        indexes = self.archive.event_articles.get(event.id, ())
        person_ids = tuple(dict.fromkeys(pid for i in indexes for pid in self.archive.article_persons[i]))
        self._list("event", self._event_dir(event.id), indexes, "event.html",
                   origin=event.path or f"event {event.name!r}", title=event.name,
                   event=self._per_prefix(lambda here: self._event(here, event, person_ids)))

    def _per_prefix(self, view: Callable[[str], dict]) -> Callable[[str], dict]:
        """`view`, made once for each link prefix: the pages of one list at one depth share it."""
        made: dict[str, dict] = {}

        def shared(here: str) -> dict:
            prefix = self.links.prefix(here)
            if prefix not in made:
                made[prefix] = view(here)
            return made[prefix]
        return shared

    def _archive_pages(self) -> None:
        months = self.archive.months
        years: dict[int, list[int]] = {}
        for year, month in months:
            years.setdefault(year, []).append(month)
        p = self.permalinks

        def year_items(here: str) -> list[dict]:
            return [{
                "year": year,
                "url": self.links.href(here, p.archive_year.format(year=year)),
                "count": sum(len(months[(year, m)]) for m in year_months),
                "months": [self._month_item(here, year, m) for m in year_months],
            } for year, year_months in sorted(years.items(), reverse=True)]

        self._add(p.archive + "index.html", "archive.html", "the archive", kind="archive",
                  title="Lưu trữ", years=year_items)
        for year, year_months in years.items():
            indexes = [i for m in year_months for i in months[(year, m)]]
            self._list("archive_year", p.archive_year.format(year=year), indexes, "archive_period.html",
                       origin=f"the archive of {year}", title=f"Năm {year}",
                       period=lambda here, year=year, ms=year_months: {
                           "year": year, "month": None, "months": [self._month_item(here, year, m) for m in ms]})
            for month in year_months:
                self._list("archive_month", p.archive_month.format(year=year, month=f"{month:02d}"),
                           months[(year, month)], "archive_period.html",
                           origin=f"the archive of {year}-{month:02d}", title=f"Tháng {month}/{year}",
                           period={"year": year, "month": month, "months": []})

    # -- plain-data views ---------------------------------------------

    def _month_item(self, here: str, year: int, month: int) -> dict:
        return {
            "year": year, "month": month,
            "url": self.links.href(here, self.permalinks.archive_month.format(year=year, month=f"{month:02d}")),
            "count": len(self.archive.months[(year, month)]),
        }

    def _entity_link(self, here: str, kind: str, entity_id: str) -> dict:
        key = (self.links.prefix(here), kind, entity_id)
        link = self.entity_links.get(key)
        if link is None:
            if kind == "person":
                name, folder = self.person_by_id[entity_id].name, self._person_dir(entity_id)
            else:
                name, folder = self.event_by_id[entity_id].name, self._event_dir(entity_id)
            link = self.entity_links[key] = {"name": name, "url": self.links.href(here, folder)}
        return link

    def _card(self, here: str, i: int) -> dict:
        key = (self.links.prefix(here), i)
        card = self.cards.get(key)
        if card is None:
            article = self.archive.articles[i]
            card = self.cards[key] = {
                "title": article.title,
                "url": self.links.href(here, self.article_dirs[i]),
                "date": article.date.isoformat(),
                "has_time": article.has_time,
                "summary": article.summary,
                "persons": [self._entity_link(here, "person", pid) for pid in self.archive.article_persons[i]],
                "events": [self._entity_link(here, "event", eid) for eid in self.archive.article_events[i]],
            }
        return card

    def _article(self, here: str, i: int) -> dict:
        article = self.archive.articles[i]
        return {
            **self._card(here, i),
            "updated": article.updated.isoformat() if article.updated else None,
            "authors": list(article.authors),
            "sources": list(article.sources),
            "places": list(article.places),
            "tags": list(article.tags),
            "image": self._asset(here, article.image),
            "image_caption": article.image_caption,
            "body": article.body,
            "extra": dict(article.extra),
        }

    def _asset(self, here: str, url: str | None) -> str | None:
        if url is None or urlsplit(url).scheme:
            return url
        return self.links.href(here, url.lstrip("/"))

    def _person_item(self, here: str, person: Person) -> dict:
        return {
            **self._entity_link(here, "person", person.id),
            "count": len(self.archive.person_articles.get(person.id, ())),
            "roles": [_role(r) for r in person.roles],
        }

    def _person(self, here: str, person: Person, event_ids: Sequence[str]) -> dict:
        return {
            **self._person_item(here, person),
            "id": person.id,
            "aliases": list(person.aliases),
            "image": self._asset(here, person.image),
            "bio_html": person.bio_html,
            "events": [self._entity_link(here, "event", eid) for eid in event_ids],
            "extra": dict(person.extra),
        }

    def _event_item(self, here: str, event: Event) -> dict:
        return {
            **self._entity_link(here, "event", event.id),
            "start": event.start.isoformat() if event.start else None,
            "end": event.end.isoformat() if event.end else None,
            "location": event.location,
            "count": len(self.archive.event_articles.get(event.id, ())),
        }

    def _event(self, here: str, event: Event, person_ids: Sequence[str]) -> dict:
        parent_id = self.archive.event_parent.get(event.id)
        return {
            **self._event_item(here, event),
            "id": event.id,
            "aliases": list(event.aliases),
            "image": self._asset(here, event.image),
            "description_html": event.description_html,
            "parent": self._event_item(here, self.event_by_id[parent_id]) if parent_id else None,
            "children": [self._event_item(here, self.event_by_id[c]) for c in self.archive.event_children.get(event.id, ())],
            "persons": [self._entity_link(here, "person", pid) for pid in person_ids],
            "extra": dict(event.extra),
        }

    def _event_tree(self, here: str) -> list[dict]:
        """All events, each root followed by its sub-events, with their depth."""
        items: list[dict] = []

        def visit(event_id: str, depth: int) -> None:
            items.append({**self._event_item(here, self.event_by_id[event_id]), "depth": depth})
            for child in self.archive.event_children.get(event_id, ()):
                visit(child, depth + 1)

        for event in self.archive.events:
            if event.id not in self.archive.event_parent:
                visit(event.id, 0)
        return items


def page_window(number: int, count: int) -> list[int]:
    """The page numbers a pagination bar shows on page `number` of `count`: both ends and two each side; 0 marks a gap.

    Listing every page would make each page of a 1,000-page list name all 1,000.
    """
    shown = sorted({1, 2, count - 1, count, *range(number - 2, number + 3)} & set(range(1, count + 1)))
    window: list[int] = []
    for k in shown:
        if window and k > window[-1] + 1:
            window.append(0)
        window.append(k)
    return window


def _role(role) -> dict:
    return {
        "title": role.title,
        "from": role.start.isoformat() if role.start else None,
        "to": role.end.isoformat() if role.end else None,
    }


def _folder_of(relpath: str) -> str:
    return relpath[: -len("index.html")] if relpath.endswith("index.html") else relpath


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]
