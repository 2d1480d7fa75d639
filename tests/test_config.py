"""newsgen.yaml: defaults, typed options, every mistake named with its line."""

import pytest

from newsgen.config import Permalinks, SiteConfig, load_config
from newsgen.model import BuildFailed

from conftest import write_files


def test_a_site_without_config_gets_the_defaults(tmp_path):
    config = load_config(tmp_path)
    assert config == SiteConfig()
    assert config.language == "vi"
    assert config.timezone == "Asia/Ho_Chi_Minh"
    assert config.base_url == ""
    assert config.search is True


def test_a_config_that_cannot_be_read_is_named_not_taken_for_none(tmp_path):
    (tmp_path / "newsgen.yaml").mkdir()
    with pytest.raises(BuildFailed) as failed:
        load_config(tmp_path)
    assert [str(p) for p in failed.value.problems] == ["newsgen.yaml:1: cannot read it: Is a directory"]
    (tmp_path / "newsgen.yaml").rmdir()
    (tmp_path / "newsgen.yaml").symlink_to(tmp_path / "moved-away.yaml")  # a link to nothing: not "no config"
    with pytest.raises(BuildFailed) as failed:
        load_config(tmp_path)
    assert [str(p) for p in failed.value.problems] == ["newsgen.yaml:1: cannot read it: No such file or directory"]


def test_options_are_read_and_base_url_gets_its_slash(tmp_path):
    write_files(tmp_path, {"newsgen.yaml": """
        title: Lưu trữ
        base_url: https://example.org/sub
        per_page: 3
        unsafe_html: true
        search: false
        permalinks:
          article: "{year}/{slug}/"
          search: tim-kiem/
    """})
    config = load_config(tmp_path)
    assert config.title == "Lưu trữ"
    assert config.base_url == "https://example.org/sub/"
    assert config.per_page == 3
    assert config.unsafe_html is True
    assert config.search is False
    assert config.permalinks.search == "tim-kiem/"
    assert config.permalinks.article == "{year}/{slug}/"
    assert config.permalinks.person == Permalinks().person


def test_every_bad_option_is_named_with_its_line(tmp_path):
    write_files(tmp_path, {"newsgen.yaml": """
        title: Lưu trữ
        colour: red
        per_page: ten
        timezone: Mars/Olympus
        base_url: example.org
        permalinks:
          article: "/{slug}"
    """})
    with pytest.raises(BuildFailed) as failure:
        load_config(tmp_path)
    lines = [(p.line, p.message.split(" ")[0:2]) for p in failure.value.problems]
    assert [p.line for p in failure.value.problems] == [2, 3, 4, 5, 6]
    assert "unknown option 'colour'" in failure.value.problems[0].message
    assert all(p.path == "newsgen.yaml" for p in failure.value.problems), lines


@pytest.mark.parametrize("pattern", ["{year}/../{slug}/", "{slug}", "{year}/{title}/", "{year}/"])
def test_article_permalinks_must_stay_inside_and_tell_pages_apart(tmp_path, pattern):
    write_files(tmp_path, {"newsgen.yaml": f'permalinks:\n  article: "{pattern}"\n'})
    with pytest.raises(BuildFailed):
        load_config(tmp_path)


def test_feed_and_sitemap_options_have_defaults_and_are_read(tmp_path):
    defaults = SiteConfig()
    assert (defaults.feed_entries, defaults.sitemap_max_urls, defaults.news_sitemap, defaults.news_publication_name) \
        == (50, 50_000, False, "")
    write_files(tmp_path, {"newsgen.yaml": """
        feed_entries: 20
        sitemap_max_urls: 1000
        news_sitemap: true
        news_publication_name: Báo Mẫu
    """})
    config = load_config(tmp_path)
    assert (config.feed_entries, config.sitemap_max_urls, config.news_sitemap, config.news_publication_name) \
        == (20, 1000, True, "Báo Mẫu")


def test_bad_feed_and_sitemap_options_are_named_with_their_lines(tmp_path):
    write_files(tmp_path, {"newsgen.yaml": """
        feed_entries: 0
        sitemap_max_urls: 50001
        news_sitemap: "yes"
        news_publication_name: [a, b]
    """})
    with pytest.raises(BuildFailed) as failure:
        load_config(tmp_path)
    assert [str(p) for p in failure.value.problems] == [
        "newsgen.yaml:1: 'feed_entries' must be a whole number of at least 1, not 0",
        "newsgen.yaml:2: 'sitemap_max_urls' must be a whole number from 1 to 50000, not 50001",
        "newsgen.yaml:3: 'news_sitemap' must be true or false, not 'yes'",
        "newsgen.yaml:4: 'news_publication_name' must be text, not a list",
    ]


@pytest.mark.parametrize("language, locale", [("vi", "vi_VN"), ("en", "en_US"), ("en-GB", "en_GB"), ("fr", "fr_FR")])
def test_the_opengraph_locale_adds_the_likely_territory(language, locale):
    assert SiteConfig(language=language).og_locale == locale
