"""Live reload in a real browser: a page open on `newsgen serve` follows edits, errors and fixes by itself."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from test_serve import BOEING, sample_files, serving

pytestmark = pytest.mark.browser

# Playwright's own polling, bounded: long enough for a rebuild on a busy machine.
WAIT_MS = 30_000


def test_an_open_page_reloads_itself_after_an_edit_an_error_and_the_fix(site, page):
    site_dir = site(sample_files())
    with serving(site_dir) as server:
        page.goto(server.address + "2024/09/tiep-chu-tich-boeing/")
        expect(page.locator("h1")).to_have_text("Tiếp Chủ tịch Boeing")
        page.evaluate("window.newsgenMark = 'still the first load'")
        assert page.evaluate("window.newsgenMark") == "still the first load"

        boeing = site_dir / BOEING
        good = boeing.read_text(encoding="utf-8")
        boeing.write_text(good + "\nMáy bay Boeing 737 MAX.\n", encoding="utf-8")
        expect(page.locator("article")).to_contain_text("Máy bay Boeing 737 MAX.", timeout=WAIT_MS)
        assert page.evaluate("window.newsgenMark") is None  # a new document: the page reloaded itself

        boeing.write_text(good.replace("title: Tiếp Chủ tịch Boeing", "title: [Tiếp"), encoding="utf-8")
        expect(page.locator("h1")).to_have_text("The build failed", timeout=WAIT_MS)
        expect(page.locator(".newsgen-problems li")).to_contain_text("content/articles/2024/09/boeing.md:3: invalid YAML")

        boeing.write_text(good.replace("Bài viết", "Đã sửa: bài viết"), encoding="utf-8")
        expect(page.locator("h1")).to_have_text("Tiếp Chủ tịch Boeing", timeout=WAIT_MS)
        expect(page.locator("article")).to_contain_text("Đã sửa: bài viết")
