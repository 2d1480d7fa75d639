"""Incremental builds: after any change, a build that finds its answers in the cache gives the bytes of a cold build."""

from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsgen import document_chunks
from newsgen.build import build
from newsgen.cache import WRITING, output_record
from newsgen.cli import main
from newsgen.model import BuildFailed
from newsgen.theme import default_theme_dir

from conftest import REPOSITORY, article

BOEING = "content/articles/2024/09/tiep-chu-tich-boeing-toan-cau-brendan-nelson.md"
TO_LAM = "content/persons/to-lam.md"
USABC = "Tọa đàm doanh nghiệp USABC – USCC – BCIU"


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(site_dir: Path, relpath: str, old: str, new: str) -> None:
    path = site_dir / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relpath}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def override_template(site_dir: Path, name: str, old: str, new: str) -> None:
    text = (default_theme_dir() / "templates" / name).read_text(encoding="utf-8")
    assert old in text
    target = site_dir / "templates" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES = {
    "edit an article's body": lambda s: edit(s, BOEING, "## Thúc đẩy", "Một câu mới.\n\n## Thúc đẩy"),
    "change an article's title (and so its URL)": lambda s: edit(
        s, BOEING, 'title: "Tổng Bí thư', 'title: "Tổng Bí thư Tô Lâm gặp Boeing – '),
    "change an article's date (to another month)": lambda s: edit(
        s, BOEING, "date: 2024-09-22T18:00:00-04:00", "date: 2024-10-02T09:00:00+07:00"),
    "delete an article": lambda s: (s / BOEING).unlink(),
    "add an article": lambda s: (s / "content/articles/2024/11/moi.md").parent.mkdir()
    or (s / "content/articles/2024/11/moi.md").write_text(
        article("Bài mới về Tô Lâm", "2024-11-02", persons="[Tô Lâm, Người Mới]"), encoding="utf-8"),
    "rename a person": lambda s: edit(s, TO_LAM, "name: Tô Lâm\naliases:\n", "name: Đồng chí Tô Lâm\naliases:\n  - Tô Lâm\n"),
    "add an alias that merges two events": lambda s: edit(
        s, "content/events/toa-dam-ban-dan-va-tri-tue-nhan-tao.md", "aliases:\n", f"aliases:\n  - {USABC}\n"),
    "delete a person's file": lambda s: (s / "content/persons/brendan-nelson.md").unlink(),
    "change an article's summary": lambda s: edit(s, BOEING, 'summary: "Tiếp ông', 'summary: "Đón ông'),
    "correct an article (add 'updated')": lambda s: edit(s, BOEING, "tags: [", "updated: 2024-12-01\ntags: ["),
    "give an article a picture and its tags": lambda s: edit(
        s, BOEING, "tags: [", "image: /anh/boeing.jpg\nimage_caption: Ông Brendan Nelson\ntags: [hàng không dân dụng, "),
    "change the persons an article names": lambda s: edit(
        s, BOEING, "persons: [tô lâm, Brendan Nelson]", "persons: [Brendan Nelson]"),
    "change a person's roles": lambda s: edit(s, TO_LAM, "    to: 2024-10-21", "    to: 2024-10-22"),
    "change a person's sort name": lambda s: edit(s, "content/persons/brendan-nelson.md",
                                                  'sort_name: "Nelson, Brendan"', 'sort_name: "Brendan"'),
    "rename an event two levels above others": lambda s: edit(
        s, "content/events/chuyen-cong-tac-hoa-ky-cuba-2024.md",
        'name: "Chuyến công tác Hoa Kỳ và Cuba của Tổng Bí thư, Chủ tịch nước Tô Lâm"\naliases:\n',
        'name: Công du Hoa Kỳ và Cuba\naliases:\n  - "Chuyến công tác Hoa Kỳ và Cuba của Tổng Bí thư, Chủ tịch nước Tô Lâm"\n'),
    "move an event to another parent": lambda s: edit(
        s, "content/events/tiep-chu-tich-boeing.md", "parent: tuan-le-cap-cao-dai-hoi-dong-lhq-khoa-79",
        "parent: chuyen-cong-tac-hoa-ky-cuba-2024"),
    "edit a template": lambda s: override_template(s, "base.html", "</body>", "<p>Chân trang mới</p></body>"),
    "edit newsgen.yaml": lambda s: edit(s, "newsgen.yaml", "per_page: 4", "per_page: 3"),
    "edit a static file": lambda s: (s / "static/css").mkdir(parents=True)
    or (s / "static/css/style.css").write_text("body { color: red }\n", encoding="utf-8"),
}


@pytest.fixture
def sample_site(tmp_path: Path) -> Path:
    """A copy of the sample archive, with its own cache."""
    site_dir = tmp_path / "site"
    shutil.copytree(REPOSITORY / "content", site_dir / "content")
    shutil.copy(REPOSITORY / "newsgen.yaml", site_dir / "newsgen.yaml")
    return site_dir


@pytest.fixture
def unsearched_site(sample_site: Path) -> Path:
    """The sample archive without search, for counting pages and files: any edit renames index files."""
    with (sample_site / "newsgen.yaml").open("a", encoding="utf-8") as config:
        config.write("search: false\n")
    return sample_site


@pytest.mark.parametrize("base_url", [None, "https://example.org/luu-tru/"], ids=["relative links", "with feeds"])
@pytest.mark.parametrize("change", CHANGES)
def test_after_a_change_the_incremental_build_equals_a_cold_one(sample_site, tmp_path, change, base_url):
    first = build(sample_site, jobs=1, base_url=base_url)
    CHANGES[change](sample_site)
    again = build(sample_site, jobs=1, base_url=base_url)
    build(sample_site, tmp_path / "cold", jobs=1, base_url=base_url, use_cache=False)
    assert tree(sample_site / "public") == tree(tmp_path / "cold")
    everywhere = change in ("edit a template", "edit newsgen.yaml")
    assert again.pages_cached > 0 or everywhere
    assert again.pages_rendered < first.pages_rendered or everywhere
    # Pages the change cannot reach are known unchanged by their inputs, without their contexts being made.
    assert again.contexts_made < first.contexts_made or everywhere
    if base_url:
        assert (sample_site / "public/feed.xml").is_file() and (sample_site / "public/sitemap.xml").is_file()


def test_one_edited_article_is_parsed_and_its_page_rendered_alone(unsearched_site):
    first = build(unsearched_site, jobs=1)
    CHANGES["edit an article's body"](unsearched_site)
    again = build(unsearched_site, jobs=1)
    assert (again.documents_parsed, again.documents_cached) == (1, first.documents_parsed - 1)
    assert (again.pages_rendered, again.files_written, again.files_pruned) == (1, 1, 0)


# Changes that leave the archive's shape (order, groups, related lists) as it was.
TEXT_CHANGES = ["edit an article's body", "change an article's title (and so its URL)", "change an article's summary",
                "correct an article (add 'updated')", "give an article a picture and its tags"]


@pytest.mark.parametrize("change", TEXT_CHANGES)
def test_a_change_to_an_articles_text_works_out_only_the_pages_that_read_it(sample_site, change):
    first = build(sample_site, jobs=1, base_url="https://example.org/")
    CHANGES[change](sample_site)
    again = build(sample_site, jobs=1, base_url="https://example.org/")
    # The pages that show the article (its own, lists, feeds), and the sitemaps, which read every article.
    assert 0 < again.inputs_made < first.inputs_made / 2
    assert first.inputs_made == first.pages


def test_the_news_sitemap_follows_the_clock_while_the_other_pages_are_kept(sample_site, tmp_path):
    with (sample_site / "newsgen.yaml").open("a", encoding="utf-8") as config:
        config.write("news_sitemap: true\n")
    url = "https://example.org/"
    first = build(sample_site, jobs=1, base_url=url, now=datetime(2024, 9, 23, tzinfo=timezone.utc))
    CHANGES["edit an article's body"](sample_site)
    later = datetime(2024, 10, 3, tzinfo=timezone.utc)  # the edited article has left the two days
    again = build(sample_site, jobs=1, base_url=url, now=later)
    build(sample_site, tmp_path / "cold", jobs=1, base_url=url, now=later, use_cache=False)
    assert tree(sample_site / "public") == tree(tmp_path / "cold")
    assert again.inputs_made < first.inputs_made / 2


def test_a_moved_article_leaves_no_stale_page_behind(unsearched_site):
    build(unsearched_site, jobs=1)
    old_page = unsearched_site / "public/2024/09/tong-bi-thu-chu-tich-nuoc-to-lam-tiep-chu-tich-boeing-toan-cau-brendan-nelson"
    assert (old_page / "index.html").is_file()
    CHANGES["change an article's date (to another month)"](unsearched_site)
    again = build(unsearched_site, jobs=1)
    assert not old_page.exists()
    # The article's old page, and page 2 of September's archive, which now holds 4 articles.
    assert again.files_pruned == 2 and not (unsearched_site / "public/archive/2024/09/page/2").exists()


def test_an_unreadable_cache_is_replaced_not_trusted(sample_site, tmp_path):
    build(sample_site, jobs=1)
    cache = sample_site / ".newsgen/cache.sqlite"
    cache.write_bytes(b"this is not a database" * 100)
    CHANGES["edit an article's body"](sample_site)
    again = build(sample_site, jobs=1)
    assert again.documents_cached == 0 and again.pages_cached == 0
    build(sample_site, tmp_path / "cold", use_cache=False)
    # Every file is right; with the manifest lost, the previous search index files are not known
    # to be newsgen's, so they stay: newsgen deletes only what it knows it wrote.
    built, cold = tree(sample_site / "public"), tree(tmp_path / "cold")
    assert {path: built[path] for path in cold} == cold
    assert all(path.startswith("pagefind/") for path in set(built) - set(cold))


def test_a_cache_made_by_other_code_is_replaced_and_still_prunes(sample_site, tmp_path):
    first = build(sample_site, jobs=1)
    with sqlite3.connect(sample_site / ".newsgen/cache.sqlite") as connection:
        connection.execute("UPDATE meta SET value = 'another version' WHERE name = 'fingerprint'")
    CHANGES["change an article's title (and so its URL)"](sample_site)
    again = build(sample_site, jobs=1)
    assert again.documents_parsed == first.documents_parsed and again.pages_cached == 0
    build(sample_site, tmp_path / "cold", use_cache=False)
    assert tree(sample_site / "public") == tree(tmp_path / "cold")


def test_no_cache_builds_cold_and_leaves_no_cache_behind(sample_site):
    report = build(sample_site, use_cache=False)
    assert report.documents_cached == 0 and report.pages_cached == 0
    assert not (sample_site / ".newsgen").exists()


def test_a_failed_build_after_a_good_one_keeps_the_cache_useful(sample_site):
    first = build(sample_site, jobs=1)
    edit(sample_site, BOEING, "date: 2024-09-22T18:00:00-04:00", "date: 22/9/2024")
    with pytest.raises(BuildFailed):
        build(sample_site, jobs=1)
    edit(sample_site, BOEING, "date: 22/9/2024", "date: 2024-09-22T18:00:00-04:00")
    again = build(sample_site, jobs=1)
    assert again.documents_parsed <= 1 and again.files_written == 0
    assert again.pages_cached == first.pages_rendered


def age(folder: Path, seconds_ago: int) -> None:
    """Give every file below `folder` a modification time long past, as files of an archive have."""
    moment = time.time_ns() - seconds_ago * 1_000_000_000
    for path in folder.rglob("*"):
        os.utime(path, ns=(moment, moment))


def test_a_rebuild_of_an_unchanged_site_reports_everything_cached(sample_site):
    age(sample_site, 3600)
    first = build(sample_site, jobs=1)
    again = build(sample_site, jobs=1)
    assert (again.documents_parsed, again.pages_rendered, again.files_written) == (0, 0, 0)
    assert again.documents_cached == first.documents_parsed and again.pages_cached == first.pages_rendered
    assert again.files_unchanged == first.files_written


def test_an_edit_with_an_old_modification_time_is_still_seen(unsearched_site):
    age(unsearched_site, 3600)
    build(unsearched_site, jobs=1)
    CHANGES["edit an article's body"](unsearched_site)
    age(unsearched_site / "content/articles", 1800)
    again = build(unsearched_site, jobs=1)
    assert again.documents_parsed == 1 and again.files_written == 1
    page = next((unsearched_site / "public/2024/09").glob("tong-bi-thu-*boeing*/index.html"))
    assert "Một câu mới." in page.read_text(encoding="utf-8")


def test_a_damaged_output_folder_is_repaired_even_when_no_source_changed(sample_site):
    age(sample_site, 3600)
    first = build(sample_site, jobs=1)
    (sample_site / "public/index.html").unlink()
    (sample_site / "public/persons/index.html").write_text("vandalised", encoding="utf-8")
    again = build(sample_site, jobs=1)
    assert again.files_written == 2 and again.pages_rendered == 0
    cold = build(sample_site, sample_site.parent / "cold", use_cache=False)
    assert tree(sample_site / "public") == tree(sample_site.parent / "cold") and cold.pages == first.pages


def test_an_output_folder_checked_by_another_process_is_repaired_as_well(unsearched_site, monkeypatch):
    import newsgen.write

    monkeypatch.setattr(newsgen.write, "_FILES_CHECKED_APART", 1)
    age(unsearched_site, 3600)
    build(unsearched_site, jobs=2)
    (unsearched_site / "public/index.html").unlink()
    assert build(unsearched_site, jobs=2).files_written == 1  # nothing else changed
    CHANGES["edit an article's body"](unsearched_site)
    (unsearched_site / "public/persons/index.html").write_text("vandalised", encoding="utf-8")
    assert build(unsearched_site, jobs=2).files_written == 2
    build(unsearched_site, unsearched_site.parent / "cold", use_cache=False)
    assert tree(unsearched_site / "public") == tree(unsearched_site.parent / "cold")


# A build that dies, as if killed, after placing two files and beginning a third.
KILLED_WHILE_WRITING = """
import os, sys
from pathlib import Path
import newsgen.write

placed = []

def dying(path, data):
    if len(placed) == 2:
        folder, name = os.path.split(path)
        with open(f"{folder}/.{name}.{os.getpid()}-{len(placed)}.tmp", "wb") as half:
            half.write(data[: len(data) // 2])
        os._exit(9)
    placed.append(path)
    real(path, data)

real, newsgen.write._replace = newsgen.write._replace, dying
from newsgen.build import build
build(Path(sys.argv[1]), jobs=1)
"""


def test_a_build_killed_while_writing_is_known_and_the_next_sweeps_up_after_it(unsearched_site):
    cache_file = unsearched_site / ".newsgen/cache.sqlite"
    build(unsearched_site, jobs=1)
    edit(unsearched_site, "newsgen.yaml", "per_page: 4", "per_page: 3")
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, str(unsearched_site)])
    assert killed.returncode == 9
    assert output_record(cache_file, unsearched_site / "public")[1] == WRITING
    assert main(["deploy", str(unsearched_site), "--to", str(unsearched_site.parent / "www"), "--force"]) == 1
    assert len(list((unsearched_site / "public").rglob(".*.tmp"))) == 1

    build(unsearched_site, jobs=1)
    assert output_record(cache_file, unsearched_site / "public")[1] == "built"
    build(unsearched_site, unsearched_site.parent / "cold", use_cache=False)
    assert tree(unsearched_site / "public") == tree(unsearched_site.parent / "cold")


def test_building_with_other_options_is_not_answered_by_the_last_build(sample_site):
    age(sample_site, 3600)
    build(sample_site, jobs=1)
    other = build(sample_site, jobs=1, base_url="https://example.org/luu-tru/")
    assert other.pages_rendered == other.pages and other.files_written == other.pages


# A small archive to change at random: persons with and without files, events with parents, pages of 3.
PERSONS = ["Tô Lâm", "Lương Cường", "Phạm Minh Chính", "Bùi Thanh Sơn", "Trần Thanh Mẫn", "Đỗ Văn Chiến"]
EVENTS = ["Đại hội Đảng XIV", "Hội nghị APEC", "Kỳ họp Quốc hội", "Thăm Hoa Kỳ"]


def _random_article(rng, n: int) -> str:
    persons = rng.sample(PERSONS + ["Người Mới", "Ông Ẩn Danh"], rng.randint(1, 3))
    events = rng.sample(EVENTS, rng.randint(0, 2))
    return article(f"Tin số {n} về {persons[0]}", f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                   summary=f"Tóm tắt {n}.", persons=f"[{', '.join(persons)}]", events=f"[{', '.join(events)}]")


def _random_site(rng, site_dir: Path) -> None:
    (site_dir / "newsgen.yaml").parent.mkdir(parents=True)
    (site_dir / "newsgen.yaml").write_text("title: Thử\nper_page: 3\nsearch: false\nbase_url: https://example.org/\n",
                                           encoding="utf-8")
    for n, name in enumerate(PERSONS[:4]):
        write_entity(site_dir / f"content/persons/p{n}.md", f"name: {name}\nroles:\n  - title: Chức vụ {n}\n")
    for n, name in enumerate(EVENTS[:3]):
        parent = "parent: e0\n" if n == 2 else ""
        write_entity(site_dir / f"content/events/e{n}.md", f"name: {name}\nstart: 2024-0{n + 1}-01\n{parent}")
    for n in range(24):
        write_entity(site_dir / f"content/articles/a{n}.md", _random_article(rng, n), raw=True)


def write_entity(path: Path, text: str, raw: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if raw else f"---\n{text}---\n\nMô tả.\n", encoding="utf-8")


def _random_change(rng, site_dir: Path, step: int) -> str:
    articles = sorted((site_dir / "content/articles").glob("*.md"))
    target = rng.choice(articles)
    kind = rng.choice(["body", "title", "summary", "updated", "date", "persons", "delete", "add", "rename", "role",
                       "parent", "alias", "event name"])
    text = target.read_text(encoding="utf-8")
    if kind == "body":
        target.write_text(text + f"\nĐoạn {step}.\n", encoding="utf-8")
    elif kind == "title":
        target.write_text(text.replace("title: Tin", f"title: Tin {step}", 1), encoding="utf-8")
    elif kind == "summary":
        target.write_text(re.sub(r"summary: .*", f"summary: Tóm tắt sửa {step}.", text, count=1), encoding="utf-8")
    elif kind == "updated":  # below the names, so no name's line moves
        text = re.sub(r"\nupdated: \S+", "", text)
        target.write_text(text.replace("\n---\n", f"\nupdated: 2025-01-{10 + step}\n---\n", 1), encoding="utf-8")
    elif kind == "date":
        target.write_text(re.sub(r"date: \S+", f"date: 2024-{rng.randint(1, 12):02d}-15", text, count=1), encoding="utf-8")
    elif kind == "persons":
        target.write_text(re.sub(r"persons: \[.*\]", f"persons: [{rng.choice(PERSONS)}]", text, count=1), encoding="utf-8")
    elif kind == "delete" and len(articles) > 5:
        target.unlink()
    elif kind == "add":
        write_entity(site_dir / f"content/articles/new{step}.md", _random_article(rng, 100 + step), raw=True)
    elif kind == "rename":
        n = rng.randrange(4)
        write_entity(site_dir / f"content/persons/p{n}.md", f"name: Đồng chí {step}\naliases: [{PERSONS[n]}]\n")
    elif kind == "role":
        n = rng.randrange(4)
        write_entity(site_dir / f"content/persons/p{n}.md", f"name: {PERSONS[n]}\nroles:\n  - title: Chức vụ mới {step}\n")
    elif kind == "parent":
        n = rng.randrange(1, 3)
        parent = rng.choice(["", "parent: e0\n", f"parent: e{3 - n}\n"])
        write_entity(site_dir / f"content/events/e{n}.md", f"name: {EVENTS[n]}\nstart: 2024-0{n + 1}-01\n{parent}")
    elif kind == "event name":  # e0 is the parent of e2, and at times the grandparent of e1
        write_entity(site_dir / "content/events/e0.md", f"name: Sự kiện {step}\naliases: [{EVENTS[0]}]\nstart: 2024-01-01\n")
    elif kind == "alias":
        write_entity(site_dir / "content/events/e1.md", f"name: {EVENTS[1]}\naliases: [{EVENTS[3]}]\nstart: 2024-02-01\n")
    return kind


def age_the_new(folder: Path, seconds_ago: int) -> None:
    """Date the files written in the last minute `seconds_ago` back, leaving the others' times alone."""
    moment = time.time_ns() - seconds_ago * 1_000_000_000
    for path in folder.rglob("*"):
        if path.is_file() and time.time_ns() - path.stat().st_mtime_ns < 60 * 1_000_000_000:
            os.utime(path, ns=(moment, moment))


@pytest.mark.parametrize("seed", range(6))
def test_random_changes_one_after_another_give_the_cold_build(tmp_path, seed, monkeypatch):
    # Files dated back, as an archive's are, and small chunks: load finds the unchanged ones in their chunks.
    monkeypatch.setattr(document_chunks, "CHUNK_FILES", 4)
    rng = random.Random(seed)
    site_dir = tmp_path / "site"
    _random_site(rng, site_dir)
    age_the_new(site_dir / "content", 3600)
    build(site_dir, jobs=1)
    for step in range(8):
        kind = _random_change(rng, site_dir, step)
        age_the_new(site_dir / "content", 3000 - 60 * step)
        build(site_dir, jobs=1)
        cold = tmp_path / f"cold{step}"
        build(site_dir, cold, jobs=1, use_cache=False)
        assert tree(site_dir / "public") == tree(cold), f"after step {step}: {kind}"


def test_an_edit_decodes_only_the_documents_of_the_pages_it_reaches(tmp_path, monkeypatch):
    # 64 articles, four a month, in chunks of about four files: laying the site out reads their heads alone.
    monkeypatch.setattr(document_chunks, "CHUNK_FILES", 4)
    site_dir = tmp_path / "site"
    for n in range(64):
        path = site_dir / f"content/articles/{2010 + n // 48}/{n // 4 % 12 + 1:02d}/a{n:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(f"Bài {n}", f"{2010 + n // 48}-{n // 4 % 12 + 1:02d}-{n % 4 + 10}"), encoding="utf-8")
    age_the_new(site_dir / "content", 3600)
    decoded = []
    decode = document_chunks._ChunkDocuments._decode
    monkeypatch.setattr(document_chunks._ChunkDocuments, "_decode",
                        lambda chunk, group: decoded.append(group) or decode(chunk, group))
    build(site_dir, jobs=1, base_url="https://example.org/")
    chunks = sqlite3.connect(site_dir / ".newsgen/cache.sqlite").execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert chunks > 8 and decoded == []  # a cold build parses every file

    edited = site_dir / "content/articles/2010/03/a09.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nMột câu mới.\n", encoding="utf-8")
    age_the_new(site_dir / "content", 600)
    again = build(site_dir, jobs=1, base_url="https://example.org/")
    assert (again.documents_parsed, again.pages_rendered) == (1, 1)
    # The edited file's chunk, rewritten, and those of the articles shown beside it on the list pages made again.
    assert 0 < len(decoded) <= chunks // 4
    build(site_dir, tmp_path / "cold", jobs=1, base_url="https://example.org/", use_cache=False)
    assert tree(site_dir / "public") == tree(tmp_path / "cold")
