"""newsgen new: a new article, person or event file, named and dated as the build expects, never overwriting."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from newsgen.build import build
from newsgen.load import load
from newsgen.config import load_config
from newsgen.model import UsageError
from newsgen.scaffold import new_file
from newsgen.theme import default_theme_dir

from test_build import run_cli


def test_an_article_is_named_after_its_title_and_dated_now_in_the_site_zone(site):
    site_dir = site({"newsgen.yaml": "timezone: America/New_York\n"})
    moment = datetime(2024, 9, 23, 1, 30, 15, 123456, tzinfo=timezone.utc)  # 21:30 on the 22nd in New York
    path = new_file(site_dir, "article", "Tổng Bí thư tiếp Chủ tịch Boeing", persons=["Tô Lâm"],
                    events=["Tiếp Chủ tịch Boeing", "Tuần lễ cấp cao"], now=moment)
    assert path == site_dir / "content/articles/2024/09/tong-bi-thu-tiep-chu-tich-boeing.md"
    assert path.read_text(encoding="utf-8") == (
        "---\n"
        "title: Tổng Bí thư tiếp Chủ tịch Boeing\n"
        "date: 2024-09-22T21:30:15-04:00\n"
        "persons:\n- Tô Lâm\n"
        "events:\n- Tiếp Chủ tịch Boeing\n- Tuần lễ cấp cao\n"
        "---\n\n"
    )


def test_the_new_article_builds_with_its_persons_and_events(site, tmp_path):
    site_dir = site({"newsgen.yaml": "search: false\n"})
    title = 'Tổng Bí thư: "tiếp" Chủ tịch Boeing # 1'  # a colon, quotes and a hash, all YAML syntax
    new_file(site_dir, "article", title, persons=["Tô Lâm"], events=["Tiếp: Boeing"],
             now=datetime(2024, 9, 22, 18, tzinfo=ZoneInfo("America/New_York")))
    new_file(site_dir, "person", "Tô Lâm")
    new_file(site_dir, "event", "Tiếp: Boeing")
    report = build(site_dir, tmp_path / "out", jobs=1)
    assert (report.articles, report.persons, report.events) == (1, 1, 1)
    documents = load(site_dir, load_config(site_dir), default_theme_dir())
    article = documents.articles[0]
    assert article.title == title and article.slug == "tong-bi-thu-tiep-chu-tich-boeing-1"
    assert article.date.isoformat() == "2024-09-23T05:00:00+07:00"
    assert [ref.text for ref in article.persons] == ["Tô Lâm"] and [ref.text for ref in article.events] == ["Tiếp: Boeing"]
    assert [(p.id, p.name) for p in documents.persons] == [("to-lam", "Tô Lâm")]
    assert [(e.id, e.name) for e in documents.events] == [("tiep-boeing", "Tiếp: Boeing")]
    assert (tmp_path / "out/2024/09/tong-bi-thu-tiep-chu-tich-boeing-1/index.html").is_file()
    assert (tmp_path / "out/persons/to-lam/index.html").is_file()


def test_an_existing_file_is_never_replaced(site):
    site_dir = site({"content/persons/to-lam.md": "---\nname: Tô Lâm\n---\nTiểu sử.\n"})
    with pytest.raises(FileExistsError):
        new_file(site_dir, "person", "Tô Lâm")
    assert (site_dir / "content/persons/to-lam.md").read_text(encoding="utf-8") == "---\nname: Tô Lâm\n---\nTiểu sử.\n"


@pytest.mark.parametrize("kind, title, keys", [
    ("person", "!!!", {}), ("event", "Hội nghị", {"persons": ["Tô Lâm"]}), ("place", "Hà Nội", {}),
])
def test_what_cannot_be_made_is_a_usage_error(site, kind, title, keys):
    site_dir = site({"newsgen.yaml": ""})
    with pytest.raises(UsageError):
        new_file(site_dir, kind, title, **keys)
    assert not (site_dir / "content").exists()


def test_the_command_prints_the_new_path_and_refuses_a_second_time(site):
    site_dir = site({"newsgen.yaml": "search: false\n"})
    before = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(microsecond=0)
    first = run_cli("new", "article", "Tổng Bí thư tiếp Chủ tịch Boeing", "--person", "Tô Lâm",
                    "--person", "Brendan Nelson", cwd=site_dir)
    after = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert first.returncode == 0, first.stderr
    created = site_dir / first.stdout.strip()
    assert created.parent.parent.parent == site_dir / "content/articles"
    assert created.name == "tong-bi-thu-tiep-chu-tich-boeing.md"
    text = created.read_text(encoding="utf-8")
    date = datetime.fromisoformat(text.split("date: ")[1].split("\n")[0])
    assert before <= date <= after and date.utcoffset().total_seconds() == 7 * 3600
    assert created.parent == site_dir / f"content/articles/{date:%Y}/{date:%m}"
    assert "persons:\n- Tô Lâm\n- Brendan Nelson\n" in text

    again = run_cli("new", "article", "Tổng Bí thư tiếp Chủ tịch Boeing", cwd=site_dir)
    assert again.returncode == 1
    assert again.stderr == f"newsgen: {first.stdout.strip()} already exists; nothing was written\n"
    assert created.read_text(encoding="utf-8") == text

    built = run_cli("build", ".", "-q", cwd=site_dir)
    assert built.returncode == 0, built.stderr


def test_the_command_names_a_broken_config(site):
    site_dir = site({"newsgen.yaml": "timezone: Mars/Olympus\n"})
    result = run_cli("new", "article", "Tin mới", cwd=site_dir)
    assert result.returncode == 1
    assert result.stderr.startswith("newsgen.yaml:1: unknown time zone 'Mars/Olympus'")
    assert not (site_dir / "content").exists()
