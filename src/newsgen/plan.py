"""Stage 3, plan: Archive -> Plan (every page's output path, template and plain-data context).

Plan lays the pages out; what they show, their plain-data views, is made in
plan_views. The two are the only place URLs and output paths are made.
Every link in a context is already final for the page that holds it:
relative and naming `index.html` without a `base_url`, root-relative under
the `base_url`'s path with one. Feeds, sitemaps and robots.txt are pages
like the others, planned only under a `base_url`, since every address in
them must be absolute.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence, TypeVar

from . import structured
from .config import CONFIG_FILE, SiteConfig
from .model import Archive, BuildFailed, Event, Inputs, PageOutline, PageRecipe, Person, Plan, PlannedPages, Problem
from .page_inputs import PageInputs, Unknown, digest
from .plan_views import ATOM, RSS, SEARCH_BUNDLE, Views

NOT_FOUND = "404.html"
SITEMAP, NEWS_SITEMAP, ROBOTS = "sitemap.xml", "sitemap-news.xml", "robots.txt"
# Google News reads only the articles of the last two days, at most 1,000 of them per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_MAX_ENTRIES = 1_000
# The `updated` of a feed without entries: fixed, since the build clock must never reach the output.
EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)
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


class _Planner:
    """Lays out the pages of one archive: claims each output path, lists the page in the sitemap, keeps its recipe."""

    def __init__(self, archive: Archive, config: SiteConfig, now: datetime | None):
        self.archive = archive
        self.config = config
        self.now = now.replace(tzinfo=config.zone) if now is not None and now.tzinfo is None else now
        self.views = Views(archive, config)
        self.links = self.views.links
        self.permalinks = config.permalinks
        self.pages: list[PageOutline] = []
        self.owners: dict[str, str] = {}
        self.problems: list[Problem] = []
        # What laying out reads of each article: its head. Articles are decoded only for the pages made.
        self.heads = archive.articles.heads
        self.article_dirs = self.views.article_dirs
        self.sitemap_entries: list[dict] = []
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
                  persons=self.views.persons_index, inputs=self.inputs.persons_index)
        for person in archive.persons:
            self._person_pages(person)
        self._add(self.permalinks.events + "index.html", "events.html", "the events list", kind="events",
                  title="Sự kiện", lastmod=latest, events=self.views.event_tree,
                  inputs=self.inputs.events_index)
        for event in archive.events:
            self._event_pages(event)
        self._archive_pages()
        if self.config.search:
            self._add(self.permalinks.search + "index.html", "search.html", "the search page", kind="search",
                      title="Tìm kiếm", in_sitemap=False, search=self.views.search_page, inputs=lambda: None)
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
            self.sitemap_entries.append({"loc": self.views.absolute(_folder_of(relpath)),
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
        canonical = self.views.absolute(_folder_of(here))

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
                "feeds": self.views.feed_links(here, feed),
            }
            if meta is not None:
                page.update(meta(here))
            context: dict[str, Any] = {"site": self.views.site(here), "page": page}
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
            return {"site": self.views.site(relpath), **made}
        page_inputs = self._page_inputs(relpath, template, (), context, list(context.values()), inputs)
        return PageRecipe(relpath, template, make_context, bodies, page_inputs)

    def _article_page(self, relpath: str, i: int) -> PageRecipe:
        """The recipe of article `i`'s page."""
        article = self.archive.articles[i]
        return self._recipe(relpath, "article.html", kind="article", title=article.title, bodies=(article.body,),
                            meta=lambda here: self.views.article_meta(here, i), article=lambda here: self.views.article(here, i),
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
                            pagination=lambda here: self.views.pagination(here, n, listing.folders),
                            articles=lambda here: [self.views.card(here, i) for i in chunk],
                            inputs=lambda: (listing.folders[0], n, len(listing.chunks), self.inputs.cards(chunk),
                                            inputs(here)),
                            **parts)

    def _person_pages(self, person: Person) -> None:
        self._entity_pages("person", person, self.views.person_dir(person.id),
                           self.archive.person_articles.get(person.id, ()), self._person_views)

    def _person_views(self, person: Person, indexes: Sequence[int]) -> _EntityViews:
        # Only a first page shows them, and a rebuild makes few first pages: found when first asked for.
        @functools.cache
        def event_ids() -> tuple[str, ...]:
            return tuple(dict.fromkeys(eid for i in indexes for eid in self.archive.article_events[i]))
        return (lambda here: self.views.person_meta(here, person),
                lambda here, first: self.views.person(here, person, event_ids() if first else ()),
                lambda first: self.inputs.person(person, event_ids() if first else ()))

    def _event_pages(self, event: Event) -> None:
        self._entity_pages("event", event, self.views.event_dir(event.id),
                           self.archive.event_articles.get(event.id, ()), self._event_views)

    def _event_views(self, event: Event, indexes: Sequence[int]) -> _EntityViews:
        @functools.cache
        def person_ids() -> tuple[str, ...]:
            return tuple(dict.fromkeys(pid for i in indexes for pid in self.archive.article_persons[i]))
        return (lambda here: self.views.event_meta(here, event),
                lambda here, first: self.views.event(here, event, person_ids() if first else ()),
                lambda first: self.inputs.event(event, self.views.ancestors(event.id), person_ids() if first else ()))

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
        views = self.views
        self._add(p.archive + "index.html", "archive.html", "the archive", kind="archive",
                  title="Lưu trữ", lastmod=self._lastmod(range(len(self.archive.articles))),
                  years=lambda here: views.years(here, years), inputs=self.inputs.months)
        for year, year_months in years.items():
            indexes = [i for m in year_months for i in months[(year, m)]]
            self._list("archive_year", p.archive_year.format(year=year), indexes, "archive_period.html",
                       origin=f"the archive of {year}", title=f"Năm {year}", lastmod=self._lastmod(indexes),
                       inputs=lambda here, year=year, ms=year_months: (year, [(m, len(months[(year, m)])) for m in ms]),
                       period=lambda here, year=year, ms=year_months: views.year_period(here, year, ms))
            for month in year_months:
                self._list("archive_month", p.archive_month.format(year=year, month=f"{month:02d}"),
                           months[(year, month)], "archive_period.html",
                           origin=f"the archive of {year}-{month:02d}", title=f"Tháng {month}/{year}",
                           lastmod=self._lastmod(months[(year, month)]),
                           inputs=lambda here, year=year, month=month: (year, month),
                           period=lambda here, year=year, month=month: views.month_period(here, year, month))

    # -- feeds, sitemaps, robots.txt (only under a base_url) ----------

    def _feeds(self, folder: str, title: str, indexes: Sequence[int], origin: str) -> None:
        """The Atom and RSS feeds of `folder`'s page: its newest `feed_entries` articles."""
        for file, template, name in ((ATOM, "atom.xml", "Atom"), (RSS, "rss.xml", "RSS")):
            self._outline(folder + file, template, f"the {name} feed of {origin}",
                          functools.partial(self._feed, folder + file, template, folder, title, indexes),
                          in_sitemap=False)

    def _feed(self, relpath: str, template: str, folder: str, title: str, indexes: Sequence[int]) -> PageRecipe:
        """The recipe of the feed of `folder`'s page, in `template`'s format."""
        newest = sorted(indexes)[: self.config.feed_entries]  # a smaller index is a newer article
        feed = self.views.feed(folder, title, self._latest(newest) or EMPTY_FEED_UPDATED)
        return self._file_recipe(relpath, template, tuple(self.heads[i].body for i in newest),
                                 lambda: (folder, title, self.inputs.cards(newest)),
                                 {"feed": lambda: {**feed, "entries": [self.views.feed_entry(i) for i in newest]}})

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
                parts.append({"loc": self.views.absolute(name),
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
                "loc": self.views.absolute(self.article_dirs[i]),
                "publication_date": self.heads[i].date.isoformat(),
                "title": self.archive.articles[i].title,
            } for i in recent[:NEWS_MAX_ENTRIES]],
        }))

    def _robots(self) -> None:
        sitemaps = [self.views.absolute(SITEMAP)] + ([self.views.absolute(NEWS_SITEMAP)] if self.config.news_sitemap else [])
        self._add_file(ROBOTS, "robots.txt", "robots.txt", robots={"sitemaps": sitemaps})

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


def _folder_of(relpath: str) -> str:
    return relpath[: -len("index.html")] if relpath.endswith("index.html") else relpath


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]
