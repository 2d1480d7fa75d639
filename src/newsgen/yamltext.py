"""YAML reading with line numbers, for front matter and `newsgen.yaml`."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import yaml

from .model import Problem
from .text import nfc

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe C loader, minus implicit timestamps: dates stay text so that
    every date goes through one parser with one error message."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def parse_mapping(text: str, path: str, first_line: int = 1) -> tuple[dict[str, Any], dict[str, int], list[Problem]]:
    """Parse `text` as a YAML mapping; return it, the line of each top-level key, and problems.

    `first_line` is the file line on which `text` starts, so that reported
    lines point into the file, not into the snippet.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = error.problem or error.context or "cannot be read"
        if error.context_mark and error.context and "end of stream" in reason:
            # An unclosed quote or bracket runs to the end: point at where it opened.
            mark, reason = error.context_mark, f"{reason} {error.context}"
        line = first_line + (mark.line if mark else 0)
        return {}, {}, [Problem(path, line, f"invalid YAML: {reason}")]
    except yaml.YAMLError as error:
        return {}, {}, [Problem(path, first_line, f"invalid YAML: {error}")]
    finally:
        loader.dispose()
    if data is None:
        return {}, {}, []
    if not isinstance(data, dict):
        return {}, {}, [Problem(path, first_line, "expected `key: value` lines, found a single value")]
    lines: dict[str, int] = {}
    problems = []
    for key_node, _ in node.value:
        line = first_line + key_node.start_mark.line
        if str(key_node.value) in lines:
            problems.append(Problem(path, line, f"key {key_node.value!r} is given twice"))
        lines.setdefault(str(key_node.value), line)
    problems += [
        Problem(path, lines.get(str(key), first_line), f"key {key!r} is not text")
        for key in data if not isinstance(key, str)
    ]
    return {str(k): v for k, v in data.items()}, lines, problems


def read_text(path: Path, shown: str) -> str | Problem:
    """The UTF-8 text of `path` (a BOM is dropped), NFC-normalised, or a Problem at the line of the first bad
    byte, or at line 1 when it cannot be read."""
    data = read_bytes(path, shown)
    return data if isinstance(data, Problem) else decode_text(data, shown)


def read_bytes(path: Path | str, shown: str) -> bytes | Problem:
    """The bytes of `path`, or a Problem naming `shown` at line 1 when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:  # a folder, a link to nothing, no read permission, a file deleted meanwhile
        return Problem(shown, 1, f"cannot read it: {error.strerror or error}")


def decode_text(data: bytes, shown: str) -> str | Problem:
    """`data` as UTF-8 text (a BOM is dropped), NFC-normalised, or a Problem naming `shown` and the bad line."""
    try:
        return nfc(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return Problem(shown, 1, "not UTF-8 text: it looks like UTF-16; save it as UTF-8")
        line = data.count(b"\n", 0, error.start) + 1
        return Problem(shown, line, f"not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8")


class Fields:
    """Typed reading of one parsed mapping; every mistake becomes a Problem with its line."""

    def __init__(self, data: dict[str, Any], lines: dict[str, int], path: str, first_line: int = 1):
        self.data = data
        self.lines = lines
        self.path = path
        self.first_line = first_line
        self.problems: list[Problem] = []

    def line(self, key: str) -> int:
        """The file line of `key`, or of the start of the mapping when the key is absent."""
        return self.lines.get(key, self.first_line)

    def fail(self, key: str, message: str) -> None:
        """Record a problem at the line of `key`."""
        self.problems.append(Problem(self.path, self.line(key), message))

    def text(self, key: str, required: bool = False) -> str | None:
        """A single line of text; numbers are taken as their text, lists and mappings are refused."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(key, f"missing required key {key!r}" if key not in self.data else f"{key!r} is empty")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(key, f"{key!r} must be text, not {_kind(value)}")
            return None
        result = nfc(str(value)).strip()
        if required and not result:
            self.fail(key, f"{key!r} is empty")
            return None
        return result

    def text_list(self, key: str) -> tuple[str, ...]:
        """A list of text items; a single text is taken as a one-item list."""
        value = self.data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        result = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.fail(key, f"{key!r} must be a list of text, found {_kind(item)}")
                return ()
            text = nfc(str(item)).strip()
            if text:
                result.append(text)
        return tuple(result)

    def boolean(self, key: str, default: bool = False) -> bool:
        """`true` or `false`."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, f"{key!r} must be true or false, not {_shown(value)}")
            return default
        return value

    def integer(self, key: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
        """A whole number no smaller than `minimum` and, when given, no larger than `maximum`."""
        value = self.data.get(key)
        if value is None:
            return default
        too_large = maximum is not None and isinstance(value, int) and value > maximum
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or too_large:
            allowed = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
            self.fail(key, f"{key!r} must be a whole number {allowed}, not {value!r}")
            return default
        return value

    def day(self, key: str) -> date | None:
        """An ISO 8601 calendar date (YYYY-MM-DD); a date-time is cut to its day."""
        text = self.text(key)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            self.fail(key, f"{key!r} is not a valid date: {text!r} (expected YYYY-MM-DD)")
            return None

    def moment(self, key: str, zone: tzinfo, required: bool = False) -> datetime | None:
        """An ISO 8601 date or date-time; without an offset it is taken in `zone`, and returned in `zone`."""
        text = self.text(key, required=required)
        if text is None:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            self.fail(key, f"{key!r} is not a valid ISO 8601 date or date-time: {text!r}")
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(zone)

    def unknown(self, known: set[str]) -> dict[str, Any]:
        """The keys not in `known`, as given."""
        return {key: value for key, value in self.data.items() if key not in known}


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, (str, int, float)) else _kind(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
