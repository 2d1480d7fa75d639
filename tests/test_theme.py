"""The default theme: its words in a message catalogue chosen by the site's language, valid HTML by the
W3C Nu HTML Checker on every page, and a small budget of styles and scripts with nothing from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from newsgen.build import build
from newsgen.model import BuildFailed

from conftest import REPOSITORY, article
from validators import nu_html_errors

GOLDEN = REPOSITORY / "tests" / "golden" / "sample"
LOCALE = REPOSITORY / "templates" / "locale"
BUDGET = 50_000  # bytes of CSS and JavaScript a page may load
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def theme_messages() -> set[str | tuple[str, str]]:
    """Every message the theme's templates mark, extracted as `make messages` does (babel.cfg)."""
    options = {"trimmed": "true", "newstyle_gettext": "true", "trim_blocks": "true", "lstrip_blocks": "true"}
    found = extract_from_dir(REPOSITORY / "templates", [("**.html", "jinja2")], {"**.html": options})
    return {message if isinstance(message, str) else tuple(message) for _, _, message, _, _ in found}


def catalogue(path: Path):
    with path.open("rb") as po:
        return read_po(po)


def test_the_template_and_the_vietnamese_catalogue_hold_every_message_of_the_theme():
    messages = theme_messages()
    assert len(messages) > 40
    template = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogue(LOCALE / "messages.pot") if m.id}
    assert template == messages, "run `make messages` and translate what is new"
    vi = {m.id if isinstance(m.id, str) else tuple(m.id): m for m in catalogue(LOCALE / "vi/LC_MESSAGES/messages.po") if m.id}
    assert set(vi) == messages, "run `make messages` and translate what is new"
    for key, message in vi.items():
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings) and not message.fuzzy, f"untranslated: {key!r}"
        source = key if isinstance(key, str) else key[0]
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(source)), key


LANGUAGE_SITE = {
    "content/articles/a.md": article("Thăm Cuba", "2024-09-26", persons="[Tô Lâm]"),
}


def built_home(site_dir: Path, tmp_path: Path):
    report = build(site_dir, tmp_path / "out", jobs=1, use_cache=False)
    return report, (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


def test_the_sites_language_picks_the_catalogue(site, tmp_path):
    report, html = built_home(site({**LANGUAGE_SITE, "newsgen.yaml": "language: vi-VN\n"}), tmp_path)
    assert ">Tin mới</a>" in html and "Chuyển đến nội dung chính" in html
    assert not any("catalogue" in warning for warning in report.warnings)


def test_english_is_the_theme_s_own_language(site, tmp_path):
    report, html = built_home(site({**LANGUAGE_SITE, "newsgen.yaml": "language: en\n"}), tmp_path)
    assert ">Latest news</a>" in html and "1 article" not in html
    assert not any("catalogue" in warning for warning in report.warnings)


def test_a_language_without_a_catalogue_falls_back_to_english_with_a_warning(site, tmp_path):
    report, html = built_home(site({**LANGUAGE_SITE, "newsgen.yaml": "language: fr\n"}), tmp_path)
    assert '<html lang="fr">' in html and ">Latest news</a>" in html
    assert [w for w in report.warnings if "catalogue" in w] == [
        "no message catalogue for language 'fr', so the theme's words are in English "
        "(add templates/locale/fr/LC_MESSAGES/messages.po to translate them)"]


def test_a_site_adds_a_language_or_corrects_a_word_with_its_own_catalogue(site, tmp_path):
    po = 'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\nmsgid "Latest news"\nmsgstr "Dernières nouvelles"\n'
    report, html = built_home(site({**LANGUAGE_SITE, "newsgen.yaml": "language: fr\n",
                                    "templates/locale/fr/LC_MESSAGES/messages.po": po}), tmp_path)
    assert ">Dernières nouvelles</a>" in html and ">Persons</a>" in html
    assert not any("catalogue" in warning for warning in report.warnings)


def test_a_broken_catalogue_is_named_with_its_line(site, tmp_path):
    po = 'msgid ""\nmsgstr ""\n\nmsgid "Latest news"\n\nmsgid "Persons"\nmsgstr "Nhân vật"\n'
    with pytest.raises(BuildFailed) as failure:
        built_home(site({**LANGUAGE_SITE, "templates/locale/vi/LC_MESSAGES/messages.po": po}), tmp_path)
    (problem,) = set(failure.value.problems)
    assert problem.path.endswith("templates/locale/vi/LC_MESSAGES/messages.po") and problem.line == 4
    assert problem.message == "message catalogue: missing msgstr for msgid 'Latest news' on 3"


def test_every_page_of_the_sample_is_valid_html(served_sample):
    _, served = served_sample
    checked, errors = nu_html_errors(GOLDEN, served)
    assert checked > 60
    assert errors == []


class _Assets(HTMLParser):
    """The style sheets, scripts and pictures a page loads."""

    def __init__(self):
        super().__init__()
        self.styles: list[str] = []
        self.scripts: list[str] = []
        self.others: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])
        elif tag == "link" and attrs.get("rel") == "icon":
            self.others.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag in ("img", "iframe", "video", "audio", "source") and attrs.get("src"):
            self.others.append(attrs["src"])


@pytest.mark.parametrize("page", sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.html")))
def test_a_page_loads_little_and_nothing_from_elsewhere(page):
    assets = _Assets()
    assets.feed((GOLDEN / page).read_text(encoding="utf-8"))
    for url in assets.styles + assets.scripts + assets.others:
        assert not urlsplit(url).scheme and not url.startswith("//"), url
    if page.startswith("search/"):
        # Pagefind's search UI is made with the index and is not in the golden tree; its page alone
        # loads it (about 135 KB), and only when a reader searches.
        return
    size = sum((GOLDEN / page).parent.joinpath(url).resolve().stat().st_size for url in assets.styles + assets.scripts)
    assert 0 < size < BUDGET


def test_pictures_have_their_caption_and_alt_text(site, tmp_path):
    site_dir = site({
        "content/persons/to-lam.md": "---\nname: Tô Lâm\nimage: images/to-lam.jpg\n---\n",
        "content/articles/a.md": article("Thăm Cuba", "2024-09-26", persons="[Tô Lâm]", image="images/cuba.jpg",
                                         image_caption="Lễ đón tại La Habana"),
        "static/images/cuba.jpg": b"\xff\xd8\xff\xd9",
        "static/images/to-lam.jpg": b"\xff\xd8\xff\xd9",
    })
    build(site_dir, tmp_path / "out", jobs=1, use_cache=False)
    article_html = (tmp_path / "out/2024/09/tham-cuba/index.html").read_text(encoding="utf-8")
    assert '<img src="../../../images/cuba.jpg" alt="Lễ đón tại La Habana">' in article_html
    assert "<figcaption>Lễ đón tại La Habana</figcaption>" in article_html
    person_html = (tmp_path / "out/persons/to-lam/index.html").read_text(encoding="utf-8")
    assert '<img class="portrait" src="../../images/to-lam.jpg" alt="Chân dung Tô Lâm">' in person_html
