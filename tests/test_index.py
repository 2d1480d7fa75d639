"""Stage 2, index: names resolved to persons and events, articles grouped in time order."""

import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from newsgen import index as index_module
from newsgen import text
from newsgen.index import index
from newsgen.model import Articles, BuildFailed, Deferred, MemoryStore

from conftest import archive_of, article, load_site, write_files

PERSON_TO_LAM = """
---
name: Tô Lâm
aliases: [Tổng Bí thư Tô Lâm]
---
"""


def test_names_resolve_by_id_name_alias_case_nfd_and_tone_placement(site):
    nfd = unicodedata.normalize("NFD", "Tô Lâm")
    archive = archive_of(site({
        "content/persons/to-lam.md": PERSON_TO_LAM,
        "content/events/khoa-79.md": "---\nname: Đại hội đồng Khóa 79\n---\n",
        "content/articles/a.md": article("A", "2024-09-21", persons="[to-lam]", events="[đại hội đồng khoá 79]"),
        "content/articles/b.md": article("B", "2024-09-22", persons=f"[{nfd}]"),
        "content/articles/c.md": article("C", "2024-09-23", persons="[TỔNG BÍ THƯ TÔ LÂM, tô lâm]"),
    }))
    assert [p.id for p in archive.persons] == ["to-lam"]
    assert archive.article_persons == (("to-lam",), ("to-lam",), ("to-lam",))
    assert archive.article_events == ((), (), ("khoa-79",))
    assert [archive.articles[i].title for i in archive.person_articles["to-lam"]] == ["A", "B", "C"]


def test_a_name_without_a_file_gets_an_entity_under_its_slug(site):
    archive = archive_of(site({
        "content/articles/a.md": article("A", "2024-09-21", persons="[Ngô Phương Ly]", events="[Tọa đàm USABC]"),
        "content/articles/b.md": article("B", "2024-09-22", persons="[ngô phương ly]"),
    }))
    assert [(p.id, p.name, p.path) for p in archive.persons] == [("ngo-phuong-ly", "Ngô Phương Ly", None)]
    assert [(e.id, e.name) for e in archive.events] == [("toa-dam-usabc", "Tọa đàm USABC")]
    assert len(archive.person_articles["ngo-phuong-ly"]) == 2


def test_two_names_with_one_slug_are_an_error_naming_both_files(site):
    with pytest.raises(BuildFailed) as failure:
        archive_of(site({
            "content/articles/a.md": article("A", "2024-09-21", persons="[Tô Lâm]"),
            "content/articles/b.md": article("B", "2024-09-22", persons="[To Lam]"),
        }))
    (problem,) = failure.value.problems
    assert problem.path == "content/articles/b.md" and problem.line == 4
    assert "'To Lam' and 'Tô Lâm' (content/articles/a.md:4) both have the id 'to-lam'" in problem.message


def test_a_name_taking_a_files_id_without_being_its_alias_is_an_error(site):
    with pytest.raises(BuildFailed) as failure:
        archive_of(site({
            "content/persons/to-lam.md": PERSON_TO_LAM,
            "content/articles/a.md": article("A", "2024-09-21", persons="[To Lam]"),
        }))
    assert "has the id 'to-lam' of content/persons/to-lam.md" in failure.value.problems[0].message


def test_two_files_claiming_one_alias_are_an_error_naming_both(site):
    with pytest.raises(BuildFailed) as failure:
        archive_of(site({
            "content/persons/a.md": "---\nname: A\naliases: [Chủ tịch]\n---\n",
            "content/persons/b.md": "---\nname: B\naliases: [chủ tịch]\n---\n",
        }))
    message = failure.value.problems[0].message
    assert "content/persons/a.md" in message and "content/persons/b.md" in message


def test_articles_are_newest_first_and_groups_oldest_first(site):
    archive = archive_of(site({
        "content/articles/a.md": article("Giữa", "2024-09-22T12:00:00+07:00", persons="[X]"),
        "content/articles/b.md": article("Cuối", "2024-10-01", persons="[X]"),
        "content/articles/c.md": article("Đầu", "2024-09-22T08:00:00+07:00", persons="[X]"),
    }))
    assert [a.title for a in archive.articles] == ["Cuối", "Giữa", "Đầu"]
    assert [archive.articles[i].title for i in archive.person_articles["x"]] == ["Đầu", "Giữa", "Cuối"]
    assert {key: [archive.articles[i].title for i in value] for key, value in archive.months.items()} == {
        (2024, 9): ["Đầu", "Giữa"], (2024, 10): ["Cuối"],
    }


def test_month_follows_the_site_timezone(site):
    archive = archive_of(site({"content/articles/a.md": article("A", "2024-09-30T20:00:00-04:00")}))
    assert list(archive.months) == [(2024, 10)]


def test_events_know_parent_children_and_gather_sub_event_articles(site):
    archive = archive_of(site({
        "content/events/trip.md": "---\nname: Chuyến công tác\nstart: 2024-09-21\n---\n",
        "content/events/cuba.md": "---\nname: Thăm Cuba\nstart: 2024-09-25\nparent: trip\n---\n",
        "content/events/mou.md": "---\nname: Ký bản ghi nhớ\nstart: 2024-09-26\nparent: Thăm Cuba\n---\n",
        "content/articles/a.md": article("A", "2024-09-26", events="[mou]"),
        "content/articles/b.md": article("B", "2024-09-21", events="[trip]"),
    }))
    assert archive.event_parent == {"cuba": "trip", "mou": "cuba"}
    assert archive.event_children == {"trip": ("cuba",), "cuba": ("mou",)}
    titles = lambda event: [archive.articles[i].title for i in archive.event_articles[event]]
    assert titles("trip") == ["B", "A"]
    assert titles("cuba") == ["A"]
    assert [e.id for e in archive.events] == ["trip", "cuba", "mou"]


def test_parent_loops_and_unknown_parents_are_errors(site):
    with pytest.raises(BuildFailed) as failure:
        archive_of(site({
            "content/events/a.md": "---\nname: A\nparent: b\n---\n",
            "content/events/b.md": "---\nname: B\nparent: a\n---\n",
            "content/events/c.md": "---\nname: C\nparent: nowhere\n---\n",
        }))
    messages = [p.message for p in failure.value.problems]
    assert any("loop: a -> b -> a" in m for m in messages)
    assert any("unknown parent event 'nowhere'" in m for m in messages)


def test_persons_sort_in_vietnamese_order_by_sort_name_else_given_name(site):
    archive = archive_of(site({
        "content/persons/nelson.md": "---\nname: Brendan Nelson\nsort_name: Nelson, Brendan\n---\n",
        "content/articles/a.md": article("A", "2024-09-21", persons="[Đặng Thị Ngọc Thịnh, Nguyễn Văn An, Trần Ân, "
                                         "Lê Văn Đức, Phạm Dũng, Vũ Ơn, Hồ Ước, Lê Ánh, Brendan Nelson, Nguyễn Ân]"),
    }))
    assert [p.name for p in archive.persons] == [
        "Nguyễn Văn An", "Lê Ánh", "Nguyễn Ân", "Trần Ân", "Phạm Dũng", "Lê Văn Đức", "Brendan Nelson", "Vũ Ơn",
        "Đặng Thị Ngọc Thịnh", "Hồ Ước"]


def test_letter_weights_kept_in_a_store_spare_the_next_index_the_collation_table(site, monkeypatch):
    documents = load_site(site({
        "content/articles/a.md": article("A", "2024-09-21", persons="[Đặng Thị Ngọc Thịnh, Nguyễn Văn An, Vũ Ơn]"),
    }))
    letters = MemoryStore()
    monkeypatch.setattr(text, "_KNOWN_LETTERS", {})
    text._collator.cache_clear()
    text.collation_key.cache_clear()
    first = index(documents, letters=letters)
    assert text._collator.cache_info().currsize == 1 and letters

    monkeypatch.setattr(text, "_KNOWN_LETTERS", {})  # a new process
    text._collator.cache_clear()
    text.collation_key.cache_clear()
    again = index(documents, letters=letters)
    assert text._collator.cache_info().currsize == 0
    assert [p.name for p in again.persons] == [p.name for p in first.persons] == ["Nguyễn Văn An", "Vũ Ơn", "Đặng Thị Ngọc Thịnh"]


def test_related_articles_are_older_ones_sharing_the_most_persons_and_events_newest_first(site):
    files = {
        "content/articles/a.md": article("A", "2024-09-01", persons="[Tô Lâm, Lê Quang Tùng]", events="[Thăm Cuba]"),
        "content/articles/b.md": article("B", "2024-09-02", persons="[Tô Lâm]"),
        "content/articles/c.md": article("C", "2024-09-03", persons="[Ngô Phương Ly]"),
        "content/articles/d.md": article("D", "2024-09-04", persons="[Tô Lâm]"),
        "content/articles/e.md": article("E", "2024-09-05", persons="[Tô Lâm, Lê Quang Tùng]", events="[Thăm Cuba]"),
    }
    archive = archive_of(site(files))
    related = {archive.articles[i].title: [archive.articles[j].title for j in r] for i, r in enumerate(archive.related)}
    assert related == {"E": ["A", "D", "B"], "D": ["B", "A"], "C": [], "B": ["A"], "A": []}


def test_a_new_article_leaves_the_related_lists_of_older_ones_alone(site):
    files = {f"content/articles/{n}.md": article(f"Bài {n}", f"2024-09-{n:02d}", persons="[Tô Lâm]")
             for n in range(1, 8)}
    before = archive_of(site(files))
    files["content/articles/9.md"] = article("Bài 9", "2024-09-09", persons="[Tô Lâm]")
    after = archive_of(site(files))

    def titles(archive):
        return {archive.articles[i].title: [archive.articles[j].title for j in r] for i, r in enumerate(archive.related)}
    assert titles(after)["Bài 9"] == ["Bài 7", "Bài 6", "Bài 5", "Bài 4", "Bài 3"]
    assert {k: v for k, v in titles(after).items() if k != "Bài 9"} == titles(before)


def test_related_articles_look_back_a_bounded_number_of_articles_per_person(site):
    from newsgen.index import RELATED_LOOKBACK
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    files = {f"content/articles/{n:03d}.md": article(f"Bài {n}", (start + timedelta(hours=n)).isoformat(), persons="[Tô Lâm]")
             for n in range(RELATED_LOOKBACK + 10)}
    files["content/articles/old.md"] = article("Cũ", "2023-01-01", persons="[Tô Lâm, Ngô Phương Ly]")
    files["content/articles/new.md"] = article("Mới", "2025-01-01", persons="[Tô Lâm, Ngô Phương Ly]")
    archive = archive_of(site(files))
    assert archive.articles[0].title == "Mới"
    # "Cũ" shares both persons, but lies beyond the look-back along Tô Lâm's articles: it counts
    # once (through Ngô Phương Ly), like the newer articles about Tô Lâm alone, which win on recency.
    n = RELATED_LOOKBACK + 9
    assert [archive.articles[j].title for j in archive.related[0]] == [f"Bài {n - k}" for k in range(5)]


SHAPED_SITE = {
    "content/persons/to-lam.md": PERSON_TO_LAM,
    "content/events/apec.md": "---\nname: APEC 2025\n---\n",
    "content/events/apec-ceo.md": "---\nname: Hội nghị Thượng đỉnh Doanh nghiệp APEC\nparent: apec\n---\n",
    "content/articles/a.md": article("A", "2025-10-30", persons="[Tô Lâm, Lý Cường]", events="[APEC 2025]"),
    "content/articles/b.md": article("B", "2025-10-31", persons="[Tổng Bí thư Tô Lâm]", events="[apec-ceo]"),
    "content/articles/c.md": article("C", "2025-11-01", persons="[lý cường]", events="[Hội nghị Không Có Tệp]"),
}


def _indexed_counting(monkeypatch) -> list:
    """Make index count how many times it works the archive out instead of taking its stored shape."""
    calls = []
    worked_out = index_module._worked_out
    monkeypatch.setattr(index_module, "_worked_out", lambda documents: calls.append(1) or worked_out(documents))
    return calls


def test_an_archive_taken_from_its_stored_shape_equals_the_one_worked_out(site, monkeypatch):
    documents = load_site(site(SHAPED_SITE))
    shapes = MemoryStore()
    calls = _indexed_counting(monkeypatch)
    first = index(documents, shapes=shapes)
    again = index(documents, shapes=shapes)
    assert calls == [1] and len(shapes) == 2  # the shape, and what index read of each article
    assert again == first == index(documents)
    assert [type(e).__name__ for e in again.events] == ["Event"] * 3


def test_an_archive_of_a_known_shape_is_made_without_reading_an_article(site):
    documents = load_site(site(SHAPED_SITE))
    shapes = MemoryStore()
    first = index(documents, shapes=shapes)
    read = []
    deferred = Articles(Deferred(head, lambda n: read.append(n) or documents.articles[n], n)
                        for n, head in enumerate(documents.articles.heads))
    again = index(replace(documents, articles=deferred), shapes=shapes)
    assert read == [] and again.articles.heads == first.articles.heads
    assert again == first and len(read) == len(documents.articles)


def test_what_index_reads_of_an_article_is_worked_out_again_only_when_the_article_changed(tmp_path, monkeypatch):
    files = dict(SHAPED_SITE)
    shapes = MemoryStore()
    index(load_site(write_files(tmp_path / "before", files)), shapes=shapes)
    files["content/articles/b.md"] += "Thêm một câu.\n"
    made = []
    original = index_module._article_part
    monkeypatch.setattr(index_module, "_article_part", lambda article: made.append(article.path) or original(article))
    index(load_site(write_files(tmp_path / "after", files)), shapes=shapes)
    assert made == ["content/articles/b.md"]
    # An unreadable record of them is worked out again, not trusted.
    shapes["article parts"] = b"damaged"
    made.clear()
    index(load_site(write_files(tmp_path / "after", files)), shapes=shapes)
    assert len(made) == len([path for path in files if path.startswith("content/articles/")])


@pytest.mark.parametrize("edit, kept", [
    (lambda f: f.update({"content/articles/b.md": f["content/articles/b.md"] + "Thêm một câu.\n"}), True),
    (lambda f: f.update({"content/articles/b.md": f["content/articles/b.md"].replace("title: B", "title: Bài B")}), True),
    (lambda f: f.update({"content/articles/b.md": f["content/articles/b.md"].replace("2025-10-31", "2025-09-30")}), False),
    (lambda f: f.update({"content/articles/b.md": f["content/articles/b.md"].replace("[apec-ceo]", "[APEC 2025]")}), False),
    (lambda f: f.update({"content/persons/to-lam.md": PERSON_TO_LAM.replace("aliases: [", "aliases: [Lâm, ")}), False),
    (lambda f: f.update({"content/articles/d.md": article("D", "2020-01-01")}), False),
    (lambda f: f.pop("content/articles/a.md"), False),
])
def test_an_edit_to_what_index_reads_works_the_archive_out_again_and_any_other_keeps_its_shape(
        tmp_path, monkeypatch, edit, kept):
    files = dict(SHAPED_SITE)
    shapes = MemoryStore()
    before = index(load_site(write_files(tmp_path / "before", files)), shapes=shapes)
    edit(files)
    documents = load_site(write_files(tmp_path / "after", files))
    calls = _indexed_counting(monkeypatch)
    archive = index(documents, shapes=shapes)
    assert calls == ([] if kept else [1])
    # The archive names its shape, for the stages after it; without a store of shapes it is not worked out.
    assert (archive.shape == before.shape) == kept and archive.shape and index(documents).shape is None
    assert archive == index(documents)
    assert archive.articles == tuple(sorted(documents.articles, key=lambda a: (a.date, a.path), reverse=True))


def test_a_damaged_shape_is_worked_out_again(site, monkeypatch):
    documents = load_site(site(SHAPED_SITE))
    shapes = MemoryStore()
    first = index(documents, shapes=shapes)
    for key in shapes:
        shapes[key] = b"not marshal"
    calls = _indexed_counting(monkeypatch)
    assert index(documents, shapes=shapes) == first and calls == [1]
