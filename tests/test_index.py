"""Stage 2, index: names resolved to persons and events, articles grouped in time order."""

import unicodedata

import pytest

from newsgen.model import BuildFailed

from conftest import archive_of, article

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
