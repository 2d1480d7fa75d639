"""Stage 3, plan: output paths, links for disk and for a sub-path, pagination, collisions."""

import pytest

from newsgen.config import Permalinks, SiteConfig
from newsgen.model import BuildFailed
from newsgen.plan import Links, plan

from conftest import archive_of, article


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
    assert relative.href("a/b/index.html", "a/c/") == "../c/index.html"
    assert relative.href("404.html", "css/style.css") == "css/style.css"
    assert relative.href("a/b/index.html", "a/b/") == "index.html"
    assert relative.href("a/index.html", "a/b/c.css") == "b/c.css"
    assert relative.href("a/b/index.html", "a/") == "../index.html"
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
    assert cuba["parent"]["url"] == "../trip/index.html"
    assert [p["name"] for p in cuba["persons"]] == ["Tô Lâm"]
    tree = pages["events/index.html"].context["events"]
    assert [(e["name"], e["depth"]) for e in tree] == [("Chuyến công tác", 0), ("Thăm Cuba", 1)]


def test_lists_are_paginated(site):
    files = {f"content/articles/a{n}.md": article(f"Bài {n}", f"2024-09-{n:02d}", persons="[X]") for n in range(1, 6)}
    pages = pages_by_path(site(files), SiteConfig(per_page=2))
    assert {"index.html", "page/2/index.html", "page/3/index.html", "persons/x/page/3/index.html"} <= set(pages)
    second = pages["page/2/index.html"].context["page"]["pagination"]
    assert (second["number"], second["count"]) == (2, 3)
    assert second["previous"] == "../../index.html" and second["next"] == "../3/index.html"
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
