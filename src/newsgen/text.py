"""Vietnamese-aware text rules shared by the stages: NFC, name matching, slugs, search folding."""

from __future__ import annotations

import functools
import re
import unicodedata

from slugify import slugify as _slugify

# The five Vietnamese tone marks as combining characters (NFD). Vowel-quality
# marks (circumflex, breve, horn) are not tones and stay where they are.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_TONE_RE = re.compile(f"[{_TONE_MARKS}]")
_SPACE_RE = re.compile(r"\s+")
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD_WITH_D_RE = re.compile(r"\w*[đĐ]\w*")


def nfc(text: str) -> str:
    """Return `text` in Unicode NFC, the form every string is kept in after reading."""
    return unicodedata.normalize("NFC", text)


@functools.lru_cache(maxsize=65536)  # an archive names the same people thousands of times
def name_key(name: str) -> str:
    """Return the key two names match by: NFC, case folding, single spaces, tone placement folded.

    Old and new tone placement (hòa / hoà, khóa / khoá) differ only in which
    vowel carries the mark, so each word's tone marks move to its end.
    """
    words = []
    for word in _SPACE_RE.split(name.strip()):
        decomposed = unicodedata.normalize("NFD", word.casefold())
        tones = "".join(sorted(_TONE_RE.findall(decomposed)))
        words.append(_TONE_RE.sub("", decomposed) + tones)
    return nfc(" ".join(words))


def search_fold(text: str) -> str:
    """Return `text` as the search index and the search box both fold it: lower case, no marks, đ -> d.

    Pagefind already ignores most diacritics, but đ is a letter of its own
    with no decomposition, so "dai" would never find "Đại". The theme's
    `static/js/search.js` applies the same steps to every query, in the same
    order; `toLowerCase` there is why this is `lower()`, not `casefold()`.
    """
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def search_d_words(text: str) -> str:
    """Return the distinct words of `text` written with đ, folded by search_fold, joined by spaces.

    Pagefind finds every other word whether its marks are typed or not; a
    word with đ it finds only as typed, and the search box folds what is
    typed. Indexing these folded words too keeps every word findable.
    """
    return " ".join(dict.fromkeys(search_fold(word) for word in _WORD_WITH_D_RE.findall(nfc(text))))


def slugify(text: str) -> str:
    """Return an ASCII URL segment for `text` (Vietnamese letters transliterated: đ -> d)."""
    return _slugify(text)


def is_slug(text: str) -> bool:
    """Whether `text` is already a clean URL segment: lowercase ASCII words joined by hyphens."""
    return bool(_SLUG_RE.match(text))


def is_contained(relpath: str) -> bool:
    """Whether `relpath`, joined to a folder, names something inside it: relative, `/`-separated, no `..`, `.` or empty part."""
    return bool(relpath) and not relpath.startswith("/") and "\\" not in relpath and \
        not any(part in ("..", ".", "") for part in relpath.split("/"))
