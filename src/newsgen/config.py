"""Site configuration: `newsgen.yaml`, every option typed, defaulted and documented."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from .model import BuildFailed, Problem
from .yamltext import Fields, parse_mapping, read_text

CONFIG_FILE = "newsgen.yaml"
SOURCE_FOLDERS = ("content", "templates", "static")
"""The folders of a site that a build reads, beside CONFIG_FILE: nothing may write into them."""
CONTENT_FOLDERS = {"article": "articles", "person": "persons", "event": "events"}
"""The folder below `content/` of each kind of document."""

# The sitemaps.org protocol's limit of URLs in one sitemap file.
SITEMAP_URL_LIMIT = 50_000


@dataclass(frozen=True)
class Permalinks:
    """Where each kind of page lives, as a folder below the site root ending in `/`."""

    article: str = "{year}/{month}/{slug}/"
    """An article; `{year}`, `{month}` (two digits), `{day}` (two digits) and `{slug}` are filled in."""
    persons: str = "persons/"
    """The list of all persons."""
    person: str = "persons/{id}/"
    """One person; `{id}` is the file name of `content/persons/<id>.md` or the slug of the name."""
    events: str = "events/"
    """The list of all events."""
    event: str = "events/{id}/"
    """One event; `{id}` as for persons."""
    archive: str = "archive/"
    """The list of all years and months."""
    archive_year: str = "archive/{year}/"
    """The articles of one year."""
    archive_month: str = "archive/{year}/{month}/"
    """The articles of one month."""
    page: str = "page/{number}/"
    """Page 2, 3 … of any paginated list, below that list's own folder."""
    search: str = "search/"
    """The search page (only built when `search` is on)."""


_PLACEHOLDERS = {
    "article": {"year", "month", "day", "slug"},
    "person": {"id"},
    "event": {"id"},
    "archive_year": {"year"},
    "archive_month": {"year", "month"},
    "page": {"number"},
}


@dataclass(frozen=True)
class SiteConfig:
    """The options of `newsgen.yaml`; a site without that file gets these defaults."""

    title: str = "newsgen"
    """The site's name, shown in every page header and title."""
    description: str = ""
    """One sentence about the site, for the home page and search engines."""
    base_url: str = ""
    """Public address of the site, e.g. `https://example.org/archive/`. Empty: links are
    relative and name `index.html`, so the folder can be opened from disk."""
    language: str = "vi"
    """Language of the content (a BCP 47 / CLDR code): `<html lang>` and date formats."""
    timezone: str = "Asia/Ho_Chi_Minh"
    """IANA time zone for dates written without an offset, and for showing every date."""
    per_page: int = 10
    """Articles per page on the home page, archives and person and event pages."""
    unsafe_html: bool = False
    """Keep raw HTML in Markdown as written. Off: scripts, event handlers and
    `javascript:` URLs are removed."""
    search: bool = True
    """Build a search page and a Pagefind index of articles, persons and events; off: no search box."""
    permalinks: Permalinks = field(default_factory=Permalinks)
    """Folder of each kind of page; see Permalinks."""
    feed_entries: int = 50
    """Articles in each Atom and RSS feed (the site's, and each person's and event's): the newest ones."""
    sitemap_max_urls: int = SITEMAP_URL_LIMIT
    """Addresses per sitemap file, at most 50,000; a site with more gets `sitemap.xml` as an index
    of `sitemap-1.xml`, `sitemap-2.xml` …"""
    news_sitemap: bool = False
    """Also write `sitemap-news.xml`, a Google News sitemap of the articles of the last two days."""
    news_publication_name: str = ""
    """The publication's name in the news sitemap, as registered with Google News. Empty: the `title`."""

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    @property
    def og_locale(self) -> str:
        """The language as an OpenGraph locale, with its most likely territory: `vi` -> `vi_VN`."""
        locale = Locale.parse(self.language.replace("-", "_"))
        if locale.territory is None:
            locale = Locale.parse(get_global("likely_subtags").get(locale.language, locale.language))
        return f"{locale.language}_{locale.territory}" if locale.territory else locale.language

    def with_base_url(self, base_url: str) -> "SiteConfig":
        """This config with `base_url` replaced (as by `--base-url`), normalised to end in `/`."""
        return replace(self, base_url=_normalise_base_url(base_url))


def load_config(site_dir: Path) -> SiteConfig:
    """Read `site_dir/newsgen.yaml` (defaults when absent); raise BuildFailed naming every bad option."""
    path = site_dir / CONFIG_FILE
    if not path.exists() and not path.is_symlink():  # a link to nothing is a file that cannot be read
        return SiteConfig()
    shown = CONFIG_FILE
    text = read_text(path, shown)
    if isinstance(text, Problem):
        raise BuildFailed([text])
    data, lines, problems = parse_mapping(text, shown)
    if problems:
        raise BuildFailed(problems)
    return config_from_mapping(data, lines, shown)


def config_from_mapping(data: dict, lines: dict[str, int], shown: str = CONFIG_FILE) -> SiteConfig:
    """Build a SiteConfig from parsed YAML; raise BuildFailed naming every bad option."""
    reader = Fields(data, lines, shown)
    defaults = SiteConfig()
    known = {f.name for f in fields(SiteConfig)}
    for key in reader.unknown(known):
        reader.fail(key, f"unknown option {key!r} (known: {', '.join(sorted(known))})")

    title = reader.text("title") or defaults.title
    base_url = reader.text("base_url") or ""
    if base_url and not is_base_url(base_url):
        reader.fail("base_url", f"'base_url' must be an http(s) address like https://example.org/sub/, not {base_url!r}")
        base_url = ""
    language = reader.text("language") or defaults.language
    try:
        Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        reader.fail("language", f"unknown language {language!r}")
        language = defaults.language
    timezone = reader.text("timezone") or defaults.timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.fail("timezone", f"unknown time zone {timezone!r} (use an IANA name like Asia/Ho_Chi_Minh)")
        timezone = defaults.timezone

    config = SiteConfig(
        title=title,
        description=reader.text("description") or "",
        base_url=_normalise_base_url(base_url),
        language=language,
        timezone=timezone,
        per_page=reader.integer("per_page", defaults.per_page),
        unsafe_html=reader.boolean("unsafe_html"),
        search=reader.boolean("search", defaults.search),
        permalinks=_permalinks(reader),
        feed_entries=reader.integer("feed_entries", defaults.feed_entries),
        sitemap_max_urls=reader.integer("sitemap_max_urls", defaults.sitemap_max_urls, maximum=SITEMAP_URL_LIMIT),
        news_sitemap=reader.boolean("news_sitemap"),
        news_publication_name=reader.text("news_publication_name") or "",
    )
    if reader.problems:
        raise BuildFailed(reader.problems)
    return config


def _permalinks(reader: Fields) -> Permalinks:
    given = reader.data.get("permalinks")
    if given is None:
        return Permalinks()
    if not isinstance(given, dict):
        reader.fail("permalinks", "'permalinks' must be a mapping of page kind to folder pattern")
        return Permalinks()
    known = {f.name for f in fields(Permalinks)}
    values = {}
    for kind, pattern in given.items():
        if kind not in known:
            reader.fail("permalinks", f"unknown permalink {kind!r} (known: {', '.join(sorted(known))})")
        elif problem := _pattern_problem(str(kind), pattern):
            reader.fail("permalinks", f"permalink {kind!r}: {problem}")
        else:
            values[kind] = pattern
    return Permalinks(**values)


def _pattern_problem(kind: str, pattern: object) -> str | None:
    if not isinstance(pattern, str) or not pattern.endswith("/") or pattern.startswith("/"):
        return f"must be a relative folder ending in '/', like 'persons/{{id}}/', not {pattern!r}"
    if ".." in pattern.split("/") or "\\" in pattern:
        return f"must stay inside the site, not {pattern!r}"
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as error:
        return f"bad pattern {pattern!r}: {error}"
    allowed = _PLACEHOLDERS.get(kind, set())
    if used - allowed:
        return f"unknown placeholder {{{sorted(used - allowed)[0]}}} (allowed: {', '.join(sorted(allowed)) or 'none'})"
    if kind in ("article", "person", "event", "page") and not (used & {"slug", "id", "number"}):
        return "must contain the placeholder that tells pages apart"
    return None


def is_base_url(text: str) -> bool:
    """Whether `text` can be a `base_url`: an http(s) address with a host."""
    return bool(re.match(r"^https?://[^/\s]+(/\S*)?$", text))


def _normalise_base_url(base_url: str) -> str:
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    return base_url
