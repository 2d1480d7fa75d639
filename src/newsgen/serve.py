"""newsgen serve: a live preview, rebuilt by build() whenever the sources change, reloading open pages.

The preview is built into `SITE_DIR/.newsgen/preview/`, never into the
production output folder, and served from it on the loopback address under
the path of the site's `base_url`. Open HTML pages get, at response time
only, a small script that listens on `/__newsgen__/events` and reloads the
page when a build finishes. While a build reads and renders, requests are
answered from the last one; they wait only while it writes, so no answer
mixes two builds. After a failed build every HTML page is an error page
naming every problem, until a build succeeds again.
"""

from __future__ import annotations

import contextlib
import html
import http.server
import ipaddress
import os
import secrets
import signal
import socket
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote, urlsplit

import watchfiles

from .build import build
from .cache import CACHE_DIR
from .config import CONFIG_FILE, SOURCE_FOLDERS, load_config
from .mediatypes import media_type
from .model import BuildFailed, BuildReport, CacheFailed, ToolFailed, UsageError
from .text import is_contained

PREVIEW_DIR = "preview"
"""The preview's folder below the site's cache folder."""

EVENTS_PATH = "/__newsgen__/events"
"""The server-sent event stream that tells open pages a build finished; outside any site's pages."""


# The longest a request for the event stream stays silent: a comment line then tells a closed tab apart.
_KEEPALIVE_SECONDS = 15
# How often the watcher looks at what notifications cannot show: newsgen.yaml (editors replace
# it by renaming, which ends a watch on the file itself) and watched folders appearing or vanishing.
_TICK_MS = 400


@dataclass(frozen=True)
class Outcome:
    """How one preview build ended: its report, or the lines of every problem it found."""

    report: BuildReport | None
    problems: tuple[str, ...] = ()
    failure: Exception | None = None


class Preview:
    """The preview folder and what its last build said, shared by the builder and the request threads.

    Requests read through `reading()`, builds write through `building()`;
    a build waits for the requests under way and holds back new ones, so a
    request sees one whole build.
    """

    def __init__(self, folder: Path, base_path: str):
        self.folder = folder
        self.base_path = base_path
        self.problems: tuple[str, ...] = ()
        self.token = f"{secrets.token_hex(4)}-0"
        """Names the current build: a page served with another token reloads."""
        self.stopping = False
        self._instance = self.token.split("-")[0]
        self._generation = 0
        self._readers = 0
        self._writing = False
        self._changed = threading.Condition()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold off builds while a request reads the preview."""
        with self._changed:
            self._changed.wait_for(lambda: not self._writing)
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @contextmanager
    def building(self) -> Iterator[None]:
        """Hold off requests while a build writes the preview; wait for the ones under way."""
        with self._changed:
            self._writing = True
            self._changed.wait_for(lambda: self._readers == 0)
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()

    def finished(self, outcome: Outcome, base_path: str) -> None:
        """Take in a build's outcome and tell every open page to reload."""
        with self._changed:
            self.problems = outcome.problems
            self.base_path = base_path
            self._generation += 1
            self.token = f"{self._instance}-{self._generation}"
            self._changed.notify_all()

    def next_token(self, seen: str, timeout: float) -> str:
        """The current build's token, once it differs from `seen` or `timeout` seconds have passed."""
        with self._changed:
            self._changed.wait_for(lambda: self.token != seen or self.stopping, timeout)
            return self.token

    def stop(self) -> None:
        """End every event stream."""
        with self._changed:
            self.stopping = True
            self._changed.notify_all()


def serve(
    site_dir: Path,
    *,
    bind: str = "127.0.0.1",
    port: int = 8000,
    base_url: str | None = None,
    drafts: bool = False,
    use_cache: bool = True,
    on_ready: Callable[[str], None] = lambda address: None,
    on_build: Callable[[Outcome], None] = lambda outcome: None,
    progress: Callable[[str], None] = lambda stage: None,
) -> None:
    """Build `site_dir` into its preview folder and serve it at `bind`:`port` until interrupted.

    `port` 0 takes any free port; `on_ready` gets the address of the site's
    root once the first build is done and the server answers. `base_url`
    overrides the configured one; either way only its path is used, the
    preview being built for this server's own address. Each build's outcome
    goes to `on_build`. Ends by raising KeyboardInterrupt, after shutting the
    server down; raises OSError when the address cannot be listened on, and
    UsageError when `site_dir` is no site.
    """
    site_dir = site_dir.resolve()
    folder = site_dir / CACHE_DIR / PREVIEW_DIR
    server = _server(bind, port)
    host = bind if bind not in ("0.0.0.0", "::", "") else "localhost"
    origin = f"http://{f'[{host}]' if ':' in host else host}:{server.server_address[1]}"
    preview = Preview(folder, "/")
    # Documents stay decoded from one build to the next: at 100,000 articles unpickling them took 3 s a build.
    decoded: dict[str, tuple] = {}

    def rebuild() -> None:
        base_path = _base_path(site_dir, base_url, preview.base_path)
        with contextlib.ExitStack() as writing:
            outcome = _build(site_dir, folder, origin + base_path if base_path else None, drafts, use_cache,
                             decoded, holding_from_write(preview, writing, progress))
            if isinstance(outcome.failure, UsageError) and server.preview is None:
                raise outcome.failure  # no site to serve at all
            preview.finished(outcome, base_path or "/")
        on_build(outcome)

    main = threading.current_thread() is threading.main_thread()  # only there can a signal handler be set
    previous = signal.signal(signal.SIGINT, _interrupt_in(os.getpid())) if main else None
    thread = threading.Thread(target=server.serve_forever, daemon=True)

    def ready() -> None:
        server.preview = preview
        thread.start()
        on_ready(origin + preview.base_path)

    try:
        _watch(site_dir, rebuild, ready)
    finally:
        preview.stop()
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        if main and previous is not None:
            signal.signal(signal.SIGINT, previous)


def holding_from_write(preview: Preview, writing: contextlib.ExitStack,
                       progress: Callable[[str], None]) -> Callable[[str], None]:
    """A build's progress callback that holds off requests from its write stage on, until `writing` closes.

    Only the write stage changes the preview folder: while a large archive
    loads and renders, its last build stays browsable.
    """
    def hold_then_report(stage: str) -> None:
        if stage == "write":
            writing.enter_context(preview.building())
        progress(stage)
    return hold_then_report


def _interrupt_in(main_pid: int) -> Callable:
    """A SIGINT handler raising KeyboardInterrupt in this process only.

    Ctrl-C reaches every process of the terminal's group, the build's
    worker processes too; they ignore it (see workers), finishing their task
    quietly, while this process stops the build and the server.
    """
    def handler(signum, frame):
        if os.getpid() == main_pid:
            raise KeyboardInterrupt
    return handler


def _server(bind: str, port: int) -> http.server.ThreadingHTTPServer:
    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        daemon_threads = True  # open event streams must not keep the process alive
        preview: Preview | None = None
        # On a loopback address, the names a browser on this machine reaches it by; elsewhere any.
        hosts = frozenset({"127.0.0.1", "localhost", "::1", bind}) if _is_loopback(bind) else frozenset()

        def handle_error(self, request, client_address) -> None:
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a tab closed mid-answer is no error
                super().handle_error(request, client_address)

    return Server((bind, port), _Handler)


def _host_name(header: str) -> str | None:
    """The host named by a Host header, without its port; None when it names none."""
    try:
        return urlsplit(f"//{header}").hostname
    except ValueError:
        return None


def _is_loopback(bind: str) -> bool:
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return bind == "localhost"


def _base_path(site_dir: Path, base_url: str | None, previous: str) -> str:
    """The path of the base_url to serve under ('' without a base_url); while newsgen.yaml is broken, the last one."""
    if base_url is None:
        try:
            base_url = load_config(site_dir).base_url
        except BuildFailed:
            return previous if previous != "/" else ""
    if not base_url:
        return ""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


def _build(site_dir: Path, folder: Path, base_url: str | None, drafts: bool, use_cache: bool,
           decoded: dict[str, tuple], progress: Callable[[str], None]) -> Outcome:
    """One build of the preview (with the site's own base_url replaced by the preview's address)."""
    try:
        report = build(site_dir, folder, base_url=base_url, drafts=drafts, use_cache=use_cache, decoded=decoded,
                       progress=progress)
    except BuildFailed as failure:
        return Outcome(None, tuple(str(problem) for problem in failure.problems), failure)
    except (ToolFailed, CacheFailed, UsageError) as failure:
        return Outcome(None, (str(failure),), failure)
    except Exception as failure:  # e.g. a file deleted while being read (a checkout): the next change builds again
        return Outcome(None, (f"the build stopped: {type(failure).__name__}: {failure}",), failure)
    return Outcome(report)


def _watch(site_dir: Path, rebuild: Callable[[], None], ready: Callable[[], None]) -> None:
    """Build, call `ready`, then call `rebuild` after each batch of changes to the site's sources, until interrupted.

    Each build starts only once a watcher runs, so no change made during or
    after it goes unseen; a watcher runs again when a watched folder appears
    or goes, and builds once it runs, for what changed in between.
    """
    config = site_dir / CONFIG_FILE
    config_stat = _stat(config)
    started = False
    while True:
        layout = _watched(site_dir)
        fresh = True
        # watchfiles groups a burst of changes (an editor's save, a git checkout) into one batch.
        for changes in watchfiles.watch(*(layout or [site_dir]), watch_filter=_source_filter(site_dir),
                                        rust_timeout=_TICK_MS, yield_on_timeout=True):
            moved = _watched(site_dir) != layout
            if fresh or changes or moved or _stat(config) != config_stat:
                config_stat = _stat(config)
                rebuild()
                fresh = False
            if not started:
                ready()
                started = True
            if moved:
                break


def _watched(site_dir: Path) -> list[Path]:
    return [site_dir / name for name in SOURCE_FOLDERS if (site_dir / name).is_dir()]


def _source_filter(site_dir: Path) -> watchfiles.DefaultFilter:
    """watchfiles' own filter (editor swap files, version control), minus the cache and preview folders."""
    return watchfiles.DefaultFilter(ignore_paths=[str(site_dir / CACHE_DIR)])


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers from the preview folder: its files, index.html for folders, 404.html for the rest."""

    server_version = "newsgen"

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args) -> None:  # the terminal shows builds, not every request
        pass

    def _answer(self, with_body: bool) -> None:
        preview: Preview = self.server.preview  # type: ignore[attr-defined]
        hosts: frozenset[str] = self.server.hosts  # type: ignore[attr-defined]
        if hosts and _host_name(self.headers.get("Host", "")) not in hosts:
            # A page elsewhere may point a name of its own at this machine (DNS rebinding): only
            # requests that name this server by its loopback address are answered.
            self._send(*_text(403, "refused: this preview answers only to its own address"), with_body)
            return
        url = urlsplit(self.path)
        if url.path == EVENTS_PATH:
            self._events(preview)
            return
        with preview.reading():
            status, headers, body = _response(preview, url.path, url.query)
        self._send(status, headers, body, with_body)

    def _send(self, status: int, headers: dict[str, str], body: bytes, with_body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # a preview changes under the browser's feet
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def _events(self, preview: Preview) -> None:
        """Stream the token of each finished build to a page, until the page or the server goes away."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = ""
        try:
            while not preview.stopping:
                token = preview.next_token(seen, _KEEPALIVE_SECONDS)
                self.wfile.write(f"data: {token}\n\n".encode() if token != seen else b": still here\n\n")
                self.wfile.flush()
                seen = token
        except (BrokenPipeError, ConnectionResetError):
            pass


def _response(preview: Preview, raw_path: str, query: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body answering a GET of `raw_path`; to be called while reading the preview."""
    path = unquote(raw_path)
    base = preview.base_path
    # A URL may have empty parts ("//"), unlike a path inside the site; it must not hold a NUL.
    parts = "/".join(part for part in path.split("/") if part)
    if "\0" in path or (parts and not is_contained(parts)):
        return _text(403, "refused: the path leaves the site")
    if not path.startswith(base):
        if path in ("/", "", base[:-1]):
            return 302, {"Location": base}, b""
        return _not_found(preview)
    root = os.path.realpath(preview.folder)
    relpath = "/".join(part for part in path[len(base):].split("/") if part)
    target = os.path.join(root, relpath) if relpath else root
    real = os.path.realpath(target)
    if real != root and not real.startswith(root + os.sep):
        return _text(403, "refused: the path leaves the site")
    if os.path.isdir(real):
        if not raw_path.endswith("/"):
            return 301, {"Location": raw_path + "/" + (f"?{query}" if query else "")}, b""
        real = os.path.join(real, "index.html")
    if not os.path.isfile(real):
        return _not_found(preview)
    if preview.problems and real.endswith(".html"):
        return _error_page(preview)
    with open(real, "rb") as stream:
        body = stream.read()
    kind = media_type(real)
    if kind.startswith("text/html"):
        body = _with_reload(body, preview.token)
    return 200, {"Content-Type": kind}, body


def _not_found(preview: Preview) -> tuple[int, dict[str, str], bytes]:
    if preview.problems:
        return _error_page(preview)
    page = preview.folder / "404.html"
    if not page.is_file():
        return _text(404, "not found")
    return 404, {"Content-Type": media_type("404.html")}, _with_reload(page.read_bytes(), preview.token)


def _text(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, f"{message}\n".encode()


def _error_page(preview: Preview) -> tuple[int, dict[str, str], bytes]:
    """The page shown for every HTML address while the last build failed: every problem, escaped."""
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in preview.problems)
    page = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>newsgen: the build failed</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }}
h1 {{ color: #a00; }} code {{ white-space: pre-wrap; }} li {{ margin: .5rem 0; }}
</style></head>
<body>
<h1>The build failed</h1>
<p>{len(preview.problems)} problem(s). Fix them and save: this page reloads by itself.</p>
<ul class="newsgen-problems">
{items}
</ul>
</body>
</html>
"""
    return 500, {"Content-Type": media_type("error.html")}, _with_reload(page.encode(), preview.token)


_RELOAD = """<script>
(() => {
  const built = "%s";
  const events = new EventSource("%s");
  events.onmessage = (message) => { if (message.data !== built) { events.close(); location.reload(); } };
})();
</script>
"""


def _with_reload(page: bytes, token: str) -> bytes:
    """`page` with the reload script before its closing body tag (at the end when it has none)."""
    script = (_RELOAD % (token, EVENTS_PATH)).encode()
    end = page.lower().rfind(b"</body>")
    return page[:end] + script + page[end:] if end >= 0 else page + script
