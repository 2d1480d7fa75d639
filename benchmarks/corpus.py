"""A deterministic synthetic Vietnamese news corpus, written as a newsgen, a Hugo and a Pelican site.

The same N articles go to all three: titles, dates, slugs, bodies and the
persons and events each article names. Persons and events are drawn with
Zipf-distributed popularity, as in a real archive where a few leaders appear
in thousands of articles and most people in a handful. In Hugo and Pelican
the persons and events are taxonomy terms / tags, so each of them also gets
a page listing its articles, like newsgen's person and event pages.

    python benchmarks/corpus.py 10000 /tmp/corpus   # writes /tmp/corpus/{newsgen,hugo,pelican}
"""

from __future__ import annotations

import argparse
import bisect
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path

from slugify import slugify

SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương Trịnh".split()
MIDDLE = "Văn Thị Đức Minh Quang Thanh Hữu Xuân Ngọc Thu Hồng Anh Bá Công Đình Kim".split()
GIVEN = ("Lâm Hùng Dũng Tùng Hà Lan Hải Long Sơn Trung Phúc Chính Vượng Mẫn Huệ Đam Khải Thắng Hòa Khoa Nghĩa "
         "Phương Ly Thủy Quân Bình Cường Đạt Giang Hiếu Hoa Huy Khánh Linh Mai Nam Ngân Oanh Quyết Thảo").split()
PLACES = ["Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng", "Huế", "Cần Thơ", "Hải Phòng", "Quảng Trị", "New York",
          "Washington", "La Habana", "Bắc Kinh", "Tokyo", "Seoul", "Paris", "Berlin", "Moskva", "Viêng Chăn",
          "Phnôm Pênh", "Jakarta", "Singapore", "Canberra", "Brasília", "New Delhi", "Geneva"]
EVENT_KINDS = ["Hội nghị", "Diễn đàn", "Tọa đàm", "Chuyến thăm chính thức", "Kỳ họp", "Hội thảo", "Lễ ký kết",
               "Đối thoại chiến lược", "Phiên họp", "Tuần lễ cấp cao"]
TOPICS = ["hợp tác kinh tế", "chuyển đổi số", "an ninh biển", "năng lượng sạch", "giáo dục và đào tạo",
          "y tế công cộng", "nông nghiệp công nghệ cao", "bán dẫn và trí tuệ nhân tạo", "thương mại tự do",
          "đầu tư hạ tầng", "văn hóa và du lịch", "biến đổi khí hậu", "quốc phòng", "khoa học công nghệ"]
VERBS = ["tiếp", "hội đàm với", "điện đàm với", "gặp gỡ", "làm việc với", "chúc mừng", "tiễn", "đón"]
WORDS = ("Việt Nam quan hệ hợp tác đối tác chiến lược toàn diện hai nước lãnh đạo cấp cao thúc đẩy phát triển "
         "kinh tế thương mại đầu tư khẳng định mong muốn tăng cường trao đổi đoàn các cấp khu vực quốc tế hòa bình "
         "ổn định thịnh vượng nhân dân tình hữu nghị truyền thống sâu sắc thành công tốt đẹp Đại hội đồng Liên hợp "
         "quốc khóa chương trình nghị sự hội nghị cam kết thực hiện hiệu quả thỏa thuận ký kết biên bản ghi nhớ "
         "lĩnh vực giáo dục y tế khoa học công nghệ đổi mới sáng tạo doanh nghiệp nhà đầu tư chuỗi cung ứng "
         "năng lượng chuyển đổi xanh bền vững đánh giá cao đóng góp tích cực vai trò trách nhiệm ủng hộ lập "
         "trường nguyên tắc luật pháp đối thoại giải quyết bất đồng biện pháp hòa bình Bộ Ngoại giao Tổng Bí thư "
         "Chủ tịch nước Thủ tướng Chính phủ Quốc hội đại sứ quán cộng đồng người Việt ở nước ngoài").split()


@dataclass(frozen=True)
class Article:
    index: int
    title: str
    slug: str
    date: datetime
    summary: str
    body: str
    persons: tuple[str, ...]
    events: tuple[str, ...]
    tags: tuple[str, ...]


class Zipf:
    """Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n: int, s: float = 1.1):
        self.cumulative = list(accumulate(1 / (rank + 1) ** s for rank in range(n)))

    def draw(self, rng: random.Random) -> int:
        return min(bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1]), len(self.cumulative) - 1)


def person_names(count: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        parts = [rng.choice(SURNAMES), rng.choice(MIDDLE)]
        if len(seen) > 5000 or rng.random() < 0.3:
            parts.append(rng.choice(MIDDLE))
        name = " ".join([*parts, rng.choice(GIVEN)])
        key = slugify(name)
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


def event_names(count: int, rng: random.Random) -> list[str]:
    names = []
    for number in range(1, count + 1):
        kind, topic, place = rng.choice(EVENT_KINDS), rng.choice(TOPICS), rng.choice(PLACES)
        names.append(f"{kind} về {topic} tại {place} lần thứ {number}")
    return names


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(10, 24))]
    return " ".join(words)[0].upper() + " ".join(words)[1:] + "."


def articles(n: int, seed: int = 2024) -> tuple[list[Article], list[str], list[str]]:
    """N articles, the persons and the events they name; the same for the same N and seed."""
    rng = random.Random(seed)
    persons = person_names(max(50, n // 8), rng)
    events = event_names(max(20, n // 20), rng)
    pick_person, pick_event = Zipf(len(persons)), Zipf(len(events))
    start = datetime(2014, 1, 1, 7, 0)
    step = timedelta(days=3650) / n
    found = []
    for i in range(n):
        named = list(dict.fromkeys(persons[pick_person.draw(rng)] for _ in range(rng.randint(1, 4))))
        about = list(dict.fromkeys(events[pick_event.draw(rng)] for _ in range(rng.randint(0, 2))))
        place = rng.choice(PLACES)
        title = f"{named[0]} {rng.choice(VERBS)} đoàn đại biểu về {rng.choice(TOPICS)} tại {place}"
        paragraphs = [" ".join(sentence(rng) for _ in range(rng.randint(3, 5))) for _ in range(rng.randint(4, 7))]
        heading = f"## {rng.choice(TOPICS).capitalize()}"
        body = "\n\n".join([*paragraphs[:2], heading, *paragraphs[2:]])
        found.append(Article(
            index=i,
            title=title,
            slug=f"{slugify(title)[:60].rstrip('-')}-{i}",
            date=start + step * i,
            summary=paragraphs[0][:200].rsplit(" ", 1)[0] + "…",
            body=body,
            persons=tuple(named),
            events=tuple(about),
            tags=(rng.choice(TOPICS),),
        ))
    return found, persons, events


def _yaml_list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def write_newsgen(root: Path, items: list[Article], persons: list[str], events: list[str]) -> None:
    (root / "newsgen.yaml").write_text(
        "title: Lưu trữ tổng hợp\ntimezone: Asia/Ho_Chi_Minh\nper_page: 10\n"
        "search: false  # Hugo and Pelican build no search index\n", encoding="utf-8")
    for a in items:
        path = root / "content/articles" / f"{a.date:%Y/%m}" / f"{a.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'---\ntitle: "{a.title}"\ndate: {a.date:%Y-%m-%dT%H:%M:%S}\nslug: {a.slug}\n'
            f'summary: "{a.summary}"\npersons: {_yaml_list(a.persons)}\nevents: {_yaml_list(a.events)}\n'
            f"tags: {_yaml_list(a.tags)}\n---\n\n{a.body}\n", encoding="utf-8")
    # The most named persons and events have files of their own, as in a kept archive.
    (root / "content/persons").mkdir(parents=True, exist_ok=True)
    for name in persons[:100]:
        (root / "content/persons" / f"{slugify(name)}.md").write_text(
            f"---\nname: {name}\nroles:\n  - title: Bộ trưởng\n    from: 2016-04-09\n---\nTiểu sử của {name}.\n",
            encoding="utf-8")
    (root / "content/events").mkdir(parents=True, exist_ok=True)
    for name in events[:50]:
        (root / "content/events" / f"{slugify(name)}.md").write_text(
            f"---\nname: {name}\nstart: 2020-01-01\nlocation: Hà Nội\n---\nMô tả {name}.\n", encoding="utf-8")


HUGO_LAYOUTS = {
    "_default/baseof.html": """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{{ .Title }} – {{ .Site.Title }}</title></head>
<body><header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05-07:00" }}">{{ .Date.Format "2/1/2006 15:04" }}</time></p>
{{ .Content }}
<p>{{ range .GetTerms "persons" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<p>{{ range .GetTerms "events" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ $pages := .Pages }}{{ if .IsHome }}{{ $pages = where .Site.RegularPages "Section" "posts" }}{{ end }}
{{ range (.Paginate $pages).Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ .Date.Format "2/1/2006" }} · {{ .Params.summary }}</p>
<p>{{ range .GetTerms "persons" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p></article>{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}
</ul>{{ end }}
""",
}


def write_hugo(root: Path, items: list[Article]) -> None:
    (root / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\nlanguageCode = "vi"\ntitle = "Lưu trữ tổng hợp"\n'
        'timeZone = "Asia/Ho_Chi_Minh"\n'
        'disableKinds = ["rss", "sitemap", "robotstxt"]\n'
        "[pagination]\n  pagerSize = 10\n"
        '[taxonomies]\n  person = "persons"\n  event = "events"\n  tag = "tags"\n'
        '[permalinks]\n  posts = "/:year/:month/:slug/"\n', encoding="utf-8")
    for relpath, text in HUGO_LAYOUTS.items():
        path = root / "layouts" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for a in items:
        path = root / "content/posts" / f"{a.date:%Y/%m}" / f"{a.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f'---\ntitle: "{a.title}"\ndate: {a.date:%Y-%m-%dT%H:%M:%S}+07:00\nslug: {a.slug}\n'
            f'summary: "{a.summary}"\npersons: {_yaml_list(a.persons)}\nevents: {_yaml_list(a.events)}\n'
            f"tags: {_yaml_list(a.tags)}\n---\n\n{a.body}\n", encoding="utf-8")


PELICAN_SETTINGS = """\
AUTHOR = "Ban biên tập"
SITENAME = "Lưu trữ tổng hợp"
SITEURL = ""
PATH = "content"
TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LANG = "vi"
DEFAULT_PAGINATION = 10
ARTICLE_URL = ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
# Persons and events are tags, so each gets a page listing its articles.
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = "tag/{slug}/index.html"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
LOAD_CONTENT_CACHE = CACHE_CONTENT = {cache}
CACHE_PATH = "cache"
"""


def write_pelican(root: Path, items: list[Article], cache: bool = True) -> None:
    (root / "pelicanconf.py").write_text(PELICAN_SETTINGS.replace("{cache}", str(cache)), encoding="utf-8")
    for a in items:
        path = root / "content" / f"{a.date:%Y/%m}" / f"{a.slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        tags = ", ".join((*a.persons, *a.events, *a.tags))
        path.write_text(
            f"Title: {a.title}\nDate: {a.date:%Y-%m-%d %H:%M}\nSlug: {a.slug}\nCategory: Tin\n"
            f"Tags: {tags}\nSummary: {a.summary}\n\n{a.body}\n", encoding="utf-8")


def generate(n: int, root: Path, seed: int = 2024) -> dict[str, Path]:
    """Write the corpus of `n` articles as three sites below `root`; return their folders by tool."""
    items, persons, events = articles(n, seed)
    sites = {tool: root / tool for tool in ("newsgen", "hugo", "pelican")}
    for folder in sites.values():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    write_newsgen(sites["newsgen"], items, persons, events)
    write_hugo(sites["hugo"], items)
    write_pelican(sites["pelican"], items)
    return sites


def edited_article(site: Path, tool: str) -> Path:
    """The article file that the one-article-edit measurement changes (the same article in every site)."""
    folder = {"newsgen": "content/articles", "hugo": "content/posts", "pelican": "content"}[tool]
    return sorted((site / folder).rglob("*.md"))[len(list((site / folder).rglob("*.md"))) // 2]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("articles", type=int)
    parser.add_argument("root", type=Path)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    for tool, folder in generate(args.articles, args.root, args.seed).items():
        print(f"{tool}: {folder}")
