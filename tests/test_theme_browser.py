"""The default theme judged by real clients: axe-core and Lighthouse in Debian's Chromium, screenshots
at a phone's and a desktop's width, no sideways scrolling on a phone, and a reader's clicks from an
article to a person to an event."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from validators import ARTIFACTS, axe_violations, lighthouse, lighthouse_failures

pytestmark = pytest.mark.browser

ARTICLE = "2024/09/tong-bi-thu-chu-tich-nuoc-to-lam-tiep-chu-tich-boeing-toan-cau-brendan-nelson/"
PERSON = "persons/to-lam/"
EVENT = "events/tuan-le-cap-cao-dai-hoi-dong-lhq-khoa-79/"
PAGES = {"home": "", "article": ARTICLE, "person": PERSON, "event": EVENT, "persons": "persons/", "events": "events/"}
SCREENSHOTS = ARTIFACTS / "screenshots"

# Elements wider than the window, or the page itself scrolling sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5) && !e.closest("[hidden], .visually-hidden, .skip-link");
  }).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + ": " + e.textContent.trim().slice(0, 40));
  return {scroll: document.documentElement.scrollWidth, width, wide};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_serious_or_critical_violation(served_sample, page: Page, name, scheme):
    address, _ = served_sample
    page.emulate_media(color_scheme=scheme)
    page.goto(address + PAGES[name])
    assert axe_violations(page) == []


@pytest.mark.parametrize("name", ["home", "article", "person", "event"])
def test_screenshots_at_a_phones_and_a_desktops_width(served_sample, browser, name):
    address, _ = served_sample
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(address + PAGES[name])
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=path, full_page=True)
        assert path.stat().st_size > 10_000  # a page, not a blank
        context.close()


@pytest.mark.parametrize("width", [360, 375])
@pytest.mark.parametrize("name", PAGES)
def test_nothing_overflows_sideways_on_a_phone(served_sample, browser, name, width):
    address, _ = served_sample
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(address + PAGES[name])
    found = page.evaluate(OVERFLOW)
    context.close()
    assert found["wide"] == [] and found["scroll"] <= found["width"], found


def test_a_reader_clicks_from_an_article_to_a_person_and_on_to_an_event(served_sample, page: Page):
    address, _ = served_sample
    page.goto(address + ARTICLE)
    page.locator(".article-footer").get_by_role("link", name="Brendan Nelson").click()
    expect(page).to_have_url(address + "persons/brendan-nelson/")
    expect(page.locator("h1")).to_have_text("Brendan Nelson")
    page.get_by_role("link", name="Tổng Bí thư, Chủ tịch nước Tô Lâm tiếp Chủ tịch Boeing toàn cầu", exact=True).click()
    expect(page).to_have_url(address + "events/tiep-chu-tich-boeing/")
    expect(page.locator("h1")).to_have_text("Tổng Bí thư, Chủ tịch nước Tô Lâm tiếp Chủ tịch Boeing toàn cầu")
    # up the hierarchy by the breadcrumbs, and back down from the parent to a sub-event
    page.get_by_role("navigation", name="Đường dẫn").get_by_role("link", name="Tuần lễ cấp cao Đại hội đồng Liên hợp quốc Khóa 79").click()
    expect(page).to_have_url(address + EVENT)
    page.locator("#children + .event-list").get_by_role("link", name=re.compile("Boeing")).click()
    expect(page).to_have_url(address + "events/tiep-chu-tich-boeing/")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(served_sample, page: Page):
    address, _ = served_sample
    page.goto(address + ARTICLE)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Chuyển đến nội dung chính")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("name", ["home", "article", "person", "event"])
def test_lighthouse_scores(served_sample, name):
    address, _ = served_sample
    report = ARTIFACTS / "lighthouse" / f"{name}.json"
    scores = lighthouse(address + PAGES[name], report)
    failures = lighthouse_failures(report)
    assert scores["accessibility"] == 100, failures
    assert scores["best-practices"] == 100, failures
    assert scores["seo"] == 100, failures
    assert scores["performance"] >= 95, failures
