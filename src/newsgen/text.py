"""Vietnamese-aware text rules shared by the stages: NFC, name matching, slugs, search folding."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Mapping

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


# Vietnamese collation: CLDR's standard tailoring for Vietnamese (common/collation/vi.xml),
#     &̀<<̉<<̃<<́<<̣   &a<ă<â   &d<đ   &e<ê   &o<ô<ơ   &u<ư
# applied to the Unicode Collation Algorithm's default table (DUCET) as pyuca computes it.
# In the DUCET ă, â, đ, ê, ô, ơ and ư differ from their base letter only at the second level
# (ă = a + breve), so "Ăn" would sort between "An" and "Ao"; Vietnamese readers expect each
# to be a letter of its own, after its base letter. The tones stay second-level differences,
# in Vietnamese order: none, huyền, hỏi, ngã, sắc, nặng.
_LETTER_RANKS = {("a", "\u0306"): 1, ("a", "\u0302"): 2, ("e", "\u0302"): 1,
                 ("o", "\u0302"): 1, ("o", "\u031b"): 2, ("u", "\u031b"): 1}
_STROKED = {"đ": "d", "Đ": "D"}
_TONE_RANKS = {"\u0300": 0, "\u0309": 1, "\u0303": 2, "\u0301": 3, "\u0323": 4}  # after the grave: &̀<<̉<<̃<<́<<̣


@functools.lru_cache(maxsize=1)
def _collator():
    import pyuca  # reads its 2 MB table when first asked: only builds that sort persons pay for it

    return pyuca.Collator()


def _clusters(decomposed: str) -> list[str]:
    """`decomposed` (NFD) cut into letters, each a base character with the combining marks after it."""
    clusters: list[str] = []
    for char in decomposed:
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _vietnamese_letter(cluster: str) -> tuple[str, int, str]:
    """A cluster as (base character, its rank among the letters sharing that base, the other marks)."""
    base, marks = cluster[0], cluster[1:]
    if base in _STROKED:
        return _STROKED[base], 1, marks
    for mark in marks:
        rank = _LETTER_RANKS.get((base.lower(), mark))
        if rank:
            return base, rank, marks.replace(mark, "", 1)
    return base, 0, marks


@functools.lru_cache(maxsize=65536)
def collation_key(text: str) -> tuple:
    """Return a key that sorts `text` in Vietnamese order (a ă â b c d đ e ê … o ô ơ … u ư …; tones after).

    Level by level as the Unicode Collation Algorithm: letters, then marks,
    then case; each level a tuple, so that a shorter text sorts first.
    """
    primary: list[tuple[int, int]] = []
    secondary: list[tuple[int, int]] = []
    tertiary: list[int] = []
    for cluster in _clusters(unicodedata.normalize("NFD", text)):
        first, second, third = _letter_weights(cluster)
        primary.extend(first)
        secondary.extend(second)
        tertiary.extend(third)
    return tuple(primary), tuple(secondary), tuple(tertiary)


# An archive's names are written with a few hundred distinct letters (a base and its marks), and
# asking pyuca for a letter's weights costs far more than a look-up; reading pyuca's table alone
# takes a quarter of a second, which a build spares when it brings the weights it used last time.
_KNOWN_LETTERS: dict[str, tuple[tuple, tuple, tuple]] = {}


def known_letter_weights() -> dict[str, tuple[tuple, tuple, tuple]]:
    """The collation weights of every letter worked out (or added) so far in this process, by letter."""
    return dict(_KNOWN_LETTERS)


def add_letter_weights(known: Mapping[str, tuple[tuple, tuple, tuple]]) -> None:
    """Take letters' weights from known_letter_weights() of an earlier run with the same pyuca: sorting by them costs no look-up."""
    _KNOWN_LETTERS.update(known)


def _letter_weights(cluster: str) -> tuple[tuple, tuple, tuple]:
    """One letter's collation weights at the three levels, with the Vietnamese tailoring applied."""
    found = _KNOWN_LETTERS.get(cluster)
    if found is None:
        found = _KNOWN_LETTERS[cluster] = _tailored_weights(cluster)
    return found


def _tailored_weights(cluster: str) -> tuple[tuple, tuple, tuple]:
    collator = _collator()
    grave = collator.collation_elements("\u0300")[0][1]
    base, rank, marks = _vietnamese_letter(cluster)
    tones = [mark for mark in marks if mark in _TONE_RANKS]
    for tone in tones:
        marks = marks.replace(tone, "", 1)
    primary: list[tuple[int, int]] = []
    secondary: list[tuple[int, int]] = []
    tertiary: list[int] = []
    for first, second, third in collator.collation_elements(base + marks):
        if first:
            primary.append((first, rank))
            rank = 0
        if second:
            secondary.append((second, 0))
        if third:
            tertiary.append(third)
    secondary.extend((grave, _TONE_RANKS[tone]) for tone in tones)
    return tuple(primary), tuple(secondary), tuple(tertiary)


def sort_text(name: str, sort_name: str | None = None) -> str:
    """What a person is sorted and grouped by: their `sort_name`, else their given name (a Vietnamese name's last word)."""
    if sort_name and sort_name.strip():
        return sort_name.strip()
    words = name.split()
    return words[-1] if words else name


def initial_letter(text: str) -> str:
    """The letter `text` is filed under in an index: capital, tones dropped, ă â đ ê ô ơ ư kept as letters; '#' for no letter."""
    clusters = _clusters(unicodedata.normalize("NFD", text.strip()))
    if not clusters or not clusters[0][0].isalpha():
        return "#"
    base, rank, _ = _vietnamese_letter(clusters[0])
    if base.lower() == "d" and rank:
        return "Đ"
    quality = next((mark for mark in clusters[0][1:] if _LETTER_RANKS.get((base.lower(), mark)) == rank), "") if rank else ""
    return nfc(base.upper() + quality)
