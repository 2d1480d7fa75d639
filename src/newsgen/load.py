"""Stage 1, load: a site folder -> Documents (front matter checked, Markdown -> safe HTML)."""

from __future__ import annotations

import html
import re
from datetime import tzinfo
from pathlib import Path

import markdown
import nh3

from .config import SiteConfig
from .model import Article, BuildFailed, Documents, Event, Person, Problem, Ref, Role, StaticFile
from .text import is_slug, slugify
from .yamltext import Fields, parse_mapping, read_text

ARTICLE_KEYS = {
    "title", "date", "updated", "slug", "summary", "authors", "sources",
    "persons", "events", "places", "tags", "image", "image_caption", "draft",
}
PERSON_KEYS = {"name", "aliases", "sort_name", "roles", "image"}
EVENT_KEYS = {"name", "aliases", "start", "end", "location", "parent", "image"}

_MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]
# Footnotes and heading anchors from Markdown need ids; classes only style.
_SAFE_ATTRIBUTES = {"*": {"id", "class", "title", "lang", "dir"}}
_FIRST_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S)
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def load(site_dir: Path, config: SiteConfig, theme_dir: Path, drafts: bool = False) -> Documents:
    """Read every content file and static file of `site_dir`; raise BuildFailed naming every bad file."""
    content = site_dir / "content"
    problems: list[Problem] = []
    converter = _Converter(config.unsafe_html)

    articles = []
    for path in _markdown_files(content / "articles"):
        article = _read(path, site_dir, problems, lambda f, body: _article(f, body, converter, config.zone))
        if article is not None and (drafts or not article.draft):
            articles.append(article)
    persons = [
        p for path in _markdown_files(content / "persons")
        if (p := _read(path, site_dir, problems, lambda f, body, path=path: _person(f, body, path.stem, converter)))
    ]
    events = [
        e for path in _markdown_files(content / "events")
        if (e := _read(path, site_dir, problems, lambda f, body, path=path: _event(f, body, path.stem, converter)))
    ]
    if problems:
        raise BuildFailed(problems)
    return Documents(
        articles=tuple(articles),
        persons=tuple(persons),
        events=tuple(events),
        static_files=static_files(theme_dir / "static", site_dir / "static"),
    )


def static_files(*folders: Path) -> tuple[StaticFile, ...]:
    """Files below each folder, by path inside it; a later folder's file replaces an earlier one's."""
    found: dict[str, StaticFile] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                found[relative.as_posix()] = StaticFile(path, relative.as_posix())
    return tuple(found[key] for key in sorted(found))


def _markdown_files(folder: Path) -> list[Path]:
    """The `.md` files below `folder`, skipping hidden ones (editor backups, lock files)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.md")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _read(path: Path, site_dir: Path, problems: list[Problem], make):
    """Split one file into front matter and body and hand both to `make`; collect its problems."""
    shown = path.relative_to(site_dir).as_posix()
    text = read_text(path, shown)
    if isinstance(text, Problem):
        problems.append(text)
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(shown, 1, "missing front matter: the file must start with a line '---'"))
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        problems.append(Problem(shown, 1, "front matter is not closed: add a line '---' after it"))
        return None
    data, key_lines, found = parse_mapping("\n".join(lines[1:end]), shown, first_line=2)
    if found:
        problems.extend(found)
        return None
    fields = Fields(data, key_lines, shown, first_line=1)
    result = make(fields, "\n".join(lines[end + 1:]))
    problems.extend(fields.problems)
    return None if fields.problems else result


def _article(f: Fields, body: str, converter: "_Converter", zone: tzinfo) -> Article | None:
    title = f.text("title", required=True)
    published = f.moment("date", zone, required=True)
    updated = f.moment("updated", zone)
    if published and updated and updated < published:
        f.fail("updated", "'updated' is earlier than 'date'")
    slug = f.text("slug")
    if slug is not None and not is_slug(slug):
        f.fail("slug", f"'slug' must be lowercase letters, digits and hyphens, like {slugify(slug) or 'my-article'!r}, not {slug!r}")
    elif slug is None and title:
        slug = slugify(title)
        if not slug:
            f.fail("title", "the title gives an empty slug: add a 'slug' key")
    body_html = converter.convert(body)
    summary = f.text("summary")
    if summary is None:
        summary = first_paragraph_text(body_html)
    image = _url(f, "image")
    article = Article(
        path=f.path,
        title=title or "",
        date=published,  # type: ignore[arg-type]
        slug=slug or "",
        summary=summary,
        body_html=body_html,
        updated=updated,
        has_time=len(str(f.data.get("date", ""))) > len("YYYY-MM-DD"),
        authors=f.text_list("authors"),
        sources=f.text_list("sources"),
        persons=_refs(f, "persons"),
        events=_refs(f, "events"),
        places=f.text_list("places"),
        tags=f.text_list("tags"),
        image=image,
        image_caption=f.text("image_caption"),
        draft=f.boolean("draft"),
        extra=f.unknown(ARTICLE_KEYS),
    )
    return None if f.problems else article


def _person(f: Fields, body: str, file_id: str, converter: "_Converter") -> Person | None:
    entity_id = _file_id(f, file_id)
    person = Person(
        id=entity_id,
        name=f.text("name", required=True) or "",
        path=f.path,
        aliases=f.text_list("aliases"),
        sort_name=f.text("sort_name"),
        roles=_roles(f),
        image=_url(f, "image"),
        bio_html=converter.convert(body),
        extra=f.unknown(PERSON_KEYS),
        lines=dict(f.lines),
    )
    return None if f.problems else person


def _event(f: Fields, body: str, file_id: str, converter: "_Converter") -> Event | None:
    entity_id = _file_id(f, file_id)
    start, end = f.day("start"), f.day("end")
    if start and end and end < start:
        f.fail("end", f"'end' ({end}) is before 'start' ({start})")
    parent = f.text("parent")
    event = Event(
        id=entity_id,
        name=f.text("name", required=True) or "",
        path=f.path,
        aliases=f.text_list("aliases"),
        start=start,
        end=end,
        location=f.text("location"),
        parent=Ref(parent, f.path, f.line("parent")) if parent else None,
        image=_url(f, "image"),
        description_html=converter.convert(body),
        extra=f.unknown(EVENT_KEYS),
        lines=dict(f.lines),
    )
    return None if f.problems else event


def _file_id(f: Fields, file_id: str) -> str:
    if not is_slug(file_id):
        f.problems.append(Problem(
            f.path, 1,
            f"the file name is the id in URLs and must be lowercase letters, digits and hyphens: "
            f"rename it to {slugify(file_id) or 'some-name'}.md",
        ))
    return file_id


def _refs(f: Fields, key: str) -> tuple[Ref, ...]:
    return tuple(Ref(name, f.path, f.line(key)) for name in f.text_list(key))


def _roles(f: Fields) -> tuple[Role, ...]:
    given = f.data.get("roles")
    if given is None:
        return ()
    if not isinstance(given, list):
        f.fail("roles", "'roles' must be a list of `- title: …` items with optional `from:` and `to:` dates")
        return ()
    roles = []
    for number, item in enumerate(given, start=1):
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict):
            f.fail("roles", f"role {number} must be a title or a mapping with 'title', 'from', 'to'")
            continue
        role = Fields(item, {}, f.path, f.line("roles"))
        unknown = role.unknown({"title", "from", "to"})
        for key in unknown:
            role.fail(key, f"role {number}: unknown key {key!r} (known: title, from, to)")
        title = role.text("title")
        if not title:
            role.fail("title", f"role {number} has no 'title'")
        start, end = role.day("from"), role.day("to")
        if start and end and end < start:
            role.fail("to", f"role {number}: 'to' ({end}) is before 'from' ({start})")
        f.problems.extend(role.problems)
        if title:
            roles.append(Role(title, start, end))
    return tuple(roles)


def _url(f: Fields, key: str) -> str | None:
    """A link to a picture: http(s) or a path inside the site; other schemes (javascript:) are refused."""
    value = f.text(key)
    if value is None:
        return None
    scheme = _URL_SCHEME.match(value)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        f.fail(key, f"{key!r} must be an http(s) address or a path inside the site, not {value!r}")
        return None
    if not scheme and ".." in value.split("/"):
        f.fail(key, f"{key!r} must not leave the site folder: {value!r}")
        return None
    return value


def first_paragraph_text(body_html: str) -> str:
    """The first paragraph of `body_html` as plain text, whitespace collapsed ('' when there is none)."""
    match = _FIRST_PARAGRAPH.search(body_html)
    if not match:
        return ""
    text = html.unescape(nh3.clean(match.group(1), tags=set()))
    return " ".join(text.split())


class _Converter:
    """Markdown -> HTML, sanitised unless the site opted in to raw HTML."""

    def __init__(self, unsafe_html: bool):
        self.unsafe_html = unsafe_html
        self.markdown = markdown.Markdown(extensions=_MARKDOWN_EXTENSIONS, output_format="html")

    def convert(self, text: str) -> str:
        """Return the HTML of Markdown `text`."""
        result = self.markdown.reset().convert(text)
        if self.unsafe_html:
            return result
        return nh3.clean(result, attributes=_ALLOWED_ATTRIBUTES, link_rel="noopener noreferrer")


_ALLOWED_ATTRIBUTES = {
    tag: set(nh3.ALLOWED_ATTRIBUTES.get(tag, ())) | _SAFE_ATTRIBUTES.get(tag, set())
    for tag in set(nh3.ALLOWED_ATTRIBUTES) | set(_SAFE_ATTRIBUTES)
}
