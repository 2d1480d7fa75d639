"""The `newsgen` command line: argparse in, exit codes out (0 ok, 1 failed build, 2 usage)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Sequence

from .build import build
from .config import is_base_url
from .model import BuildFailed, BuildReport, ToolFailed, UsageError


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `newsgen` command and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.site_dir.is_dir():
        parser.error(f"no such site folder: {args.site_dir}")
    quiet = args.quiet or not sys.stderr.isatty()
    try:
        report = build(
            args.site_dir,
            args.output if args.command == "build" else None,
            base_url=getattr(args, "base_url", None),
            drafts=args.drafts,
            jobs=getattr(args, "jobs", None),
            dry_run=args.command == "check",
            use_cache=not args.no_cache,
            now=getattr(args, "now", None) or _source_date_epoch(parser),
            progress=(lambda stage: None) if quiet else _show_stage,
        )
    except UsageError as error:
        parser.error(str(error))
    except BuildFailed as failure:
        _clear_progress(quiet)
        for problem in failure.problems:
            print(f"{_shown(args.site_dir, problem.path)}:{problem.line}: {problem.message}", file=sys.stderr)
        files = len({p.path for p in failure.problems})
        print(f"newsgen: {len(failure.problems)} problem(s) in {files} file(s); nothing was written",
              file=sys.stderr)
        return 1
    except ToolFailed as failure:
        _clear_progress(quiet)
        print(f"newsgen: {failure}; nothing was written", file=sys.stderr)
        return 1
    _clear_progress(quiet)
    if not args.quiet:
        for warning in report.warnings:
            print(f"newsgen: warning: {warning}", file=sys.stderr)
        print(_summary(args.command, report))
    return 0


def _summary(command: str, report: BuildReport) -> str:
    if command == "check":
        return (f"newsgen: checked {report.articles} articles, {report.persons} persons, {report.events} events "
                f"and {report.pages} pages: no problems")
    return f"newsgen: built {report.summary()}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsgen", description="Static site generator for news archives.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def site_command(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("site_dir", nargs="?", type=Path, default=Path("."), metavar="SITE_DIR",
                             help="the site folder (default: the current folder)")
        command.add_argument("--drafts", action="store_true", help="include articles marked draft: true")
        command.add_argument("-q", "--quiet", action="store_true", help="print nothing but problems")
        command.add_argument("--no-cache", action="store_true",
                             help="neither use nor update the build cache in SITE_DIR/.newsgen (a cold build)")
        return command

    build_command = site_command("build", "Build the site into its output folder.")
    build_command.add_argument("-o", "--output", type=Path, metavar="DIR",
                               help="output folder (default: SITE_DIR/public)")
    build_command.add_argument("--base-url", type=_base_url, metavar="URL",
                               help="public address of the site, overriding base_url in newsgen.yaml")
    build_command.add_argument("--jobs", type=_positive, metavar="N",
                               help="processes to render with (default: all cores)")
    build_command.add_argument("--now", type=_moment, metavar="ISO-DATETIME",
                               help="the moment the news sitemap counts two days back from "
                                    "(default: SOURCE_DATE_EPOCH, else the clock)")
    site_command("check", "Check every file and template; write nothing.")
    return parser


def _base_url(text: str) -> str:
    if text and not is_base_url(text):
        raise argparse.ArgumentTypeError(f"not an http(s) address: {text!r}")
    return text


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from None


def _source_date_epoch(parser: argparse.ArgumentParser) -> datetime | None:
    """The build time fixed by the SOURCE_DATE_EPOCH convention of reproducible builds, if set."""
    text = os.environ.get("SOURCE_DATE_EPOCH")
    if not text:
        return None
    if not text.isdigit():
        parser.error(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, not {text!r}")
    return datetime.fromtimestamp(int(text), timezone.utc)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def _shown(site_dir: Path, path: str) -> str:
    """A problem's path as the user can open it from the current folder."""
    full = os.path.join(site_dir, path)
    relative = os.path.relpath(full)
    return full if relative.startswith("..") else relative


def _show_stage(stage: str) -> None:
    print(f"\rnewsgen: {stage}…\033[K", end="", file=sys.stderr, flush=True)


def _clear_progress(quiet: bool) -> None:
    if not quiet:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def _version() -> str:
    try:
        return version("newsgen")
    except PackageNotFoundError:
        return "unknown"
