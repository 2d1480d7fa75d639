"""Stage 1, load: front matter read and checked, Markdown made safe, NFC everywhere."""

import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from newsgen.config import SiteConfig
from newsgen.model import BuildFailed

from conftest import load_site


def only_article(site_dir, **kwargs):
    documents = load_site(site_dir, **kwargs)
    assert len(documents.articles) == 1
    return documents.articles[0]


def test_every_front_matter_key_is_read(site):
    article = only_article(site({"content/articles/a.md": """
        ---
        title: Tổng Bí thư tiếp Chủ tịch Boeing
        date: 2024-09-22T18:00:00-04:00
        updated: 2024-09-23T10:00:00+07:00
        slug: tiep-boeing
        summary: Tóm tắt.
        authors: Hoàng An
        sources: [TTXVN, VOV]
        persons: [Tô Lâm, Brendan Nelson]
        events: tiep-chu-tich-boeing
        places: [New York]
        tags: [hàng không]
        image: images/boeing.jpg
        image_caption: Buổi tiếp
        draft: false
        desk: Thời sự
        ---
        Nội dung.
    """}))
    assert article.title == "Tổng Bí thư tiếp Chủ tịch Boeing"
    assert article.slug == "tiep-boeing"
    assert article.authors == ("Hoàng An",)
    assert article.sources == ("TTXVN", "VOV")
    assert [r.text for r in article.persons] == ["Tô Lâm", "Brendan Nelson"]
    assert [r.text for r in article.events] == ["tiep-chu-tich-boeing"]
    assert article.persons[0].line == 9  # the file line of `persons:`
    assert article.places == ("New York",) and article.tags == ("hàng không",)
    assert article.image == "images/boeing.jpg" and article.image_caption == "Buổi tiếp"
    assert article.extra == {"desk": "Thời sự"}
    assert article.summary == "Tóm tắt."
    assert article.body_html == "<p>Nội dung.</p>"


def test_dates_without_offset_are_in_the_site_timezone(site):
    article = only_article(site({"content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22 20:00\n---\n"}))
    assert article.date == datetime(2024, 9, 22, 20, 0, tzinfo=timezone(timedelta(hours=7)))
    assert article.date.utcoffset() == timedelta(hours=7)
    assert article.has_time


def test_dates_with_offset_are_shown_in_the_site_timezone(site):
    article = only_article(site({"content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22T20:00:00-04:00\n---\n"}))
    assert (article.date.day, article.date.hour) == (23, 7)


def test_a_plain_date_has_no_time_of_day(site):
    article = only_article(site({"content/articles/a.md": "---\ntitle: A\ndate: 2024-09-26\n---\n"}))
    assert article.date.date().isoformat() == "2024-09-26"
    assert not article.has_time


def test_slug_defaults_to_the_ascii_title(site):
    article = only_article(site({"content/articles/a.md": "---\ntitle: Đại hội đồng Khóa 79\ndate: 2024-09-22\n---\n"}))
    assert article.slug == "dai-hoi-dong-khoa-79"


def test_summary_defaults_to_the_first_paragraph_as_plain_text(site):
    article = only_article(site({"content/articles/a.md": """
        ---
        title: A
        date: 2024-09-22
        ---
        ## Tiêu đề

        Đoạn **đầu** có [liên kết](https://vov.vn) &amp; dấu.
        Dòng hai.

        Đoạn sau.
    """}))
    assert article.summary == "Đoạn đầu có liên kết & dấu. Dòng hai."


def test_text_is_normalised_to_nfc(site):
    title = unicodedata.normalize("NFD", "Tô Lâm thăm Cuba")
    article = only_article(site({"content/articles/a.md": f"---\ntitle: {title}\ndate: 2024-09-22\npersons: [{title}]\n---\n{title}\n"}))
    assert article.title == "Tô Lâm thăm Cuba"
    assert article.persons[0].text == "Tô Lâm thăm Cuba"
    assert "Tô Lâm thăm Cuba" in article.body_html


def test_raw_html_is_sanitised(site):
    article = only_article(site({"content/articles/a.md": """
        ---
        title: A
        date: 2024-09-22
        ---
        <script>alert(1)</script><p onclick="steal()">Chữ</p>

        [bấm](javascript:alert(1)) <img src=x onerror=alert(1)>
    """}))
    html = article.body_html
    assert "<script" not in html and "onclick" not in html and "onerror" not in html
    assert "javascript:" not in html
    assert "Chữ" in html


def test_raw_html_is_kept_when_the_site_opts_in(site):
    article = only_article(site({"content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22\n---\n<div onclick=\"x()\">Chữ</div>\n"}),
                           config=SiteConfig(unsafe_html=True))
    assert 'onclick="x()"' in article.body_html


def test_hidden_files_are_not_articles(site):
    site_dir = site({
        "content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22\n---\n",
        "content/articles/.#a.md": "garbage",
        "content/.drafts/b.md": "garbage",
    })
    assert [a.title for a in load_site(site_dir).articles] == ["A"]


def test_drafts_are_left_out_unless_asked_for(site):
    site_dir = site({
        "content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22\ndraft: true\n---\n",
        "content/articles/b.md": "---\ntitle: B\ndate: 2024-09-22\n---\n",
    })
    assert [a.title for a in load_site(site_dir).articles] == ["B"]
    assert [a.title for a in load_site(site_dir, drafts=True).articles] == ["A", "B"]


def test_persons_and_events_are_read_with_their_ids(site):
    documents = load_site(site({
        "content/persons/to-lam.md": """
            ---
            name: Tô Lâm
            aliases: Tổng Bí thư Tô Lâm
            sort_name: Lâm
            roles:
              - title: Tổng Bí thư
                from: 2024-08-03
              - Chủ tịch nước
            ---
            Tiểu sử.
        """,
        "content/events/le-ky.md": """
            ---
            name: Lễ ký
            start: 2024-09-26
            end: 2024-09-26
            location: La Habana
            parent: tham-cuba
            ---
        """,
    }))
    (person,) = documents.persons
    assert (person.id, person.name, person.aliases, person.sort_name) == ("to-lam", "Tô Lâm", ("Tổng Bí thư Tô Lâm",), "Lâm")
    assert [(r.title, str(r.start), r.end) for r in person.roles] == [("Tổng Bí thư", "2024-08-03", None), ("Chủ tịch nước", "None", None)]
    assert person.bio_html == "<p>Tiểu sử.</p>"
    (event,) = documents.events
    assert (event.id, event.location, event.parent.text, event.parent.line) == ("le-ky", "La Habana", "tham-cuba", 6)


def test_every_bad_file_is_reported_not_only_the_first(site):
    site_dir = site({
        "content/articles/a.md": "---\ntitle: A\n---\n",
        "content/articles/b.md": "---\ndate: 2024-09-22\n---\n",
        "content/articles/c.md": "---\ntitle: C\ndate: 2024-02-30\n---\n",
        "content/articles/d.md": "---\ntitle: D\ndate: 2024-09-22\n---\n",
    })
    with pytest.raises(BuildFailed) as failure:
        load_site(site_dir)
    assert [str(p) for p in failure.value.problems] == [
        "content/articles/a.md:1: missing required key 'date'",
        "content/articles/b.md:1: missing required key 'title'",
        "content/articles/c.md:3: 'date' is not a valid ISO 8601 date or date-time: '2024-02-30'",
    ]


def test_static_files_of_the_site_replace_the_themes(site, tmp_path):
    from newsgen.load import static_files
    theme = tmp_path / "theme"
    (theme / "css").mkdir(parents=True)
    (theme / "css" / "style.css").write_text("theme")
    (theme / "logo.svg").write_text("theme")
    site_dir = site({"static/css/style.css": "site", "static/.DS_Store": "junk"})
    found = {f.relpath: f.source.read_text() for f in static_files(theme, site_dir / "static")}
    assert found == {"css/style.css": "site", "logo.svg": "theme"}
