"""Stage 4, render: Plan -> output files (Jinja2 with autoescape and StrictUndefined).

The only importer of Jinja2. A page renders from its plain-data context
alone, so pages can be rendered in any order, in any process.
"""

from __future__ import annotations

import functools
import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any, Sequence

import jinja2
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format

from .model import BuildFailed, OutputFile, Page, Plan, Problem
from .text import search_d_words, search_fold

# Below this many pages per worker, starting processes costs more than it saves.
_PAGES_PER_WORKER = 50


def render(plan: Plan, template_dirs: Sequence[Path], jobs: int | None = None) -> tuple[OutputFile, ...]:
    """Render every page of `plan` with the first matching template in `template_dirs`.

    `jobs` processes share the work (default: all cores). Raises BuildFailed
    naming the template file and line of every error.
    """
    dirs = tuple(str(d) for d in template_dirs)
    jobs = jobs or os.cpu_count() or 1
    jobs = max(1, min(jobs, len(plan.pages) // _PAGES_PER_WORKER))
    if jobs == 1:
        results = [_render_page(dirs, page) for page in plan.pages]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunk = max(1, len(plan.pages) // (jobs * 8))
            results = list(pool.map(_render_page, [dirs] * len(plan.pages), plan.pages, chunksize=chunk))
    problems = [r for r in results if isinstance(r, Problem)]
    if problems:
        raise BuildFailed(problems)
    return tuple(r for r in results if isinstance(r, OutputFile))


def _render_page(dirs: tuple[str, ...], page: Page) -> OutputFile | Problem:
    """Render one page; a template error comes back as a Problem naming the template line."""
    try:
        template = environment(dirs).get_template(page.template)
        return OutputFile(page.relpath, template.render(page.context).encode("utf-8"))
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


_ENVIRONMENTS: dict[tuple[str, ...], jinja2.Environment] = {}


def environment(dirs: tuple[str, ...]) -> jinja2.Environment:
    """The Jinja2 environment for these template folders (one per process, reused)."""
    env = _ENVIRONMENTS.get(dirs)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(list(dirs)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(date=format_day, datetime=format_moment, month=format_month,
                           search_fold=search_fold, search_d_words=search_d_words)
        _ENVIRONMENTS[dirs] = env
    return env


@jinja2.pass_context
def format_day(context: Any, value: str | None, style: str = "long") -> str:
    """Template filter: an ISO date (or date-time) as a date in the site's language ('' for none)."""
    return _day(value[:10], style, _locale(context)) if value else ""


@jinja2.pass_context
def format_moment(context: Any, value: str | None) -> str:
    """Template filter: an ISO date-time as weekday, date and time of day in the site's language."""
    return _moment(value, _locale(context)) if value else ""


@jinja2.pass_context
def format_month(context: Any, year: int, month: int) -> str:
    """Template filter: a month and year in the site's language ("tháng 9 năm 2024")."""
    return _month(year, month, _locale(context))


# Babel formatting costs far more than a dictionary look-up, and a list page
# shows the same few dates again and again.
@functools.lru_cache(maxsize=4096)
def _day(iso_date: str, style: str, locale: str) -> str:
    return format_date(date.fromisoformat(iso_date), style, locale=locale)


@functools.lru_cache(maxsize=4096)
def _moment(iso_moment: str, locale: str) -> str:
    moment = datetime.fromisoformat(iso_moment)
    pattern = get_datetime_format("medium", locale=locale)
    return (pattern.replace("{1}", format_date(moment, "full", locale=locale))
            .replace("{0}", format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale)))


@functools.lru_cache(maxsize=1024)
def _month(year: int, month: int, locale: str) -> str:
    return format_skeleton("yMMMM", date(year, month, 1), locale=locale)


def _locale(context: Any) -> str:
    return context["site"]["language"].replace("-", "_")
