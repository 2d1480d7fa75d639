"""Search in a real browser: the sample archive built under a sub-path, served, and searched as a reader would."""

from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import Page, expect

from newsgen.build import build
from newsgen.text import search_fold

from browser import serve
from conftest import REPOSITORY

pytestmark = pytest.mark.browser

UNGA_WEEK = "Tuần lễ cấp cao Đại hội đồng Liên hợp quốc Khóa 79"
BOEING = "Tổng Bí thư, Chủ tịch nước Tô Lâm tiếp Chủ tịch Boeing toàn cầu Brendan Nelson"
ANNIVERSARY = "Tổng Bí thư, Chủ tịch nước Tô Lâm dự lễ kỷ niệm 1 năm Đối tác chiến lược toàn diện Việt Nam – Hoa Kỳ"
ROUNDTABLE = "Toạ đàm tăng cường hợp tác Việt Nam – Hoa Kỳ về bán dẫn và trí tuệ nhân tạo"
CUBA = "Tổng Bí thư, Chủ tịch nước Tô Lâm thăm cấp Nhà nước Cộng hòa Cuba"
DELEGATION = "Bí thư Tỉnh ủy Quảng Trị Lê Quang Tùng cùng đoàn công tác của Tổng Bí thư, Chủ tịch nước tại Hoa Kỳ và Cuba"
LIST_PAGES = {"Tin mới", "Nhân vật", "Sự kiện", "Lưu trữ", "Năm 2024", "Tháng 9 năm 2024", "Tìm kiếm"}


def results(page: Page) -> list[str]:
    """The titles of every result shown for the current search, after loading all of them."""
    expect(page.locator(".pagefind-ui__message")).to_contain_text("kết quả")
    more = page.locator(".pagefind-ui__button")
    while more.count():
        more.click()
    expect(page.locator(".pagefind-ui__result .pagefind-ui__loading")).to_have_count(0)
    count = int(re.match(r"\d+", page.locator(".pagefind-ui__message").inner_text()).group())
    titles = page.locator(".pagefind-ui__result-link").all_inner_texts()
    assert len(titles) == count
    return titles


def search(page: Page, address: str, query: str) -> list[str]:
    """Open the search page, type `query` and return the result titles."""
    page.goto(address + "search/")
    page.locator(".pagefind-ui__search-input").fill(query)
    expect(page.locator(".pagefind-ui__message")).to_contain_text(query)
    return results(page)


def test_queries_with_and_without_marks_find_the_same_pages(served_sample, page):
    address, _ = served_sample
    plain, marked = search(page, address, "dai hoi dong"), search(page, address, "Đại hội đồng")
    assert plain == marked
    assert plain[0] == UNGA_WEEK
    assert {BOEING, ANNIVERSARY, ROUNDTABLE, CUBA} <= set(plain)
    assert not LIST_PAGES & set(plain)


def test_a_person_is_found_typed_either_way(served_sample, page):
    address, _ = served_sample
    plain, marked = search(page, address, "to lam"), search(page, address, "Tô Lâm")
    assert plain == marked
    assert {"Tô Lâm", BOEING, ANNIVERSARY, CUBA, "Chuyến công tác Hoa Kỳ và Cuba của Tổng Bí thư, Chủ tịch nước Tô Lâm"} \
        <= set(plain)
    assert not LIST_PAGES & set(plain)
    assert len(plain) == len(set(plain)), "a person's page 2 must not be a second result"


def test_old_and_new_tone_placement_find_the_same_pages(served_sample, page):
    address, _ = served_sample
    assert search(page, address, "khóa") == search(page, address, "khoá")


def test_a_word_with_đ_only_in_the_body_is_found_typed_either_way(served_sample, page):
    address, _ = served_sample
    plain, marked = search(page, address, "tuong dai"), search(page, address, "tượng đài")
    assert plain == marked
    assert {CUBA, DELEGATION} <= set(plain)


def test_a_person_filter_narrows_the_results(served_sample, page):
    address, _ = served_sample
    everyone = search(page, address, "Tô Lâm")
    page.locator(".pagefind-ui__filter-name", has_text="Nhân vật").click()
    page.locator(".pagefind-ui__filter-label", has_text="Brendan Nelson").click()
    expect(page.locator(".pagefind-ui__message")).not_to_contain_text(f"{len(everyone)} kết quả")
    narrowed = results(page)
    assert BOEING in narrowed and "Brendan Nelson" in narrowed
    assert set(narrowed) < set(everyone)
    for tag in page.locator(".pagefind-ui__result-tag", has_text="Nhân vật:").all_inner_texts():
        assert "Brendan Nelson" in tag


def test_a_result_shows_its_date_in_vietnamese_and_its_persons(served_sample, page):
    address, _ = served_sample
    search(page, address, "Boeing")
    result = page.locator(".pagefind-ui__result", has_text=BOEING)
    tags = result.locator(".pagefind-ui__result-tag").all_inner_texts()
    assert "Ngày: Thứ Hai, 23 tháng 9, 2024" in tags
    assert "Nhân vật: Tô Lâm, Brendan Nelson" in tags
    result.locator(".pagefind-ui__result-link").click()
    expect(page).to_have_url(re.compile(r"/luu-tru/2024/09/tong-bi-thu-chu-tich-nuoc-to-lam-tiep-chu-tich-boeing"))
    expect(page.locator("h1")).to_have_text(BOEING)


def test_the_header_box_leads_to_the_results(served_sample, page):
    address, _ = served_sample
    page.goto(address + "persons/to-lam/")
    page.locator(".site-search input").fill("Cuba")
    page.locator(".site-search button").click()
    expect(page).to_have_url(address + "search/?q=Cuba")
    assert CUBA in results(page)
    expect(page.locator(".pagefind-ui__search-input")).to_have_value("Cuba")


def test_the_search_page_asks_for_nothing_outside_the_site(served_sample, page):
    address, _ = served_sample
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    search(page, address, "Cuba")
    assert asked and all(url.startswith(address) for url in asked), [u for u in asked if not u.startswith(address)]


def test_a_site_built_without_base_url_searches_wherever_it_is_served(page, tmp_path):
    out = tmp_path / "public"
    build(REPOSITORY, out, jobs=1, cache_dir=out.parent / "cache")
    with serve(out, "/mot/noi/khac/") as address:
        page.goto(address + "search/index.html?q=Boeing")
        assert BOEING in results(page)
        page.locator(".pagefind-ui__result-link", has_text=BOEING).click()
        expect(page.locator("h1")).to_have_text(BOEING)
        assert page.url.startswith(address + "2024/09/")


def test_opened_from_disk_the_search_page_says_why_it_cannot_search(page, tmp_path):
    out = tmp_path / "public"
    build(REPOSITORY, out, jobs=1, cache_dir=out.parent / "cache")
    page.goto((out / "index.html").as_uri())
    page.locator(".site-search input").fill("Tô Lâm")
    page.locator(".site-search button").click()
    expect(page).to_have_url(re.compile(r"/search/index\.html\?q="))
    expect(page.locator("[data-when=from-disk]")).to_be_visible()
    expect(page.locator("[data-when=no-script]")).to_be_hidden()


def test_the_page_folds_queries_exactly_as_the_index_is_folded(served_sample, page):
    address, _ = served_sample
    words = ["Đại hội đồng", "ĐẠI HỘI ĐỒNG", "khóa", "khoá", "Khoá", "hòa", "hoà", "Thuỷ", "Thủy", "Tô Lâm", "Lê Quang Tùng",
             "Ngô Phương Ly", "Miguel Díaz-Canel Bermúdez", "José Ángel Portal Miranda", "Nguyễn", "ưu đãi", "Ơn",
             "Đà Nẵng", "Quảng Trị", "Straße", "İstanbul", "ΟΔΟΣ", "Øresund", "Łódź", "Ærø", "ﬁ", "Ǆ", "10ᵉ"]
    words += [unicodedata.normalize("NFD", w) for w in words]
    page.goto(address + "search/")
    folded_in_browser = page.evaluate("words => words.map(searchFold)", words)
    assert folded_in_browser == [search_fold(w) for w in words]
