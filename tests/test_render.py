"""Stage 4, render: templates with autoescape and StrictUndefined, site templates over the theme."""

import pytest

from newsgen.model import BuildFailed, MemoryStore, Page, Plan
from newsgen.render import render

from conftest import write_files

SITE = {"title": "Lưu trữ", "language": "vi"}


def render_one(tmp_path, templates, context, template="page.html", **kwargs):
    write_files(tmp_path / "t", templates)
    pages = MemoryStore()
    rendered = render(Plan(pages=(Page("x/index.html", template, {"site": SITE, **context}),)),
                      [tmp_path / "t"], pages=pages, **kwargs)
    (output,) = rendered.files
    return pages[output.key].decode("utf-8")


def test_content_is_escaped(tmp_path):
    html = render_one(tmp_path, {"page.html": "<h1>{{ title }}</h1>"}, {"title": "</h1><script>alert(1)</script> & co"})
    assert html == "<h1>&lt;/h1&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</h1>"


def test_an_undefined_variable_is_an_error_naming_the_template_line(tmp_path):
    with pytest.raises(BuildFailed) as failure:
        render_one(tmp_path, {"page.html": "<p>ok</p>\n<p>{{ missing.name }}</p>\n"}, {})
    (problem,) = failure.value.problems
    assert problem.path.endswith("t/page.html") and problem.line == 2
    assert "'missing' is undefined" in problem.message


def test_a_syntax_error_names_the_template_line(tmp_path):
    with pytest.raises(BuildFailed) as failure:
        render_one(tmp_path, {"page.html": "<p>\n{% if %}\n"}, {})
    assert failure.value.problems[0].line == 2


def test_site_templates_override_the_theme_file_by_file(tmp_path):
    write_files(tmp_path, {
        "theme/base.html": "theme-base[{% block body %}{% endblock %}]",
        "theme/page.html": "{% extends 'base.html' %}{% block body %}theme-page{% endblock %}",
        "site/base.html": "site-base[{% block body %}{% endblock %}]",
    })
    pages = MemoryStore()
    (output,) = render(Plan(pages=(Page("index.html", "page.html", {"site": SITE}),)),
                       [tmp_path / "site", tmp_path / "theme"], pages=pages).files
    assert pages[output.key] == b"site-base[theme-page]"


def test_dates_are_shown_in_vietnamese(tmp_path):
    html = render_one(tmp_path, {"page.html": "{{ moment | datetime }}|{{ day | date }}|{{ 2024 | month(9) }}"},
                      {"moment": "2024-09-23T07:00:00+07:00", "day": "2024-09-26"})
    assert html == "07:00 Thứ Hai, 23 tháng 9, 2024|26 tháng 9, 2024|tháng 9 năm 2024"


def test_the_same_pages_render_the_same_bytes_in_one_or_many_processes(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ n }} {{ site.title }}"})
    pages = tuple(Page(f"p{n}/index.html", "page.html", {"site": SITE, "n": n}) for n in range(300))
    single_store, pooled_store = MemoryStore(), MemoryStore()
    single = render(Plan(pages=pages), [tmp_path / "t"], jobs=1, pages=single_store)
    pooled = render(Plan(pages=pages), [tmp_path / "t"], jobs=2, pages=pooled_store)
    assert single == pooled and single_store == pooled_store and len(single_store) == 300
    assert [f.relpath for f in single.files] == [p.relpath for p in pages]


def test_pages_found_in_the_store_are_not_rendered_again(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ n }}"})
    store = MemoryStore()
    first = render(Plan(pages=(Page("a/index.html", "page.html", {"n": 1}), Page("b/index.html", "page.html", {"n": 2}))),
                   [tmp_path / "t"], pages=store)
    again = render(Plan(pages=(Page("a/index.html", "page.html", {"n": 1}), Page("b/index.html", "page.html", {"n": 3}))),
                   [tmp_path / "t"], pages=store)
    assert (first.rendered, first.cached) == (2, 0)
    assert (again.rendered, again.cached) == (1, 1)
    assert [store[f.key] for f in again.files] == [b"1", b"3"]


def test_editing_any_template_renders_every_page_again(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{% include 'part.html' %}", "part.html": "old"})
    store = MemoryStore()
    plan = Plan(pages=(Page("a/index.html", "page.html", {}),))
    render(plan, [tmp_path / "t"], pages=store)
    (tmp_path / "t/part.html").write_text("new", encoding="utf-8")
    again = render(plan, [tmp_path / "t"], pages=store)
    assert again.rendered == 1 and store[again.files[0].key] == b"new"


def test_article_bodies_come_from_the_bodies_store(tmp_path):
    write_files(tmp_path / "t", {"page.html": "<div>{{ article.body | body }}</div>{{ '<b>' }}"})
    bodies, pages = MemoryStore(body1=b"<p>N\xe1\xbb\x99i dung &amp; co</p>"), MemoryStore()
    plan = Plan(pages=(Page("a/index.html", "page.html", {"article": {"body": "body1"}}, bodies=("body1",)),))
    (output,) = render(plan, [tmp_path / "t"], pages=pages, bodies=bodies).files
    assert pages[output.key].decode() == "<div><p>Nội dung &amp; co</p></div>&lt;b&gt;"


def test_a_body_the_page_did_not_ask_for_is_an_error(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ article.body | body }}"})
    plan = Plan(pages=(Page("a/index.html", "page.html", {"article": {"body": "body1"}}),))
    with pytest.raises(BuildFailed) as failure:
        render(plan, [tmp_path / "t"], bodies=MemoryStore(body1=b"x"))
    assert "did not ask for article body" in failure.value.problems[0].message
