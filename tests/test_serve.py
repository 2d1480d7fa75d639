"""newsgen serve, run as a user runs it: a subprocess on a free port, edited under its feet, stopped with Ctrl-C."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from conftest import article

# Polls are bounded by a number of attempts, each after a short pause, never by a deadline asserted.
ATTEMPTS = 300
PAUSE = 0.1

BOEING = "content/articles/2024/09/boeing.md"


def sample_files(base_url: str = "https://example.org/luu-tru/") -> dict[str, str]:
    return {
        "newsgen.yaml": f"title: Lưu trữ\nbase_url: {base_url}\nsearch: false\n",
        BOEING: article("Tiếp Chủ tịch Boeing", "2024-09-22T18:00:00-04:00", persons="[Tô Lâm]"),
        "content/articles/2024/09/cuba.md": article("Thăm Cuba", "2024-09-25"),
    }


class Server:
    """A running `newsgen serve`: its address, and what it has printed so far."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        for stream, kept in ((process.stdout, self.stdout), (process.stderr, self.stderr)):
            threading.Thread(target=self._read, args=(stream, kept), daemon=True).start()
        self.address = ""
        for _ in range(ATTEMPTS):
            try:
                line = self.lines.get(timeout=PAUSE * 10)
            except queue.Empty:
                continue
            if found := re.search(r" at (http://\S+) \(Ctrl-C to stop\)", line):
                self.address = found.group(1)
                break
        assert self.address, f"newsgen serve did not start: {self.stdout} {self.stderr}"
        url = urlsplit(self.address)
        self.host, self.port, self.base_path = url.hostname, url.port, url.path

    def _read(self, stream, kept: list[str]) -> None:
        for line in stream:
            kept.append(line)
            self.lines.put(line)

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        """GET `path` exactly as given (no normalising of `..`): status, headers, body."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def page(self, relpath: str = "") -> tuple[int, str]:
        status, _, body = self.get(self.base_path + relpath)
        return status, body


def poll(check: Callable[[], bool], what: str) -> None:
    """Ask `check` until it is true, a bounded number of times."""
    for _ in range(ATTEMPTS):
        if check():
            return
        time.sleep(PAUSE)
    pytest.fail(f"never happened: {what}")


@contextmanager
def serving(site_dir: Path, *args: str) -> Iterator[Server]:
    """`newsgen serve` on a free port in its own process group (as a terminal runs it); stopped with SIGINT."""
    process = subprocess.Popen([sys.executable, "-m", "newsgen", "serve", str(site_dir), "--port", "0", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                               start_new_session=True)
    try:
        yield Server(process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def stop(server: Server) -> None:
    """Press Ctrl-C: SIGINT to the whole process group, as a terminal sends it."""
    os.killpg(server.process.pid, signal.SIGINT)
    server.process.wait(timeout=60)


def test_edits_are_served_a_broken_file_shows_its_error_and_the_fix_brings_the_page_back(site):
    site_dir = site(sample_files())
    with serving(site_dir) as server:
        assert server.base_path == "/luu-tru/" and server.host == "127.0.0.1"
        status, home = server.page()
        assert status == 200 and "Tiếp Chủ tịch Boeing" in home
        assert f'href="http://127.0.0.1:{server.port}/luu-tru/"' in home  # built for the preview's own address
        assert home.count("new EventSource(\"/__newsgen__/events\")") == 1
        assert (site_dir / ".newsgen/preview/index.html").is_file() and not (site_dir / "public").exists()
        assert "__newsgen__" not in (site_dir / ".newsgen/preview/index.html").read_text(encoding="utf-8")

        boeing = site_dir / BOEING
        boeing.write_text(boeing.read_text(encoding="utf-8") + "\nMáy bay Boeing 737 MAX.\n", encoding="utf-8")
        poll(lambda: "737 MAX" in server.page("2024/09/tiep-chu-tich-boeing/")[1], "the edit is served")

        good = boeing.read_text(encoding="utf-8")
        boeing.write_text(good.replace("title: Tiếp Chủ tịch Boeing", "title: [Tiếp <b>Boeing</b>"), encoding="utf-8")
        poll(lambda: server.page()[0] == 500, "the error page")
        status, error = server.page("2024/09/tiep-chu-tich-boeing/")
        assert status == 500
        assert "<code>content/articles/2024/09/boeing.md:3: invalid YAML: " in error
        assert "new EventSource" in error  # so the fixed page comes back by itself
        assert server.page("no/such/page/")[0] == 500
        poll(lambda: any("content/articles/2024/09/boeing.md:3: invalid YAML: " in line for line in server.stderr),
             "the terminal names the problem")
        assert server.get(server.base_path + "css/style.css")[0] == 200  # the last good build's files stay

        boeing.write_text(good.replace("737 MAX", "787 Dreamliner"), encoding="utf-8")
        poll(lambda: "787 Dreamliner" in server.page("2024/09/tiep-chu-tich-boeing/")[1], "the fixed page")
        assert server.page()[0] == 200

        stop(server)
        assert server.process.returncode == 0
        assert "Traceback" not in "".join(server.stderr)
        assert server.stderr[-1] == "newsgen: stopped\n"


def test_a_broken_config_is_an_escaped_error_page_and_a_new_template_is_picked_up(site):
    site_dir = site(sample_files())
    with serving(site_dir) as server:
        config = site_dir / "newsgen.yaml"
        good = config.read_text(encoding="utf-8")
        config.write_text(good + "<script>alert(1)</script>: true\n", encoding="utf-8")
        poll(lambda: server.page()[0] == 500, "the error page")
        _, error = server.page()
        assert "<script>alert(1)</script>" not in error
        assert "newsgen.yaml:4: unknown option &#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in error

        config.write_text(good.replace("title: Lưu trữ", "title: Lưu trữ Đối ngoại"), encoding="utf-8")
        poll(lambda: "Lưu trữ Đối ngoại" in server.page()[1], "the new title")

        # templates/ did not exist when the server started: watching starts when it appears.
        (site_dir / "templates").mkdir()
        (site_dir / "templates/404.html").write_text("<html><body><p>Chẳng có gì ở đây</p></body></html>",
                                                     encoding="utf-8")
        poll(lambda: "Chẳng có gì" in server.page("no/such/page/")[1], "the site's own 404 template")


def test_addresses_map_to_files_and_nothing_leaves_the_preview(site, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mật khẩu", encoding="utf-8")
    site_dir = site(sample_files())
    with serving(site_dir) as server:
        base = server.base_path
        status, headers, body = server.get(base + "2024/09/tiep-chu-tich-boeing/")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert server.get(base + "2024/09/tiep-chu-tich-boeing/index.html")[2] == body
        status, headers, _ = server.get(base + "2024/09/tiep-chu-tich-boeing")
        assert status == 301 and headers["Location"] == base + "2024/09/tiep-chu-tich-boeing/"
        status, headers, _ = server.get("/")
        assert status == 302 and headers["Location"] == base
        assert server.get(base + "css/style.css")[1]["Content-Type"] == "text/css; charset=utf-8"
        assert server.get(base + "feed.xml")[1]["Content-Type"] == "application/xml; charset=utf-8"

        status, _, body = server.get(base + "no/such/page/")
        assert status == 404 and "new EventSource" in body
        assert body.startswith((site_dir / ".newsgen/preview/404.html").read_text(encoding="utf-8")[:200])
        assert server.get("/elsewhere/index.html")[0] == 404

        # A link inside the preview to a file outside it, as a hostile static file could not make but a user might.
        (site_dir / ".newsgen/preview/leak.txt").symlink_to(secret)
        (site_dir / ".newsgen/preview/leaks").symlink_to(tmp_path)
        for path in [base + "../secret.txt", base + "../../../../etc/passwd", base + "%2e%2e/secret.txt",
                     base + "%2E%2E%2Fsecret.txt", base + "a/%2e%2e/%2e%2e/secret.txt", base + "..%5csecret.txt",
                     base + "leak.txt", base + "leaks/secret.txt", base + "%00"]:
            status, _, body = server.get(path)
            assert status == 403 and "mật khẩu" not in body, path
        status, _, body = server.get("/" + str(secret))  # an absolute path is a path inside the site
        assert status == 404 and "mật khẩu" not in body


def test_only_requests_naming_the_loopback_address_are_answered(site):
    site_dir = site(sample_files())
    with serving(site_dir) as server:
        for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}"):
            assert get_with_host(server, host)[0] == 200
        for host in (f"attacker.example:{server.port}", "", "[::1"):
            status, body = get_with_host(server, host)
            assert status == 403 and "Tiếp Chủ tịch Boeing" not in body, host
        assert "Traceback" not in "".join(server.stderr)


def get_with_host(server: Server, host: str) -> tuple[int, str]:
    """GET the site's root with this Host header, as a page using DNS rebinding would send it."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        connection.putrequest("GET", server.base_path, skip_host=True)
        if host:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_without_a_base_url_the_preview_is_served_at_the_root_with_relative_links(site):
    site_dir = site({**sample_files(), "newsgen.yaml": "search: false\n"})
    with serving(site_dir, "--drafts") as server:
        assert server.base_path == "/"
        status, home = server.page()
        assert status == 200 and 'href="2024/09/tiep-chu-tich-boeing/index.html"' in home
        assert server.page("2024/09/tiep-chu-tich-boeing/index.html")[0] == 200


def test_a_base_url_given_on_the_command_line_sets_the_path(site):
    site_dir = site(sample_files())
    with serving(site_dir, "--base-url", "https://example.org/khac/") as server:
        assert server.base_path == "/khac/"
        assert server.page()[0] == 200


def test_a_busy_port_is_an_error_and_not_a_site_a_usage_error(site, tmp_path):
    site_dir = site(sample_files())
    with serving(site_dir) as server:
        taken = subprocess.run([sys.executable, "-m", "newsgen", "serve", str(site_dir), "--port", str(server.port)],
                               capture_output=True, text=True, timeout=120)
        assert taken.returncode == 1
        assert taken.stderr.startswith(f"newsgen: cannot serve at 127.0.0.1:{server.port}: ")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run([sys.executable, "-m", "newsgen", "serve", str(empty), "--port", "0"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "is it a newsgen site?" in result.stderr


def test_requests_are_answered_from_the_last_build_until_the_next_one_writes(tmp_path):
    from contextlib import ExitStack

    from newsgen.serve import Preview, holding_from_write

    preview = Preview(tmp_path, "/")
    answered = threading.Event()

    def request() -> None:
        with preview.reading():
            answered.set()

    stages: list[str] = []
    with ExitStack() as writing:
        progress = holding_from_write(preview, writing, stages.append)
        for stage in ("config", "load", "index", "plan", "render", "search"):
            progress(stage)
        threading.Thread(target=request).start()
        assert answered.wait(PAUSE * ATTEMPTS), "a request waited while the build read and rendered"

        answered.clear()
        progress("write")
        held = threading.Thread(target=request)
        held.start()
        held.join(PAUSE * 5)
        assert held.is_alive() and not answered.is_set(), "a request was answered while the build wrote"
    held.join(PAUSE * ATTEMPTS)
    assert answered.is_set() and stages == ["config", "load", "index", "plan", "render", "search", "write"]
