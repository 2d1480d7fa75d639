"""What plan's pages show: plain-data views of the archive, each with its links made for the page that holds it.

Plan lays the pages out and says which views make each page's context;
the views are made here, and only when render asks for a context. Every
view is a function of the page's output path (`here`), since its links
are relative to that page without a `base_url`; those that depend on
`here` only through its link prefix are made once per prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence
from urllib.parse import quote, urlsplit

from . import structured
from .config import SiteConfig
from .model import Archive, ArticleHead, Event, Person
from .text import initial_letter, sort_text

# Pagefind's own default folder name; the search page loads its scripts from here.
SEARCH_BUNDLE = "pagefind/"
ATOM, RSS = "feed.xml", "rss.xml"
# Shared views made per article (feed entries) kept at once: enough for the pages near each other in the plan.
_MEMO_LIMIT = 20_000


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


class Views:
    """The views of one archive under one configuration, with the memos the pages of one build share."""

    def __init__(self, archive: Archive, config: SiteConfig):
        self.archive = archive
        self.config = config
        self.links = Links(urlsplit(config.base_url).path if config.base_url else "")
        self.og_locale = config.og_locale
        self.permalinks = config.permalinks
        self.person_by_id = {p.id: p for p in archive.persons}
        self.event_by_id = {e.id: e for e in archive.events}
        self.heads = archive.articles.heads
        self.article_dirs = [self.article_dir(head) for head in self.heads]  # by the article's index
        # Views that depend on a page only through its link prefix, made once per prefix;
        # those made per article are forgotten past _MEMO_LIMIT, so they do not fill memory.
        self.entity_links: dict[tuple[str, str, str], dict] = {}
        self.site_views: dict[str, dict] = {}
        self.feed_views: dict[tuple[str, tuple[str, str] | None], list[dict]] = {}
        # Made when a card first needs it: a rebuild after an edit makes a few cards.
        self.iso_dates: list[str | None] = [None] * len(archive.articles)
        self.feed_entries: dict[int, dict] = {}

    # -- paths and addresses -------------------------------------------

    def article_dir(self, head: ArticleHead) -> str:
        """The folder of an article's page, by the `article` permalink."""
        d = head.date
        return self.permalinks.article.format(year=d.year, month=f"{d.month:02d}", day=f"{d.day:02d}", slug=head.slug)

    def person_dir(self, person_id: str) -> str:
        """The folder of a person's first page."""
        return self.permalinks.person.format(id=person_id)

    def event_dir(self, event_id: str) -> str:
        """The folder of an event's first page."""
        return self.permalinks.event.format(id=event_id)

    def absolute(self, to: str) -> str | None:
        """The absolute URL of site path `to` under the base_url; None without one."""
        # Under a base_url, link targets are exactly the quoted site paths.
        return self.config.base_url + self.links.target(to) if self.config.base_url else None

    def _data_url(self, here: str, to: str) -> str:
        """A URL for machine-read data (JSON-LD): absolute under the base_url, else relative to the
        page, which a JSON-LD reader resolves against the page's own address."""
        return self.absolute(to) or self.links.href(here, to)

    def _absolute_asset(self, url: str | None) -> str | None:
        """An image as an absolute URL (OpenGraph, feeds), or None when none can be made."""
        if url is None or urlsplit(url).scheme:
            return url
        return self.absolute(url.lstrip("/"))

    def _data_asset(self, here: str, url: str | None) -> str | None:
        if url is None or urlsplit(url).scheme:
            return url
        return self._data_url(here, url.lstrip("/"))

    def _asset(self, here: str, url: str | None) -> str | None:
        if url is None or urlsplit(url).scheme:
            return url
        return self.links.href(here, url.lstrip("/"))

    # -- what every page shows -----------------------------------------

    def site(self, here: str) -> dict[str, Any]:
        """The site's name, settings and main links, as the page at `here` shows them."""
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

    def feed_links(self, here: str, own: tuple[str, str] | None) -> list[dict]:
        """The feeds a page announces: its own (a person's, an event's: folder and title), then the site's."""
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

    def pagination(self, here: str, n: int, folders: Sequence[str]) -> dict:
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

    def search_page(self, here: str) -> dict[str, Any]:
        """What the search page loads: Pagefind's script and style, the site's search script, the site's root."""
        href = self.links.href
        return {
            "ui_script": href(here, SEARCH_BUNDLE + "pagefind-ui.js"),
            "ui_stylesheet": href(here, SEARCH_BUNDLE + "pagefind-ui.css"),
            "script": href(here, "js/search.js"),
            "root": href(here, ""),
        }

    # -- search engines and sharing: JSON-LD, OpenGraph --------------

    def _publisher(self, here: str) -> dict:
        return structured.thing("Organization", self.config.title, self._data_url(here, ""))

    def article_meta(self, here: str, i: int) -> dict:
        """Article `i`'s page keys for search engines and sharing: description, image, JSON-LD."""
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
                persons=[structured.thing("Person", self.person_by_id[pid].name, self._data_url(here, self.person_dir(pid)))
                         for pid in self.archive.article_persons[i]],
                events=[structured.thing("Event", self.event_by_id[eid].name, self._data_url(here, self.event_dir(eid)))
                        for eid in self.archive.article_events[i]],
            ),
        }

    def person_meta(self, here: str, person: Person) -> dict:
        """A person's page keys for search engines and sharing: image, JSON-LD."""
        return {
            "image": self._absolute_asset(person.image),
            "json_ld": structured.person(person, url=self._data_url(here, self.person_dir(person.id)),
                                         image=self._data_asset(here, person.image)),
        }

    def event_meta(self, here: str, event: Event) -> dict:
        """An event's page keys for search engines and sharing: image, JSON-LD naming its parent and children."""
        def ref(event_id: str) -> dict:
            return structured.thing("Event", self.event_by_id[event_id].name, self._data_url(here, self.event_dir(event_id)))

        parent_id = self.archive.event_parent.get(event.id)
        return {
            "image": self._absolute_asset(event.image),
            "json_ld": structured.event(event, url=self._data_url(here, self.event_dir(event.id)),
                                        image=self._data_asset(here, event.image),
                                        parent=ref(parent_id) if parent_id else None,
                                        children=[ref(c) for c in self.archive.event_children.get(event.id, ())]),
        }

    # -- feeds -----------------------------------------------------------

    def feed(self, folder: str, title: str, updated: datetime) -> dict:
        """The head of the feed of `folder`'s page, last `updated` then: every field but its entries."""
        atom_url = self.absolute(folder + ATOM)
        return structured.xml_safe({
            "id": atom_url,
            "title": title,
            "subtitle": self.config.description,
            "language": self.config.language,
            "author": self.config.title,
            "page_url": self.absolute(folder),
            "atom_url": atom_url,
            "rss_url": self.absolute(folder + RSS),
            "updated": updated.isoformat(),
            "updated_rfc822": structured.rfc822(updated),
        })

    def feed_entry(self, i: int) -> dict:
        """Article `i` as a feed entry (made once, shared by every feed holding it); its id is its address."""
        if i not in self.feed_entries:
            _make_room(self.feed_entries)
            article = self.archive.articles[i]
            url = self.absolute(self.article_dirs[i])
            persons_scheme, events_scheme = self.absolute(self.permalinks.persons), self.absolute(self.permalinks.events)
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

    # -- articles --------------------------------------------------------

    def card(self, here: str, i: int) -> dict:
        """Article `i` as a list shows it. Made afresh each time: an archive's cards would not fit in memory
        together, and a large one's pages hold each article too far apart for a bounded memo to help."""
        prefix = self.links.prefix(here)
        article = self.archive.articles[i]
        link = self._entity_link_at
        return {
            "title": article.title,
            "url": prefix + self.links.target(self.article_dirs[i]),
            "date": self.iso_date(i),
            "has_time": article.has_time,
            "year": article.date.year,
            "month": article.date.month,
            "summary": article.summary,
            "persons": [link(prefix, "person", pid) for pid in self.archive.article_persons[i]],
            "events": [link(prefix, "event", eid) for eid in self.archive.article_events[i]],
        }

    def iso_date(self, i: int) -> str:
        """Article `i`'s date as ISO 8601 text, made once."""
        made = self.iso_dates[i]
        if made is None:
            made = self.iso_dates[i] = self.heads[i].date.isoformat()
        return made

    def article(self, here: str, i: int) -> dict:
        """Article `i` as its own page shows it: its card, trail, related articles and everything else it has."""
        article = self.archive.articles[i]
        year, month = article.date.year, article.date.month
        p = self.permalinks
        return {
            **self.card(here, i),
            "trail": [self._crumb(here, p.archive_year.format(year=year), year=year),
                      self._crumb(here, p.archive_month.format(year=year, month=f"{month:02d}"), year=year, month=month)],
            "related": [self.card(here, j) for j in (self.archive.related[i] if self.archive.related else ())],
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

    # -- the archive by date ---------------------------------------------

    def years(self, here: str, years: dict[int, list[int]]) -> list[dict]:
        """The archive page's years, newest first, each with its count and its months (`years` maps each to its months)."""
        months = self.archive.months
        return [{
            "year": year,
            "url": self.links.href(here, self.permalinks.archive_year.format(year=year)),
            "count": sum(len(months[(year, m)]) for m in year_months),
            "months": [self._month_item(here, year, m) for m in year_months],
        } for year, year_months in sorted(years.items(), reverse=True)]

    def year_period(self, here: str, year: int, months: Sequence[int]) -> dict:
        """A year's archive page as such: its year and its `months`."""
        return {"year": year, "month": None, "months": [self._month_item(here, year, m) for m in months], "trail": []}

    def month_period(self, here: str, year: int, month: int) -> dict:
        """A month's archive page as such: its month, and the way up to its year."""
        trail = [self._crumb(here, self.permalinks.archive_year.format(year=year), year=year)]
        return {"year": year, "month": month, "months": [], "trail": trail}

    def _month_item(self, here: str, year: int, month: int) -> dict:
        return {
            "year": year, "month": month,
            "url": self.links.href(here, self.permalinks.archive_month.format(year=year, month=f"{month:02d}")),
            "count": len(self.archive.months[(year, month)]),
        }

    def _crumb(self, here: str, to: str, name: str | None = None, year: int | None = None,
               month: int | None = None) -> dict:
        """One step of a breadcrumb trail: a page's name, or the year and month the template names."""
        return {"name": name, "year": year, "month": month, "url": self.links.href(here, to)}

    # -- persons and events ------------------------------------------------

    def _entity_link(self, here: str, kind: str, entity_id: str) -> dict:
        return self._entity_link_at(self.links.prefix(here), kind, entity_id)

    def _entity_link_at(self, prefix: str, kind: str, entity_id: str) -> dict:
        """A person's or event's name and link, for pages whose links start with `prefix` (made once)."""
        key = (prefix, kind, entity_id)
        link = self.entity_links.get(key)
        if link is None:
            if kind == "person":
                name, folder = self.person_by_id[entity_id].name, self.person_dir(entity_id)
            else:
                name, folder = self.event_by_id[entity_id].name, self.event_dir(entity_id)
            link = self.entity_links[key] = {"name": name, "url": prefix + self.links.target(folder)}
        return link

    def _person_item(self, here: str, person: Person) -> dict:
        return {
            **self._entity_link(here, "person", person.id),
            "count": len(self.archive.person_articles.get(person.id, ())),
            "roles": [_role(r) for r in person.roles],
        }

    def persons_index(self, here: str) -> list[dict]:
        """Every person, in the archive's (Vietnamese) order, in groups by the initial of what they are sorted by."""
        groups: list[dict] = []
        for person in self.archive.persons:
            letter = initial_letter(sort_text(person.name, person.sort_name))
            if not groups or groups[-1]["letter"] != letter:
                groups.append({"letter": letter, "anchor": f"letter-{len(groups) + 1}", "persons": []})
            groups[-1]["persons"].append(self._person_item(here, person))
        return groups

    def person(self, here: str, person: Person, event_ids: Sequence[str]) -> dict:
        """A person as their pages show them, with the events of `event_ids`."""
        indexes = self.archive.person_articles.get(person.id, ())
        return {
            **self._person_item(here, person),
            "id": person.id,
            "aliases": list(person.aliases),
            "image": self._asset(here, person.image),
            "bio_html": person.bio_html,
            "first": self.iso_date(indexes[0]) if indexes else None,
            "last": self.iso_date(indexes[-1]) if indexes else None,
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

    def ancestors(self, event_id: str) -> list[str]:
        """The events above an event, outermost first."""
        parent_id = self.archive.event_parent.get(event_id)
        ancestors: list[str] = []
        while parent_id and parent_id not in ancestors:
            ancestors.insert(0, parent_id)
            parent_id = self.archive.event_parent.get(parent_id)
        return ancestors

    def event(self, here: str, event: Event, person_ids: Sequence[str]) -> dict:
        """An event as its pages show it: its trail, parent and children, and the persons of `person_ids`."""
        ancestors = self.ancestors(event.id)
        parent_id = self.archive.event_parent.get(event.id)
        return {
            **self._event_item(here, event),
            "trail": [self._crumb(here, self.event_dir(a), name=self.event_by_id[a].name) for a in ancestors],
            "id": event.id,
            "aliases": list(event.aliases),
            "image": self._asset(here, event.image),
            "description_html": event.description_html,
            "parent": self._event_item(here, self.event_by_id[parent_id]) if parent_id else None,
            "children": [self._event_item(here, self.event_by_id[c]) for c in self.archive.event_children.get(event.id, ())],
            "persons": [self._entity_link(here, "person", pid) for pid in person_ids],
            "extra": dict(event.extra),
        }

    def event_tree(self, here: str) -> list[dict]:
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

        A method, not a function inside event_tree: calling itself, that would be a cycle holding the views.
        """
        return {**self._event_item(here, self.event_by_id[event_id]),
                "children": [self._event_node(here, child) for child in self.archive.event_children.get(event_id, ())]}


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
