"""Stage 4, render: Plan -> output files (Jinja2 with autoescape and StrictUndefined).

The only importer of Jinja2. A page renders from its plain-data context
alone, so pages can be rendered in any order, in any process. The theme's
words come from a gettext message catalogue chosen by the site's language.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import hashlib
import io
import itertools
import json
import marshal
import os
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import jinja2
import jinja2.nodes
import jinja2.visitor
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations
from markupsafe import Markup

from .model import (BuildFailed, Inputs, MemoryStore, OutputFile, Page, PageOutline, Plan, Problem, Rendered, Store,
                    outlines_of)
from .render_record import Entry, RenderRecord
from .text import search_d_words, search_fold
from .workers import in_order, useful_jobs, worker_pool

# Below this many pages per worker, starting processes costs more than it saves.
_PAGES_PER_WORKER = 50
# Pages sent to a worker at once; a few batches per worker are in flight, so
# memory holds a bounded number of bodies and results, not the whole site.
_BATCH = 32
# Pages whose contexts are made and looked up in the cache together.
_CHUNK = 1024
SOURCE_LANGUAGE = "en"
"""The language the theme's messages are written in: it needs no catalogue."""
CATALOGUE = "locale/{language}/LC_MESSAGES/messages.po"
"""Where, inside a template folder, the message catalogue of a language lives."""


def render(
    plan: Plan,
    template_dirs: Sequence[Path],
    jobs: int | None = None,
    *,
    pages: Store | None = None,
    bodies: Store | None = None,
    contexts: Store | None = None,
    renders: Store | None = None,
) -> Rendered:
    """Render every page of `plan` with the first matching template in `template_dirs`.

    Each page's bytes go to `pages`, keyed by a hash of its template folders'
    files, its template name, its path and its context; a page whose key is
    already there is not rendered again. `contexts` remembers the hash of
    each page's context (and its language) by the page's inputs
    (PageRecipe.inputs): a page whose inputs are remembered and whose key is
    stored has its context not even made. `renders` keeps what each render of
    a plan (by Plan.inputs_key and the templates) made of every page, and which
    articles it read: rendering the same plan again, a page none of whose
    articles changed is known unchanged with nothing worked out, not even its
    inputs. `bodies` holds the article HTML
    that pages name in Page.bodies. `jobs` processes share the work (default:
    all cores). Raises BuildFailed naming the template file and line of every error.
    """
    pages = MemoryStore() if pages is None else pages
    bodies = MemoryStore() if bodies is None else bodies
    contexts = MemoryStore() if contexts is None else contexts
    renders = MemoryStore() if renders is None else renders
    dirs = tuple(str(d) for d in template_dirs)
    salt = templates_fingerprint(template_dirs)
    _forget_if_changed(dirs, salt)
    record_key = hashlib.sha256(f"{plan.inputs_key}\0{salt}".encode()).hexdigest() if plan.inputs_key else None
    records = RenderRecord(renders, record_key, plan.article_digests) if record_key else None
    tally = _Tally()
    todo = _not_stored(outlines_of(plan.pages), salt, pages, contexts, records, tally)
    problems: list[Problem] = []
    rendered = 0
    for key, result in _render_all(dirs, todo, bodies, jobs):
        if isinstance(result, Problem):
            problems.append(result)
        else:
            pages.put(key, result)
            rendered += 1
    if problems:
        raise BuildFailed(problems)
    if records:
        records.finish()
    return Rendered(files=tuple(tally.files), rendered=rendered, cached=len(tally.files) - rendered,
                    warnings=_catalogue_warnings(dirs, tally.languages), contexts_made=tally.contexts_made,
                    inputs_made=tally.inputs_made)


@dataclass
class _Tally:
    """What _not_stored finds out as it goes: every page's file and language, and how many pages needed work."""

    files: list[OutputFile] = field(default_factory=list)
    languages: set[str] = field(default_factory=set)
    inputs_made: int = 0
    """Pages whose inputs were worked out (those not kept from the last render)."""
    contexts_made: int = 0
    """Pages whose context was made (those whose key could not be found from their inputs)."""


def _not_stored(outlines: Sequence[PageOutline], salt: str, pages: Store, contexts: Store, records: RenderRecord | None,
                tally: _Tally) -> Iterator[tuple[str, Page]]:
    """The pages of `outlines` whose key is not in `pages`, with their keys.

    Every page's OutputFile and language go to `tally`, which counts the
    pages whose inputs had to be worked out and whose contexts had to be made.

    Pages are taken a chunk at a time. A page that the last render of the
    same plan (`records`) holds at its place, with the same path and
    template, is done with nothing worked out, not even its recipe. A page whose inputs give a
    remembered context hash, and so a stored key, is done without its
    context; the others' contexts are made, hashed, remembered and let go
    of, unless they are to be rendered.
    """
    for start in range(0, len(outlines), _CHUNK):
        chunk = outlines[start:start + _CHUNK]
        stored, last = records.chunk(start // _CHUNK) if records else (None, None)
        kept = [_kept(last, n, outline) for n, outline in enumerate(chunk)]
        todo = [n for n, entry in enumerate(kept) if entry is None]
        tally.inputs_made += len(todo)
        recipes = {n: chunk[n].recipe() for n in todo}
        inputs = {n: recipe.inputs() for n, recipe in recipes.items()}
        hashes = {n: found[0] for n, found in inputs.items() if found is not None}
        remembered = contexts.get_many(hashes.values())
        known = {n: _remembered(remembered.get(found)) for n, found in hashes.items()}
        keys = {n: page_key(salt, chunk[n].template, chunk[n].relpath, hashed[0])
                for n, hashed in known.items() if hashed is not None}
        done = pages.present(keys.values())
        cooked: dict[int, Page] = {}
        for n in todo:
            if keys.get(n) in done:
                continue
            recipe = recipes[n]
            page = cooked[n] = Page(recipe.relpath, recipe.template, recipe.make_context(), recipe.bodies)
            hashed = (context_hash(page.context), _language(page))
            if n in hashes and hashed != known[n]:
                contexts.put(hashes[n], "\0".join(hashed).encode())
            known[n], keys[n] = hashed, page_key(salt, recipe.template, recipe.relpath, hashed[0])
            tally.contexts_made += 1
        done |= pages.present(keys[n] for n in cooked)
        # The last render's pages are still in use: the cache must not forget them as untouched.
        pages.keep(entry[4] for entry in kept if entry is not None)
        contexts.keep(entry[2] for entry in kept if entry is not None)
        entries = [entry if entry is not None else _entry(outline, inputs[n], keys[n], known[n][1])
                   for n, (outline, entry) in enumerate(zip(chunk, kept))]
        if records:
            records.save(start // _CHUNK, entries, stored)
        tally.files.extend(OutputFile(entry[0], entry[4]) for entry in entries)
        tally.languages.update(entry[5] for entry in entries)
        yield from ((keys[n], page) for n, page in cooked.items() if keys[n] not in done)


def _entry(outline: PageOutline, inputs: Inputs | None, key: str, language: str) -> Entry:
    hashed, reads = inputs if inputs is not None else (None, None)
    return (outline.relpath, outline.template, hashed, reads, key, language)


def _kept(last: Sequence[Entry | None] | None, n: int, outline: PageOutline) -> Entry | None:
    """The last render's entry for the `n`th page of a chunk, if still good for `outline`: same place, path and template."""
    entry = last[n] if last is not None and n < len(last) else None
    return entry if entry is not None and entry[0] == outline.relpath and entry[1] == outline.template else None


def _remembered(value: bytes | None) -> tuple[str, str] | None:
    """A context hash and language as `contexts` stores them, or None."""
    if value is None:
        return None
    context, _, language = value.decode().partition("\0")
    return context, language


def catalogue_path(dirs: Sequence[str | Path], language: str) -> Path | None:
    """The message catalogue for `language` (`vi`, `vi-VN` …) in the first of `dirs` that has one; None if none has.

    A site's `templates/locale/` comes before the theme's, so a site can
    correct a translation or add a language file by file, like templates.
    """
    for candidate in _language_tags(language):
        for folder in dirs:
            path = Path(folder) / CATALOGUE.format(language=candidate)
            if path.is_file():
                return path
    return None


def _language_tags(language: str) -> list[str]:
    """The catalogue folder names to try for a language, most specific first: `vi_VN`, then `vi`."""
    code = language.replace("-", "_")
    try:
        locale = Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return [code]
    return list(dict.fromkeys([code, str(locale), locale.language]))


def _language(page: Page) -> str:
    """The language a page is written in: its site's (every planned page names its site)."""
    site = page.context.get("site")
    return site["language"] if isinstance(site, Mapping) and "language" in site else SOURCE_LANGUAGE


def _catalogue_warnings(dirs: tuple[str, ...], languages: set[str]) -> tuple[str, ...]:
    return tuple(
        f"no message catalogue for language {language!r}, so the theme's words are in English "
        f"(add templates/{CATALOGUE.format(language=_language_tags(language)[-1])} to translate them)"
        for language in sorted(languages)
        if _language_tags(language)[-1] != SOURCE_LANGUAGE and catalogue_path(dirs, language) is None
    )


class _CatalogueError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@functools.lru_cache(maxsize=16)
def _translations(dirs: tuple[str, ...], language: str) -> gettext.NullTranslations:
    """The site language's catalogue, read with Babel and compiled in memory (no .mo files to keep in step)."""
    path = catalogue_path(dirs, language)
    if path is None:
        return gettext.NullTranslations()
    try:
        with path.open("rb") as po:
            catalog = read_po(po, locale=Locale.parse(_language_tags(language)[-1]), abort_invalid=True)
    except PoFileError as error:
        # Babel counts lines from 0.
        raise _CatalogueError(Problem(str(path), error.lineno + 1, f"message catalogue: {error}")) from error
    except (ValueError, UnknownLocaleError, UnicodeDecodeError) as error:
        raise _CatalogueError(Problem(str(path), 1, f"message catalogue: {error}")) from error
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(compiled)


def templates_fingerprint(template_dirs: Sequence[Path]) -> str:
    """A hash of every file in `template_dirs` (names and bytes): any template a page can load."""
    digest = hashlib.sha256()
    for number, folder in enumerate(template_dirs):
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(f"{number}\0{path.relative_to(folder).as_posix()}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def context_hash(context: Mapping[str, Any]) -> str:
    """A hash of a page's plain-data context.

    marshal serialises plain data several times faster than json and refuses
    anything else; format 2 has no back-references, so equal contexts give
    equal bytes.
    """
    return hashlib.sha256(marshal.dumps(context, 2)).hexdigest()


def page_key(salt: str, template: str, relpath: str, context: str) -> str:
    """The cache key of a page, from its templates' fingerprint, template, path and context hash:
    its bytes depend on nothing else (given one newsgen version)."""
    return hashlib.sha256(f"{salt}\0{template}\0{relpath}\0{context}".encode()).hexdigest()


def _render_all(dirs: tuple[str, ...], todo: Iterator[tuple[str, Page]], bodies: Store,
                jobs: int | None) -> Iterator[tuple[str, bytes | Problem]]:
    """Render the pages of `todo` in order, in `jobs` processes when there are enough pages to share."""
    jobs = jobs or os.cpu_count() or 1
    head = list(itertools.islice(todo, _PAGES_PER_WORKER * jobs))
    jobs = useful_jobs(jobs, len(head), _PAGES_PER_WORKER)
    batches = (_with_bodies(batch, bodies) for batch in _batched(itertools.chain(head, todo), _BATCH))
    render_batch = functools.partial(_render_batch, dirs)
    if jobs == 1:
        for batch in batches:
            yield from zip((key for key, _, _ in batch), render_batch(batch))
        return
    with worker_pool(jobs) as pool:
        for batch, results in in_order(pool, render_batch, batches, ahead=3 * jobs):
            yield from zip((key for key, _, _ in batch), results)


def _batched(items: Iterable[tuple[str, Page]], size: int) -> Iterator[list[tuple[str, Page]]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _with_bodies(batch: list[tuple[str, Page]], bodies: Store) -> list[tuple[str, Page, dict[str, str | None]]]:
    """Each page with the article bodies it shows, fetched now so only a batch's bodies are in memory."""
    found = bodies.get_many(body for _, page in batch for body in page.bodies)
    return [(key, page, {body: found[body].decode("utf-8") if body in found else None for body in page.bodies})
            for key, page in batch]


def _render_batch(dirs: tuple[str, ...], batch: list[tuple[str, Page, dict[str, str | None]]]) -> list[bytes | Problem]:
    """Render a batch of (key, page, its bodies): the unit of work sent to a process, plain data in and out."""
    return [_render_page(dirs, page, page_bodies) for _, page, page_bodies in batch]


def _render_page(dirs: tuple[str, ...], page: Page, page_bodies: Mapping[str, str | None]) -> bytes | Problem:
    """Render one page; a template error comes back as a Problem naming the template line."""
    missing = [key for key, html in page_bodies.items() if html is None]
    if missing:
        return Problem(page.relpath, 1, f"article body {missing[0]} is missing from the cache: build again")
    try:
        template = environment(dirs, _language(page)).get_template(page.template)
        token = _PAGE_BODIES.set(page_bodies)
        try:
            return template.render(page.context).encode("utf-8")
        finally:
            _PAGE_BODIES.reset(token)
    except _CatalogueError as error:
        return error.problem
    except jinja2.TemplateSyntaxError as error:
        return Problem(error.filename or page.template, error.lineno or 1, f"template error: {error.message}")
    except jinja2.TemplateNotFound as error:
        return Problem(page.template, 1, f"template not found: {error.name} (looked in {', '.join(dirs)})")
    except Exception as error:  # a theme bug: report where in the template it happened
        path, line = _template_frame(error, dirs) or (page.template, 1)
        return Problem(path, line, f"template error while rendering {page.relpath}: {type(error).__name__}: {error}")


def _template_frame(error: Exception, dirs: tuple[str, ...]) -> tuple[str, int] | None:
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if frame.filename.startswith(dirs):
            return frame.filename, frame.lineno or 1
    return None


# The article bodies of the page being rendered, for the `body` filter. Not in
# the template context, so macros imported without context can show them too.
_PAGE_BODIES: contextvars.ContextVar[Mapping[str, str | None]] = contextvars.ContextVar("page_bodies")


_ENVIRONMENTS: dict[tuple[tuple[str, ...], str], jinja2.Environment] = {}


_SALTS: dict[tuple[str, ...], str] = {}


def _forget_if_changed(dirs: tuple[str, ...], salt: str) -> None:
    """Drop this process's environment for `dirs` when their files changed (a long-running `serve`).

    Jinja2 reloads an edited template, but keeps using a theme template after
    the site adds its own override of it in an earlier folder.
    """
    if _SALTS.get(dirs) != salt:
        for key in [key for key in _ENVIRONMENTS if key[0] == dirs]:
            del _ENVIRONMENTS[key]
        _translations.cache_clear()  # catalogues live in the template folders too
        _SALTS[dirs] = salt


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _PlainDataEnvironment(jinja2.Environment):
    """An environment for one language's pages of plain data: `page.title` is a dict's key first, and
    constant messages are translated as templates compile (see _parse).

    Jinja2 tries an attribute before a key, and on a dict the failed attribute
    look-up raises an exception every time: with pages made of plain dicts,
    that was a tenth of rendering. Names that are attributes of dict (`items`,
    `get` …) still go the usual way, so every look-up gives what Jinja2 gives.
    """

    messages: gettext.NullTranslations | None = None
    """The language's catalogue, when each `_("a constant")` is to be translated once, as templates compile."""
    locale: str = SOURCE_LANGUAGE
    """The language of the pages, as Babel names it (`vi`, `en_GB`): the date filters write in it."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`obj.attribute` in a template: a dict's key unless dict has an attribute of that name."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        """A template's syntax tree, with every `_()` or `gettext()` of one constant string already translated.

        An environment serves one language, so its templates can hold their
        words translated: a page called `_()` about twenty times. Left alone
        in a template that binds `_` or `gettext` itself (a variable, a macro
        argument, an import), where the name may mean something else.
        """
        tree = super()._parse(source, name, filename)
        if self.messages is None or _binds_gettext(tree):
            return tree
        return _ConstantMessages(self.messages).visit(tree)


_GETTEXT_NAMES = frozenset({"_", "gettext"})


def _binds_gettext(tree: jinja2.nodes.Template) -> bool:
    """Whether the template gives `_` or `gettext` a meaning of its own."""
    nodes = jinja2.nodes
    return (any(found.name in _GETTEXT_NAMES and found.ctx in ("store", "param") for found in tree.find_all(nodes.Name))
            or any(found.target in _GETTEXT_NAMES for found in tree.find_all(nodes.Import))
            or any((imported[1] if isinstance(imported, tuple) else imported) in _GETTEXT_NAMES
                   for found in tree.find_all(nodes.FromImport) for imported in found.names))


class _ConstantMessages(jinja2.visitor.NodeTransformer):
    """Replaces `_("…")` and `gettext("…")` by their translation, as the i18n extension's new style gives it."""

    def __init__(self, messages: gettext.NullTranslations):
        self.messages = messages

    def visit_Call(self, node: jinja2.nodes.Call) -> jinja2.nodes.Node:
        node = self.generic_visit(node)
        nodes = jinja2.nodes
        if not (isinstance(node.node, nodes.Name) and node.node.name in _GETTEXT_NAMES and len(node.args) == 1
                and isinstance(node.args[0], nodes.Const) and isinstance(node.args[0].value, str)
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None):
            return node
        try:
            message = self.messages.gettext(node.args[0].value) % {}  # always a format, as in Jinja2
        except (TypeError, ValueError, KeyError):
            return node  # fails as it would have when rendering
        return nodes.MarkSafeIfAutoescape(nodes.Const(message, lineno=node.lineno), lineno=node.lineno)


def environment(dirs: tuple[str, ...], language: str = SOURCE_LANGUAGE) -> jinja2.Environment:
    """The Jinja2 environment for these template folders and this language's messages (one per process, reused).

    Templates mark their words with `_()` and `{% trans %}` (jinja2.ext.i18n,
    new-style: `_("%(n)s articles", n=3)` formats and escapes).
    """
    env = _ENVIRONMENTS.get((dirs, language))
    if env is None:
        env = _PlainDataEnvironment(
            loader=jinja2.FileSystemLoader(list(dirs)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
            # Templates are not looked at again while they are in use (four stats a page):
            # _forget_if_changed drops the whole environment when any file changes.
            auto_reload=False,
        )
        env.policies["ext.i18n.trimmed"] = True  # as babel.cfg extracts them: whitespace inside {% trans %} collapsed
        translations = _translations(dirs, language)
        env.install_gettext_translations(translations, newstyle=True)
        env.messages = translations
        env.locale = language.replace("-", "_")
        gettext, ngettext = _template_gettext(translations)
        env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext)
        env.filters.update(date=format_day, datetime=format_moment, month=format_month, body=article_body,
                           json_ld=json_ld, search_fold=search_fold, search_d_words=search_d_words)
        _ENVIRONMENTS[(dirs, language)] = env
    return env


def _template_gettext(translations: gettext.NullTranslations) -> tuple[Any, Any]:
    """`gettext` (also `_`) and `ngettext` for templates, giving what jinja2.ext.i18n's new style gives.

    Jinja2's own go through three layers of calls for each. Messages that
    are one constant string are translated as templates compile
    (_ConstantMessages); these serve the others, those with variables. `_`
    is `gettext` itself rather than Jinja2's alias that looks `gettext` up
    in the context, which no page defines.
    """

    @jinja2.pass_context
    def template_gettext(__context: Any, __string: str, **variables: Any) -> str:
        message = translations.gettext(__string)
        return (Markup(message) if __context.eval_ctx.autoescape else message) % variables  # always a format

    @jinja2.pass_context
    def template_ngettext(__context: Any, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        message = translations.ngettext(__singular, __plural, __num)
        return (Markup(message) if __context.eval_ctx.autoescape else message) % variables

    return template_gettext, template_ngettext


# Inside <script>, only these can end the element or change how it is parsed
# ("</script>", "<!--"); U+2028/2029 end a line in older JavaScript parsers.
# Replaced one by one: str.translate looks up every character of the text in a dict.
_SCRIPT_SAFE = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def json_ld(value: Any) -> Markup:
    """Template filter: plain data as JSON safe inside `<script type="application/ld+json">` (sorted keys, UTF-8)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for character, escaped in _SCRIPT_SAFE:
        text = text.replace(character, escaped)
    return Markup(text)


def article_body(key: str) -> Markup:
    """Template filter: the sanitised HTML of the article body `key` (an article's `body`), as safe markup."""
    bodies = _PAGE_BODIES.get({})
    if key not in bodies:
        raise KeyError(f"this page did not ask for article body {key!r}: plan lists the bodies a page shows")
    return Markup(bodies[key])


# The date filters take the language from the environment, which serves one
# language, not from the page: macros imported without context use them too.
@jinja2.pass_environment
def format_day(env: Any, value: str | None, style: str = "long") -> str:
    """Template filter: an ISO date (or date-time) as a date in the site's language ('' for none)."""
    return _day(value[:10], style, env.locale) if value else ""


@jinja2.pass_environment
def format_moment(env: Any, value: str | None) -> str:
    """Template filter: an ISO date-time as weekday, date and time of day in the site's language."""
    return _moment(value, env.locale) if value else ""


@jinja2.pass_environment
def format_month(env: Any, year: int, month: int) -> str:
    """Template filter: a month and year in the site's language ("tháng 9 năm 2024")."""
    return _month(year, month, env.locale)


# Babel formatting costs far more than a dictionary look-up, and list pages
# show the same dates again and again: every day, month and time of day is
# formatted once per process. An archive has a few thousand of each.
@functools.lru_cache(maxsize=None)
def _day(iso_date: str, style: str, locale: str) -> str:
    return format_date(date.fromisoformat(iso_date), style, locale=locale)


def _moment(iso_moment: str, locale: str) -> str:
    # Babel formats a datetime's date part and time part apart, so both can be remembered.
    moment = datetime.fromisoformat(iso_moment)
    return (_datetime_pattern(locale).replace("{1}", _day(moment.date().isoformat(), "full", locale))
            .replace("{0}", _time_of_day(moment.timetz().isoformat(), locale)))


# Keyed by text: aware times in different offsets that are the same instant compare equal.
@functools.lru_cache(maxsize=None)
def _time_of_day(iso_time: str, locale: str) -> str:
    """A time of day with its offset, if any ("07:05:00+07:00"), as format_time shows it in that offset."""
    moment = datetime.fromisoformat(f"2000-01-01T{iso_time}")
    return format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale)


@functools.lru_cache(maxsize=None)
def _datetime_pattern(locale: str) -> str:
    return get_datetime_format("medium", locale=locale)


@functools.lru_cache(maxsize=None)
def _month(year: int, month: int, locale: str) -> str:
    return format_skeleton("yMMMM", date(year, month, 1), locale=locale)
