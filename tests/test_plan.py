"""Stage 3, plan: output paths, links for disk and for a sub-path, pagination, collisions,
feeds, sitemaps and the data pages carry for search engines."""

import gc
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from newsgen import structured
from newsgen.config import Permalinks, SiteConfig
from newsgen.index import index
from newsgen import plan as plan_module
from newsgen.model import Articles, BuildFailed, Deferred, MemoryStore, PageRecipe
from newsgen.plan import plan
from newsgen.plan_views import Links

from conftest import archive_of, article, load_site


def pages_by_path(site_dir, config=None):
    config = config or SiteConfig()
    return {page.relpath: page for page in plan(archive_of(site_dir, config), config).pages}


@pytest.fixture
def small_site(site):
    return site({
        "content/persons/to-lam.md": "---\nname: Tô Lâm\n---\n",
        "content/events/trip.md": "---\nname: Chuyến công tác\nstart: 2024-09-21\n---\n",
        "content/events/cuba.md": "---\nname: Thăm Cuba\nparent: trip\n---\n",
        "content/articles/a.md": article("Thăm Cuba", "2024-09-26", persons="[Tô Lâm]", events="[cuba]"),
        "content/articles/b.md": article("Dự Đại hội đồng", "2024-09-22T20:00:00-04:00", persons="[Tô Lâm, Ngô Phương Ly]"),
        "content/articles/c.md": article("Ký kết", "2024-10-02"),
    })


def test_every_page_has_its_folder_and_index_html(small_site):
    assert sorted(pages_by_path(small_site)) == [
        "2024/09/du-dai-hoi-dong/index.html",
        "2024/09/tham-cuba/index.html",
        "2024/10/ky-ket/index.html",
        "404.html",
        "archive/2024/09/index.html",
        "archive/2024/10/index.html",
        "archive/2024/index.html",
        "archive/index.html",
        "events/cuba/index.html",
        "events/index.html",
        "events/trip/index.html",
        "index.html",
        "persons/index.html",
        "persons/ngo-phuong-ly/index.html",
        "persons/to-lam/index.html",
        "search/index.html",
    ]


def test_links_without_base_url_are_relative_and_name_the_file(small_site):
    page = pages_by_path(small_site)["persons/to-lam/index.html"]
    assert page.context["site"]["urls"]["home"] == "../../index.html"
    assert page.context["site"]["urls"]["stylesheet"] == "../../css/style.css"
    assert [a["url"] for a in page.context["articles"]] == [
        "../../2024/09/du-dai-hoi-dong/index.html", "../../2024/09/tham-cuba/index.html"]
    assert page.context["page"]["canonical"] is None


def test_links_with_a_base_url_are_pretty_under_its_path(small_site):
    config = SiteConfig(base_url="https://example.org/sub/")
    page = pages_by_path(small_site, config)["2024/09/tham-cuba/index.html"]
    assert page.context["site"]["urls"]["home"] == "/sub/"
    assert page.context["article"]["persons"] == [{"name": "Tô Lâm", "url": "/sub/persons/to-lam/"}]
    assert page.context["page"]["canonical"] == "https://example.org/sub/2024/09/tham-cuba/"


def test_the_link_rule():
    relative = Links("")
    assert relative.href("index.html", "") == "index.html"
    assert relative.href("a/b/index.html", "") == "../../index.html"
    assert relative.href("a/b/index.html", "a/c/") == "../../a/c/index.html"  # up to the root, then down
    assert relative.href("404.html", "css/style.css") == "css/style.css"
    assert relative.href("a/b/index.html", "a/b/") == "../../a/b/index.html"
    assert relative.href("a/index.html", "a/b/c.css") == "../a/b/c.css"
    assert relative.href("a/b/index.html", "a/") == "../../a/index.html"
    assert Links("/sub/").href("a/b/index.html", "persons/to-lam/") == "/sub/persons/to-lam/"
    assert Links("/").href("x/index.html", "ảnh đẹp.jpg") == "/%E1%BA%A3nh%20%C4%91%E1%BA%B9p.jpg"
    assert Links("/l%C6%B0u/").href("index.html", "a b/") == "/l%C6%B0u/a%20b/"


def test_article_contexts_are_plain_data(small_site):
    context = pages_by_path(small_site)["2024/09/du-dai-hoi-dong/index.html"].context
    assert context["article"]["date"] == "2024-09-23T07:00:00+07:00"
    assert context["article"]["persons"] == [
        {"name": "Tô Lâm", "url": "../../../persons/to-lam/index.html"},
        {"name": "Ngô Phương Ly", "url": "../../../persons/ngo-phuong-ly/index.html"},
    ]
    assert context["page"]["kind"] == "article"

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, int, float, bool))
    assert plain(context)


def test_event_pages_show_parent_children_and_people(small_site):
    pages = pages_by_path(small_site)
    trip = pages["events/trip/index.html"].context["event"]
    assert [c["name"] for c in trip["children"]] == ["Thăm Cuba"]
    assert trip["count"] == 1  # the Cuba article, through its sub-event
    cuba = pages["events/cuba/index.html"].context["event"]
    assert cuba["parent"]["url"] == "../../events/trip/index.html"
    assert [p["name"] for p in cuba["persons"]] == ["Tô Lâm"]
    assert [c["name"] for c in cuba["trail"]] == ["Chuyến công tác"]
    years = pages["events/index.html"].context["events"]
    assert [(y["year"], [(e["name"], [c["name"] for c in e["children"]]) for e in y["events"]]) for y in years] == \
        [(2024, [("Chuyến công tác", ["Thăm Cuba"])])]


def test_lists_are_paginated(site):
    files = {f"content/articles/a{n}.md": article(f"Bài {n}", f"2024-09-{n:02d}", persons="[X]") for n in range(1, 6)}
    pages = pages_by_path(site(files), SiteConfig(per_page=2))
    assert {"index.html", "page/2/index.html", "page/3/index.html", "persons/x/page/3/index.html"} <= set(pages)
    second = pages["page/2/index.html"].context["page"]["pagination"]
    assert (second["number"], second["count"]) == (2, 3)
    assert second["previous"] == "../../index.html" and second["next"] == "../../page/3/index.html"
    assert [a["title"] for a in pages["page/2/index.html"].context["articles"]] == ["Bài 3", "Bài 2"]
    # entity pages run in time order: oldest first
    assert [a["title"] for a in pages["persons/x/index.html"].context["articles"]] == ["Bài 1", "Bài 2"]


def test_two_articles_in_one_month_with_one_slug_fail_naming_both(site):
    site_dir = site({
        "content/articles/a.md": article("Tô Lâm thăm Cuba", "2024-09-25"),
        "content/articles/b.md": article("To Lam tham Cuba", "2024-09-26"),
        "content/articles/c.md": article("To Lam tham Cuba", "2024-10-26"),
    })
    with pytest.raises(BuildFailed) as failure:
        plan(archive_of(site_dir), SiteConfig())
    (problem,) = failure.value.problems
    assert "content/articles/a.md" in problem.message and "content/articles/b.md" in problem.message
    assert "2024/09/to-lam-tham-cuba/index.html" in problem.message


def test_permalinks_are_configurable(small_site):
    config = SiteConfig(permalinks=Permalinks(article="tin/{year}/{month}/{day}/{slug}/", person="nhan-vat/{id}/"))
    pages = pages_by_path(small_site, config)
    assert "tin/2024/09/26/tham-cuba/index.html" in pages
    assert "nhan-vat/to-lam/index.html" in pages


def test_a_long_list_shows_a_window_of_page_numbers():
    from newsgen.plan_views import page_window
    assert page_window(1, 3) == [1, 2, 3]
    assert page_window(1, 100) == [1, 2, 3, 0, 99, 100]
    assert page_window(50, 100) == [1, 2, 0, 48, 49, 50, 51, 52, 0, 99, 100]
    assert page_window(5, 8) == [1, 2, 3, 4, 5, 6, 7, 8]


# -- feeds, sitemaps, robots.txt, metadata -------------------------------------

BASE = SiteConfig(base_url="https://example.org/sub/")


def test_without_a_base_url_no_feed_or_sitemap_is_planned_and_a_warning_says_why(small_site):
    config = SiteConfig()
    result = plan(archive_of(small_site, config), config)
    assert not [p.relpath for p in result.pages if not p.relpath.endswith(".html")]
    assert len(result.warnings) == 1 and "base_url" in result.warnings[0]
    assert all(p.context["page"]["feeds"] == [] for p in result.pages if p.relpath.endswith(".html"))


def test_under_a_base_url_feeds_sitemap_and_robots_are_pages(small_site):
    result = plan(archive_of(small_site, BASE), BASE)
    files = sorted(p.relpath for p in result.pages if not p.relpath.endswith(".html"))
    assert files == [
        "events/cuba/feed.xml", "events/cuba/rss.xml", "events/trip/feed.xml", "events/trip/rss.xml",
        "feed.xml", "persons/ngo-phuong-ly/feed.xml", "persons/ngo-phuong-ly/rss.xml",
        "persons/to-lam/feed.xml", "persons/to-lam/rss.xml", "robots.txt", "rss.xml", "sitemap.xml",
    ]
    assert result.warnings == ()
    templates = {p.relpath: p.template for p in result.pages}
    assert (templates["feed.xml"], templates["rss.xml"], templates["sitemap.xml"]) == ("atom.xml", "rss.xml", "sitemap.xml")
    robots = next(p for p in result.pages if p.relpath == "robots.txt").context["robots"]
    assert robots == {"sitemaps": ["https://example.org/sub/sitemap.xml"]}


def test_a_feed_holds_the_newest_entries_and_is_as_new_as_they_are(small_site):
    config = SiteConfig(base_url="https://example.org/sub/", feed_entries=2)
    pages = pages_by_path(small_site, config)
    feed = pages["feed.xml"].context["feed"]
    assert [e["title"] for e in feed["entries"]] == ["Ký kết", "Thăm Cuba"]
    assert feed["updated"] == "2024-10-02T00:00:00+07:00"
    assert feed["updated_rfc822"] == "Wed, 02 Oct 2024 00:00:00 +0700"
    assert (feed["id"], feed["atom_url"]) == ("https://example.org/sub/feed.xml",) * 2
    assert feed["rss_url"] == "https://example.org/sub/rss.xml" and feed["page_url"] == "https://example.org/sub/"
    assert pages["rss.xml"].context["feed"] == feed
    # the event's feed includes its sub-events' articles, as its page does
    trip = pages["events/trip/feed.xml"].context["feed"]
    assert [e["title"] for e in trip["entries"]] == ["Thăm Cuba"]
    assert trip["title"] == "Chuyến công tác – newsgen" and trip["page_url"] == "https://example.org/sub/events/trip/"


def test_a_feed_entry_is_plain_data_with_absolute_addresses(small_site):
    pages = pages_by_path(small_site, BASE)
    (entry,) = [e for e in pages["feed.xml"].context["feed"]["entries"] if e["title"] == "Thăm Cuba"]
    assert entry["id"] == entry["url"] == "https://example.org/sub/2024/09/tham-cuba/"
    assert (entry["published"], entry["updated"]) == ("2024-09-26T00:00:00+07:00",) * 2
    assert entry["published_rfc822"] == "Thu, 26 Sep 2024 00:00:00 +0700"
    feed = pages["feed.xml"]
    assert entry["body"] in feed.bodies  # the HTML itself is fetched by render
    assert entry["categories"] == [
        {"term": "to-lam", "label": "Tô Lâm", "scheme": "https://example.org/sub/persons/"},
        {"term": "cuba", "label": "Thăm Cuba", "scheme": "https://example.org/sub/events/"},
    ]


def test_a_feed_without_entries_has_a_fixed_date_not_the_clock(site):
    pages = pages_by_path(site({"content/persons/x.md": "---\nname: X\n---\n"}), BASE)
    for path in ["feed.xml", "persons/x/feed.xml"]:
        feed = pages[path].context["feed"]
        assert (feed["entries"], feed["updated"]) == ([], "1970-01-01T00:00:00+00:00")


def test_pages_announce_their_own_feeds_before_the_site_feeds(small_site):
    pages = pages_by_path(small_site, BASE)
    assert [(f["format"], f["url"]) for f in pages["persons/to-lam/index.html"].context["page"]["feeds"]] == [
        ("Atom", "/sub/persons/to-lam/feed.xml"), ("RSS", "/sub/persons/to-lam/rss.xml"),
        ("Atom", "/sub/feed.xml"), ("RSS", "/sub/rss.xml"),
    ]
    assert [f["url"] for f in pages["archive/index.html"].context["page"]["feeds"]] == ["/sub/feed.xml", "/sub/rss.xml"]


def test_the_sitemap_lists_every_html_page_but_404_with_its_last_change(small_site):
    pages = pages_by_path(small_site, BASE)
    urls = pages["sitemap.xml"].context["sitemap"]["urls"]
    html_pages = [path for path in pages if path.endswith("index.html") and path != "search/index.html"]
    assert sorted(u["loc"] for u in urls) == sorted("https://example.org/sub/" + p[: -len("index.html")] for p in html_pages)
    lastmod = {u["loc"].removeprefix("https://example.org/sub/"): u["lastmod"] for u in urls}
    assert lastmod[""] == lastmod["persons/"] == "2024-10-02T00:00:00+07:00"
    assert lastmod["2024/09/du-dai-hoi-dong/"] == "2024-09-23T07:00:00+07:00"
    assert lastmod["persons/to-lam/"] == lastmod["archive/2024/09/"] == "2024-09-26T00:00:00+07:00"
    assert lastmod["events/trip/"] == "2024-09-26T00:00:00+07:00"  # through its sub-event


def test_an_updated_article_is_as_new_as_its_correction(site):
    pages = pages_by_path(site({"content/articles/a.md": article("A", "2024-09-22", updated="2024-09-30T10:00:00")}), BASE)
    lastmod = {u["loc"]: u["lastmod"] for u in pages["sitemap.xml"].context["sitemap"]["urls"]}
    assert lastmod["https://example.org/sub/2024/09/a/"] == "2024-09-30T10:00:00+07:00"
    assert pages["feed.xml"].context["feed"]["updated"] == "2024-09-30T10:00:00+07:00"


def test_too_many_urls_split_the_sitemap_under_an_index(small_site):
    config = SiteConfig(base_url="https://example.org/sub/", sitemap_max_urls=5)
    pages = pages_by_path(small_site, config)
    index = pages["sitemap.xml"]
    assert index.template == "sitemap_index.xml"
    parts = index.context["sitemap_index"]["sitemaps"]
    assert [p["loc"] for p in parts] == [f"https://example.org/sub/sitemap-{n}.xml" for n in (1, 2, 3)]
    sizes = [len(pages[f"sitemap-{n}.xml"].context["sitemap"]["urls"]) for n in (1, 2, 3)]
    assert sizes == [5, 5, 4]  # the 14 HTML pages but 404.html
    assert parts[0]["lastmod"] == "2024-10-02T00:00:00+07:00"


def test_sitemap_files_split_by_count_and_by_estimated_bytes():
    entries = [{"loc": f"https://example.org/{'a' * 100}/{n}/", "lastmod": None} for n in range(10)]
    assert [len(g) for g in structured.sitemap_groups(entries, max_urls=4)] == [4, 4, 2]
    size = structured.SITEMAP_ENTRY_OVERHEAD + len(entries[0]["loc"])
    by_bytes = structured.sitemap_groups(entries, max_urls=50_000,
                                         max_bytes=structured.SITEMAP_FILE_OVERHEAD + 3 * size)
    assert [len(g) for g in by_bytes] == [3, 3, 3, 1]
    assert structured.sitemap_groups([], max_urls=10) == [[]]
    escaped = [{"loc": "https://example.org/?a&b", "lastmod": None}]  # & is written as &amp;
    one = structured.SITEMAP_FILE_OVERHEAD + structured.SITEMAP_ENTRY_OVERHEAD + len("https://example.org/?a&amp;b")
    assert len(structured.sitemap_groups(escaped * 2, max_urls=10, max_bytes=one)) == 2


def _news_plan(site, now, **config):
    config = SiteConfig(base_url="https://example.org/", news_sitemap=True, **config)
    site_dir = site({
        "content/articles/a.md": article("Cũ", "2024-09-24T23:00:00"),
        "content/articles/b.md": article("Hai ngày trước", "2024-09-25T12:00:00"),
        "content/articles/c.md": article("Hôm nay", "2024-09-27T11:00:00"),
        "content/articles/d.md": article("Sắp đăng", "2024-09-27T13:00:00"),
    })
    return {p.relpath: p for p in plan(archive_of(site_dir, config), config, now=now).pages}


def test_the_news_sitemap_holds_the_two_days_before_now(site):
    pages = _news_plan(site, datetime(2024, 9, 27, 12, 0), news_publication_name="Báo Mẫu")  # naive: the site's zone
    news = pages["sitemap-news.xml"].context["news"]
    assert [a["title"] for a in news["articles"]] == ["Hôm nay", "Hai ngày trước"]
    assert news["articles"][0] == {"loc": "https://example.org/2024/09/hom-nay/",
                                   "publication_date": "2024-09-27T11:00:00+07:00", "title": "Hôm nay"}
    assert (news["name"], news["language"]) == ("Báo Mẫu", "vi")
    assert pages["robots.txt"].context["robots"]["sitemaps"][-1] == "https://example.org/sitemap-news.xml"


def test_the_news_publication_is_the_site_title_by_default_and_now_is_required(site):
    pages = _news_plan(site, datetime(2024, 9, 27, 3, 0, tzinfo=timezone.utc), title="Lưu trữ")  # 10:00 in Hà Nội
    assert pages["sitemap-news.xml"].context["news"]["name"] == "Lưu trữ"
    assert [a["title"] for a in pages["sitemap-news.xml"].context["news"]["articles"]] == ["Hai ngày trước"]
    with pytest.raises(ValueError, match="now"):
        _news_plan(site, None)


def test_the_news_sitemap_holds_at_most_1000_articles(site):
    files = {f"content/articles/a{n}.md": article(f"Tin {n}", f"2024-09-27T{n // 60 % 24:02d}:{n % 60:02d}:00",
                                                  slug=f"tin-{n}")
             for n in range(1001)}
    config = SiteConfig(base_url="https://example.org/", news_sitemap=True)
    result = plan(archive_of(site(files), config), config, now=datetime(2024, 9, 28, 0, 0))
    news = next(p for p in result.pages if p.relpath == "sitemap-news.xml").context["news"]
    assert len(news["articles"]) == 1000
    assert news["articles"][0]["title"] == "Tin 1000"  # the newest ones


def test_article_pages_carry_news_article_data(small_site):
    page = pages_by_path(small_site, BASE)["2024/09/tham-cuba/index.html"].context["page"]
    data = page["json_ld"]
    assert data["@type"] == "NewsArticle" and data["headline"] == "Thăm Cuba"
    assert data["datePublished"] == data["dateModified"] == "2024-09-26T00:00:00+07:00"
    assert data["url"] == data["mainEntityOfPage"]["@id"] == "https://example.org/sub/2024/09/tham-cuba/"
    assert data["about"] == [{"@type": "Event", "name": "Thăm Cuba", "url": "https://example.org/sub/events/cuba/"}]
    assert data["mentions"] == [{"@type": "Person", "name": "Tô Lâm", "url": "https://example.org/sub/persons/to-lam/"}]
    assert data["author"] == [data["publisher"]] == [{"@type": "Organization", "name": "newsgen", "url": "https://example.org/sub/"}]
    assert page["description"] == "Bài viết Thăm Cuba." and page["image"] is None


def test_person_and_event_pages_carry_their_data(small_site):
    pages = pages_by_path(small_site, BASE)
    person = pages["persons/to-lam/index.html"].context["page"]["json_ld"]
    assert person == {"@context": "https://schema.org", "@type": "Person", "name": "Tô Lâm",
                      "url": "https://example.org/sub/persons/to-lam/"}
    event = pages["events/trip/index.html"].context["page"]["json_ld"]
    assert event["startDate"] == "2024-09-21"
    assert event["subEvent"] == [{"@type": "Event", "name": "Thăm Cuba", "url": "https://example.org/sub/events/cuba/"}]
    assert pages["events/cuba/index.html"].context["page"]["json_ld"]["superEvent"]["name"] == "Chuyến công tác"
    assert pages["index.html"].context["page"]["json_ld"] is None


def test_without_a_base_url_json_ld_links_are_relative_and_images_not_shared(site):
    pages = pages_by_path(site({"content/articles/a.md": article("A", "2024-09-22", image="images/a.jpg")}))
    page = pages["2024/09/a/index.html"].context["page"]
    assert page["json_ld"]["url"] == "../../../2024/09/a/index.html"
    assert page["json_ld"]["image"] == ["../../../images/a.jpg"]
    assert page["image"] is None  # OpenGraph wants an absolute address
    assert page["canonical"] is None


def test_the_search_page_and_box_lead_to_one_address(small_site):
    pages = pages_by_path(small_site)
    assert pages["persons/to-lam/index.html"].context["site"]["search"] == {"url": "../../search/index.html"}
    search = pages["search/index.html"].context["search"]
    assert search == {"ui_script": "../pagefind/pagefind-ui.js", "ui_stylesheet": "../pagefind/pagefind-ui.css",
                      "script": "../js/search.js", "root": "../index.html"}
    under = pages_by_path(small_site, SiteConfig(base_url="https://example.org/sub/"))
    assert under["index.html"].context["site"]["search"] == {"url": "/sub/search/"}
    assert under["search/index.html"].context["search"]["ui_script"] == "/sub/pagefind/pagefind-ui.js"


def test_without_search_there_is_no_search_page_and_no_index_folder(small_site):
    config = SiteConfig(search=False)
    result = plan(archive_of(small_site, config), config)
    assert "search/index.html" not in {p.relpath for p in result.pages}
    assert all(p.context["site"]["search"] is None for p in result.pages)
    assert result.search_bundle is None
    assert plan(archive_of(small_site), SiteConfig()).search_bundle == "pagefind/"


def test_nothing_else_may_be_written_into_the_index_folder(site):
    site_dir = site({
        "content/articles/a.md": article("Bài A", "2024-09-22"),
        "static/pagefind/pagefind-ui.js": "/* mine */",
    })
    with pytest.raises(BuildFailed) as failure:
        plan(archive_of(site_dir), SiteConfig(permalinks=Permalinks(persons="pagefind/")))
    assert [(p.path, p.message.split(" ")[0]) for p in failure.value.problems] == [
        ("newsgen.yaml", "pagefind/index.html"), ("static/pagefind/pagefind-ui.js", "pagefind/pagefind-ui.js")]
    config = SiteConfig(search=False, permalinks=Permalinks(persons="pagefind/"))
    assert plan(archive_of(site_dir, config), config).search_bundle is None


def test_only_the_first_page_of_a_person_or_event_lists_the_others(site):
    files = {f"content/articles/{n}.md": article(f"Bài {n}", f"2024-09-{n + 10}", persons="[Tô Lâm]",
                                                 events=f"[Sự kiện {n}]") for n in range(3)}
    for config in (SiteConfig(per_page=2), SiteConfig(per_page=2, base_url="https://example.org/")):
        pages = pages_by_path(site(files), config)
        assert len(pages["persons/to-lam/index.html"].context["person"]["events"]) == 3
        assert pages["persons/to-lam/page/2/index.html"].context["person"]["events"] == []
        assert pages["persons/to-lam/page/2/index.html"].context["person"]["name"] == "Tô Lâm"


def test_the_persons_list_is_grouped_by_initial_in_vietnamese_order(site):
    pages = pages_by_path(site({
        "content/articles/a.md": article("A", "2024-09-21", persons="[Lê Văn Đức, Phạm Dũng, Vũ Ơn, Trần Ân, Nguyễn Văn An, Nguyễn Ân]"),
        "content/articles/b.md": article("B", "2024-09-22", persons="[Trần Ân]"),
    }))
    groups = pages["persons/index.html"].context["persons"]
    assert [(g["letter"], [(p["name"], p["count"]) for p in g["persons"]]) for g in groups] == [
        ("A", [("Nguyễn Văn An", 1)]), ("Â", [("Nguyễn Ân", 1), ("Trần Ân", 2)]), ("D", [("Phạm Dũng", 1)]),
        ("Đ", [("Lê Văn Đức", 1)]), ("Ơ", [("Vũ Ơn", 1)])]
    assert len({g["anchor"] for g in groups}) == len(groups)


def test_an_article_knows_its_place_in_the_archive_and_its_related_articles(small_site):
    pages = pages_by_path(small_site)
    cuba = pages["2024/09/tham-cuba/index.html"].context["article"]
    assert [(step["year"], step["month"], step["url"]) for step in cuba["trail"]] == [
        (2024, None, "../../../archive/2024/index.html"), (2024, 9, "../../../archive/2024/09/index.html")]
    assert [(r["title"], r["url"]) for r in cuba["related"]] == [("Dự Đại hội đồng", "../../../2024/09/du-dai-hoi-dong/index.html")]
    person = pages["persons/to-lam/index.html"].context["person"]
    assert (person["first"][:10], person["last"][:10]) == ("2024-09-23", "2024-09-26")
    assert [(e["name"], e["start"]) for e in person["events"]] == [("Thăm Cuba", None)]


def test_each_page_names_the_articles_whose_documents_it_reads(small_site):
    config = SiteConfig(base_url="https://example.org/")
    archive = index(load_site(small_site, config), shapes=MemoryStore())
    assert [a.title for a in archive.articles] == ["Ký kết", "Thăm Cuba", "Dự Đại hội đồng"]
    site_plan = plan(archive, config, now=datetime(2024, 10, 3, tzinfo=timezone.utc))
    reads = {outline.relpath: outline.recipe().inputs()[1] for outline in site_plan.pages.outlines}
    assert reads["2024/09/tham-cuba/index.html"] == (1, 2)  # itself, and its related article
    assert reads["persons/to-lam/index.html"] == (2, 1)  # its articles, oldest first
    assert reads["persons/index.html"] == () and reads["archive/2024/index.html"] == (2, 1, 0)
    assert reads["sitemap.xml"] is None  # made from every article, beyond what any card shows
    assert site_plan.article_digests == tuple(archive.digests[a.path] for a in archive.articles)
    # The key of everything else pages read: the archive's shape, the settings, the clock.
    assert site_plan.inputs_key and plan(index(load_site(small_site, config)), config, now=datetime(
        2024, 10, 3, tzinfo=timezone.utc)).inputs_key is None
    other = plan(archive, SiteConfig(base_url="https://example.org/", per_page=5),
                 now=datetime(2024, 10, 3, tzinfo=timezone.utc))
    assert other.inputs_key not in (None, site_plan.inputs_key)


def test_laying_out_a_site_makes_no_page_recipe_until_one_is_asked_for(small_site, monkeypatch):
    made = []

    class Counted(PageRecipe):
        def __init__(self, relpath, *args, **kwargs):
            made.append(relpath)
            super().__init__(relpath, *args, **kwargs)

    monkeypatch.setattr(plan_module, "PageRecipe", Counted)
    site_plan = plan(archive_of(small_site), SiteConfig(base_url="https://example.org/"),
                     now=datetime(2024, 10, 3, tzinfo=timezone.utc))
    assert made == []
    article_page = next(o for o in site_plan.pages.outlines if o.relpath == "2024/09/tham-cuba/index.html")
    assert article_page.recipe().make_context()["article"]["title"] == "Thăm Cuba" and made == [article_page.relpath]
    # Every page a cold build renders, feeds and sitemaps included, is made from its outline alone.
    assert [page.relpath for page in site_plan.pages] == [o.relpath for o in site_plan.pages.outlines] == made[1:]


def test_laying_out_a_site_reads_only_its_articles_heads(small_site):
    archive = archive_of(small_site)
    read = []
    deferred = Articles(Deferred(head, lambda n: read.append(n) or archive.articles[n], n)
                        for n, head in enumerate(archive.articles.heads))
    site_plan = plan(replace(archive, articles=deferred), SiteConfig(base_url="https://example.org/"),
                     now=datetime(2024, 10, 3, tzinfo=timezone.utc))
    assert read == [] and len(site_plan.pages.outlines) > len(archive.articles)
    article_page = next(o for o in site_plan.pages.outlines if o.relpath == "2024/09/tham-cuba/index.html")
    assert article_page.recipe().make_context()["article"]["title"] == "Thăm Cuba"
    # The article itself, and the one related to it, whose card its page shows.
    place = [head.path for head in archive.articles.heads].index("content/articles/a.md")
    assert sorted(read) == sorted([place, *archive.related[place]]) and len(read) == 2


def test_a_plan_let_go_of_is_freed_at_once_not_left_to_the_garbage_collector(small_site):
    # While building, the collector looks at young objects only: a cycle through a plan would outlive the build.
    archive = archive_of(small_site)
    gc.collect()
    site_plan = plan(archive, SiteConfig(base_url="https://example.org/"), now=datetime(2024, 10, 3, tzinfo=timezone.utc))
    for outline in site_plan.pages.outlines:
        recipe = outline.recipe()
        recipe.inputs()
        recipe.make_context()
    del site_plan, outline, recipe
    assert gc.collect() == 0
