"""Stage 4, render: templates with autoescape and StrictUndefined, site templates over the theme."""

import json

import pytest
from lxml import etree

from newsgen.model import BuildFailed, MemoryStore, Page, PageOutline, PageRecipe, Plan, PlannedPages
from newsgen.render import _CHUNK, render
from newsgen.theme import default_theme_dir

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


def test_an_override_added_later_in_the_same_process_is_used(tmp_path):
    write_files(tmp_path, {"theme/page.html": "theme-page"})
    plan = Plan(pages=(Page("index.html", "page.html", {"site": SITE}),))
    dirs = [tmp_path / "site", tmp_path / "theme"]
    pages = MemoryStore()
    (first,) = render(plan, dirs, pages=pages).files
    write_files(tmp_path, {"site/page.html": "site-page"})  # as while `newsgen serve` runs
    (second,) = render(plan, dirs, pages=pages).files
    assert (pages[first.key], pages[second.key]) == (b"theme-page", b"site-page")


def test_dates_are_shown_in_vietnamese(tmp_path):
    html = render_one(tmp_path, {"page.html": "{{ moment | datetime }}|{{ day | date }}|{{ 2024 | month(9) }}"},
                      {"moment": "2024-09-23T07:00:00+07:00", "day": "2024-09-26"})
    assert html == "07:00 Thứ Hai, 23 tháng 9, 2024|26 tháng 9, 2024|tháng 9 năm 2024"


@pytest.mark.parametrize("language", ["vi", "en", "fr"])
@pytest.mark.parametrize("moment", ["2024-09-23T07:00:00+07:00", "2024-09-23T23:59:30-05:30", "2024-09-23T12:00:00",
                                    "2024-09-23T00:15:00+00:00", "2024-09-23T00:00:00+00:00",
                                    "2024-09-23"])
def test_a_moment_is_formatted_as_babel_formats_the_whole_datetime(moment, language):
    """Date and time of day are formatted (and remembered) apart; the result is Babel's for the whole moment."""
    from datetime import datetime

    from babel.dates import format_date, format_time, get_datetime_format

    from newsgen.render import _moment

    whole = datetime.fromisoformat(moment)
    expected = (get_datetime_format("medium", locale=language)
                .replace("{1}", format_date(whole, "full", locale=language))
                .replace("{0}", format_time(whole, "short", tzinfo=whole.tzinfo, locale=language)))
    assert _moment(moment, language) == expected


def test_the_same_pages_render_the_same_bytes_in_one_or_many_processes(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ n }} {{ site.title }}"})
    pages = tuple(Page(f"p{n}/index.html", "page.html", {"site": SITE, "n": n}) for n in range(300))
    single_store, pooled_store = MemoryStore(), MemoryStore()
    single = render(Plan(pages=pages), [tmp_path / "t"], jobs=1, pages=single_store)
    pooled = render(Plan(pages=pages), [tmp_path / "t"], jobs=2, pages=pooled_store)
    assert single == pooled and single_store == pooled_store and len(single_store) == 300
    assert [f.relpath for f in single.files] == [p.relpath for p in pages]


def test_contexts_are_made_a_chunk_at_a_time_while_pages_render(tmp_path):
    """Render never holds the whole site's contexts: the first page is stored before most contexts exist."""
    write_files(tmp_path / "t", {"page.html": "{{ n }}"})
    made: list[int] = []
    made_at_first_store: list[int] = []

    def make(n):
        made.append(n)
        return {"n": n}

    class WatchingStore(MemoryStore):
        def put(self, key, value):
            if not made_at_first_store:
                made_at_first_store.append(len(made))
            super().put(key, value)

    total = 3 * _CHUNK
    recipes = [PageRecipe(f"p{n}/index.html", "page.html", lambda n=n: make(n)) for n in range(total)]
    rendered = render(Plan(pages=PlannedPages(recipes)), [tmp_path / "t"], jobs=1, pages=WatchingStore())
    assert rendered.rendered == total and sorted(made) == list(range(total))
    assert made_at_first_store == [_CHUNK]


def test_planned_pages_make_each_context_when_taken():
    calls = []
    pages = PlannedPages([PageRecipe(f"{n}.html", "t.html", lambda n=n: calls.append(n) or {"n": n}) for n in range(3)])
    assert calls == [] and len(pages) == 3
    assert pages[1] == Page("1.html", "t.html", {"n": 1}) and calls == [1]
    assert [page.context["n"] for page in pages] == [0, 1, 2] and calls == [1, 0, 1, 2]


def test_a_page_whose_inputs_are_remembered_has_its_context_not_made(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ site.language }} {{ n }}"})
    made: list[str] = []

    def recipe(name: str, n: int, inputs: str | None) -> PageRecipe:
        return PageRecipe(f"{name}.html", "page.html", lambda: made.append(name) or {"site": {"language": "vi"}, "n": n},
                          inputs=lambda: None if inputs is None else (inputs, ()))

    pages, contexts = MemoryStore(), MemoryStore()
    first = render(Plan(pages=PlannedPages([recipe("a", 1, "in-a"), recipe("b", 2, None)])), [tmp_path / "t"],
                   pages=pages, contexts=contexts)
    made.clear()
    # "a" keeps its inputs: known unchanged. "b" has none: always made. "c" is new.
    again = render(Plan(pages=PlannedPages([recipe("a", 1, "in-a"), recipe("b", 2, None), recipe("c", 3, "in-c")])),
                   [tmp_path / "t"], pages=pages, contexts=contexts)
    assert made == ["b", "c"] and again.contexts_made == 2 and first.contexts_made == 2
    assert (again.rendered, again.cached) == (1, 2)
    assert [pages[f.key] for f in again.files] == [b"vi 1", b"vi 2", b"vi 3"]

    # New inputs with an equal context give the same key; a remembered page evicted from the store is made and rendered.
    made.clear()
    evicted = next(f.key for f in again.files if f.relpath == "c.html")
    del pages[evicted]
    third = render(Plan(pages=PlannedPages([recipe("a", 1, "in-a2"), recipe("c", 3, "in-c")])), [tmp_path / "t"],
                   pages=pages, contexts=contexts)
    assert made == ["a", "c"] and (third.rendered, third.cached) == (1, 1)
    assert [f.key for f in third.files] == [f.key for f in again.files if f.relpath != "b.html"]


def test_rendering_the_same_plan_again_works_out_only_the_pages_of_changed_articles(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ n }}"})
    asked: list[str] = []
    made: list[str] = []
    stores = {"pages": MemoryStore(), "contexts": MemoryStore(), "renders": MemoryStore()}

    def recipe(relpath: str, n: int, reads: tuple[int, ...] | None) -> PageOutline:
        def inputs():
            asked.append(relpath)
            return (f"{relpath} {n}", reads)

        def make_recipe():
            made.append(relpath)
            return PageRecipe(relpath, "page.html", lambda: {"n": n}, inputs=inputs)
        return PageOutline(relpath, "page.html", make_recipe)

    def again(*outlines: PageOutline, digests: tuple[str, ...] = ("d0", "d1"), key: str = "shape 1"):
        asked.clear()
        made.clear()
        rendered = render(Plan(pages=PlannedPages(outlines), inputs_key=key, article_digests=digests),
                          [tmp_path / "t"], **stores)
        assert made == asked  # a page kept has not even its recipe made
        return rendered

    # The home page reads both articles, each article page its own; the sitemap reads them in ways no list vouches for.
    site = [recipe("index.html", 1, (0, 1)), recipe("a.html", 2, (0,)), recipe("b.html", 3, (1,)),
            recipe("sitemap.xml", 4, None)]
    first = again(*site)
    assert asked == ["index.html", "a.html", "b.html", "sitemap.xml"] and first.inputs_made == 4
    same = again(*site)
    assert asked == ["sitemap.xml"] and same.inputs_made == 1 and same.files == first.files

    # Article 1 changed: the pages that read it are worked out again, the others kept with their keys.
    changed = again(recipe("index.html", 1, (0, 1)), recipe("a.html", 2, (0,)), recipe("b.html", 5, (1,)),
                    recipe("sitemap.xml", 4, None), digests=("d0", "d1 edited"))
    assert asked == ["index.html", "b.html", "sitemap.xml"] and (changed.rendered, changed.cached) == (1, 3)
    assert [stores["pages"][f.key] for f in changed.files] == [b"1", b"2", b"5", b"4"]
    # A page that moved, or whose template changed, is not taken for the one that was at its place.
    moved = again(recipe("index.html", 1, (0, 1)), recipe("a2.html", 2, (0,)), recipe("b.html", 5, (1,)),
                  recipe("sitemap.xml", 4, None), digests=("d0", "d1 edited"))
    assert asked == ["a2.html", "sitemap.xml"] and moved.files[1].relpath == "a2.html"
    # Another plan (another shape, other settings) has a record of its own; an unreadable record is none.
    assert again(*site, key="shape 2").inputs_made == 4
    for record in stores["renders"]:
        stores["renders"][record] = b"damaged"
    assert again(*site).inputs_made == 4
    # Without a key nothing is recorded or kept.
    assert render(Plan(pages=PlannedPages(site)), [tmp_path / "t"], **stores).inputs_made == 4


def test_an_edit_rewrites_only_the_chunks_of_the_record_it_reaches(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ n }}"})

    class Counted(MemoryStore):
        def put(self, key, value):
            self.puts = getattr(self, "puts", []) + [key]
            super().put(key, value)

    renders = Counted()

    def again(digests: tuple[str, ...]):
        recipes = [PageRecipe(f"{n}.html", "page.html", lambda n=n: {"n": n}, inputs=lambda n=n: (str(n), (n % 2,)))
                   for n in range(_CHUNK)] + [PageRecipe("last.html", "page.html", lambda: {"n": digests[2]},
                                                          inputs=lambda: (f"last {digests[2]}", (2,)))]
        renders.puts = []
        return render(Plan(pages=PlannedPages(recipes), inputs_key="shape", article_digests=digests),
                      [tmp_path / "t"], renders=renders, pages=MemoryStore(), contexts=MemoryStore())

    again(("d0", "d1", "d2"))
    assert len(renders.puts) == 1 + 2 + 1  # the digests emptied, two chunks, the digests written
    assert again(("d0", "d1", "d2 edited")).inputs_made == 1
    # The first chunk's pages read nothing that changed: its entry stays as it was.
    digests = next(k for k in renders if ":" not in k)
    assert renders.puts == [digests, digests + ":1", digests]
    # Nothing changed since: nothing is worked out, nothing rewritten.
    assert again(("d0", "d1", "d2 edited")).inputs_made == 0 and renders.puts == []


def test_a_render_that_fails_half_way_leaves_no_record_to_trust(tmp_path):
    write_files(tmp_path / "t", {"page.html": "{{ n }} {{ 'b1' | body if n == 2 else '' }}"})
    stores = {"pages": MemoryStore(), "contexts": MemoryStore(), "renders": MemoryStore(), "bodies": MemoryStore()}

    def again(n: int, digests: tuple[str, ...]):
        recipes = [PageRecipe("a.html", "page.html", lambda: {"n": 1}, inputs=lambda: ("a", (0,))),
                   PageRecipe("b.html", "page.html", lambda: {"n": n}, ("b1",), inputs=lambda: (f"b {n}", (1,)))]
        return render(Plan(pages=PlannedPages(recipes), inputs_key="shape", article_digests=digests),
                      [tmp_path / "t"], **stores)

    stores["bodies"]["b1"] = "<p>Bài</p>".encode()
    again(1, ("d0", "d1"))
    del stores["bodies"]["b1"]  # page b, changed, cannot be rendered: the build fails after the record was begun
    with pytest.raises(BuildFailed):
        again(2, ("d0", "d1 edited"))
    stores["bodies"]["b1"] = "<p>Bài</p>".encode()
    third = again(2, ("d0", "d1 edited"))
    assert third.inputs_made == 2 and third.rendered == 1
    assert [stores["pages"][f.key] for f in third.files] == [b"1 ", "2 <p>Bài</p>".encode()]


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


def test_json_ld_cannot_end_its_script_element(tmp_path):
    title = "</script><script>alert(1)</script> & <!-- \u2028 Tô Lâm"
    html = render_one(tmp_path, {"page.html": '<script type="application/ld+json">{{ data | json_ld }}</script>'},
                      {"data": {"headline": title, "@type": "NewsArticle"}})
    inside = html.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in inside and ">" not in inside and "&" not in inside and "\u2028" not in inside
    assert "Tô Lâm" in inside  # UTF-8, not \\u escapes
    assert inside.index('"@type"') < inside.index('"headline"')  # sorted keys: the same bytes every build
    assert json.loads(inside) == {"headline": title, "@type": "NewsArticle"}


def test_feed_content_is_html_escaped_once_for_xml(tmp_path):
    templates = {"feed.xml": '{% set html %}<p>{{ text }}</p>{{ body | safe }}{% endset %}'
                             '<content type="html">{{ html | forceescape }}</content>'}
    xml = render_one(tmp_path, templates, {"text": "a < b & c", "body": "<em>x</em>"}, template="feed.xml")
    assert xml == '<content type="html">&lt;p&gt;a &amp;lt; b &amp;amp; c&lt;/p&gt;&lt;em&gt;x&lt;/em&gt;</content>'


def test_the_packaged_feed_templates_escape_text_and_attributes(tmp_path):
    entry = {"id": "https://example.org/a/", "url": "https://example.org/a/?x=1&y=2", "title": 'A "B" <C> & D',
             "summary": "S < T", "body": "b1", "image": None, "image_caption": None,
             "published": "2024-09-22T00:00:00+07:00", "updated": "2024-09-22T00:00:00+07:00",
             "published_rfc822": "Sun, 22 Sep 2024 00:00:00 +0700", "authors": ["Hoàng & An"],
             "categories": [{"term": 'a"b', "label": "<L>", "scheme": None}]}
    feed = {"id": "https://example.org/feed.xml", "title": "T & U", "subtitle": "", "language": "vi",
            "author": "<Site>", "page_url": "https://example.org/", "atom_url": "https://example.org/feed.xml",
            "rss_url": "https://example.org/rss.xml", "updated": entry["updated"],
            "updated_rfc822": entry["published_rfc822"], "entries": [entry]}
    store = MemoryStore()
    atom, rss = (store[f.key] for f in render(
        Plan(pages=(Page("feed.xml", "atom.xml", {"site": SITE, "feed": feed}, bodies=("b1",)),
                    Page("rss.xml", "rss.xml", {"site": SITE, "feed": feed}, bodies=("b1",)))),
        [default_theme_dir() / "templates"], jobs=1, pages=store, bodies=MemoryStore(b1=b"<p>Body &amp; more</p>")).files)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = etree.fromstring(atom)
    assert root.xpath("string(a:entry/a:title)", namespaces=ns) == 'A "B" <C> & D'
    assert root.xpath("string(a:entry/a:link/@href)", namespaces=ns) == "https://example.org/a/?x=1&y=2"
    assert root.xpath("string(a:entry/a:category/@term)", namespaces=ns) == 'a"b'
    assert root.xpath("string(a:entry/a:content)", namespaces=ns) == "<p>Body &amp; more</p>"
    assert root.xpath("string(a:author/a:name)", namespaces=ns) == "<Site>"
    channel = etree.fromstring(rss).find("channel")
    assert channel.findtext("item/title") == 'A "B" <C> & D'
    assert channel.findtext("item/description") == "S &lt; T"  # HTML, as RSS readers take it
    assert channel.findtext("description") == "T & U"  # no subtitle: the title


def test_messages_render_as_jinja2s_own_i18n_renders_them(tmp_path):
    """newsgen translates constant messages as templates compile, and calls its own gettext for the others;
    pages read as they would with jinja2.ext.i18n (new style), escaping and autoescape blocks included."""
    import jinja2

    from newsgen.render import _translations, environment

    write_files(tmp_path, {
        "locale/vi/LC_MESSAGES/messages.po": """
            msgid ""
            msgstr ""
            "Content-Type: text/plain; charset=UTF-8\\n"
            "Plural-Forms: nplurals=1; plural=0;\\n"

            msgid "Home"
            msgstr "Trang chủ"

            msgid "<b>%(name)s</b> & co"
            msgstr "<b>%(name)s</b> & cộng sự"

            msgid "%(num)s article"
            msgid_plural "%(num)s articles"
            msgstr[0] "%(num)s bài"
        """,
        "page.html": ('{{ _("Home") }}|{{ gettext("Home") }}|{{ _("100%% sure") }}|'
                      '{{ _("<b>%(name)s</b> & co", name="<i>") }}|'
                      '{% trans count=3 %}{{ count }} article{% pluralize %}{{ count }} articles{% endtrans %}|'
                      '{% trans %}Home{% endtrans %}|{{ ngettext("%(num)s article", "%(num)s articles", 2) }}|'
                      '{{ _("a < b") }}|{% autoescape false %}{{ _("<b>%(name)s</b> & co", name="<i>") }}'
                      '{{ _("a < b") }}{% endautoescape %}'),
        "rebound.html": ('{% macro m(_) %}{{ _("Home") }}{% endmacro %}{{ m(gettext) }}|'
                         '{% set _ = "{}!".format %}{{ _("Home") }}'),
    })
    jinja = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path)), autoescape=True,
                               extensions=["jinja2.ext.i18n"])
    jinja.install_gettext_translations(_translations((str(tmp_path),), "vi"), newstyle=True)
    ours = environment((str(tmp_path),), "vi")
    expected = jinja.get_template("page.html").render()
    assert expected == ("Trang chủ|Trang chủ|100% sure|<b>&lt;i&gt;</b> & cộng sự|3 articles|Trang chủ|2 bài|a < b|"
                        "<b><i></b> & cộng sựa < b")
    assert ours.get_template("page.html").render() == expected
    # Where the template gives `_` a meaning of its own, it keeps it.
    assert ours.get_template("rebound.html").render() == jinja.get_template("rebound.html").render() == "Trang chủ|Home!"