"""Stage 1, load: a site folder -> Documents (front matter checked, Markdown -> safe HTML)."""

from __future__ import annotations

import functools
import hashlib
import html
import os
import pickle
import re
import time
from datetime import tzinfo
from pathlib import Path
from typing import Any, Mapping, MutableMapping, Sequence
from zoneinfo import ZoneInfo

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .config import CONTENT_FOLDERS, SiteConfig
from .document_chunks import DocumentChunks
from .model import (Article, ArticleHead, Articles, BuildFailed, Deferred, Documents, Event, MemoryStore, Person, Problem,
                    Ref, Role, StaticFile, Store)
from .structured import xml_safe
from .text import is_slug, slugify
from .workers import useful_jobs, worker_pool
from .yamltext import Fields, decode_text, parse_mapping, read_bytes

ARTICLE_KEYS = {
    "title", "date", "updated", "slug", "summary", "authors", "sources",
    "persons", "events", "places", "tags", "image", "image_caption", "draft",
}
PERSON_KEYS = {"name", "aliases", "sort_name", "roles", "image"}
EVENT_KEYS = {"name", "aliases", "start", "end", "location", "parent", "image"}

# Footnotes and heading anchors from Markdown need ids; classes only style.
_SAFE_ATTRIBUTES = {"*": {"id", "class", "title", "lang", "dir"}}
_FIRST_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p>", re.S)
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def load(
    site_dir: Path,
    config: SiteConfig,
    theme_dir: Path,
    drafts: bool = False,
    *,
    jobs: int = 1,
    files: Store | None = None,
    documents: Store | None = None,
    bodies: Store | None = None,
    chunks: Store | None = None,
    sources: Sequence[ContentFile] | None = None,
    decoded: MutableMapping[str, tuple] | None = None,
) -> Documents:
    """Read every content file and static file of `site_dir`; raise BuildFailed naming every bad file.

    A file is parsed only when `documents` holds no result for its content
    (found through `files` by its modification time and size, then by its
    hash); article HTML goes to `bodies`, keyed by Article.body. `chunks`
    holds the same results a thousand files to an entry, with each file's
    time and size (see document_chunks): files unchanged by those are found
    there first, at one look-up per chunk, and their articles are decoded
    only when read (Documents.articles is an Articles). Parsing
    fans out over `jobs` processes when there is enough of it. `sources` is
    content_files(site_dir) when the caller has already listed them.
    `decoded` holds parse results an earlier load in this process left there,
    by key: those are taken as they are, not read from `documents` and
    unpickled again (a long-running `newsgen serve` keeps it between
    builds). Load leaves in it exactly its own results.
    """
    files = MemoryStore() if files is None else files
    documents = MemoryStore() if documents is None else documents
    bodies = MemoryStore() if bodies is None else bodies
    sources = content_files(site_dir) if sources is None else sources
    settings = (config.unsafe_html, config.timezone)

    # Every file is below site_dir: cutting the prefix is what relative_to does, without pathlib's cost.
    prefix = len(str(site_dir)) + 1
    shown = [path[prefix:].replace(os.sep, "/") for _, path, _, _ in sources]
    # The files' paths are relative: the site's own folder keeps another site's chunks apart in a shared cache.
    chunked = DocumentChunks(MemoryStore() if chunks is None else chunks, f"{site_dir}\0{settings}",
                             [(kind, name, size, mtime_ns) for (kind, _, size, mtime_ns), name in zip(sources, shown)])
    found = chunked.found(decoded)
    rest = [i for i in range(len(sources)) if i not in found]
    files.keep(sources[i][1] for i in found)  # not read, but still in use
    known = files.get_many(sources[i][1] for i in rest)
    digests = {i: _content_digest(sources[i][1], sources[i][2], sources[i][3], known.get(sources[i][1]), files)
               for i in rest}
    keys = [found[i][0] if i in found else _digest(f"{sources[i][0]}\0{shown[i]}\0{settings}\0{digests[i]}")
            for i in range(len(sources))]
    results = dict(found.values())
    if decoded:
        results.update((keys[i], decoded[keys[i]]) for i in rest if keys[i] in decoded)
    documents.keep(results)  # not read, but still in use
    results.update(_cached(documents.get_many(keys[i] for i in rest if keys[i] not in results)))
    # Each stored article's HTML is stored too: load stores it first, and the cache forgets untouched
    # documents whenever it forgets untouched bodies. Looking every body up cost 0.4 s at 100,000 articles.
    bodies.keep(_head(value).body for value, _ in results.values() if isinstance(value, (Article, Deferred)))
    misses = [i for i, key in enumerate(keys) if key not in results]
    # Holding every missed file's bytes at once would grow with the archive: workers read them.
    work = [(sources[i][0], shown[i], Path(sources[i][1]).stem, sources[i][1], settings) for i in misses]
    changing = set()
    for i, (value, body_html, problems, digest) in zip(misses, _parse_all(work, jobs)):
        if isinstance(value, Article):
            bodies.put(value.body, body_html.encode("utf-8"))
        if digest == digests[i]:
            documents.put(keys[i], pickle.dumps((value, problems), protocol=pickle.HIGHEST_PROTOCOL))
        else:  # the file changed while we read it: parse it again next time
            changing.add(i)
        results[keys[i]] = (value, problems)
    now = time.time_ns()
    chunked.save(keys, results, [i not in changing and now - mtime_ns > RECENT_NS
                                 for i, (_, _, _, mtime_ns) in enumerate(sources)])

    if decoded is not None:
        decoded.clear()
        decoded.update(results)
    ordered = [results[key] for key in keys]
    problems = [problem for _, found in ordered for problem in found]
    static = static_files(theme_dir / "static", site_dir / "static")
    problems += [Problem(f"static/{file.relpath}", 1, "cannot read it: it is a link to nothing")
                 for file in static if not file.source.exists()]
    if problems:
        raise BuildFailed(problems)
    values = [value for value, _ in ordered]
    return Documents(
        articles=Articles(v for v in values if isinstance(v, (Article, Deferred)) and (drafts or not _head(v).draft)),
        persons=tuple(v for v in values if isinstance(v, Person)),
        events=tuple(v for v in values if isinstance(v, Event)),
        static_files=static,
        parsed=len(misses),
        cached=len(sources) - len(misses),
        digests=dict(zip(shown, keys)),
    )


def _head(value: Article | Deferred) -> Article | ArticleHead:
    """What an article gives of its head without being decoded: its head, or itself."""
    return value.head if type(value) is Deferred else value


# A file changed twice within the file system's time resolution keeps its
# modification time: a stat this recent is not remembered, so the file is
# hashed again next time.
RECENT_NS = 2_000_000_000


def _content_digest(path: str, size: int, mtime_ns: int, known: bytes | None, files: Store) -> str:
    """The hash of a file's bytes; `known` (from `files`) gives it when its time and size are unchanged."""
    seen = f"{mtime_ns}:{size}:"
    remembered = known.decode() if known is not None else ""
    if remembered.startswith(seen):
        return remembered[len(seen):]
    try:
        with open(path, "rb") as stream:
            digest = _digest(stream.read())
    except OSError:  # parsing it will say why
        return ""
    if time.time_ns() - mtime_ns > RECENT_NS:
        files.put(path, (seen + digest).encode())
    return digest


def _cached(stored: Mapping[str, bytes]) -> dict[str, tuple]:
    """The parse results found in the cache, by key, leaving out any that cannot be read."""
    found = {}
    for key, value in stored.items():
        try:
            document, problems = pickle.loads(value)
        except Exception:  # an unreadable entry is a miss, never a failure
            continue
        found[key] = (document, problems)
    return found


def _digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


# Below this many files per process, starting processes costs more than it saves.
_FILES_PER_WORKER = 100


def _parse_all(work: list[tuple], jobs: int):
    """Parse each file of `work`, in `jobs` processes when there are enough; results in order."""
    jobs = useful_jobs(jobs, len(work), _FILES_PER_WORKER)
    if jobs == 1:
        yield from (_parse(*item) for item in work)
        return
    with worker_pool(jobs) as pool:
        yield from pool.map(_parse, *zip(*work), chunksize=max(1, len(work) // (jobs * 8)))


def _parse(kind: str, shown: str, stem: str, path: str, settings: tuple[bool, str]):
    """One content file -> (Article, Person, Event or None; the article's HTML or None; its problems; its hash)."""
    data = read_bytes(path, shown)
    if isinstance(data, Problem):
        return None, None, (data,), None
    return (*_parse_bytes(kind, shown, stem, data, settings), _digest(data))


def _parse_bytes(kind: str, shown: str, stem: str, data: bytes, settings: tuple[bool, str]):
    unsafe_html, timezone = settings
    converter = _converter(unsafe_html)
    text = decode_text(data, shown)
    if isinstance(text, Problem):
        return None, None, (text,)
    if kind == "article":
        found, problems = _parse_text(text, shown, lambda f, body: _article(f, body, converter, ZoneInfo(timezone)))
        return (*found, problems) if found else (None, None, problems)
    if kind == "person":
        person, problems = _parse_text(text, shown, lambda f, body: _person(f, body, stem, converter))
        return person, None, problems
    event, problems = _parse_text(text, shown, lambda f, body: _event(f, body, stem, converter))
    return event, None, problems


def static_files(*folders: Path) -> tuple[StaticFile, ...]:
    """Files below each folder, by path inside it, links to nothing among them; a later folder's file
    replaces an earlier one's."""
    found: dict[str, StaticFile] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            # A link to nothing is listed, for load to name it: left out, it would be missing without a word.
            if (path.is_file() or path.is_symlink() and not path.exists()) and not any(
                    part.startswith(".") for part in relative.parts):
                found[relative.as_posix()] = StaticFile(path, relative.as_posix())
    return tuple(found[key] for key in sorted(found))


ContentFile = tuple[str, str, int, int]
"""A file load reads: its kind (`article`, `person`, `event`), its path, its size and its modification time (ns).

Two numbers, not the whole os.stat_result: at 100,000 files those would hold 80 MB."""


def content_files(site_dir: Path) -> list[ContentFile]:
    """Every file load reads below `site_dir/content`, with its size and time, in the order load keeps.

    Those are the `.md` files below each kind's folder, hidden files and
    folders (editor backups, lock files) left out, and symbolic links to
    folders not followed. build() lists them once, for its no-change check and for load.
    """
    found: list[ContentFile] = []
    for kind, folder in CONTENT_FOLDERS.items():
        _markdown_below(kind, os.path.join(site_dir, "content", folder), found)
    return found


def _markdown_below(kind: str, folder: str, found: list[ContentFile]) -> None:
    """Add the Markdown files below `folder` to `found`, in the order of their paths' parts.

    Visiting each folder's entries by name, files and folders alike, gives
    that order without sorting the whole list.
    """
    try:
        entries = sorted(os.scandir(folder), key=_name)
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not entry.is_symlink():
                _markdown_below(kind, entry.path, found)
        elif entry.name.endswith(".md"):
            try:
                stat = entry.stat()
            except OSError:  # a link to nothing: listed all the same, so that load names it as unreadable
                found.append((kind, entry.path, -1, 0))
                continue
            found.append((kind, entry.path, stat.st_size, stat.st_mtime_ns))


def _name(entry: os.DirEntry) -> str:
    return entry.name


def _parse_text(text: str, shown: str, make) -> tuple[Any, tuple[Problem, ...]]:
    """Split a file's text into front matter and body, and hand both to `make`; return its value and problems."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        return None, (Problem(shown, 1, "missing front matter: the file must start with a line '---'"),)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return None, (Problem(shown, 1, "front matter is not closed: add a line '---' after it"),)
    data, key_lines, found = parse_mapping("\n".join(lines[1:end]), shown, first_line=2)
    if found:
        return None, tuple(found)
    fields = Fields(data, key_lines, shown, first_line=1)
    result = make(fields, "\n".join(lines[end + 1:]))
    return (None if fields.problems else result), tuple(fields.problems)


def _article(f: Fields, body: str, converter: "_Converter", zone: tzinfo) -> tuple[Article, str] | None:
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
        body=_digest(body_html),
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
    return None if f.problems else (article, body_html)


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


@functools.lru_cache(maxsize=2)
def _converter(unsafe_html: bool) -> "_Converter":
    """One converter per process and setting: setting up the parser and its plugins is not free."""
    return _Converter(unsafe_html)


class _Converter:
    """Markdown -> HTML, sanitised unless the site opted in to raw HTML.

    The dialect is CommonMark, with tables and strikethrough as on GitHub,
    footnotes, definition lists and `{#id .class}` attributes; markdown-it-py
    parses it about four times as fast as Python-Markdown parsed its own.
    """

    def __init__(self, unsafe_html: bool):
        self.unsafe_html = unsafe_html
        self.markdown = (MarkdownIt("commonmark").enable(["table", "strikethrough"])
                         .use(footnote_plugin).use(deflist_plugin).use(attrs_plugin).use(attrs_block_plugin))

    def convert(self, text: str) -> str:
        """Return the HTML of Markdown `text`."""
        # Characters XML forbids would make every feed holding the article unreadable.
        result = xml_safe(self.markdown.render(text))
        if not self.unsafe_html:
            result = nh3.clean(result, attributes=_ALLOWED_ATTRIBUTES, link_rel="noopener noreferrer")
        return result.rstrip("\n")


_ALLOWED_ATTRIBUTES = {
    tag: set(nh3.ALLOWED_ATTRIBUTES.get(tag, ())) | _SAFE_ATTRIBUTES.get(tag, set())
    for tag in set(nh3.ALLOWED_ATTRIBUTES) | set(_SAFE_ATTRIBUTES)
}
