"""Plain, frozen values passed from one build stage to the next.

Nothing here does I/O or imports a third-party library: every stage can be
tested by building these values by hand, and every value pickles for the
render process pool.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Protocol, Sequence, overload


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, reported as `path:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class BuildFailed(Exception):
    """Raised by a stage with every problem it found; nothing has been written."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Ref:
    """A name written in a document (`persons:` or `events:`), with where it was written."""

    text: str
    path: str
    line: int


@dataclass(frozen=True)
class Role:
    """A title a person held, with optional first and last day."""

    title: str
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Article:
    """An article as read from `content/articles/**.md`; entity refs not yet resolved."""

    path: str
    title: str
    date: datetime
    slug: str
    summary: str
    body: str
    """The key of the article's HTML in the bodies Store: bodies are fetched only to render."""
    updated: datetime | None = None
    has_time: bool = True
    authors: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    persons: tuple[Ref, ...] = ()
    events: tuple[Ref, ...] = ()
    places: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: str | None = None
    image_caption: str | None = None
    draft: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


class ArticleHead(NamedTuple):
    """What a build reads of every article, known without its document being decoded.

    Laying out the site, sorting the archive and keeping the articles' HTML
    in the cache read only these; the rest of an article is read only for
    the pages rendered.
    """

    path: str
    slug: str
    date: datetime
    updated: datetime | None
    draft: bool
    body: str


def head_of(article: Article) -> ArticleHead:
    """The head of `article`."""
    return ArticleHead(article.path, article.slug, article.date, article.updated, article.draft, article.body)


class Deferred:
    """An article not decoded yet: its head, and `document(place)`, which decodes it (once, for all its holders)."""

    __slots__ = ("head", "_document", "_place")

    def __init__(self, head: ArticleHead, document: Callable[[int], Article], place: int):
        self.head = head
        self._document = document
        self._place = place

    def article(self) -> Article:
        """The article itself."""
        return self._document(self._place)


class Articles(Sequence[Article]):
    """Articles in order, each decoded when first read, with the heads of all of them at hand (`heads`).

    An edit of one article of 100,000 renders a few pages: decoding every
    article to lay the site out took a second, reading their heads a twentieth of it.
    """

    __slots__ = ("_items", "heads")

    def __init__(self, items: Iterable[Article | Deferred] = ()):
        self._items = list(items)
        self.heads: tuple[ArticleHead, ...] = tuple(
            item.head if type(item) is Deferred else head_of(item) for item in self._items)

    def reordered(self, order: Iterable[int]) -> "Articles":
        """The same articles (decoded or not) in `order`, given as places in this sequence."""
        order = list(order)
        moved = Articles.__new__(Articles)
        moved._items = [self._items[n] for n in order]
        moved.heads = tuple([self.heads[n] for n in order])
        return moved

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Article: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Article, ...]: ...
    def __getitem__(self, index: int | slice) -> Article | tuple[Article, ...]:
        if isinstance(index, slice):
            return tuple(self._decoded(n) for n in range(*index.indices(len(self._items))))
        return self._decoded(index)

    def _decoded(self, index: int) -> Article:
        item = self._items[index]
        if type(item) is Deferred:
            item = self._items[index] = item.article()
        return item

    def __iter__(self) -> Iterator[Article]:
        return (self._decoded(n) for n in range(len(self._items)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # it equals the tuple of its articles, whose hash it does not keep

    def __repr__(self) -> str:
        return f"Articles({len(self._items)} articles)"

    def __reduce__(self) -> tuple:
        return Articles, (tuple(self),)


@dataclass(frozen=True)
class Person:
    """A person, from `content/persons/<id>.md` or only named in articles (path None)."""

    id: str
    name: str
    path: str | None = None
    aliases: tuple[str, ...] = ()
    sort_name: str | None = None
    roles: tuple[Role, ...] = ()
    image: str | None = None
    bio_html: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    """The file line of each front-matter key, for problems found after loading."""


@dataclass(frozen=True)
class Event:
    """An event, from `content/events/<id>.md` or only named in articles (path None)."""

    id: str
    name: str
    path: str | None = None
    aliases: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    location: str | None = None
    parent: Ref | None = None
    image: str | None = None
    description_html: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)
    """The file line of each front-matter key, for problems found after loading."""


@dataclass(frozen=True)
class StaticFile:
    """A file copied as-is: `source` on disk, `relpath` inside the output folder."""

    source: Path
    relpath: str


@dataclass(frozen=True)
class Documents:
    """Everything `load` read from a site folder."""

    articles: Articles
    """The articles, in the order of their files; a tuple is taken as the Articles of it."""
    persons: tuple[Person, ...]
    events: tuple[Event, ...]
    static_files: tuple[StaticFile, ...] = ()
    parsed: int = 0
    """How many content files were parsed; the others came from the cache."""
    cached: int = 0
    """How many content files were taken from the cache."""
    digests: Mapping[str, str] = field(default_factory=dict)
    """For each content file read (by its path, as in Article.path), a hash of everything its document
    was made from: equal hashes, equal documents. Plan uses them to know which pages an edit can reach."""

    def __post_init__(self) -> None:
        _take_as_articles(self)


@dataclass(frozen=True)
class Archive:
    """The resolved archive: entities linked, everything sorted.

    `articles` is newest first; the per-entity and per-month tuples hold
    indexes into it, oldest first (time order).
    """

    articles: Articles
    """Newest first; a tuple is taken as the Articles of it."""
    persons: tuple[Person, ...]
    events: tuple[Event, ...]
    article_persons: tuple[tuple[str, ...], ...]
    article_events: tuple[tuple[str, ...], ...]
    person_articles: Mapping[str, tuple[int, ...]]
    event_articles: Mapping[str, tuple[int, ...]]
    event_parent: Mapping[str, str]
    event_children: Mapping[str, tuple[str, ...]]
    months: Mapping[tuple[int, int], tuple[int, ...]]
    related: tuple[tuple[int, ...], ...] = ()
    """For each article, the articles related to it: older ones sharing the most persons and events, newest first."""
    static_files: tuple[StaticFile, ...] = ()
    digests: Mapping[str, str] = field(default_factory=dict)
    """Documents.digests: a hash of each content file's document, by its path."""
    shape: str | None = field(default=None, compare=False)
    """A hash of everything the archive is made from besides what passes through from articles'
    documents untouched (their text, title, summary …); None when unknown."""

    def __post_init__(self) -> None:
        _take_as_articles(self)


def _take_as_articles(value: Documents | Archive) -> None:
    if not isinstance(value.articles, Articles):
        object.__setattr__(value, "articles", Articles(value.articles))


@dataclass(frozen=True)
class Page:
    """One output file to render: `relpath` inside the output folder, a template, plain-data context."""

    relpath: str
    template: str
    context: Mapping[str, Any]
    bodies: tuple[str, ...] = ()
    """Keys of the article bodies the page shows; render fetches them from the bodies Store."""


@dataclass(frozen=True)
class PageRecipe:
    """A page whose output path is settled and whose context is made only when asked for."""

    relpath: str
    template: str
    make_context: Callable[[], Mapping[str, Any]]
    bodies: tuple[str, ...] = ()
    inputs: Callable[[], Inputs | None] = lambda: None
    """What the context is made from, worked out when asked for; None when unknown."""


Inputs = tuple[str, "tuple[int, ...] | None"]
"""What a page's context is made from: a hash of all of it (equal hashes, equal contexts), and the
articles whose documents it reads, by their place in Archive.articles. Those are None when the page
also reads the articles in other ways (a sitemap lists them all): it is then never known unchanged
without its hash being worked out."""


@dataclass(frozen=True, slots=True)
class PageOutline:
    """A page whose output path and template are settled, and whose recipe is made only when asked for.

    Laying out a site makes one per page; a rebuild after an edit needs the
    recipes of a few: making all of them took most of planning, and most of its memory.
    """

    relpath: str
    template: str
    recipe: Callable[[], PageRecipe]
    """Makes the page's recipe; each call makes it afresh."""


class PlannedPages(Sequence[Page]):
    """The pages of a plan, each recipe and context made afresh when its page is taken.

    A site's contexts together outweigh everything else a build holds, so
    none is kept: whoever iterates holds only the pages it has not let go of.
    """

    def __init__(self, pages: Iterable[PageOutline | PageRecipe]):
        self._outlines = tuple(page if isinstance(page, PageOutline) else _outline_of(page) for page in pages)

    def __len__(self) -> int:
        return len(self._outlines)

    @overload
    def __getitem__(self, index: int) -> Page: ...
    @overload
    def __getitem__(self, index: slice) -> list[Page]: ...
    def __getitem__(self, index: int | slice) -> Page | list[Page]:
        if isinstance(index, slice):
            return [_cooked(outline.recipe()) for outline in self._outlines[index]]
        return _cooked(self._outlines[index].recipe())

    def __iter__(self) -> Iterator[Page]:
        return (_cooked(outline.recipe()) for outline in self._outlines)

    @property
    def outlines(self) -> tuple[PageOutline, ...]:
        """The outlines themselves, for whoever can avoid making a recipe or a context."""
        return self._outlines


def outlines_of(pages: Sequence[Page]) -> Sequence[PageOutline]:
    """The pages of a plan as outlines: those of PlannedPages, or ready pages wrapped (inputs unknown)."""
    if isinstance(pages, PlannedPages):
        return pages.outlines
    return [_outline_of(PageRecipe(page.relpath, page.template, lambda page=page: page.context, page.bodies))
            for page in pages]


def _outline_of(recipe: PageRecipe) -> PageOutline:
    return PageOutline(recipe.relpath, recipe.template, lambda: recipe)


def _cooked(recipe: PageRecipe) -> Page:
    return Page(recipe.relpath, recipe.template, recipe.make_context(), recipe.bodies)


@dataclass(frozen=True)
class Plan:
    """Everything the site will contain: pages to render and files to copy."""

    pages: Sequence[Page]
    """A tuple of Pages, or PlannedPages making each context on demand: iterate it once where you can."""
    static_files: tuple[StaticFile, ...] = ()
    warnings: tuple[str, ...] = ()
    """Things the user should know that do not stop the build, one sentence each."""
    search_bundle: str | None = None
    """The folder the search index goes to (ending in `/`), or None when search is off."""
    inputs_key: str | None = None
    """A hash of everything the pages' inputs read besides the articles' documents: the archive's shape
    and the settings. Under one such hash a page's inputs change only when an article it reads
    changes, so render can keep the others from the last build. None when unknown."""
    article_digests: tuple[str | None, ...] = ()
    """The digest of each article's document (Documents.digests), in the order of Archive.articles."""


@dataclass(frozen=True)
class OutputFile:
    """A file to place at `relpath` inside the output folder, its bytes in a Store under `key`."""

    relpath: str
    key: str


@dataclass(frozen=True)
class Rendered:
    """What `render` made: every page's output file, and how many were rendered or found in the cache."""

    files: tuple[OutputFile, ...]
    rendered: int
    cached: int
    warnings: tuple[str, ...] = ()
    """Things the user should know that do not stop the build (a language without a message catalogue)."""
    contexts_made: int = 0
    """How many pages had their context made; the others' were known unchanged by their inputs."""
    inputs_made: int = 0
    """How many pages had their inputs worked out; the others were known unchanged from the last
    render of the same plan (Plan.inputs_key), since no article they read had changed."""


@dataclass(frozen=True)
class WriteReport:
    """What `write` did, and the manifest of what the output folder now holds from this build."""

    written: int
    unchanged: int
    pruned: int = 0
    manifest: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildReport:
    """Counters of one build, printed as its one-line summary and asserted in tests."""

    articles: int
    persons: int
    events: int
    documents_parsed: int
    documents_cached: int
    pages_rendered: int
    pages_cached: int
    files_written: int
    files_unchanged: int
    files_pruned: int
    seconds: float
    warnings: tuple[str, ...] = ()
    """Plan.warnings, printed by the command line apart from the summary."""
    contexts_made: int = 0
    """Rendered.contexts_made: pages whose context was made, not known unchanged by its inputs."""
    inputs_made: int = 0
    """Rendered.inputs_made: pages whose inputs were worked out, not known unchanged from the last build."""

    @property
    def pages(self) -> int:
        """Every page of the site, rendered now or taken from the cache."""
        return self.pages_rendered + self.pages_cached

    def summary(self) -> str:
        """The one-line summary printed at the end of a build."""
        return (
            f"{self.articles} articles, {self.persons} persons, {self.events} events: "
            f"{self.documents_parsed} files parsed ({self.documents_cached} cached), "
            f"{self.pages_rendered} pages rendered ({self.pages_cached} cached), "
            f"{self.files_written} files written ({self.files_unchanged} unchanged, {self.files_pruned} pruned) "
            f"in {self.seconds:.2f} s"
        )


class Store(Protocol):
    """Bytes by key, kept between builds by the cache; all a stage knows of it."""

    def get(self, key: str) -> bytes | None:
        """The bytes stored under `key`, or None."""

    def put(self, key: str, value: bytes) -> None:
        """Store `value` under `key`."""

    def __contains__(self, key: object) -> bool:
        """Whether `key` is stored."""

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored bytes of each of `keys` that is stored: one look-up for many."""

    def present(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` that are stored."""

    def keep(self, keys: Iterable[str]) -> None:
        """Say that `keys` are still in use, without reading them: the cache forgets only entries no build uses."""


MARSHAL_FORMAT = 4
"""The marshal format of values stored in the cache: the newest, which writes a string repeated
across a value (an id, a kind) once, so entries are smaller and faster to read."""


def unmarshalled(stored: bytes | None) -> Any:
    """A value marshal wrote into a Store, or None when there is none or it cannot be read."""
    if not stored:
        return None
    try:
        return marshal.loads(stored)
    except (ValueError, EOFError, TypeError):  # damaged: as if nothing were stored
        return None


class MemoryStore(dict):
    """A Store held in memory, for tests and for callers that keep nothing between builds."""

    def put(self, key: str, value: bytes) -> None:
        """Store `value` under `key`."""
        self[key] = value

    def get_many(self, keys: Iterable[str]) -> dict[str, bytes]:
        """The stored bytes of each of `keys` that is stored."""
        return {key: self[key] for key in keys if key in self}

    def present(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` that are stored."""
        return {key for key in keys if key in self}

    def keep(self, keys: Iterable[str]) -> None:
        """Nothing to do: a MemoryStore forgets nothing."""


class WriteFailed(Exception):
    """An output file could not be written (a full disk, a file where a folder should be …).

    Files are replaced one by one, each whole: those placed before this one
    hold the new build, the others what the last build left.
    """

    def __init__(self, path: str, reason: str):
        super().__init__(path, reason)
        self.path = path
        """The file that could not be written, as an absolute path."""
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: cannot write it: {self.reason}"


class CacheFailed(Exception):
    """The build cache could not be opened, read or written (a full disk, a read-only folder …)."""

    def __init__(self, path: Path, reason: str):
        super().__init__(path, reason)
        self.path = path
        """The cache file."""
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: the build cache failed: {self.reason}"


class ToolFailed(Exception):
    """A program the build runs (the search indexer) is missing or failed; nothing has been written."""


class UsageError(Exception):
    """The command was called wrongly (exit code 2), as opposed to bad content (exit code 1)."""
