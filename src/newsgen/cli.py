"""The `newsgen` command line: argparse in, exit codes out (0 ok, 1 failed build, 2 usage)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NoReturn, Sequence

from .build import BUILD_GC_THRESHOLDS, WAIT, build
from .config import is_base_url
from .deploy import MAX_DELETES, DeployFailed, deploy
from .model import BuildFailed, BuildReport, CacheFailed, ToolFailed, UsageError, WriteFailed
from .scaffold import KINDS, new_file

if TYPE_CHECKING:
    from .serve import Outcome


STOPPED = 130
"""The exit code of a command stopped by Ctrl-C, as shells give a program killed by it (128 + SIGINT)."""


def run() -> NoReturn:
    """The `newsgen` program: main(), then exit at once with its code.

    Every file and process is closed by then; what is left is freeing the
    build's millions of objects one by one, which took longer than a whole
    no-change rebuild of a large archive.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `newsgen` command and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.site_dir.is_dir():
        parser.error(f"no such site folder: {args.site_dir}")
    command = {"build": _build, "check": _build, "serve": _serve, "new": _new, "deploy": _deploy}[args.command]
    try:
        return command(args, parser)
    except UsageError as error:
        parser.error(str(error))


def _build(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    quiet = args.quiet or not sys.stderr.isatty()
    # The program ends with the build: the collector may keep the build's settings to the end.
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
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
            progress=_progress(args),
        )
    except BuildFailed as failure:
        _clear_progress(quiet)
        _print_problems(args.site_dir, failure, "nothing was written")
        return 1
    except ToolFailed as failure:
        _clear_progress(quiet)
        print(f"newsgen: {failure}; nothing was written", file=sys.stderr)
        return 1
    except CacheFailed as failure:
        _clear_progress(quiet)
        print(f"newsgen: {failure}; mend that and build again, or build with --no-cache", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _clear_progress(quiet)
        after = "" if args.command == "check" else "; build again before deploying"
        print(f"newsgen: stopped{after}", file=sys.stderr)
        return STOPPED
    except WriteFailed as failure:
        _clear_progress(quiet)
        print(f"newsgen: {failure}; the files written before it hold this build, the others the last one's",
              file=sys.stderr)
        return 1
    _clear_progress(quiet)
    if not args.quiet:
        _print_warnings(report)
        print(_summary(args.command, report))
    return 0


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    # Imported here: the web server and the file watcher are a twentieth of the start-up of every other command.
    from .serve import serve

    quiet = args.quiet or not sys.stderr.isatty()

    def ready(address: str) -> None:
        print(f"newsgen: serving {_shown(Path.cwd(), str(args.site_dir))} at {address} (Ctrl-C to stop)", flush=True)

    def built(outcome: Outcome) -> None:
        _clear_progress(quiet)
        if isinstance(outcome.failure, BuildFailed):
            _print_problems(args.site_dir, outcome.failure, "the preview shows them until they are fixed")
        elif outcome.failure is not None:
            print(f"newsgen: {outcome.problems[0]}; the preview shows it until it is fixed", file=sys.stderr,
                  flush=True)
        elif not args.quiet:
            _print_warnings(outcome.report)
            print(f"newsgen: built {outcome.report.summary()}", flush=True)

    try:
        serve(args.site_dir, bind=args.bind, port=args.port, base_url=args.base_url, drafts=args.drafts,
              use_cache=not args.no_cache, on_ready=ready, on_build=built,
              progress=_progress(args))
    except OSError as error:
        print(f"newsgen: cannot serve at {args.bind}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _clear_progress(quiet)
        print("newsgen: stopped", file=sys.stderr)
    return 0


def _new(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        path = new_file(args.site_dir, args.kind, args.title, persons=args.person, events=args.event)
    except FileExistsError as error:
        print(f"newsgen: {_shown(Path.cwd(), error.filename)} already exists; nothing was written", file=sys.stderr)
        return 1
    except BuildFailed as failure:
        _print_problems(args.site_dir, failure, "nothing was written")
        return 1
    print(_shown(Path.cwd(), str(path)))
    return 0


# Left-out files named in a deploy's warning; a dry run lists them all.
_LEFT_OUT_SHOWN = 5


def _deploy(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    output = args.output or args.site_dir / "public"
    try:
        changes = deploy(args.site_dir, output, args.to, dry_run=args.dry_run, push=args.push, force=args.force,
                         max_deletes=args.max_deletes, on_wait=(lambda: None) if args.quiet else _saying_deploy_waits(output))
    except DeployFailed as failure:
        print(f"newsgen: {failure}; nothing was deployed", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"newsgen: stopped; {args.to} may hold part of this deploy: deploy again", file=sys.stderr)
        return STOPPED
    if args.dry_run:
        for path in changes.uploads:
            print(f"upload {path}")
        for path in changes.deletes:
            print(f"delete {path}")
        for path in changes.left_out:
            print(f"leave out {path}")
    if changes.left_out:
        listed = ", ".join(changes.left_out[:_LEFT_OUT_SHOWN]) + (", …" if len(changes.left_out) > _LEFT_OUT_SHOWN else "")
        files = f"{len(changes.left_out)} file{'' if len(changes.left_out) == 1 else 's'}"
        print(f"newsgen: left out {files} in {_shown(Path.cwd(), str(output))} that the last build "
              f"did not write, or that are not regular files ({listed}): put files to publish in static/",
              file=sys.stderr)
    if not args.quiet or args.dry_run:
        pushed = " and push it" if args.push else ""
        done = (f"would upload {len(changes.uploads)}, delete {len(changes.deletes)}{pushed}"
                if args.dry_run else f"uploaded {len(changes.uploads)}, deleted {len(changes.deletes)}")
        print(f"newsgen: deploy of {_shown(Path.cwd(), str(output))} to {args.to}: {done}, "
              f"{changes.unchanged} unchanged{' (dry run: nothing was changed)' if args.dry_run else ''}")
    return 0


def _print_problems(site_dir: Path, failure: BuildFailed, outcome: str) -> None:
    """Every problem as `path:line: reason`, then one line counting them and saying what became of the output."""
    for problem in failure.problems:
        print(f"{_shown(site_dir, problem.path)}:{problem.line}: {problem.message}", file=sys.stderr)
    files = len({p.path for p in failure.problems})
    print(f"newsgen: {len(failure.problems)} problem(s) in {files} file(s); {outcome}", file=sys.stderr, flush=True)


def _print_warnings(report: BuildReport) -> None:
    for warning in report.warnings:
        print(f"newsgen: warning: {warning}", file=sys.stderr)


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
                               help="processes to parse, render and create files with (default: all cores)")
    build_command.add_argument("--now", type=_moment, metavar="ISO-DATETIME",
                               help="the moment the news sitemap counts two days back from "
                                    "(default: SOURCE_DATE_EPOCH, else the clock)")
    site_command("check", "Check every file and template; write nothing.")

    serve_command = site_command("serve", "Build a preview of the site, serve it, and rebuild and reload on changes.")
    serve_command.add_argument("--bind", "--host", default="127.0.0.1", metavar="ADDRESS",
                               help="the address to listen on (default: 127.0.0.1, this machine only)")
    serve_command.add_argument("--port", type=_port, default=8000,
                               help="the port to listen on (default: 8000; 0: any free port)")
    serve_command.add_argument("--base-url", type=_base_url, metavar="URL",
                               help="serve under this address's path, overriding base_url in newsgen.yaml")

    new_command = commands.add_parser("new", help="Write a new article, person or event file.",
                                      description="Write a new article, person or event file, named after its title.")
    new_command.add_argument("kind", choices=KINDS, help="what to write")
    new_command.add_argument("title", help="the article's title, or the person's or event's name")
    new_command.add_argument("site_dir", nargs="?", type=Path, default=Path("."), metavar="SITE_DIR",
                             help="the site folder (default: the current folder)")
    new_command.add_argument("--person", action="append", default=[], metavar="NAME",
                             help="a person the article names (repeat for more)")
    new_command.add_argument("--event", action="append", default=[], metavar="NAME",
                             help="an event the article is about (repeat for more)")

    deploy_command = commands.add_parser("deploy", help="Publish the built site.",
                                         description="Publish the output folder as the last build left it.")
    deploy_command.add_argument("site_dir", nargs="?", type=Path, default=Path("."), metavar="SITE_DIR",
                                help="the site folder (default: the current folder)")
    deploy_command.add_argument("--to", required=True, metavar="TARGET",
                                help="a folder or [user@]host:path (rsync), gh-pages:[BRANCH], or s3://BUCKET/PREFIX")
    deploy_command.add_argument("-o", "--output", type=Path, metavar="DIR",
                                help="the built folder to publish (default: SITE_DIR/public)")
    deploy_command.add_argument("--dry-run", action="store_true", help="print what would change; change nothing")
    deploy_command.add_argument("--push", action="store_true", help="gh-pages: push the branch to origin")
    deploy_command.add_argument("--force", action="store_true",
                                help="publish a folder newsgen cannot vouch for, and delete any number of files")
    deploy_command.add_argument("--max-deletes", type=_count, default=MAX_DELETES, metavar="N",
                                help=f"refuse to delete more than N files without --force (default: {MAX_DELETES})")
    deploy_command.add_argument("-q", "--quiet", action="store_true", help="print nothing but problems")
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {text!r}")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


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


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    """How a command shows a build's stages: on a terminal each over the last; elsewhere only a wait, on a line."""
    if args.quiet:
        return lambda stage: None
    return _show_stage if sys.stderr.isatty() else _show_wait


_STAGE_WORDS = {WAIT: "a build or deploy of this site is running: waiting for it to finish"}


def _show_stage(stage: str) -> None:
    print(f"\rnewsgen: {_STAGE_WORDS.get(stage, stage)}…\033[K", end="", file=sys.stderr, flush=True)


def _show_wait(stage: str) -> None:
    # Without a terminal the stages are not shown, but a build that seems to hang must say why.
    if stage == WAIT:
        print(f"newsgen: {_STAGE_WORDS[WAIT]}…", file=sys.stderr, flush=True)


def _saying_deploy_waits(output: Path) -> Callable[[], None]:
    """What deploy calls when it waits for a build writing into `output`."""
    def say() -> None:
        print(f"newsgen: a build is writing into {_shown(Path.cwd(), str(output))}: waiting for it to finish "
              f"before deploying…", file=sys.stderr, flush=True)
    return say


def _clear_progress(quiet: bool) -> None:
    if not quiet:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def _version() -> str:
    try:
        return version("newsgen")
    except PackageNotFoundError:
        return "unknown"
