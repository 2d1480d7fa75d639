"""The media type of an output file, told by its name alone and the same on every machine."""

from __future__ import annotations

import mimetypes

# A fresh MimeTypes holds only Python's own table, never the machine's /etc/mime.types,
# so a preview and every deploy target label a file alike wherever newsgen runs.
_TABLE = mimetypes.MimeTypes()
for _suffix, _type in {
    ".js": "text/javascript",  # RFC 9239; older Pythons say application/javascript
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".xml": "application/xml",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".md": "text/markdown",
}.items():
    _TABLE.add_type(_type, _suffix)

_TEXT_TYPES = {"application/json", "application/xml", "application/manifest+json", "image/svg+xml"}


def media_type(relpath: str) -> str:
    """The Content-Type to send `relpath` with; text types carry `charset=utf-8`, unknown ones are octet-stream."""
    found, encoding = _TABLE.guess_type(relpath, strict=False)
    if encoding is not None:  # `x.xml.gz` is a compressed file to download, not XML to show
        return "application/gzip" if encoding == "gzip" else "application/octet-stream"
    if found is None:
        return "application/octet-stream"
    if found.startswith("text/") or found in _TEXT_TYPES:
        return f"{found}; charset=utf-8"
    return found
