"""A real browser for the tests: Debian's Chromium driven by Playwright, and a throwaway web server.

`make test` installs /usr/bin/chromium when it is missing (as root); Playwright's
own browsers are never downloaded. The fixtures `browser`, `page` and `serve`
in conftest.py are built from these.
"""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM = Path("/usr/bin/chromium")
# Headless and offline: no sandbox (CI runs as root), no GPU, and none of the
# browser's own network traffic (updates, sync, QUIC probes).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def launch(playwright):
    """Start Debian's Chromium, headless, through a running `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder below one path prefix, as a static host under a sub-path would; 404 elsewhere."""

    prefix = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / ".no-such-file")
        return super().translate_path("/" + path[len(self.prefix):])

    def log_message(self, format: str, *args) -> None:  # keep the test output clean
        pass


@contextmanager
def serve(folder: Path, prefix: str = "/") -> Iterator[str]:
    """Serve `folder` at http://127.0.0.1:<free port><prefix> from a thread; yield that address.

    The folder is read at each request, so it may be filled after the
    server has started (a site built for the address the server got).
    """
    handler = type("Handler", (_Handler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
