"""Stage 3, plan: Archive -> Plan (every page's output path, template and plain-data context).

The only place URLs and output paths are made. Every link in a context is
already final for the page that holds it: relative and naming `index.html`
without a `base_url`, root-relative under the `base_url`'s path with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence
from urllib.parse import quote, urlsplit

from .config import CONFIG_FILE, SiteConfig
from .model import Archive, Article, BuildFailed, Event, Page, Person, Plan, Problem

NOT_FOUND = "404.html"
# Pagefind's own default folder name; the search page loads its scripts from here.
SEARCH_BUNDLE = "pagefind/"


def plan(archive: Archive, config: SiteConfig) -> Plan:
    """Lay out every page of the site; raise BuildFailed when two things would share one output path."""
    return _Planner(archive, config).plan()


@dataclass(frozen=True)
class Links:
    """Makes the link from one output file to another, by the site's link style."""

    base_path: str  # "" for relative links, else the base_url's path ending in "/"

    def href(self, from_file: str, to: str) -> str:
        """The link from output file `from_file` to `to`: a folder (ending in '/') or a file, both site-relative."""
        if self.base_path:
            return self.base_path + quote(to)  # the base path comes from a URL: already quoted
        target = to + "index.html" if to.endswith("/") or to == "" else to
        return quote(_relative(target, from_file))


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

    def plan(self) -> Plan:
        archive = self.archive
        self._list("home", "", range(len(archive.articles)), "index.html", origin="the home page")
        for i, article in enumerate(archive.articles):
            self._add(self.article_dirs[i] + "index.html", "article.html", article.path, kind="article",
                      title=article.title, article=lambda here, i=i: self._article(here, i))
        self._add(self.permalinks.persons + "index.html", "persons.html", "the persons list", kind="persons",
                  title="Nhân vật", persons=lambda here: [self._person_item(here, p) for p in archive.persons])
        for person in archive.persons:
            self._person_pages(person)
        self._add(self.permalinks.events + "index.html", "events.html", "the events list", kind="events",
                  title="Sự kiện", events=lambda here: self._event_tree(here))
        for event in archive.events:
            self._event_pages(event)
        self._archive_pages()
        if self.config.search:
            self._add(self.permalinks.search + "index.html", "search.html", "the search page", kind="search",
                      title="Tìm kiếm", search=self._search_page)
        self._add(NOT_FOUND, "404.html", "the 404 page", kind="not_found", title="Không tìm thấy trang")
        for static in archive.static_files:
            self._claim(static.relpath, f"static file {static.source.name}")
        if self.config.search:
            self._keep_bundle_folder_free()
        if self.problems:
            raise BuildFailed(self.problems)
        return Plan(pages=tuple(self.pages), static_files=archive.static_files,
                    search_bundle=SEARCH_BUNDLE if self.config.search else None)

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

    def _keep_bundle_folder_free(self) -> None:
        """The search index owns its whole folder: Pagefind names its files, so they cannot be claimed one by one."""
        static = {s.relpath for s in self.archive.static_files}
        for relpath, origin in self.owners.items():
            if relpath.startswith(SEARCH_BUNDLE):
                path = "static/" + relpath if relpath in static else origin if origin.endswith(".md") else CONFIG_FILE
                self.problems.append(Problem(
                    path, 1, f"{relpath} would be written into {SEARCH_BUNDLE}, the folder of the search index: "
                             f"choose another folder, or set 'search: false' in {CONFIG_FILE}"))

    # -- pages ---------------------------------------------------------

    def _add(self, relpath: str, template: str, origin: str, kind: str, title: str,
             pagination: dict | None = None, **parts: Callable[[str], Any] | Any) -> None:
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
        self.pages.append(Page(relpath=relpath, template=template, context=context))

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
            "search": {"url": href(here, p.search)} if self.config.search else None,
        }

    def _search_page(self, here: str) -> dict[str, Any]:
        href = self.links.href
        return {
            "ui_script": href(here, SEARCH_BUNDLE + "pagefind-ui.js"),
            "ui_stylesheet": href(here, SEARCH_BUNDLE + "pagefind-ui.css"),
            "script": href(here, "js/search.js"),
            "root": href(here, ""),
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
                "pages": [{"number": k, "url": self.links.href(here, f)} for k, f in enumerate(folders, start=1)],
            }
            page_title = title or self.config.title
            if n > 1:
                page_title = f"{page_title} – trang {n}"
            self._add(here, template, origin if n == 1 else f"{origin}, page {n}", kind=kind, title=page_title,
                      pagination=pagination,
                      articles=lambda here, chunk=chunk: [self._card(here, i) for i in chunk], **parts)

    def _person_pages(self, person: Person) -> None:
        indexes = self.archive.person_articles.get(person.id, ())
        self._list("person", self._person_dir(person.id), indexes, "person.html",
                   origin=person.path or f"person {person.name!r}", title=person.name,
                   person=lambda here: self._person(here, person, indexes))

    def _event_pages(self, event: Event) -> None:
        indexes = self.archive.event_articles.get(event.id, ())
        self._list("event", self._event_dir(event.id), indexes, "event.html",
                   origin=event.path or f"event {event.name!r}", title=event.name,
                   event=lambda here: self._event(here, event, indexes))

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
        if kind == "person":
            return {"name": self.person_by_id[entity_id].name, "url": self.links.href(here, self._person_dir(entity_id))}
        return {"name": self.event_by_id[entity_id].name, "url": self.links.href(here, self._event_dir(entity_id))}

    def _card(self, here: str, i: int) -> dict:
        article = self.archive.articles[i]
        return {
            "title": article.title,
            "url": self.links.href(here, self.article_dirs[i]),
            "date": article.date.isoformat(),
            "has_time": article.has_time,
            "summary": article.summary,
            "persons": [self._entity_link(here, "person", pid) for pid in self.archive.article_persons[i]],
            "events": [self._entity_link(here, "event", eid) for eid in self.archive.article_events[i]],
        }

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
            "body_html": article.body_html,
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

    def _person(self, here: str, person: Person, indexes: Sequence[int]) -> dict:
        event_ids = dict.fromkeys(eid for i in indexes for eid in self.archive.article_events[i])
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

    def _event(self, here: str, event: Event, indexes: Sequence[int]) -> dict:
        parent_id = self.archive.event_parent.get(event.id)
        person_ids = dict.fromkeys(pid for i in indexes for pid in self.archive.article_persons[i])
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


def _relative(target: str, from_file: str) -> str:
    """The path from the folder of `from_file` to `target`, both relative to the site root.

    posixpath.relpath would give the same, but consults the working folder on
    every call, and plan makes one link per list item on every page.
    """
    here = from_file.split("/")[:-1]
    there = target.split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


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
