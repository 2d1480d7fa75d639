"""Where the packaged default theme lives."""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).resolve().parent / "theme"
# In a source checkout (and an editable install) the theme is the repository's
# own top-level templates/ and static/; the wheel copies them into the package.
_CHECKOUT = Path(__file__).resolve().parents[2]


def default_theme_dir() -> Path:
    """The folder holding the default theme's `templates/` and `static/`."""
    if (_PACKAGED / "templates").is_dir():
        return _PACKAGED
    return _CHECKOUT
