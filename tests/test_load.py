"""Stage 1, load: front matter read and checked, Markdown made safe, NFC everywhere."""

import marshal
import os
import pickle
import re
import time
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest

from newsgen import document_chunks
from newsgen.cache import Cache
from newsgen.config import SiteConfig
from newsgen.load import content_files, load
from newsgen.theme import default_theme_dir
from newsgen.model import BuildFailed, MemoryStore

from conftest import article, load_site


def only_article(site_dir, **kwargs):
    documents = load_site(site_dir, **kwargs)
    assert len(documents.articles) == 1
    return documents.articles[0]


def body_html(site_dir, **kwargs) -> str:
    """The HTML of the one article of `site_dir`, as load leaves it in the bodies store."""
    bodies = MemoryStore()
    found = only_article(site_dir, bodies=bodies, **kwargs)
    return bodies[found.body].decode("utf-8")


def test_every_front_matter_key_is_read(site):
    site_dir = site({"content/articles/a.md": """
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
    """})
    article = only_article(site_dir)
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
    assert body_html(site_dir) == "<p>Nội dung.</p>"


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
    site_dir = site({"content/articles/a.md": f"---\ntitle: {title}\ndate: 2024-09-22\npersons: [{title}]\n---\n{title}\n"})
    found = only_article(site_dir)
    assert found.title == "Tô Lâm thăm Cuba"
    assert found.persons[0].text == "Tô Lâm thăm Cuba"
    assert "Tô Lâm thăm Cuba" in body_html(site_dir)


def test_markdown_is_commonmark_with_tables_footnotes_definitions_and_attributes(site):
    html = body_html(site({"content/articles/a.md": """
        ---
        title: A
        date: 2024-09-22
        ---
        {#ket-qua .lead}
        ## Kết quả

        Hai bên ký ~~ba~~ bốn văn kiện[^1].
        - một
          - lồng vào, thụt hai dấu cách
        - hai

        | Văn kiện | Bên ký |
        |---|---|
        | Bản ghi nhớ | Bộ Ngoại giao |

        Đối tác chiến lược toàn diện
        : khuôn khổ quan hệ cao nhất

        [^1]: Theo thông cáo chung.
    """}))
    assert '<h2 id="ket-qua" class="lead">Kết quả</h2>' in html
    assert "<s>ba</s> bốn văn kiện" in html
    # A list may follow a paragraph line directly, and nests under its item's text.
    assert "<ul>\n<li>một\n<ul>\n<li>lồng vào, thụt hai dấu cách</li>" in html
    assert "<td>Bản ghi nhớ</td>" in html
    assert "<dt>Đối tác chiến lược toàn diện</dt>" in html and "<dd>khuôn khổ quan hệ cao nhất</dd>" in html
    assert 'href="#fn1"' in html and "Theo thông cáo chung." in html


def test_raw_html_is_sanitised(site):
    html = body_html(site({"content/articles/a.md": """
        ---
        title: A
        date: 2024-09-22
        ---
        <script>alert(1)</script><p onclick="steal()">Chữ</p>

        [bấm](javascript:alert(1)) <img src=x onerror=alert(1)> <a href="javascript:alert(2)">nữa</a>
        [đây](JaVaScRiPt:alert(3)) [kia](vbscript:x) [ảnh](data:text/html;base64,PHNjcmlwdD4=)
    """}))
    assert "<script" not in html and "onclick" not in html and "onerror" not in html
    # Markdown leaves a link to a refused address as the text written; raw HTML loses the attribute.
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|vbscript|data):""", html, re.I)
    assert "Chữ" in html and ">nữa</a>" in html


def test_raw_html_is_kept_when_the_site_opts_in(site):
    html = body_html(site({"content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22\n---\n<div onclick=\"x()\">Chữ</div>\n"}),
                     config=SiteConfig(unsafe_html=True))
    assert 'onclick="x()"' in html


def test_hidden_files_are_not_articles(site):
    site_dir = site({
        "content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22\n---\n",
        "content/articles/.#a.md": "garbage",
        "content/.drafts/b.md": "garbage",
    })
    assert [a.title for a in load_site(site_dir).articles] == ["A"]


def test_content_files_are_the_markdown_files_of_each_kind_in_path_order_with_size_and_time(site, tmp_path):
    site_dir = site({
        "content/articles/2024/10/b.md": article("B", "2024-10-01"),
        "content/articles/2024/9/a.md": article("A", "2024-09-01"),
        "content/articles/2024/a-note.txt": "not an article",
        "content/articles/2024-c.md": article("C", "2024-12-01"),
        "content/articles/.hidden/c.md": "garbage",
        "content/persons/to-lam.md": "---\nname: Tô Lâm\n---\n",
        "content/events/.#apec.md": "garbage",
    })
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "2020").mkdir(parents=True)
    (elsewhere / "2020" / "d.md").write_text(article("D", "2020-01-01"))
    os.symlink(elsewhere, site_dir / "content" / "articles" / "linked", target_is_directory=True)
    listed = content_files(site_dir)
    assert [(kind, os.path.relpath(path, site_dir)) for kind, path, _, _ in listed] == [
        ("article", "content/articles/2024/10/b.md"),
        ("article", "content/articles/2024/9/a.md"),
        ("article", "content/articles/2024-c.md"),  # by the parts of the path: "2024" comes before "2024-c.md"
        ("person", "content/persons/to-lam.md"),
    ]
    assert [(size, mtime_ns) for _, _, size, mtime_ns in listed] == [
        (os.stat(path).st_size, os.stat(path).st_mtime_ns) for _, path, _, _ in listed]
    assert [a.title for a in load_site(site_dir, sources=listed).articles] == ["B", "A", "C"]


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


def cache_tables():
    return {"files": MemoryStore(), "documents": MemoryStore(), "bodies": MemoryStore(), "chunks": MemoryStore()}


class Asked(MemoryStore):
    """A Store noting the keys asked for (`asked`) and stored (`stored`)."""

    def __init__(self):
        super().__init__()
        self.asked, self.stored = [], []

    def get_many(self, keys):
        keys = list(keys)
        self.asked += keys
        return super().get_many(keys)

    def put(self, key, value):
        self.stored.append(key)
        super().put(key, value)


def aged(*paths, seconds=60):
    """Date files `seconds` back: load trusts the size and time only of files not written just now."""
    then = time.time_ns() - seconds * 10**9
    for path in paths:
        os.utime(path, ns=(then, then))


def test_files_unchanged_since_the_last_load_are_found_a_chunk_at_a_time(site, monkeypatch):
    monkeypatch.setattr(document_chunks, "CHUNK_FILES", 4)
    site_dir = site({**{f"content/articles/{n:02d}.md": article(f"Bài {n}", "2024-09-22") for n in range(40)},
                     "content/persons/to-lam.md": "---\nname: Tô Lâm\n---\nTiểu sử.\n"})
    aged(*(site_dir / "content").rglob("*.md"))
    tables = {name: Asked() for name in ("files", "documents", "bodies", "chunks")}
    first = load_site(site_dir, **tables)
    chunks = len(tables["chunks"])
    assert chunks > 3 and first.parsed == 41

    def again():
        for table in tables.values():
            table.asked, table.stored = [], []
        return load_site(site_dir, **tables)

    # Nothing changed: no file, no document looked up alone, nothing stored.
    second = again()
    assert (second.parsed, second.cached) == (0, 41) and second.articles == first.articles
    assert tables["files"].asked == tables["documents"].asked == [] and tables["chunks"].stored == []
    assert len(tables["chunks"].asked) == chunks
    # One file edited: it alone is looked up and parsed, and its chunk alone rewritten.
    edited = site_dir / "content/articles/17.md"
    edited.write_text(article("Bài 17 đã sửa", "2024-09-22"), encoding="utf-8")
    aged(edited, seconds=30)
    third = again()
    assert third.parsed == 1 and "Bài 17 đã sửa" in [a.title for a in third.articles]
    assert tables["files"].asked == [str(edited)] and len(tables["documents"].asked) == 1
    assert len(tables["chunks"].stored) == 1
    # A file added or deleted changes its own chunk, not every chunk after it.
    added = site_dir / "content/articles/03b.md"
    added.write_text(article("Bài mới", "2024-09-22"), encoding="utf-8")
    aged(added)
    assert again().parsed == 1 and len(tables["chunks"].stored) == 1
    added.unlink()
    assert again().parsed == 0 and len(tables["chunks"].stored) == 1
    assert load_site(site_dir).articles == again().articles


def test_a_file_just_written_is_not_trusted_from_its_chunk(site):
    # Its time may not change with its next edit: the next load looks it up by its hash.
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    tables = {**cache_tables(), "files": Asked()}
    load_site(site_dir, **tables)
    tables["files"].asked = []
    load_site(site_dir, **tables)
    assert tables["files"].asked == [str(site_dir / "content/articles/a.md")]


def test_problems_found_in_a_chunk_are_reported_again_without_parsing(site):
    site_dir = site({"content/articles/a.md": "---\ntitle: A\n---\n", "content/articles/b.md": article("B", "2024-09-22")})
    aged(*(site_dir / "content").rglob("*.md"))
    tables = {**cache_tables(), "documents": Asked()}
    for _ in range(2):  # parsed, then found in the chunk without a look-up of its own
        tables["documents"].asked = []
        with pytest.raises(BuildFailed) as failure:
            load_site(site_dir, **tables)
        assert [str(p) for p in failure.value.problems] == ["content/articles/a.md:1: missing required key 'date'"]
    assert tables["documents"].asked == []


def test_an_unreadable_chunk_is_a_miss(site):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    aged(site_dir / "content/articles/a.md")
    tables = cache_tables()
    first = load_site(site_dir, **tables)
    stat = (site_dir / "content/articles/a.md").stat()
    state = ("article", "content/articles/a.md", stat.st_size, stat.st_mtime_ns, first.digests["content/articles/a.md"])
    unheaded = pickle.dumps([None])
    for damaged in (b"not marshal", marshal.dumps(([state], pickle.dumps([]))),
                    marshal.dumps(([state], b"not a pickle", [pickle.dumps([])]), 4),
                    marshal.dumps(([state], unheaded, [b"not a pickle"]), 4),
                    marshal.dumps(([state], unheaded, [pickle.dumps([])]), 4),
                    marshal.dumps(([state], unheaded, []), 4)):
        for key in tables["chunks"]:
            tables["chunks"][key] = damaged
        again = load_site(site_dir, **tables)
        assert again.articles == first.articles and again.cached == 1


def test_articles_found_in_their_chunks_are_decoded_only_when_read(site, monkeypatch):
    monkeypatch.setattr(document_chunks, "CHUNK_FILES", 4)
    site_dir = site({f"content/articles/{n:02d}.md": article(f"Bài {n}", f"2024-09-{n + 1:02d}") for n in range(16)})
    aged(*(site_dir / "content").rglob("*.md"))
    tables = cache_tables()
    first = load_site(site_dir, **tables)
    decoded = []
    decode = document_chunks._ChunkDocuments._decode
    monkeypatch.setattr(document_chunks._ChunkDocuments, "_decode",
                        lambda chunk, group: decoded.append(group) or decode(chunk, group))
    again = load_site(site_dir, **tables)
    assert again.articles.heads == first.articles.heads and decoded == []
    assert again.articles[5].title == "Bài 5" and len(decoded) == 1
    assert again.articles == first.articles and len(decoded) == len(tables["chunks"]) > 2


def test_a_document_that_cannot_be_read_when_needed_fails_the_build_naming_its_file(site):
    # The cache checks every entry's bytes, so only a bug can store documents that do not unpickle.
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    aged(site_dir / "content/articles/a.md")
    tables = cache_tables()
    load_site(site_dir, **tables)
    for key, value in list(tables["chunks"].items()):
        states, heads, _ = marshal.loads(value)
        tables["chunks"][key] = marshal.dumps((states, heads, [b"not a pickle"]), 4)
    again = load_site(site_dir, **tables)
    with pytest.raises(BuildFailed) as failure:
        again.articles[0]
    assert str(failure.value).startswith("content/articles/a.md:1: its document in the build cache cannot be read")


def test_a_second_load_parses_nothing_and_gives_the_same_documents(site):
    site_dir = site({
        "content/articles/a.md": article("Bài A", "2024-09-22", persons="[Tô Lâm]"),
        "content/articles/b.md": article("Bài B", "2024-09-23"),
        "content/persons/to-lam.md": "---\nname: Tô Lâm\n---\nTiểu sử.\n",
    })
    tables = cache_tables()
    first = load_site(site_dir, **tables)
    second = load_site(site_dir, **tables)
    assert (first.parsed, first.cached) == (3, 0)
    assert (second.parsed, second.cached) == (0, 3)
    assert second == first.__class__(**{**first.__dict__, "parsed": 0, "cached": 3})


def test_documents_decoded_by_an_earlier_load_are_taken_as_they_are(site):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22"),
                     "content/articles/b.md": article("Bài B", "2024-09-23"),
                     "content/persons/to-lam.md": "---\nname: Tô Lâm\n---\n"})

    class Asked(MemoryStore):
        def get_many(self, keys):
            keys = list(keys)
            self.asked = getattr(self, "asked", []) + keys
            return super().get_many(keys)

    tables = {**cache_tables(), "documents": Asked()}
    decoded: dict = {}
    first = load_site(site_dir, decoded=decoded, **tables)
    assert len(decoded) == 3
    tables["documents"].asked = []
    (site_dir / "content/articles/b.md").unlink()
    (site_dir / "content/articles/c.md").write_text(article("Bài C", "2024-09-24"), encoding="utf-8")
    again = load_site(site_dir, decoded=decoded, **tables)
    # Only the new file's document was looked for; the others are the very objects of the first load.
    assert len(tables["documents"].asked) == 1 and (again.parsed, again.cached) == (1, 2)
    assert again.articles[0] is first.articles[0] and again.persons[0] is first.persons[0]
    assert sorted(a.title for a in again.articles) == ["Bài A", "Bài C"]
    assert set(decoded) == set(again.digests.values())  # the deleted file's document is let go of


def test_documents_taken_decoded_are_kept_in_the_cache_with_their_bodies(site, tmp_path):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    decoded: dict = {}
    for _ in range(2):  # the second build in a new session, finding the document decoded already
        with Cache(tmp_path / "c.sqlite", "code") as cache:
            tables = {name: cache.table(name) for name in ("files", "documents", "bodies")}
            found = load_site(site_dir, decoded=decoded, **tables)
    assert set(decoded) <= tables["documents"].touched and found.articles[0].body in tables["bodies"].touched


def test_only_the_edited_file_is_parsed_again(site):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22"),
                     "content/articles/b.md": article("Bài B", "2024-09-23")})
    tables = cache_tables()
    load_site(site_dir, **tables)
    (site_dir / "content/articles/b.md").write_text(article("Bài B sửa", "2024-09-23"), encoding="utf-8")
    again = load_site(site_dir, **tables)
    assert (again.parsed, again.cached) == (1, 1)
    assert sorted(a.title for a in again.articles) == ["Bài A", "Bài B sửa"]


def test_a_file_rewritten_with_the_same_time_and_size_is_still_read_again(site):
    # A just-written file's stat is not trusted: the next load hashes it.
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    tables = cache_tables()
    load_site(site_dir, **tables)
    path = site_dir / "content/articles/a.md"
    stat = path.stat()
    path.write_text(article("Bài Z", "2024-09-22"), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert [a.title for a in load_site(site_dir, **tables).articles] == ["Bài Z"]


def test_settings_that_change_parsing_are_part_of_the_key(site):
    site_dir = site({"content/articles/a.md": "---\ntitle: A\ndate: 2024-09-22\n---\n<div onclick=\"x()\">Chữ</div>\n"})
    tables = cache_tables()
    safe = load_site(site_dir, **tables)
    unsafe = load_site(site_dir, config=SiteConfig(unsafe_html=True), **tables)
    assert unsafe.parsed == 1 and unsafe.articles[0].body != safe.articles[0].body
    assert 'onclick' in tables["bodies"][unsafe.articles[0].body].decode()


def test_problems_are_remembered_too(site):
    site_dir = site({"content/articles/a.md": "---\ntitle: A\n---\n"})
    tables = cache_tables()
    for _ in range(2):  # parsed, then remembered
        with pytest.raises(BuildFailed) as failure:
            load_site(site_dir, **tables)
        assert [str(p) for p in failure.value.problems] == ["content/articles/a.md:1: missing required key 'date'"]
    assert len(tables["documents"]) == 1


def test_an_unreadable_cache_entry_is_parsed_again(site):
    site_dir = site({"content/articles/a.md": article("Bài A", "2024-09-22")})
    tables = cache_tables()
    load_site(site_dir, **tables)
    for key in tables["documents"]:
        tables["documents"][key] = b"not a pickle"
    again = load_site(site_dir, **tables)
    assert again.parsed == 1 and again.articles[0].title == "Bài A"


def test_parsing_in_processes_gives_the_same_documents(site):
    site_dir = site({f"content/articles/{n}.md": article(f"Bài {n}", "2024-09-22") for n in range(250)})
    single, pooled = load_site(site_dir), load(site_dir, SiteConfig(), default_theme_dir(), jobs=2)
    assert pooled == single


def test_a_file_that_cannot_be_read_is_named_with_the_reason(site):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22")})
    (site_dir / "content/articles/b.md").symlink_to(site_dir / "moved-away.md")  # a link to nothing
    with pytest.raises(BuildFailed) as failed:
        load_site(site_dir)
    assert [str(p) for p in failed.value.problems] == ["content/articles/b.md:1: cannot read it: No such file or directory"]


def test_a_static_file_that_is_a_link_to_nothing_is_named(site):
    site_dir = site({"content/articles/a.md": article("A", "2024-09-22"), "static/css/own.css": "body {}"})
    (site_dir / "static/css/gone.css").symlink_to(site_dir / "moved-away.css")
    with pytest.raises(BuildFailed) as failed:
        load_site(site_dir)
    assert [str(p) for p in failed.value.problems] == ["static/css/gone.css:1: cannot read it: it is a link to nothing"]
