"""newsgen new: write a new article, person or event file with its front matter filled in.

A command-line convenience beside the build, not a stage of it: it writes one
file into the site's `content/` and never replaces an existing one.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import yaml

from .config import CONTENT_FOLDERS, load_config
from .model import UsageError
from .text import nfc, slugify

KINDS = tuple(CONTENT_FOLDERS)
"""What `newsgen new` can make."""


def new_file(site_dir: Path, kind: str, title: str, *, persons: Sequence[str] = (), events: Sequence[str] = (),
             now: datetime | None = None) -> Path:
    """Create the content file of a new `kind` named `title` in `site_dir`; return its path.

    An article goes to `content/articles/<year>/<month>/<slug>.md`, dated
    `now` (default: the clock) in the site's time zone, naming `persons` and
    `events`; a person or event to `content/persons/<id>.md` or
    `content/events/<id>.md`. The slug or id is the title made ASCII, as the
    build makes it. Raises FileExistsError when that file exists (nothing is
    written), BuildFailed when `newsgen.yaml` is broken, UsageError for a
    title with no letters or digits, or persons and events given to anything
    but an article.
    """
    title = " ".join(nfc(title).split())
    slug = slugify(title)
    if not slug:
        raise UsageError(f"the title {title!r} has no letters or digits to make a file name of")
    if kind != "article" and (persons or events):
        raise UsageError("--person and --event are for articles only")
    if kind == "article":
        moment = (now or datetime.now(timezone.utc)).astimezone(load_config(site_dir).zone).replace(microsecond=0)
        path = site_dir / "content" / CONTENT_FOLDERS[kind] / f"{moment:%Y}" / f"{moment:%m}" / f"{slug}.md"
        # The date unquoted, as people write it (a YAML dumper would quote anything that looks like a time).
        text = (_yaml({"title": title}) + f"date: {moment.isoformat()}\n"
                + _yaml({key: [nfc(name) for name in names]
                         for key, names in (("persons", persons), ("events", events)) if names}))
    elif kind in CONTENT_FOLDERS:
        path = site_dir / "content" / CONTENT_FOLDERS[kind] / f"{slug}.md"
        text = _yaml({"name": title})
    else:
        raise UsageError(f"newsgen new makes one of {', '.join(KINDS)}, not {kind!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Mode "x" creates the file or fails if it exists, with no window between checking and writing.
    with path.open("x", encoding="utf-8", newline="\n") as stream:
        stream.write(f"---\n{text}---\n\n")
    return path


def _yaml(data: dict) -> str:
    """`data` as YAML lines, quoted wherever YAML needs it ('' for nothing)."""
    if not data:
        return ""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=10**9)
