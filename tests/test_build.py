"""End to end: real sites built by build() and by the command line."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from newsgen import build as build_module
from newsgen.build import build
from newsgen.cli import main
from newsgen.cache import Cache
from newsgen.model import BuildFailed

from conftest import REPOSITORY, article, write_files


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.found.append(value)


def internal_links(html_file: Path) -> list[str]:
    parser = _Links()
    parser.feed(html_file.read_text(encoding="utf-8"))
    return [link for link in parser.found if not urlsplit(link).scheme and not link.startswith("#")]


def broken_links(out: Path, base_path: str = "") -> list[str]:
    """Every internal link of every page that does not lead to a file of the output."""
    broken = []
    for page in sorted(out.rglob("*.html")):
        for link in internal_links(page):
            path = unquote(urlsplit(link).path)
            if base_path:
                ok = path.startswith(base_path)
                target = out / path[len(base_path):]
                target = target / "index.html" if path.endswith("/") else target
            else:
                ok = not path.startswith("/") and not path.endswith("/")
                target = page.parent / path
            if not ok or not target.resolve().is_file() or not target.resolve().is_relative_to(out.resolve()):
                broken.append(f"{page.relative_to(out)} -> {link}")
    return broken


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "public"
    report = build(REPOSITORY, out, jobs=1, cache_dir=out.parent / "cache")
    assert report.articles >= 6 and report.persons >= 8 and report.events >= 6
    return out


def test_the_sample_has_every_kind_of_page(sample):
    for relpath in ["index.html", "page/2/index.html", "persons/index.html", "persons/to-lam/index.html",
                    "events/index.html", "events/chuyen-cong-tac-hoa-ky-cuba-2024/index.html",
                    "archive/index.html", "archive/2024/index.html", "archive/2024/09/index.html",
                    "404.html", "css/style.css", "search/index.html", "js/search.js",
                    "pagefind/pagefind-entry.json", "pagefind/pagefind-ui.js"]:
        assert (sample / relpath).is_file(), relpath
    assert len(list(sample.glob("2024/*/*/index.html"))) >= 6
    home = (sample / "index.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in home
    assert "tháng" in home  # dates in Vietnamese


def test_every_internal_link_resolves_from_disk(sample):
    assert broken_links(sample) == []


def test_every_internal_link_resolves_under_a_sub_path(tmp_path):
    out = tmp_path / "public"
    build(REPOSITORY, out, base_url="https://example.org/luu-tru/", jobs=1, cache_dir=tmp_path / "cache")
    assert broken_links(out, "/luu-tru/") == []
    page = (out / "persons/to-lam/index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/luu-tru/persons/to-lam/">' in page


def test_no_page_asks_for_anything_outside_the_site(sample):
    for page in sample.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'src="http' not in html and "@import" not in html, page
        assert not [l for l in _all_links(page) if l.startswith("//")], page
        # JSON-LD is data, not a program; the search page alone runs scripts, the site's own
        scripts = [s for s in re.findall(r"<script\b[^>]*>", html) if s != '<script type="application/ld+json">']
        assert html.count('<script type="application/ld+json">') <= 1, page
        if page.relative_to(sample).as_posix() == "search/index.html":
            assert scripts == ['<script src="../pagefind/pagefind-ui.js">', '<script src="../js/search.js">']
        else:
            assert scripts == [], page


def _all_links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def test_two_builds_are_byte_identical_whatever_the_jobs(sample, tmp_path):
    build(REPOSITORY, tmp_path / "again", jobs=2, cache_dir=tmp_path / "cache")
    assert tree(tmp_path / "again") == tree(sample)


def test_a_rebuild_writes_nothing_when_nothing_changed(tmp_path):
    out = tmp_path / "public"
    first = build(REPOSITORY, out, jobs=1, cache_dir=tmp_path / "cache")
    second = build(REPOSITORY, out, jobs=1, cache_dir=tmp_path / "cache")
    static = [p for p in (REPOSITORY / "static").rglob("*") if p.is_file()]
    bundle = [p for p in (out / "pagefind").rglob("*") if p.is_file()]
    assert first.files_written == first.pages_rendered + len(static) + len(bundle)
    assert (first.documents_cached, first.pages_cached) == (0, 0)
    assert (second.files_written, second.files_unchanged) == (0, first.files_written)
    assert (second.documents_parsed, second.pages_rendered) == (0, 0)
    assert (second.documents_cached, second.pages_cached) == (first.documents_parsed, first.pages_rendered)


def test_the_index_holds_articles_persons_and_events_and_nothing_else(sample):
    entry = json.loads((sample / "pagefind/pagefind-entry.json").read_bytes())
    assert entry["version"] == "1.5.2"
    assert entry["languages"]["vi"]["page_count"] == 6 + 8 + 8  # articles, persons, events: page 1 of each
    marked = {p.relative_to(sample).as_posix() for p in sample.rglob("*.html")
              if "data-pagefind-body" in p.read_text(encoding="utf-8")}
    assert len(marked) == 6 + 8 + 8
    assert all(re.match(r"(2024/\d\d/[a-z0-9-]+|persons/[a-z0-9-]+|events/[a-z0-9-]+)/index\.html$", m) for m in marked)


def test_pages_carry_a_hidden_folded_copy_and_their_filters(sample):
    html = (sample / "2024/09/tong-bi-thu-chu-tich-nuoc-to-lam-tiep-chu-tich-boeing-toan-cau-brendan-nelson/index.html"
            ).read_text(encoding="utf-8")
    copy = re.search(r'<div class="search-copy" hidden aria-hidden="true"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "<p>tuan le cap cao dai hoi dong lien hop quoc khoa 79</p>" in copy
    assert "<p>to lam</p>" in copy and "<p>brendan nelson</p>" in copy
    assert '<span data-pagefind-filter="Nhân vật">Brendan Nelson</span>' in html
    assert '<span data-pagefind-filter="Năm">2024</span>' in html
    assert '<span data-pagefind-meta="Ngày">Thứ Hai, 23 tháng 9, 2024</span>' in html
    person = (sample / "persons/to-lam/index.html").read_text(encoding="utf-8")
    assert "<p>tong bi thu to lam</p>" in person
    assert "data-pagefind-body" not in (sample / "persons/to-lam/page/2/index.html").read_text(encoding="utf-8")


def test_without_search_there_is_no_index_no_page_and_no_box(site, tmp_path):
    site_dir = site({"newsgen.yaml": "search: false\n",
                     "content/articles/a.md": article("Đại hội đồng", "2024-09-22", persons="[Tô Lâm]")})
    build(site_dir, tmp_path / "out")
    assert not (tmp_path / "out/pagefind").exists() and not (tmp_path / "out/search").exists()
    for page in (tmp_path / "out").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "pagefind" not in html and "site-search" not in html and "search-copy" not in html, page


def test_a_missing_search_indexer_fails_the_build_and_writes_nothing(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    result = run_cli("build", str(site_dir), env={"PAGEFIND_BINARY_PATH": str(tmp_path / "no-pagefind")})
    assert result.returncode == 1
    assert result.stderr == (
        f"newsgen: the search indexer Pagefind is not installed ({tmp_path / 'no-pagefind'} does not exist): "
        "reinstall newsgen with its dependencies (pagefind[bin]), or set 'search: false' in newsgen.yaml; "
        "nothing was written\n")
    assert not (site_dir / "public").exists()


def test_a_failed_build_leaves_the_previous_output_untouched(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    out = tmp_path / "out"
    build(site_dir, out)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*") if p.is_file()}
    write_files(site_dir, {
        "content/articles/a.md": article("Bài A đã sửa", "2024-09-22"),
        "content/articles/b.md": "---\ntitle: B\ndate: hôm qua\n---\n",
    })
    with pytest.raises(BuildFailed):
        build(site_dir, out)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_a_build_waits_while_another_uses_the_cache_then_builds(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    out, stages, reports = tmp_path / "out", [], []
    other = Cache(site_dir / ".newsgen/cache.sqlite", "another build")
    builder = threading.Thread(target=lambda: reports.append(build(site_dir, out, jobs=1, progress=stages.append)))
    builder.start()
    while builder.is_alive() and not stages:
        time.sleep(0.01)
    assert stages == ["wait"]
    assert not out.exists()
    other.close()
    builder.join(60)
    assert reports[0].files_written > 0 and stages[1:3] == ["config", "load"]


def test_two_builds_of_one_site_at_once_both_succeed_one_after_the_other(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22", persons="[Tô Lâm]")})
    other = Cache(site_dir / ".newsgen/cache.sqlite", "another build")
    command = [sys.executable, "-m", "newsgen", "build", str(site_dir), "-o"]
    builds = [subprocess.Popen([*command, str(tmp_path / name)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, encoding="utf-8") for name in ("one", "two")]
    # Without a terminal only the wait is shown: a build that seems to hang says why.
    for process in builds:
        assert process.stderr.readline() == ("newsgen: a build or deploy of this site is running: "
                                             "waiting for it to finish…\n")
    other.close()
    for process in builds:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert stdout.startswith("newsgen: built 1 articles"), stdout
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_a_cache_that_cannot_be_made_exits_1_naming_it_and_writes_nothing(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22"), ".newsgen": "a file, not a folder"})
    result = run_cli("build", str(site_dir), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr == (f"newsgen: {site_dir / '.newsgen/cache.sqlite'}: the build cache failed: "
                             f"{site_dir / '.newsgen'} is not a folder; mend that and build again, "
                             f"or build with --no-cache\n")
    assert not (tmp_path / "out").exists()
    assert run_cli("build", str(site_dir), "-o", str(tmp_path / "out"), "--no-cache").returncode == 0


def test_a_template_that_is_a_link_to_nothing_is_let_be_until_a_page_needs_it(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    (site_dir / "templates").mkdir()
    (site_dir / "templates/unused.html").symlink_to(site_dir / "moved-away.html")
    assert build(site_dir, tmp_path / "out", jobs=1).files_written > 0


def test_a_site_with_only_content_builds_with_the_packaged_theme(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("Chỉ có nội dung", "2024-09-22", persons="[Tô Lâm]")})
    build(site_dir, tmp_path / "out")
    assert "Chỉ có nội dung" in (tmp_path / "out/index.html").read_text(encoding="utf-8")
    assert (tmp_path / "out/persons/to-lam/index.html").is_file()
    assert (tmp_path / "out/css/style.css").is_file()


def test_an_empty_site_builds(site, tmp_path):
    build(site({"content/articles/.keep": ""}), tmp_path / "out")
    assert "Chưa có bài viết nào" in (tmp_path / "out/index.html").read_text(encoding="utf-8")


def test_a_hostile_title_stays_text(site, tmp_path):
    site_dir = site({"content/articles/a.md": article('"</title><script>alert(1)</script>"', "2024-09-22",
                                                     persons='["<img src=x onerror=alert(1)>"]')})
    build(site_dir, tmp_path / "out")
    for page in (tmp_path / "out").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "<script>" not in html and "<img src=x" not in html, page


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newsgen", *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", env={**os.environ, **(env or {})})


def test_the_command_line_builds_and_summarises(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    result = run_cli("build", str(site_dir), "-o", str(tmp_path / "out"), "--base-url", "https://example.org/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("newsgen: built 1 articles, 0 persons, 0 events: ")
    assert "files written" in result.stdout
    assert '<link rel="canonical" href="https://example.org/">' in (tmp_path / "out/index.html").read_text(encoding="utf-8")


def test_a_build_stopped_by_ctrl_c_says_so_exits_130_and_its_folder_is_not_deployed(site, tmp_path, monkeypatch,
                                                                                     capsys):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    build(site_dir, jobs=1)
    write_files(site_dir, {"content/articles/a.md": article("A, sửa lại", "2024-09-22")})

    def pressed(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(build_module, "render", pressed)
    assert main(["build", str(site_dir)]) == 130
    assert capsys.readouterr().err == "newsgen: stopped; build again before deploying\n"
    assert main(["deploy", str(site_dir), "--to", str(tmp_path / "www"), "--force"]) == 1
    assert "failed or was stopped" in capsys.readouterr().err


def test_check_writes_nothing(site):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    result = run_cli("check", str(site_dir))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "newsgen: checked 1 articles, 0 persons, 0 events and 9 pages: no problems\n"
    assert not (site_dir / "public").exists()


def test_content_errors_exit_1_with_path_and_line(site):
    site_dir = site({"content/articles/a.md": "---\ntitle: A\ndate: 2024-13-01\n---\n"})
    result = run_cli("build", ".", cwd=site_dir)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == \
        "content/articles/a.md:3: 'date' is not a valid ISO 8601 date or date-time: '2024-13-01'"
    assert not (site_dir / "public").exists()


def test_a_file_the_file_system_refuses_exits_1_naming_it(site):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    (site_dir / "public").mkdir()
    (site_dir / "public/persons").write_text("a file where a folder should be")
    result = run_cli("build", ".", cwd=site_dir)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"newsgen: {(site_dir / 'public/persons/index.html').resolve()}: cannot write it: Not a directory; "
        "the files written before it hold this build, the others the last one's")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["build", "/no/such/site"], ["build", "--jobs", "0"],
                                  ["build", "--base-url", "example.org"], ["frobnicate"], []])
def test_usage_errors_exit_2(args):
    assert run_cli(*args).returncode == 2


def test_a_folder_without_content_is_not_taken_for_a_site(tmp_path):
    result = run_cli("build", str(tmp_path))
    assert result.returncode == 2
    assert "has no content/ folder and no newsgen.yaml" in result.stderr
    assert not (tmp_path / "public").exists()


def test_an_output_folder_over_the_sources_is_refused(site):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    result = run_cli("build", str(site_dir), "-o", str(site_dir))
    assert result.returncode == 2
    assert "must not contain or lie inside the site's sources" in result.stderr


def test_the_wheel_carries_the_theme_and_builds_a_bare_site(site, tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(REPOSITORY)], check=True)
    (wheel,) = wheels.glob("newsgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "newsgen/theme/templates/base.html" in names
    assert "newsgen/theme/static/css/style.css" in names
    assert "newsgen/theme/templates/locale/vi/LC_MESSAGES/messages.po" in names
    assert not [n for n in names if n.startswith("content/")]
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    site_dir = site({"content/articles/a.md": article("Từ gói cài đặt", "2024-09-22")})
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    code = ("import newsgen.theme as t, sys; print(t.default_theme_dir()); "
            "from newsgen.cli import main; sys.exit(main(['build', sys.argv[1], '-q']))")
    result = subprocess.run([sys.executable, "-c", code, str(site_dir)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(unpacked / "newsgen" / "theme")
    home = (site_dir / "public/index.html").read_text(encoding="utf-8")
    assert "Từ gói cài đặt" in home and ">Tin mới</a>" in home  # the theme's words from its catalogue
