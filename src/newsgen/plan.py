"""Stage 3, plan: Archive -> Plan (every page's output path, template and plain-data context).

The only place URLs and output paths are made. Every link in a context is
already final for the page that holds it: relative and naming `index.html`
without a `base_url`, root-relative under the `base_url`'s path with one.
Feeds, sitemaps and robots.txt are pages like the others, planned only under
a `base_url`, since every address in them must be absolute.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence, TypeVar
from urllib.parse import quote, urlsplit

from . import structured
from .config import CONFIG_FILE, SiteConfig
from .model import (Archive, ArticleHead, BuildFailed, Event, Inputs, PageOutline, PageRecipe, Person, Plan, PlannedPages,
                    Problem)
from .page_inputs import PageInputs, Unknown, digest
from .text import initial_letter, sort_text

NOT_FOUND = "404.html"
# Pagefind's own default folder name; the search page loads its scripts from here.
SEARCH_BUNDLE = "pagefind/"
ATOM, RSS = "feed.xml", "rss.xml"
SITEMAP, NEWS_SITEMAP, ROBOTS = "sitemap.xml", "sitemap-news.xml", "robots.txt"
# Google News reads only the articles of the last two days, at most 1,000 of them per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_MAX_ENTRIES = 1_000
# The `updated` of a feed without entries: fixed, since the build clock must never reach the output.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)
# Shared views made per article (feed entries) kept at once: enough for the pages near each other in the plan.
_MEMO_LIMIT = 20_000
NO_BASE_URL_WARNING = ("no base_url, so no feeds, sitemap or robots.txt: they need absolute addresses "
                       "(set base_url in newsgen.yaml or pass --base-url)")


Entity = TypeVar("Entity", Person, Event)
_EntityViews = tuple[Callable[[str], dict], Callable[[str, bool], dict], Callable[[bool], Any]]
"""What a person's or event's pages show of it: see _Planner._entity_pages."""


def plan(archive: Archive, config: SiteConfig, now: datetime | None = None) -> Plan:
    """Lay out every page of the site; raise BuildFailed when two things would share one output path.

    `now` is the moment the news sitemap counts its two days back from (without an offset it is in
    the site's time zone). It is read only when `config.news_sitemap` is on under a `base_url`, and
    is then required: plan never reads the clock.
    """
    return _Planner(archive, config, now).plan()


@dataclass(frozen=True)
class Links:
    """Makes the link from one output file to another, by the site's link style."""

    base_path: str  # "" for relative links, else the base_url's path ending in "/"
    # Targets already made: a site links to each of its pages from many others.
    targets: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

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
        target = self.targets.get(to)
        if target is None:
            if self.base_path:
                target = quote(to)  # the base path comes from a URL: already quoted
            else:
                target = quote(to + "index.html" if to.endswith("/") or to == "" else to)
            self.targets[to] = target
        return target


class _Planner:
    def __init__(self, archive: Archive, config: SiteConfig, now: datetime | None):
        self.archive = archive
        self.config = config
        self.now = now.replace(tzinfo=config.zone) if now is not None and now.tzinfo is None else now
        self.links = Links(urlsplit(config.base_url).path if config.base_url else "")
        self.og_locale = config.og_locale
        self.permalinks = config.permalinks
        self.pages: list[PageOutline] = []
        self.owners: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.person_by_id = {p.id: p for p in archive.persons}
        self.event_by_id = {e.id: e for e in archive.events}
        # What laying out reads of each article: its head. Articles are decoded only for the pages made.
        self.heads = archive.articles.heads
        self.article_dirs = [self._article_dir(head) for head in self.heads]
        # Views that depend on a page only through its link prefix, made once per prefix;
        # those made per article are forgotten past _MEMO_LIMIT, so they do not fill memory.
        self.entity_links: dict[tuple[str, str, str], dict] = {}
        self.site_views: dict[str, dict] = {}
        self.feed_views: dict[tuple[str, tuple[str, str] | None], list[dict]] = {}
        # Made when a card first needs it: a rebuild after an edit makes a few cards.
        self.iso_dates: list[str | None] = [None] * len(archive.articles)
        self.sitemap_entries: list[dict] = []
        self.feed_entries: dict[int, dict] = {}
        self.inputs = PageInputs(archive)
        # Every context reads the settings: a change to newsgen.yaml reaches every page.
        self.settings = digest(str(config))

    def plan(self) -> Plan:
        archive = self.archive
        everything = range(len(archive.articles))
        latest = self._lastmod(everything)
        self._list("home", "", everything, "index.html", origin="the home page", lastmod=latest,
                   inputs=lambda here: None)
        for i, head in enumerate(self.heads):
            relpath = self.article_dirs[i] + "index.html"
            self._outline(relpath, "article.html", head.path, functools.partial(self._article_page, relpath, i),
                          lastmod=head.updated or head.date)
        self._add(self.permalinks.persons + "index.html", "persons.html", "the persons list", kind="persons",
                  title="Nhân vật", lastmod=latest,
                  persons=self._persons_index, inputs=self.inputs.persons_index)
        for person in archive.persons:
            self._person_pages(person)
        self._add(self.permalinks.events + "index.html", "events.html", "the events list", kind="events",
                  title="Sự kiện", lastmod=latest, events=lambda here: self._event_tree(here),
                  inputs=self.inputs.events_index)
        for event in archive.events:
            self._event_pages(event)
        self._archive_pages()
        if self.config.search:
            self._add(self.permalinks.search + "index.html", "search.html", "the search page", kind="search",
                      title="Tìm kiếm", in_sitemap=False, search=self._search_page, inputs=lambda: None)
        self._add(NOT_FOUND, "404.html", "the 404 page", kind="not_found", title="Không tìm thấy trang",
                  in_sitemap=False)
        warnings = []
        if self.config.base_url:
            self._feeds("", self.config.title, everything, "the site")
            self._sitemaps()
            if not any(static.relpath == ROBOTS for static in archive.static_files):
                self._robots()  # a site's own static/robots.txt replaces the planned one
        else:
            warnings.append(NO_BASE_URL_WARNING)
        for static in archive.static_files:
            self._claim(static.relpath, f"static file {static.source.name}")
        if self.config.search:
            self._keep_bundle_folder_free()
        if self.problems:
            raise BuildFailed(self.problems)
        # The pages' recipes refer to this planner: it must not refer to them, or the two would form a cycle
        # that only the garbage collector frees, and during a build it looks at young objects alone.
        pages, self.pages = self.pages, []
        return Plan(pages=PlannedPages(pages), static_files=archive.static_files, warnings=tuple(warnings),
                    search_bundle=SEARCH_BUNDLE if self.config.search else None,
                    inputs_key=self._inputs_key(),
                    article_digests=tuple(map(archive.digests.get, [head.path for head in self.heads])))

    def _inputs_key(self) -> str | None:
        """Plan.inputs_key: what pages' inputs read besides articles' documents, all fixed by these.

        `now` is left out: only the news sitemap reads it, and from every article, so it is worked out each build.
        """
        if self.archive.shape is None:
            return None
        return digest((self.archive.shape, self.settings, [static.relpath for static in self.archive.static_files]))

    # -- paths ---------------------------------------------------------

    def _article_dir(self, head: ArticleHead) -> str:
        d = head.date
        return self.permalinks.article.format(year=d.year, month=f"{d.month:02d}", day=f"{d.day:02d}", slug=head.slug)

    def _person_dir(self, person_id: str) -> str:
        return self.permalinks.person.format(id=person_id)

    def _event_dir(self, event_id: str) -> str:
        return self.permalinks.event.format(id=event_id)

    def _absolute(self, to: str) -> str | None:
        """The absolute URL of site path `to` under the base_url; None without one."""
        # Under a base_url, link targets are exactly the quoted site paths.
        return self.config.base_url + self.links.target(to) if self.config.base_url else None

    def _data_url(self, here: str, to: str) -> str:
        """A URL for machine-read data (JSON-LD): absolute under the base_url, else relative to the
        page, which a JSON-LD reader resolves against the page's own address."""
        return self._absolute(to) or self.links.href(here, to)

    def _absolute_asset(self, url: str | None) -> str | None:
        """An image as an absolute URL (OpenGraph, feeds), or None when none can be made."""
        if url is None or urlsplit(url).scheme:
            return url
        return self._absolute(url.lstrip("/"))

    def _data_asset(self, here: str, url: str | None) -> str | None:
        if url is None or urlsplit(url).scheme:
            return url
        return self._data_url(here, url.lstrip("/"))

    def _latest(self, indexes: Sequence[int]) -> datetime | None:
        """The last time any of these articles was published or corrected."""
        heads = self.heads
        return max((heads[i].updated or heads[i].date for i in indexes), default=None)

    def _lastmod(self, indexes: Sequence[int]) -> datetime | None:
        """The date the sitemap gives a page of these articles: None without a base_url, hence without a sitemap."""
        return self._latest(indexes) if self.config.base_url else None

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

    def _outline(self, relpath: str, template: str, origin: str, recipe: Callable[[], PageRecipe], *,
                 lastmod: datetime | None = None, in_sitemap: bool = True) -> None:
        """Lay out one page: claim its path, list it in the sitemap (by `lastmod`), and keep how to make its recipe.

        Laying out is done for every page of every build; anything else a page needs
        belongs in `recipe`, which is called only for the pages render cannot keep.
        """
        if not self._claim(relpath, origin):
            return
        self.pages.append(PageOutline(relpath, template, recipe))
        if in_sitemap and self.config.base_url:
            self.sitemap_entries.append({"loc": self._absolute(_folder_of(relpath)),
                                         "lastmod": lastmod.isoformat() if lastmod else None})

    def _add(self, relpath: str, template: str, origin: str, kind: str, title: str,
             pagination: Callable[[str], dict] | None = None, *, lastmod: datetime | None = None,
             in_sitemap: bool = True, **recipe: Any) -> None:
        """Lay out one HTML page whose recipe is `_recipe` of these arguments."""
        self._outline(relpath, template, origin,
                      functools.partial(self._recipe, relpath, template, kind, title, pagination, **recipe),
                      lastmod=lastmod, in_sitemap=in_sitemap)

    def _recipe(self, relpath: str, template: str, kind: str, title: str,
                pagination: Callable[[str], dict] | None = None, *, feed: tuple[str, str] | None = None,
                meta: Callable[[str], dict] | None = None, bodies: tuple[str, ...] = (),
                inputs: Callable[[], Any] | None = None, **parts: Callable[[str], Any] | Any) -> PageRecipe:
        """The recipe of one HTML page; each part is a value or a function of the page's own path (for its links).

        `pagination` a function of its path giving its pagination bar, `feed` the folder and title of its
        own feed (besides the site's), `meta` a function of its path giving page keys for search engines
        and sharing, `bodies` the article bodies it shows. `inputs` gives, as plain data, what the
        functions among these read beyond the page's path and the settings (see page_inputs); without
        it, a page with functions has its context always made.
        """
        here = relpath
        canonical = self._absolute(_folder_of(here))

        def make_context() -> dict[str, Any]:
            page: dict[str, Any] = {
                "kind": kind,
                "title": title,
                "url": self.links.href(here, _folder_of(here)),
                "canonical": canonical,
                "pagination": pagination(here) if pagination else None,
                "description": self.config.description,
                "image": None,
                "json_ld": None,
                "feeds": self._feed_links(here, feed),
            }
            if meta is not None:
                page.update(meta(here))
            context: dict[str, Any] = {"site": self._site(here), "page": page}
            for name, value in parts.items():
                context[name] = value(here) if callable(value) else value
            return context

        made_by = [pagination, meta, *parts.values()]
        page_inputs = self._page_inputs(relpath, template, (kind, title, feed), parts, made_by, inputs)
        return PageRecipe(relpath, template, make_context, bodies, page_inputs)

    def _add_file(self, relpath: str, template: str, origin: str, bodies: tuple[str, ...] = (),
                  inputs: Callable[[], Any] | None = None, **context: Callable[[], Any] | Any) -> None:
        """Lay out one file that is not an HTML page (a feed, a sitemap, robots.txt), made by `_file_recipe`."""
        self._outline(relpath, template, origin,
                      functools.partial(self._file_recipe, relpath, template, bodies, inputs, context), in_sitemap=False)

    def _file_recipe(self, relpath: str, template: str, bodies: tuple[str, ...], inputs: Callable[[], Any] | None,
                     context: dict[str, Callable[[], Any] | Any]) -> PageRecipe:
        """The recipe of a file that is not an HTML page; each part of `context` is a value or a function making it.

        `inputs` is as for _recipe: what the functions read.
        """
        def make_context() -> dict[str, Any]:
            made = {name: value() if callable(value) else value for name, value in context.items()}
            return {"site": self._site(relpath), **made}
        page_inputs = self._page_inputs(relpath, template, (), context, list(context.values()), inputs)
        return PageRecipe(relpath, template, make_context, bodies, page_inputs)

    def _article_page(self, relpath: str, i: int) -> PageRecipe:
        """The recipe of article `i`'s page."""
        article = self.archive.articles[i]
        return self._recipe(relpath, "article.html", kind="article", title=article.title, bodies=(article.body,),
                            meta=lambda here: self._article_meta(here, i), article=lambda here: self._article(here, i),
                            inputs=lambda: self.inputs.article(i))

    def _page_inputs(self, relpath: str, template: str, fixed: tuple, parts: dict[str, Any],
                     made_by: list[Any], inputs: Callable[[], Any] | None) -> Callable[[], Inputs | None]:
        """What a page's context is made from (model.Inputs), as a function called when render asks.

        Its hash covers the settings, the page's path and template, its `fixed` values and
        plain parts, and what `inputs` says its functions read; None when it has
        functions and no `inputs`, or reads a document of unknown digest.
        """
        def page_inputs() -> Inputs | None:
            if inputs is None and any(callable(part) for part in made_by):
                return None
            try:
                declared, read = self.inputs.reading(inputs) if inputs is not None else (None, ())
            except Unknown:
                return None
            plain = [(name, value) for name, value in parts.items() if not callable(value)]
            # Plain parts are made here, from anything in the archive (a sitemap's from every article):
            # no list of articles read can vouch for them.
            return digest((self.settings, relpath, template, fixed, plain, declared)), (None if plain else read)
        return page_inputs

    def _site(self, here: str) -> dict[str, Any]:
        prefix = self.links.prefix(here)
        if prefix not in self.site_views:
            self.site_views[prefix] = self._site_view(here)
        return self.site_views[prefix]

    def _site_view(self, here: str) -> dict[str, Any]:
        href = self.links.href
        p = self.permalinks
        return {
            "title": self.config.title,
            "description": self.config.description,
            "language": self.config.language,
            "timezone": self.config.timezone,
            "og_locale": self.og_locale,
            "base_url": self.config.base_url,
            "urls": {
                "home": href(here, ""),
                "persons": href(here, p.persons),
                "events": href(here, p.events),
                "archive": href(here, p.archive),
                "stylesheet": href(here, "css/style.css"),
                "icon": href(here, "favicon.svg"),
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
              title: str | None = None, *, inputs: Callable[[str], Any], lastmod: datetime | None = None,
              **parts: Any) -> None:
        """Pages of a list of articles: the first at `folder`, the next ones below it.

        `inputs(here)` is what the functions among `parts` read, as for _recipe.
        """
        self._listed(kind, folder, indexes, template, origin, title, lastmod, lambda: (inputs, parts))

    def _listed(self, kind: str, folder: str, indexes: Sequence[int], template: str, origin: str, title: str | None,
                lastmod: datetime | None, views: Callable[[], tuple[Callable[[str], Any], dict[str, Any]]]) -> None:
        """As _list, with its `inputs` and `parts` given by `views`, called when one of its pages is first made."""
        chunks = _chunks(list(indexes), self.config.per_page)
        folders = [folder] + [folder + self.permalinks.page.format(number=n) for n in range(2, len(chunks) + 1)]
        listing = _Listing(kind, template, title or self.config.title, chunks, folders, views)
        for n in range(1, len(chunks) + 1):
            here = folders[n - 1] + "index.html"
            self._outline(here, template, origin if n == 1 else f"{origin}, page {n}",
                          functools.partial(self._list_page, listing, n), lastmod=lastmod)

    def _list_page(self, listing: _Listing, n: int) -> PageRecipe:
        """The recipe of page `n` of a list."""
        here = listing.folders[n - 1] + "index.html"
        chunk = listing.chunks[n - 1]
        inputs, parts = listing.views
        return self._recipe(here, listing.template, listing.kind,
                            listing.title if n == 1 else f"{listing.title} – trang {n}",
                            pagination=lambda here: self._pagination(here, n, listing.folders),
                            articles=lambda here: [self._card(here, i) for i in chunk],
                            inputs=lambda: (listing.folders[0], n, len(listing.chunks), self.inputs.cards(chunk),
                                            inputs(here)),
                            **parts)

    def _pagination(self, here: str, n: int, folders: Sequence[str]) -> dict:
        """The pagination bar of page `n` of the list whose pages are in `folders`."""
        count = len(folders)
        return {
            "number": n,
            "count": count,
            "previous": self.links.href(here, folders[n - 2]) if n > 1 else None,
            "next": self.links.href(here, folders[n]) if n < count else None,
            "pages": [{"number": k, "url": self.links.href(here, folders[k - 1]) if k else None}
                      for k in page_window(n, count)],
        }

    def _person_pages(self, person: Person) -> None:
        self._entity_pages("person", person, self._person_dir(person.id),
                           self.archive.person_articles.get(person.id, ()), self._person_views)

    def _person_views(self, person: Person, indexes: Sequence[int]) -> _EntityViews:
        # Only a first page shows them, and a rebuild makes few first pages: found when first asked for.
        @functools.cache
        def event_ids() -> tuple[str, ...]:
            return tuple(dict.fromkeys(eid for i in indexes for eid in self.archive.article_events[i]))
        return (lambda here: self._person_meta(here, person),
                lambda here, first: self._person(here, person, event_ids() if first else ()),
                lambda first: self.inputs.person(person, event_ids() if first else ()))

    def _event_pages(self, event: Event) -> None:
        self._entity_pages("event", event, self._event_dir(event.id),
                           self.archive.event_articles.get(event.id, ()), self._event_views)

    def _event_views(self, event: Event, indexes: Sequence[int]) -> _EntityViews:
        @functools.cache
        def person_ids() -> tuple[str, ...]:
            return tuple(dict.fromkeys(pid for i in indexes for pid in self.archive.article_persons[i]))
        return (lambda here: self._event_meta(here, event),
                lambda here, first: self._event(here, event, person_ids() if first else ()),
                lambda first: self.inputs.event(event, self._ancestors(event.id), person_ids() if first else ()))

    def _entity_pages(self, kind: str, entity: Entity, folder: str, indexes: Sequence[int],
                      views: Callable[[Entity, Sequence[int]], _EntityViews]) -> None:
        """The paginated pages of a person or event, and their feeds.

        `views(entity, indexes)` gives `meta(here)`, the page keys for search engines
        and sharing; `view(here, first)`, the entity's own data; and `inputs(first)`,
        what those two read. Only the first page lists the related events or persons:
        on every page, a leader's list would make the site grow with the square of
        their coverage. They are made when a page of the entity is first made.
        """
        origin = entity.path or f"{kind} {entity.name!r}"
        first_page = folder + "index.html"

        def list_views() -> tuple[Callable[[str], Any], dict[str, Any]]:
            meta, view, inputs = views(entity, indexes)
            return (lambda here: inputs(here == first_page),
                    {"feed": (folder, self._feed_title(entity)),
                     "meta": self._by_depth(first_page, lambda here, first: meta(here)),
                     kind: self._by_depth(first_page, view)})
        self._listed(kind, folder, indexes, f"{kind}.html", origin, entity.name, self._lastmod(indexes), list_views)
        if self.config.base_url:
            self._feeds(folder, self._feed_title(entity), indexes, origin)

    def _feed_title(self, entity: Person | Event) -> str:
        return f"{entity.name} – {self.config.title}"

    def _by_depth(self, first_page: str, view: Callable[[str, bool], dict]) -> Callable[[str], dict]:
        """`view(here, first)`, made once per link prefix and per first-or-not: pages at one depth share it."""
        made: dict[tuple[str, bool], dict] = {}

        def shared(here: str) -> dict:
            first = here == first_page
            key = (self.links.prefix(here), first)
            if key not in made:
                made[key] = view(here, first)
            return made[key]
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
                  title="Lưu trữ", lastmod=self._lastmod(range(len(self.archive.articles))), years=year_items,
                  inputs=self.inputs.months)
        for year, year_months in years.items():
            indexes = [i for m in year_months for i in months[(year, m)]]
            self._list("archive_year", p.archive_year.format(year=year), indexes, "archive_period.html",
                       origin=f"the archive of {year}", title=f"Năm {year}", lastmod=self._lastmod(indexes),
                       inputs=lambda here, year=year, ms=year_months: (year, [(m, len(months[(year, m)])) for m in ms]),
                       period=lambda here, year=year, ms=year_months: {
                           "year": year, "month": None, "months": [self._month_item(here, year, m) for m in ms],
                           "trail": []})
            for month in year_months:
                self._list("archive_month", p.archive_month.format(year=year, month=f"{month:02d}"),
                           months[(year, month)], "archive_period.html",
                           origin=f"the archive of {year}-{month:02d}", title=f"Tháng {month}/{year}",
                           lastmod=self._lastmod(months[(year, month)]),
                           inputs=lambda here, year=year, month=month: (year, month),
                           period=lambda here, year=year, month=month: {
                               "year": year, "month": month, "months": [],
                               "trail": [self._crumb(here, p.archive_year.format(year=year), year=year)]})

    # -- feeds, sitemaps, robots.txt (only under a base_url) ----------

    def _feed_links(self, here: str, own: tuple[str, str] | None) -> list[dict]:
        """The feeds a page announces: its own (a person's, an event's), then the site's."""
        if not self.config.base_url:
            return []
        key = (self.links.prefix(here), own)
        if key not in self.feed_views:
            _make_room(self.feed_views)
            self.feed_views[key] = self._feed_links_view(here, own)
        return self.feed_views[key]

    def _feed_links_view(self, here: str, own: tuple[str, str] | None) -> list[dict]:
        feeds = [own] if own else []
        feeds.append(("", self.config.title))
        return [{"type": media_type, "format": name, "title": title, "url": self.links.href(here, folder + file)}
                for folder, title in feeds
                for name, media_type, file in (("Atom", "application/atom+xml", ATOM), ("RSS", "application/rss+xml", RSS))]

    def _feeds(self, folder: str, title: str, indexes: Sequence[int], origin: str) -> None:
        """The Atom and RSS feeds of `folder`'s page: its newest `feed_entries` articles."""
        for file, template, name in ((ATOM, "atom.xml", "Atom"), (RSS, "rss.xml", "RSS")):
            self._outline(folder + file, template, f"the {name} feed of {origin}",
                          functools.partial(self._feed, folder + file, template, folder, title, indexes),
                          in_sitemap=False)

    def _feed(self, relpath: str, template: str, folder: str, title: str, indexes: Sequence[int]) -> PageRecipe:
        """The recipe of the feed of `folder`'s page, in `template`'s format."""
        newest = sorted(indexes)[: self.config.feed_entries]  # a smaller index is a newer article
        updated = self._latest(newest) or EMPTY_FEED_UPDATED
        atom_url = self._absolute(folder + ATOM)
        feed = structured.xml_safe({
            "id": atom_url,
            "title": title,
            "subtitle": self.config.description,
            "language": self.config.language,
            "author": self.config.title,
            "page_url": self._absolute(folder),
            "atom_url": atom_url,
            "rss_url": self._absolute(folder + RSS),
            "updated": updated.isoformat(),
            "updated_rfc822": structured.rfc822(updated),
        })
        return self._file_recipe(relpath, template, tuple(self.heads[i].body for i in newest),
                                 lambda: (folder, title, self.inputs.cards(newest)),
                                 {"feed": lambda: {**feed, "entries": [self._feed_entry(i) for i in newest]}})

    def _feed_entry(self, i: int) -> dict:
        """One article as a feed entry (made once, shared by every feed holding it); its id is its address."""
        if i not in self.feed_entries:
            _make_room(self.feed_entries)
            article = self.archive.articles[i]
            url = self._absolute(self.article_dirs[i])
            persons_scheme, events_scheme = self._absolute(self.permalinks.persons), self._absolute(self.permalinks.events)
            categories = (
                [{"term": pid, "label": self.person_by_id[pid].name, "scheme": persons_scheme}
                 for pid in self.archive.article_persons[i]]
                + [{"term": eid, "label": self.event_by_id[eid].name, "scheme": events_scheme}
                   for eid in self.archive.article_events[i]]
                + [{"term": tag, "label": tag, "scheme": None} for tag in article.tags]
            )
            self.feed_entries[i] = structured.xml_safe({
                "id": url,
                "url": url,
                "title": article.title,
                "summary": article.summary,
                "body": article.body,
                "image": self._absolute_asset(article.image),
                "image_caption": article.image_caption,
                "published": article.date.isoformat(),
                "updated": (article.updated or article.date).isoformat(),
                "published_rfc822": structured.rfc822(article.date),
                "authors": list(article.authors),
                "categories": categories,
            })
        return self.feed_entries[i]

    def _sitemaps(self) -> None:
        """`sitemap.xml` with every page; above the limits, an index of `sitemap-N.xml` files."""
        groups = structured.sitemap_groups(self.sitemap_entries, self.config.sitemap_max_urls)
        if len(groups) == 1:
            self._add_file(SITEMAP, "sitemap.xml", "the sitemap", sitemap={"urls": groups[0]})
        else:
            parts = []
            for n, group in enumerate(groups, start=1):
                name = f"sitemap-{n}.xml"
                self._add_file(name, "sitemap.xml", f"the sitemap, part {n}", sitemap={"urls": group})
                dated = [entry["lastmod"] for entry in group if entry["lastmod"]]
                parts.append({"loc": self._absolute(name),
                              "lastmod": max(dated, key=datetime.fromisoformat) if dated else None})
            self._add_file(SITEMAP, "sitemap_index.xml", "the sitemap index", sitemap_index={"sitemaps": parts})
        if self.config.news_sitemap:
            self._news_sitemap()

    def _news_sitemap(self) -> None:
        """The Google News sitemap: the newest articles published in the two days up to `now`."""
        if self.now is None:
            raise ValueError("plan() needs `now` to choose the articles of the news sitemap")
        since = self.now - NEWS_WINDOW
        recent = [i for i, head in enumerate(self.heads) if since <= head.date <= self.now]
        self._add_file(NEWS_SITEMAP, "news_sitemap.xml", "the news sitemap", news=structured.xml_safe({
            "name": self.config.news_publication_name or self.config.title,
            "language": structured.news_language(self.config.language),
            "articles": [{
                "loc": self._absolute(self.article_dirs[i]),
                "publication_date": self.heads[i].date.isoformat(),
                "title": self.archive.articles[i].title,
            } for i in recent[:NEWS_MAX_ENTRIES]],
        }))

    def _robots(self) -> None:
        sitemaps = [self._absolute(SITEMAP)] + ([self._absolute(NEWS_SITEMAP)] if self.config.news_sitemap else [])
        self._add_file(ROBOTS, "robots.txt", "robots.txt", robots={"sitemaps": sitemaps})

    # -- search engines and sharing: JSON-LD, OpenGraph --------------

    def _publisher(self, here: str) -> dict:
        return structured.thing("Organization", self.config.title, self._data_url(here, ""))

    def _article_meta(self, here: str, i: int) -> dict:
        article = self.archive.articles[i]
        return {
            "description": article.summary or self.config.description,
            "image": self._absolute_asset(article.image),
            "json_ld": structured.news_article(
                article,
                url=self._data_url(here, self.article_dirs[i]),
                image=self._data_asset(here, article.image),
                publisher=self._publisher(here),
                language=self.config.language,
                persons=[structured.thing("Person", self.person_by_id[pid].name, self._data_url(here, self._person_dir(pid)))
                         for pid in self.archive.article_persons[i]],
                events=[structured.thing("Event", self.event_by_id[eid].name, self._data_url(here, self._event_dir(eid)))
                        for eid in self.archive.article_events[i]],
            ),
        }

    def _person_meta(self, here: str, person: Person) -> dict:
        return {
            "image": self._absolute_asset(person.image),
            "json_ld": structured.person(person, url=self._data_url(here, self._person_dir(person.id)),
                                         image=self._data_asset(here, person.image)),
        }

    def _event_meta(self, here: str, event: Event) -> dict:
        def ref(event_id: str) -> dict:
            return structured.thing("Event", self.event_by_id[event_id].name, self._data_url(here, self._event_dir(event_id)))

        parent_id = self.archive.event_parent.get(event.id)
        return {
            "image": self._absolute_asset(event.image),
            "json_ld": structured.event(event, url=self._data_url(here, self._event_dir(event.id)),
                                        image=self._data_asset(here, event.image),
                                        parent=ref(parent_id) if parent_id else None,
                                        children=[ref(c) for c in self.archive.event_children.get(event.id, ())]),
        }

    # -- plain-data views ---------------------------------------------

    def _month_item(self, here: str, year: int, month: int) -> dict:
        return {
            "year": year, "month": month,
            "url": self.links.href(here, self.permalinks.archive_month.format(year=year, month=f"{month:02d}")),
            "count": len(self.archive.months[(year, month)]),
        }

    def _entity_link(self, here: str, kind: str, entity_id: str) -> dict:
        return self._entity_link_at(self.links.prefix(here), kind, entity_id)

    def _entity_link_at(self, prefix: str, kind: str, entity_id: str) -> dict:
        """A person's or event's name and link, for pages whose links start with `prefix` (made once)."""
        key = (prefix, kind, entity_id)
        link = self.entity_links.get(key)
        if link is None:
            if kind == "person":
                name, folder = self.person_by_id[entity_id].name, self._person_dir(entity_id)
            else:
                name, folder = self.event_by_id[entity_id].name, self._event_dir(entity_id)
            link = self.entity_links[key] = {"name": name, "url": prefix + self.links.target(folder)}
        return link

    def _crumb(self, here: str, to: str, name: str | None = None, year: int | None = None,
               month: int | None = None) -> dict:
        """One step of a breadcrumb trail: a page's name, or the year and month the template names."""
        return {"name": name, "year": year, "month": month, "url": self.links.href(here, to)}

    def _card(self, here: str, i: int) -> dict:
        """An article as a list shows it. Made afresh each time: an archive's cards would not fit in memory
        together, and a large one's pages hold each article too far apart for a bounded memo to help."""
        prefix = self.links.prefix(here)
        article = self.archive.articles[i]
        link = self._entity_link_at
        return {
            "title": article.title,
            "url": prefix + self.links.target(self.article_dirs[i]),
            "date": self._iso_date(i),
            "has_time": article.has_time,
            "year": article.date.year,
            "month": article.date.month,
            "summary": article.summary,
            "persons": [link(prefix, "person", pid) for pid in self.archive.article_persons[i]],
            "events": [link(prefix, "event", eid) for eid in self.archive.article_events[i]],
        }

    def _iso_date(self, i: int) -> str:
        """Article `i`'s date as ISO 8601 text, made once."""
        made = self.iso_dates[i]
        if made is None:
            made = self.iso_dates[i] = self.heads[i].date.isoformat()
        return made

    def _article(self, here: str, i: int) -> dict:
        article = self.archive.articles[i]
        year, month = article.date.year, article.date.month
        p = self.permalinks
        return {
            **self._card(here, i),
            "trail": [self._crumb(here, p.archive_year.format(year=year), year=year),
                      self._crumb(here, p.archive_month.format(year=year, month=f"{month:02d}"), year=year, month=month)],
            "related": [self._card(here, j) for j in (self.archive.related[i] if self.archive.related else ())],
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

    def _persons_index(self, here: str) -> list[dict]:
        """Every person, in the archive's (Vietnamese) order, in groups by the initial of what they are sorted by."""
        groups: list[dict] = []
        for person in self.archive.persons:
            letter = initial_letter(sort_text(person.name, person.sort_name))
            if not groups or groups[-1]["letter"] != letter:
                groups.append({"letter": letter, "anchor": f"letter-{len(groups) + 1}", "persons": []})
            groups[-1]["persons"].append(self._person_item(here, person))
        return groups

    def _person(self, here: str, person: Person, event_ids: Sequence[str]) -> dict:
        indexes = self.archive.person_articles.get(person.id, ())
        return {
            **self._person_item(here, person),
            "id": person.id,
            "aliases": list(person.aliases),
            "image": self._asset(here, person.image),
            "bio_html": person.bio_html,
            "first": self._iso_date(indexes[0]) if indexes else None,
            "last": self._iso_date(indexes[-1]) if indexes else None,
            "events": [self._event_item(here, self.event_by_id[eid]) for eid in event_ids],
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

    def _ancestors(self, event_id: str) -> list[str]:
        """The events above an event, outermost first."""
        parent_id = self.archive.event_parent.get(event_id)
        ancestors: list[str] = []
        while parent_id and parent_id not in ancestors:
            ancestors.insert(0, parent_id)
            parent_id = self.archive.event_parent.get(parent_id)
        return ancestors

    def _event(self, here: str, event: Event, person_ids: Sequence[str]) -> dict:
        ancestors = self._ancestors(event.id)
        parent_id = self.archive.event_parent.get(event.id)
        return {
            **self._event_item(here, event),
            "trail": [self._crumb(here, self._event_dir(a), name=self.event_by_id[a].name) for a in ancestors],
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
        """All events in groups by the year they start (undated ones last), each with its sub-events inside it."""
        years: list[dict] = []
        for event in self.archive.events:  # by start date, those without one last
            if event.id in self.archive.event_parent:
                continue
            year = event.start.year if event.start else None
            if not years or years[-1]["year"] != year:
                years.append({"year": year, "events": []})
            years[-1]["events"].append(self._event_node(here, event.id))
        return years

    def _event_node(self, here: str, event_id: str) -> dict:
        """An event of the events list, with its sub-events inside it.

        A method, not a function inside _event_tree: calling itself, that would be a cycle holding the planner.
        """
        return {**self._event_item(here, self.event_by_id[event_id]),
                "children": [self._event_node(here, child) for child in self.archive.event_children.get(event_id, ())]}


class _Listing:
    """A list of articles as _listed lays it out, for making its pages' recipes."""

    def __init__(self, kind: str, template: str, title: str, chunks: list[list[int]], folders: list[str],
                 views: Callable[[], tuple[Callable[[str], Any], dict[str, Any]]]):
        self.kind, self.template, self.title = kind, template, title
        self.chunks = chunks  # the articles of each page
        self.folders = folders  # the folder of each page
        self._views = views

    @functools.cached_property
    def views(self) -> tuple[Callable[[str], Any], dict[str, Any]]:
        """What its pages' inputs read besides their articles (a function of a page's path), and the parts
        its pages share: made once, when the first of them is made."""
        return self._views()


def page_window(number: int, count: int) -> list[int]:
    """The page numbers a pagination bar shows on page `number` of `count`: both ends and two each side; 0 marks a gap.

    Listing every page would make each page of a 1,000-page list name all 1,000.
    """
    shown = sorted(k for k in {1, 2, count - 1, count, *range(number - 2, number + 3)} if 1 <= k <= count)
    window: list[int] = []
    for k in shown:
        if window and k > window[-1] + 1:
            window.append(0)
        window.append(k)
    return window


def _make_room(memo: dict) -> None:
    """Forget a memo of shared views once it holds _MEMO_LIMIT of them: a miss costs only the time to make one again."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()


def _role(role) -> dict:
    return {
        "title": role.title,
        "from": role.start.isoformat() if role.start else None,
        "to": role.end.isoformat() if role.end else None,
        "current": role.end is None,
    }


def _folder_of(relpath: str) -> str:
    return relpath[: -len("index.html")] if relpath.endswith("index.html") else relpath


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]
