"""Stage 4, render: templates with autoescape and StrictUndefined, site templates over the theme."""

import json

import pytest

from newsgen.model import BuildFailed, Page, Plan
from newsgen.render import render

from conftest import write_files

SITE = {"title": "Lưu trữ", "language": "vi"}


def render_one(tmp_path, templates, context, template="page.html", **kwargs):
    write_files(tmp_path / "t", templates)
    (output,) = render(Plan(pages=(Page("x/index.html", template, {"site": SITE, **context}),)),
                       [tmp_path / "t"], **kwargs)
    return output.data.decode("utf-8")


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
    (output,) = render(Plan(pages=(Page("index.html", "page.html", {"site": SITE}),)), [tmp_path / "site", tmp_path / "theme"])
    assert output.data == b"site-base[theme-page]"


def test_dates_are_shown_in_vietnamese(tmp_path):
    html = render_one(tmp_path, {"page.html": "{{ moment | datetime }}|{{ day | date }}|{{ 2024 | month(9) }}"},
                      {"moment": "2024-09-23T07:00:00+07:00", "day": "2024-09-26"})
    assert html == "07:00 Thứ Hai, 23 tháng 9, 2024|26 tháng 9, 2024|tháng 9 năm 2024"


def test_the_same_pages_render_the_same_bytes_in_one_or_many_processes(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ n }} {{ site.title }}"})
    pages = tuple(Page(f"p{n}/index.html", "page.html", {"site": SITE, "n": n}) for n in range(300))
    single = render(Plan(pages=pages), [tmp_path / "t"], jobs=1)
    pooled = render(Plan(pages=pages), [tmp_path / "t"], jobs=2)
    assert single == pooled
    assert [f.relpath for f in single] == [p.relpath for p in pages]


def test_json_ld_cannot_end_its_script_element(tmp_path):
    title = "</script><script>alert(1)</script> & <!-- \u2028 Tô Lâm"
    html = render_one(tmp_path, {"page.html": '<script type="application/ld+json">{{ data | json_ld }}</script>'},
                      {"data": {"headline": title, "@type": "NewsArticle"}})
    inside = html.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in inside and ">" not in inside and "&" not in inside and "\u2028" not in inside
    assert "Tô Lâm" in inside  # UTF-8, not \\u escapes
    assert inside.index('"@type"') < inside.index('"headline"')  # sorted keys: the same bytes every build
    assert json.loads(inside) == {"headline": title, "@type": "NewsArticle"}
