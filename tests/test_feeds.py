"""End to end: feeds, sitemaps, robots.txt and page metadata of real built sites, read by real parsers.

Feeds are read with feedparser, sitemaps validated with lxml against the
sitemaps.org schemas in tests/schemas/, JSON-LD parsed with json.loads.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from lxml import etree

from newsgen.build import build

from conftest import REPOSITORY, article

BASE = "https://example.org/luu-tru/"
SCHEMAS = Path(__file__).parent / "schemas"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
HOSTILE = "</script><script>alert(1)</script> & co"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sample archive built under a base_url with a sub-path."""
    out = tmp_path_factory.mktemp("feeds") / "public"
    build(REPOSITORY, out, base_url=BASE, jobs=1, cache_dir=out.parent / "cache")
    return out


def local(out: Path, url: str) -> Path:
    """The output file an absolute URL under BASE names."""
    assert url.startswith(BASE), url
    path = out / unquote(url[len(BASE):])
    return path / "index.html" if url.endswith("/") else path


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


class _Head(HTMLParser):
    """The meta properties, alternate links and script elements of an HTML page."""

    def __init__(self):
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.alternates: list[dict] = []
        self.scripts: list[dict] = []
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta.append((attrs.get("property") or attrs["name"], attrs.get("content", "")))
        elif tag == "link" and attrs.get("rel") == "alternate":
            self.alternates.append(attrs)
        elif tag == "script":
            self._script = {"type": attrs.get("type"), "text": ""}
            self.scripts.append(self._script)

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def first(self, name: str) -> str | None:
        return next((value for key, value in self.meta if key == name), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.meta if key == name]


def head(page: Path) -> _Head:
    parser = _Head()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def json_ld(page: Path) -> dict:
    (script,) = [s for s in head(page).scripts if s.get("type") == "application/ld+json"]
    return json.loads(script["text"])


# -- feeds ---------------------------------------------------------------

def feeds_of(out: Path) -> list[Path]:
    return sorted(out.rglob("feed.xml")) + sorted(out.rglob("rss.xml"))


def test_every_feed_parses_without_a_flaw(sample):
    feeds = feeds_of(sample)
    persons = len(list((sample / "persons").glob("*/index.html")))
    events = len(list((sample / "events").glob("*/index.html")))
    assert len(feeds) == 2 * (1 + persons + events)
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == ("atom10" if path.name == "feed.xml" else "rss20"), path
        assert parsed.feed.title and parsed.feed.link.startswith(BASE), path
        assert parsed.entries, path  # every person and event of the sample has articles


def test_the_atom_feed_has_what_rfc_4287_requires(sample):
    parsed = feedparser.parse((sample / "feed.xml").read_bytes())
    feed = parsed.feed
    assert feed.id == BASE + "feed.xml"
    assert feed.title == "Lưu trữ Tin Đối ngoại"
    assert {(link.rel, link.href) for link in feed.links} == {("self", BASE + "feed.xml"), ("alternate", BASE)}
    assert feed.author == "Lưu trữ Tin Đối ngoại"
    assert len(parsed.entries) == 6  # the whole sample: fewer than the 50 of feed_entries
    newest = max(parsed.entries, key=lambda e: e.updated_parsed)
    assert feed.updated == newest.updated == "2024-10-02T16:00:00+07:00"  # the latest entry, not the clock
    for entry in parsed.entries:
        assert entry.id == entry.link and entry.link.startswith(BASE)
        assert local(sample, entry.link).is_file()
        assert entry.updated_parsed >= entry.published_parsed
        assert entry.title and entry.summary
        assert entry.content[0].type == "text/html" and "<p>" in entry.content[0].value
    cuba = next(e for e in parsed.entries if "thăm cấp Nhà nước Cộng hòa Cuba" in e.title)
    assert cuba.published == "2024-09-28T07:00:00+07:00" and cuba.updated == "2024-10-02T16:00:00+07:00"
    assert [a.name for a in cuba.authors] == ["Ban Biên tập"]
    terms = {(t.term, t.scheme, t.label) for t in cuba.tags}
    assert ("to-lam", BASE + "persons/", "Tô Lâm") in terms
    assert ("tham-cap-nha-nuoc-cuba-2024", BASE + "events/", "Chuyến thăm cấp Nhà nước tới Cộng hòa Cuba") in terms
    assert ("ngoại giao", None, "ngoại giao") in terms


def test_the_rss_feed_matches_the_atom_feed(sample):
    atom = feedparser.parse((sample / "feed.xml").read_bytes())
    rss = feedparser.parse((sample / "rss.xml").read_bytes())
    assert rss.feed.link == BASE
    assert [e.link for e in rss.entries] == [e.link for e in atom.entries]
    assert [e.id for e in rss.entries] == [e.id for e in atom.entries]
    assert [e.published_parsed for e in rss.entries] == [e.published_parsed for e in atom.entries]
    assert [e.title for e in rss.entries] == [e.title for e in atom.entries]
    for entry in rss.entries:
        assert entry.content[0].value.startswith("<p>")
    root = etree.parse(str(sample / "rss.xml")).getroot()
    assert root.find("channel/{http://www.w3.org/2005/Atom}link").get("href") == BASE + "rss.xml"
    assert root.findtext("channel/lastBuildDate") == "Wed, 02 Oct 2024 16:00:00 +0700"


def test_person_and_event_feeds_hold_the_articles_of_their_page(sample):
    for kind, entity in [("persons", "le-quang-tung"), ("events", "chuyen-cong-tac-hoa-ky-cuba-2024")]:
        parsed = feedparser.parse((sample / kind / entity / "feed.xml").read_bytes())
        assert parsed.feed.id == f"{BASE}{kind}/{entity}/feed.xml"
        assert parsed.feed.link == f"{BASE}{kind}/{entity}/"
        page_links = {link for page in (sample / kind / entity).rglob("index.html")
                      for link in _article_links(page)}
        assert {urlsplit(e.link).path for e in parsed.entries} == page_links


class _Cards(HTMLParser):
    """The links of the article cards of a list page."""

    def __init__(self):
        super().__init__()
        self.found: set[str] = set()
        self.in_card = False

    def handle_starttag(self, tag, attrs):
        if tag == "li" and ("class", "card") in attrs:
            self.in_card = True
        elif tag == "a" and self.in_card:
            self.found.add(dict(attrs)["href"])
            self.in_card = False


def _article_links(page: Path) -> set[str]:
    parser = _Cards()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def test_pages_announce_their_feeds(sample):
    home = head(sample / "index.html")
    assert [(a["type"], a["href"]) for a in home.alternates] == [
        ("application/atom+xml", "/luu-tru/feed.xml"), ("application/rss+xml", "/luu-tru/rss.xml")]
    person = head(sample / "persons/to-lam/page/2/index.html")
    assert [a["href"] for a in person.alternates] == [
        "/luu-tru/persons/to-lam/feed.xml", "/luu-tru/persons/to-lam/rss.xml",
        "/luu-tru/feed.xml", "/luu-tru/rss.xml"]


def test_feed_entries_are_the_newest_and_configurable(site, tmp_path):
    files = {f"content/articles/a{n}.md": article(f"Bài {n}", f"2024-09-{n:02d}", persons="[Tô Lâm]")
             for n in range(1, 6)}
    site_dir = site({**files, "newsgen.yaml": f"base_url: {BASE}\nfeed_entries: 2\n"})
    build(site_dir, tmp_path / "out")
    for path in ["feed.xml", "persons/to-lam/feed.xml", "rss.xml"]:
        parsed = feedparser.parse((tmp_path / "out" / path).read_bytes())
        assert [e.title for e in parsed.entries] == ["Bài 5", "Bài 4"], path


# -- sitemaps and robots.txt ----------------------------------------------

def test_the_sitemap_is_valid_and_lists_every_page_with_lastmod(sample):
    document = etree.parse(str(sample / "sitemap.xml"))
    schema("sitemap.xsd").assertValid(document)
    urls = document.getroot().findall(f"{SM}url")
    locs = [url.findtext(f"{SM}loc") for url in urls]
    pages = sorted(p.relative_to(sample).as_posix() for p in sample.rglob("index.html"))
    pages.remove("search/index.html")  # a tool, not content: search engines need not list it
    assert sorted(local(sample, loc).relative_to(sample).as_posix() for loc in locs) == pages
    assert len(set(locs)) == len(locs)
    assert BASE + "404.html" not in locs
    lastmods = {url.findtext(f"{SM}loc"): url.findtext(f"{SM}lastmod") for url in urls}
    assert all(lastmods.values())  # every page of the sample lists at least one article
    assert lastmods[BASE] == "2024-10-02T16:00:00+07:00"
    assert lastmods[BASE + "2024/09/tong-bi-thu-chu-tich-nuoc-to-lam-tham-cap-nha-nuoc-cong-hoa-cuba/"] == \
        "2024-10-02T16:00:00+07:00"  # its `updated`
    assert lastmods[BASE + "archive/2024/09/"] == "2024-10-02T16:00:00+07:00"
    assert lastmods[BASE + "events/tiep-chu-tich-boeing/"] == "2024-09-23T05:00:00+07:00"


def test_a_large_site_gets_a_sitemap_index(site, tmp_path):
    files = {f"content/articles/a{n}.md": article(f"Bài {n}", f"2024-09-{n:02d}") for n in range(1, 8)}
    site_dir = site({**files, "newsgen.yaml": f"base_url: {BASE}\nsitemap_max_urls: 4\n"})
    out = tmp_path / "out"
    build(site_dir, out)
    index = etree.parse(str(out / "sitemap.xml"))
    schema("siteindex.xsd").assertValid(index)
    parts = [s.findtext(f"{SM}loc") for s in index.getroot().findall(f"{SM}sitemap")]
    assert parts == [f"{BASE}sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    locs = []
    for part in parts:
        document = etree.parse(str(local(out, part)))
        schema("sitemap.xsd").assertValid(document)
        found = [url.findtext(f"{SM}loc") for url in document.getroot().findall(f"{SM}url")]
        assert 1 <= len(found) <= 4
        locs += found
    html_pages = [p for p in out.rglob("index.html") if p.parent.name != "search"]
    assert len(locs) == len(set(locs)) == len(html_pages) > 4
    assert index.getroot().find(f"{SM}sitemap/{SM}lastmod").text == "2024-09-07T00:00:00+07:00"


def test_robots_txt_points_at_the_sitemaps(sample):
    assert (sample / "robots.txt").read_text(encoding="utf-8") == (
        f"User-agent: *\nDisallow:\n\nSitemap: {BASE}sitemap.xml\n")


NEWS_SITE = {
    "newsgen.yaml": f"title: Tin & Bình luận\nbase_url: {BASE}\nnews_sitemap: true\nnews_publication_name: Báo <Mẫu>\n",
    "content/articles/old.md": article("Tin cũ", "2024-09-20T08:00:00"),
    "content/articles/yesterday.md": article("Tin hôm qua", "2024-09-26T08:00:00"),
    "content/articles/today.md": article(f'"{HOSTILE}"', "2024-09-27T08:00:00"),
    "content/articles/tomorrow.md": article("Tin ngày mai", "2024-09-28T08:00:00"),
}


def news_entries(out: Path) -> list[dict]:
    """The news sitemap's entries, each checked for the elements Google News requires."""
    document = etree.parse(str(out / "sitemap-news.xml"))
    root = document.getroot()
    assert root.tag == f"{SM}urlset"
    entries = []
    for url in root.findall(f"{SM}url"):
        news = url.find(f"{NEWS}news")
        entries.append({
            "loc": url.findtext(f"{SM}loc"),
            "name": news.findtext(f"{NEWS}publication/{NEWS}name"),
            "language": news.findtext(f"{NEWS}publication/{NEWS}language"),
            "date": news.findtext(f"{NEWS}publication_date"),
            "title": news.findtext(f"{NEWS}title"),
        })
        assert all(entries[-1].values()), entries[-1]
        url.remove(news)  # what is left must be a plain sitemap entry
    schema("sitemap.xsd").assertValid(document)
    return entries


def test_the_news_sitemap_holds_the_last_two_days(site, tmp_path):
    out = tmp_path / "out"
    build(site(NEWS_SITE), out, now=datetime(2024, 9, 27, 12, 0))  # in the site's time zone
    entries = news_entries(out)
    assert [e["title"] for e in entries] == [HOSTILE, "Tin hôm qua"]
    assert {e["name"] for e in entries} == {"Báo <Mẫu>"} and {e["language"] for e in entries} == {"vi"}
    assert entries[0]["date"] == "2024-09-27T08:00:00+07:00"
    assert all(local(out, e["loc"]).is_file() for e in entries)
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert robots.endswith(f"Sitemap: {BASE}sitemap.xml\nSitemap: {BASE}sitemap-news.xml\n")


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsgen", *args], capture_output=True, text=True,
                          encoding="utf-8", env={**os.environ, **(env or {})})


def test_now_comes_from_the_command_line_or_source_date_epoch(site, tmp_path):
    site_dir = site(NEWS_SITE)
    result = run_cli("build", str(site_dir), "-o", str(tmp_path / "a"), "--now", "2024-09-29T07:00:00+07:00", "-q")
    assert result.returncode == 0, result.stderr
    assert [e["title"] for e in news_entries(tmp_path / "a")] == ["Tin ngày mai", HOSTILE]
    epoch = int(datetime(2024, 9, 27, 5, 0, tzinfo=timezone.utc).timestamp())
    result = run_cli("build", str(site_dir), "-o", str(tmp_path / "b"), "-q", env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.returncode == 0, result.stderr
    assert [e["title"] for e in news_entries(tmp_path / "b")] == [HOSTILE, "Tin hôm qua"]
    assert run_cli("build", str(site_dir), "--now", "hôm nay").returncode == 2
    assert run_cli("build", str(site_dir), env={"SOURCE_DATE_EPOCH": "hôm nay"}).returncode == 2


# -- without a base_url ----------------------------------------------------

def test_without_base_url_there_are_no_feeds_and_one_warning(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22", persons="[Tô Lâm]")})
    report = build(site_dir, tmp_path / "out")
    assert len(report.warnings) == 1 and "base_url" in report.warnings[0]
    assert not [p for p in (tmp_path / "out").rglob("*") if p.suffix in (".xml", ".txt")]
    assert head(tmp_path / "out/persons/to-lam/index.html").alternates == []
    result = run_cli("build", str(site_dir), "-o", str(tmp_path / "cli"))
    assert result.returncode == 0
    assert result.stderr == (
        "newsgen: warning: no base_url, so no feeds, sitemap or robots.txt: they need absolute addresses "
        "(set base_url in newsgen.yaml or pass --base-url)\n")
    assert result.stdout.startswith("newsgen: built 1 articles")  # the summary line stays as it was
    assert run_cli("build", str(site_dir), "-o", str(tmp_path / "cli"), "-q").stderr == ""
    with_base = run_cli("build", str(site_dir), "-o", str(tmp_path / "cli"), "--base-url", BASE)
    assert with_base.stderr == ""


def test_without_base_url_json_ld_links_are_relative_to_the_page(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22", persons="[Tô Lâm]")})
    build(site_dir, tmp_path / "out")
    data = json_ld(tmp_path / "out/2024/09/a/index.html")
    assert data["url"] == "../../../2024/09/a/index.html"  # links climb to the site root
    assert data["mentions"] == [{"@type": "Person", "name": "Tô Lâm", "url": "../../../persons/to-lam/index.html"}]
    assert data["publisher"]["url"] == "../../../index.html"


# -- JSON-LD and OpenGraph ------------------------------------------------

def test_every_json_ld_block_parses_and_has_its_required_properties(sample):
    kinds = {}
    for page in sorted(sample.rglob("*.html")):
        scripts = [s for s in head(page).scripts if s.get("type") == "application/ld+json"]
        if not scripts:
            continue
        data = json_ld(page)
        assert data["@context"] == "https://schema.org"
        assert head(page).first("og:url").startswith(data["url"])  # page 2 of a person is still about them
        kinds.setdefault(data["@type"], []).append(data)
    assert len(kinds["NewsArticle"]) == 6 and len(kinds["Person"]) >= 8 and len(kinds["Event"]) >= 8
    for data in kinds["NewsArticle"]:
        assert {"headline", "datePublished", "dateModified", "author", "publisher", "mainEntityOfPage"} <= set(data)
        for moment in (data["datePublished"], data["dateModified"]):
            assert datetime.fromisoformat(moment).utcoffset() is not None, moment
        assert data["publisher"] == {"@type": "Organization", "name": "Lưu trữ Tin Đối ngoại", "url": BASE}
        for thing in data.get("about", []) + data.get("mentions", []):
            assert thing["@type"] in ("Person", "Event") and local(sample, thing["url"]).is_file()
    for data in kinds["Person"] + kinds["Event"]:
        assert data["name"] and local(sample, data["url"]).is_file()
    boeing = next(d for d in kinds["NewsArticle"] if "Boeing" in d["headline"])
    assert {m["name"] for m in boeing["mentions"]} >= {"Tô Lâm", "Brendan Nelson"}
    assert boeing["datePublished"] == "2024-09-23T05:00:00+07:00"  # 18:00 in New York, in the site's zone
    to_lam = next(d for d in kinds["Person"] if d["name"] == "Tô Lâm")
    assert to_lam["jobTitle"]


def test_article_pages_carry_opengraph_and_twitter_meta(sample):
    page = next(sample.glob("2024/09/*tiep-chu-tich-boeing*/index.html"))
    meta = head(page)
    assert meta.first("og:type") == "article"
    assert meta.first("og:url") == BASE + page.parent.relative_to(sample).as_posix() + "/"
    assert meta.first("og:locale") == "vi_VN"
    assert meta.first("og:site_name") == "Lưu trữ Tin Đối ngoại"
    assert "Boeing" in meta.first("og:title") and meta.first("og:description")
    assert meta.first("article:published_time") == "2024-09-23T05:00:00+07:00"
    assert {"Tô Lâm", "Brendan Nelson", "hàng không"} <= set(meta.all("article:tag"))
    assert meta.first("twitter:card") == "summary"
    assert head(sample / "persons/to-lam/index.html").first("og:type") == "profile"
    assert head(sample / "events/tiep-chu-tich-boeing/index.html").first("og:type") == "website"


def test_a_lead_picture_makes_a_large_card(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("Ảnh", "2024-09-22", image="images/anh đẹp.jpg"),
                     "static/images/anh đẹp.jpg": b"jpeg"})
    build(site_dir, tmp_path / "out", base_url=BASE)
    page = tmp_path / "out/2024/09/anh/index.html"
    assert head(page).first("og:image") == BASE + "images/anh%20%C4%91%E1%BA%B9p.jpg"
    assert head(page).first("twitter:card") == "summary_large_image"
    assert json_ld(page)["image"] == [BASE + "images/anh%20%C4%91%E1%BA%B9p.jpg"]
    entry = feedparser.parse((tmp_path / "out/feed.xml").read_bytes()).entries[0]
    assert entry.content[0].value.startswith(f'<figure><img alt="Ảnh" src="{BASE}images/anh%20%C4%91%E1%BA%B9p.jpg" />')


# -- hostile content --------------------------------------------------------

def test_a_hostile_title_stays_inert_in_html_json_ld_and_xml(site, tmp_path):
    site_dir = site({
        "content/articles/a.md": article(f'"{HOSTILE}"', "2024-09-22", persons=f'["{HOSTILE}"]',
                                         tags=f'["{HOSTILE}"]', summary=f'"{HOSTILE}"'),
    })
    out = tmp_path / "out"
    build(site_dir, out, base_url=BASE)
    (page,) = out.glob("2024/09/*/index.html")
    meta = head(page)
    assert [s["type"] for s in meta.scripts] == ["application/ld+json"]
    assert "<script>" not in page.read_text(encoding="utf-8")
    assert meta.first("og:title") == HOSTILE and meta.first("og:description") == HOSTILE
    data = json_ld(page)
    assert data["headline"] == HOSTILE and data["mentions"][0]["name"] == HOSTILE
    for name in ["feed.xml", "rss.xml", "sitemap.xml"]:
        tree = etree.parse(str(out / name))  # well-formed, or this raises
        assert not tree.xpath("//*[local-name()='script']"), name
    atom = feedparser.parse((out / "feed.xml").read_bytes())
    rss = feedparser.parse((out / "rss.xml").read_bytes())
    for feed in (atom, rss):
        (entry,) = feed.entries
        assert (entry.title, entry.title_detail.type) == (HOSTILE, "text/plain")
        assert {t.label or t.term for t in entry.tags} >= {HOSTILE}
    assert (atom.entries[0].summary, atom.entries[0].summary_detail.type) == (HOSTILE, "text/plain")
    # an RSS description is HTML: the summary arrives escaped, shown as the text it is
    assert rss.entries[0].summary_detail.type == "text/html"
    assert "<script" not in rss.entries[0].summary and html.unescape(rss.entries[0].summary) == HOSTILE
    atom_tree = etree.parse(str(out / "feed.xml")).getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom_tree.xpath("string(a:entry/a:title)", namespaces=ns) == HOSTILE
    assert atom_tree.xpath("string(a:entry/a:summary)", namespaces=ns) == HOSTILE


def test_characters_xml_forbids_are_left_out_of_feeds(site, tmp_path):
    site_dir = site({"content/articles/a.md": '---\ntitle: "Trang\\fmột"\ndate: 2024-09-22\n---\nĐoạn\x0cmột.\n'})
    build(site_dir, tmp_path / "out", base_url=BASE)
    parsed = feedparser.parse((tmp_path / "out/feed.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries[0].title == "Trangmột"


def test_feeds_and_sitemaps_are_byte_identical_across_builds(sample, tmp_path):
    build(REPOSITORY, tmp_path / "again", base_url=BASE, jobs=2, cache_dir=tmp_path / "cache")
    for name in ["feed.xml", "rss.xml", "sitemap.xml", "robots.txt", "persons/to-lam/feed.xml"]:
        assert (tmp_path / "again" / name).read_bytes() == (sample / name).read_bytes(), name


def test_a_site_of_its_own_robots_txt_keeps_it(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22"), "static/robots.txt": "User-agent: *\n"})
    build(site_dir, tmp_path / "out", base_url=BASE)
    assert (tmp_path / "out/robots.txt").read_text(encoding="utf-8") == "User-agent: *\n"
