"""Plain data for machines: schema.org JSON-LD objects, feed dates, XML-safe text, sitemap splitting.

No URL is made here: `plan` makes every URL and passes it in, so these
functions only arrange values into the shapes that search engines and feed
readers expect.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import format_datetime
from html import escape
from typing import Any, Sequence

from .model import Article, Event, Person

SCHEMA_ORG = "https://schema.org"

# sitemaps.org: "no larger than 50MB (52,428,800 bytes)" uncompressed, per file.
SITEMAP_MAX_BYTES = 52_428_800
# Bytes a sitemap file spends besides its <loc> and <lastmod> texts: the XML
# declaration and <urlset> around all entries, and the tags and indentation
# around each. The default templates use about half of these; the rest is
# room for a theme that adds an element or two per entry.
SITEMAP_FILE_OVERHEAD = 1_024
SITEMAP_ENTRY_OVERHEAD = 120

# Characters XML 1.0 does not allow in a document, even escaped: a title with
# a form feed would otherwise make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(value: Any) -> Any:
    """`value` (text, or lists and dicts of it) without the characters XML 1.0 forbids."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value)
    if isinstance(value, dict):
        return {key: xml_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [xml_safe(item) for item in value]
    return value


def rfc822(moment: datetime) -> str:
    """An aware date-time as RSS 2.0 wants it (RFC 822, English names): `Thu, 26 Sep 2024 00:00:00 +0700`."""
    return format_datetime(moment)


def news_language(language: str) -> str:
    """The site language as Google News wants it: an ISO 639 code, or `zh-cn` / `zh-tw`."""
    parts = language.replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        return "zh-tw" if {"tw", "hk", "mo", "hant"} & set(parts[1:]) else "zh-cn"
    return parts[0]


def sitemap_groups(entries: Sequence[dict], max_urls: int, max_bytes: int = SITEMAP_MAX_BYTES) -> list[list[dict]]:
    """Split sitemap entries (`loc`, `lastmod` texts) into files of at most `max_urls` entries and,
    by a generous estimate of each entry's escaped size, at most `max_bytes` bytes; always one file at least."""
    groups: list[list[dict]] = [[]]
    size = SITEMAP_FILE_OVERHEAD
    for entry in entries:
        entry_size = SITEMAP_ENTRY_OVERHEAD + sum(len(escape(entry.get(key) or "").encode("utf-8"))
                                                  for key in ("loc", "lastmod"))
        if groups[-1] and (len(groups[-1]) >= max_urls or size + entry_size > max_bytes):
            groups.append([])
            size = SITEMAP_FILE_OVERHEAD
        groups[-1].append(entry)
        size += entry_size
    return groups


def _compact(data: dict) -> dict:
    """Drop the keys whose value is empty, so that no property is stated without a value."""
    return {key: value for key, value in data.items() if value not in (None, "", [], {})}


def thing(kind: str, name: str, url: str | None) -> dict:
    """A schema.org reference to a Person, Event or Organization by name and page."""
    return _compact({"@type": kind, "name": name, "url": url})


def news_article(article: Article, *, url: str | None, image: str | None, publisher: dict, language: str,
                 persons: Sequence[dict], events: Sequence[dict]) -> dict:
    """A schema.org NewsArticle: the events it is filed under are what it is `about`, its persons are `mentions`."""
    authors = [thing("Person", name, None) for name in article.authors] or [publisher]
    return _compact({
        "@context": SCHEMA_ORG,
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "datePublished": article.date.isoformat(),
        "dateModified": (article.updated or article.date).isoformat(),
        "author": authors,
        "publisher": publisher,
        "image": [image] if image else None,
        "url": url,
        "mainEntityOfPage": _compact({"@type": "WebPage", "@id": url}) if url else None,
        "inLanguage": language,
        "about": list(events),
        "mentions": list(persons),
        "keywords": list(article.tags),
        "contentLocation": [{"@type": "Place", "name": place} for place in article.places],
    })


def person(entity: Person, *, url: str | None, image: str | None) -> dict:
    """A schema.org Person: names, the titles held now (roles without an end), page and picture."""
    return _compact({
        "@context": SCHEMA_ORG,
        "@type": "Person",
        "name": entity.name,
        "alternateName": list(entity.aliases),
        "jobTitle": [role.title for role in entity.roles if role.end is None],
        "url": url,
        "image": image,
    })


def event(entity: Event, *, url: str | None, image: str | None, parent: dict | None, children: Sequence[dict]) -> dict:
    """A schema.org Event: names, dates, place, page and picture, and the events it belongs to and holds."""
    return _compact({
        "@context": SCHEMA_ORG,
        "@type": "Event",
        "name": entity.name,
        "alternateName": list(entity.aliases),
        "startDate": entity.start.isoformat() if entity.start else None,
        "endDate": entity.end.isoformat() if entity.end else None,
        "location": {"@type": "Place", "name": entity.location} if entity.location else None,
        "url": url,
        "image": image,
        "superEvent": parent,
        "subEvent": list(children),
    })
