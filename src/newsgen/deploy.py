"""newsgen deploy: publish a built output folder, as it is, to a folder or host, a Git branch, or S3.

Deploy never builds. It publishes a folder only when the build cache shows
that the last build into it succeeded and the folder still holds what that
build wrote, and then publishes exactly those files: anything else found in
the folder is left out, and named. Every target first works out what would
change (files to upload, files to delete); `dry_run` stops there, and more
deletions than allowed stop the deploy before anything changes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Protocol

from .cache import CACHE_DIR, CACHE_FILE, FAILED, WRITING, output_record, unbuilt
from .config import SOURCE_FOLDERS
from .mediatypes import media_type
from .model import UsageError
from .write import intact

MAX_DELETES = 100
"""How many files a deploy deletes at most unless forced."""


class DeployFailed(Exception):
    """The deploy was refused or its target failed (exit code 1); the message says which and what to do."""


@dataclass(frozen=True)
class Changes:
    """What a deploy changes at its target, by path inside the site."""

    uploads: tuple[str, ...]
    deletes: tuple[str, ...]
    files: int
    """How many files are published."""
    emptied: tuple[str, ...] = ()
    """Folders the target removes once their files are deleted (rsync counts them as deletions)."""
    left_out: tuple[str, ...] = ()
    """What the output folder holds besides the published files, never published: files the last
    build did not write (forced: none), and anything that is not a regular file (a symbolic link)."""

    @property
    def unchanged(self) -> int:
        """Files already at the target as they are in the output folder."""
        return self.files - len(self.uploads)


class Target(Protocol):
    """A place to publish to."""

    def changes(self, output_dir: Path, files: dict[str, Path]) -> Changes:
        """What publishing `files` (site path -> file) of `output_dir` would change; changes nothing."""

    def publish(self, output_dir: Path, files: dict[str, Path], changes: Changes) -> None:
        """Make the target hold exactly `files`, by making `changes`."""


def deploy(site_dir: Path, output_dir: Path, to: str, *, dry_run: bool = False, push: bool = False,
           force: bool = False, max_deletes: int = MAX_DELETES, on_wait: Callable[[], None] = lambda: None) -> Changes:
    """Publish `output_dir`, as the last build of `site_dir` left it, to the target `to`; return what changed.

    Raises DeployFailed, before changing anything, when the folder is
    missing or empty, when its last build failed, when the cache has no
    record of it or it changed since (both allowed by `force`), or when more
    than `max_deletes` files would be deleted (allowed by `force`); and when
    the target fails. Raises UsageError for a target it cannot read.
    A build writing into `output_dir` meanwhile is waited for (after calling
    `on_wait`), and builds wait for the deploy before they write there: the
    folder does not change while it is checked and published.
    """
    site_dir, output_dir = site_dir.resolve(), output_dir.resolve()
    target = parse_target(to, site_dir, output_dir, push=push)
    with unbuilt(site_dir / CACHE_DIR / CACHE_FILE, output_dir, on_wait):
        files, left_out = _checked_output(site_dir, output_dir, force)
        changes = replace(target.changes(output_dir, files), left_out=left_out)
        if len(changes.deletes) > max_deletes and not force:
            raise DeployFailed(f"refusing to delete {len(changes.deletes)} files at {to} (at most {max_deletes}): "
                               f"check with --dry-run, then pass --force or a larger --max-deletes")
        if not dry_run:
            target.publish(output_dir, files, changes)
    return changes


def parse_target(to: str, site_dir: Path, output_dir: Path, push: bool = False) -> Target:
    """The target named by `to`: `s3://bucket/prefix`, `gh-pages:` or `gh-pages:BRANCH`, else an rsync destination."""
    if to.startswith("s3://"):
        bucket, _, prefix = to[len("s3://"):].partition("/")
        if not bucket:
            raise UsageError(f"an S3 target names a bucket: s3://BUCKET/PREFIX, not {to!r}")
        return S3(bucket, prefix.strip("/"))
    if to == "gh-pages:" or to.startswith("gh-pages:"):
        branch = to[len("gh-pages:"):] or "gh-pages"
        if subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True).returncode:
            raise UsageError(f"not a branch name: {branch!r}")
        return GitBranch(site_dir, branch, push)
    if not to:
        raise UsageError("--to names a target: a folder, user@host:path, gh-pages:[BRANCH] or s3://BUCKET/PREFIX")
    if push:
        raise UsageError("--push is for gh-pages: targets only")
    if not _is_remote(to):
        _check_local_folder(Path(to).resolve(), site_dir, output_dir)
    return Rsync(to)


def _checked_output(site_dir: Path, output_dir: Path, force: bool) -> tuple[dict[str, Path], tuple[str, ...]]:
    """The files of `output_dir` to publish by site path, and the paths left out.

    Unforced, the cache must vouch for the folder as a whole, successful
    build, and exactly that build's files are published. Forced, every
    regular file is. A symbolic link is never published: it could carry a
    file from outside the folder to the target.
    """
    found = dict(_files(output_dir))
    if not found:
        raise DeployFailed(f"{output_dir} is missing or empty: build the site first")
    record = output_record(site_dir / CACHE_DIR / CACHE_FILE, output_dir)
    manifest, outcome = record or ({}, None)
    if outcome in (FAILED, WRITING):
        raise DeployFailed(f"the last build into {output_dir} failed or was stopped: "
                           f"fix the problems it named and build again")
    if force:
        published = {path: file for path, file in found.items() if stat.S_ISREG(file.lstat().st_mode)}
    elif not manifest:
        raise DeployFailed(f"newsgen has no record of building {output_dir} (built with --no-cache, "
                           f"or {CACHE_DIR}/ was deleted): build it again, or pass --force to publish it as it is")
    elif not intact(output_dir, manifest):
        raise DeployFailed(f"{output_dir} has changed since newsgen built it: build again, "
                           f"or pass --force to publish it as it is")
    else:
        published = {path: file for path, file in found.items() if path in manifest}
    return published, tuple(path for path in found if path not in published)


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Everything below `folder` but folders, by its `/`-separated path inside it, in sorted order.

    A symbolic link to a folder counts as an entry of its own (os.walk lists it among the folders and
    does not enter it), so that it is left out like any other link.
    """
    for top, folders, names in os.walk(folder):
        folders.sort()
        links = [name for name in folders if os.path.islink(os.path.join(top, name))]
        for name in sorted(names + links):
            path = Path(top, name)
            yield path.relative_to(folder).as_posix(), path


# ---------------------------------------------------------------- rsync


def _is_remote(to: str) -> bool:
    """Whether rsync takes `to` as a host's path: a colon before any slash (`host:path`, `user@host:path`)."""
    return bool(re.match(r"^[^/]+:", to))


def _check_local_folder(folder: Path, site_dir: Path, output_dir: Path) -> None:
    """Refuse a local folder whose emptying (rsync --delete) would destroy the site or its output."""
    for precious in (site_dir, output_dir):
        if precious.is_relative_to(folder) or folder.is_relative_to(output_dir):
            raise DeployFailed(f"refusing to deploy to {folder}: it holds, or lies inside, the site or its output")
    for name in (*SOURCE_FOLDERS, CACHE_DIR):
        if folder.is_relative_to(site_dir / name):
            raise DeployFailed(f"refusing to deploy to {folder}: it lies inside the site's {name}/")


@dataclass(frozen=True)
class Rsync:
    """A local folder or `[user@]host:path`, made a copy of the output by rsync, comparing files by checksum."""

    destination: str

    def changes(self, output_dir: Path, files: dict[str, Path]) -> Changes:
        """Ask rsync what it would transfer and delete."""
        uploads, deletes, emptied = [], [], []
        for line in self._run(output_dir, files, dry_run=True).splitlines():
            # --itemize-changes: an 11-character code, a space, the path; deletions read `*deleting   path`.
            code, _, path = line.partition(" ")
            path = path.strip()
            if code == "*deleting":
                (emptied if path.endswith("/") else deletes).append(path)
            elif code[:2] in (">f", "<f"):
                uploads.append(path)
        return Changes(tuple(uploads), tuple(deletes), len(files), emptied=tuple(emptied))

    def publish(self, output_dir: Path, files: dict[str, Path], changes: Changes) -> None:
        """Copy the changed files and delete the removed ones, but no more of those than `changes` counted."""
        if not _is_remote(self.destination):
            Path(self.destination).mkdir(parents=True, exist_ok=True)
        # rsync works out the deletions again: should the target have gained files since, it deletes none
        # beyond those counted (and checked against the limit), and stops.
        self._run(output_dir, files, dry_run=False, max_deletes=len(changes.deletes) + len(changes.emptied))

    def _run(self, output_dir: Path, files: dict[str, Path], dry_run: bool, max_deletes: int | None = None) -> str:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", errors="surrogateescape",
                                         prefix="newsgen-deploy-", suffix=".exclude") as excluded:
            # Everything in the folder but the files to publish, each as an anchored literal pattern.
            excluded.write("".join(f"/{_literal(path)}\0" for path, _ in _files(output_dir) if path not in files))
            excluded.flush()
            command = ["rsync", "--recursive", "--links", "--times", "--checksum", "--delete", "--itemize-changes",
                       "--from0", f"--exclude-from={excluded.name}",  # in this order: --from0 applies to what follows
                       *(["--dry-run"] if dry_run else []),
                       *([f"--max-delete={max_deletes}"] if max_deletes is not None else []),
                       f"{output_dir}/", f"{self.destination.rstrip('/')}/"]
            try:
                result = subprocess.run(command, capture_output=True, text=True, errors="replace")
            except FileNotFoundError:
                raise DeployFailed("rsync is not installed: install it (apt-get install rsync) to deploy to a "
                                   "folder or host") from None
        if result.returncode == _RSYNC_MAX_DELETE_STOPPED:
            raise DeployFailed(f"{self.destination} gained files to delete while deploying: rsync copied the site "
                               f"but deleted only the {max_deletes} files and folders counted before; deploy again")
        if result.returncode:
            raise DeployFailed(f"rsync failed (exit code {result.returncode}): {result.stderr.strip()}")
        return result.stdout


# rsync's exit code when --max-delete stopped it from deleting more.
_RSYNC_MAX_DELETE_STOPPED = 25


def _literal(path: str) -> str:
    """`path` as an rsync pattern matching only itself: wildcards escaped (rsync reads escapes only beside one)."""
    return re.sub(r"([*?\[\\])", r"\\\1", path) if re.search(r"[*?\[]", path) else path


# ---------------------------------------------------------------- GitHub Pages


@dataclass(frozen=True)
class GitBranch:
    """A branch of the site's Git repository holding the output as its only tree, with `.nojekyll`, as ghp-import makes it.

    Each deploy that changes anything adds one commit on top of the branch;
    the work tree, the index and the checked-out branch are never touched.
    """

    site_dir: Path
    branch: str
    push: bool
    remote: str = "origin"
    # Each file's blob id as changes() worked it out: publish() then stores only the uploads.
    blob_ids: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def changes(self, output_dir: Path, files: dict[str, Path]) -> Changes:
        """Compare the files' Git object ids with the branch's tree (nothing is written to the repository)."""
        self._check_repository()
        wanted = self._blobs(files, write=False)
        self.blob_ids.update(wanted)
        present = self._tree()
        uploads = tuple(path for path, blob in wanted.items() if present.get(path) != blob)
        deletes = tuple(path for path in present if path not in wanted)
        return Changes(uploads, deletes, len(wanted))

    def publish(self, output_dir: Path, files: dict[str, Path], changes: Changes) -> None:
        """Commit the output as the branch's new tree when anything changed; push the branch when asked."""
        parent = self._head()
        if changes.uploads or changes.deletes or parent is None:
            uploads = {path: files[path] for path in changes.uploads if path in files}
            # The uploads are stored as they are now, named by the ids that storing gives.
            blobs = {**self.blob_ids, **self._blobs(uploads, write=True, nojekyll=".nojekyll" in changes.uploads)}
            with tempfile.TemporaryDirectory(prefix="newsgen-deploy-") as folder:
                index = {"GIT_INDEX_FILE": os.path.join(folder, "index")}
                entries = "".join(f"100644 blob {blob}\t{path}\0" for path, blob in sorted(blobs.items()))
                self._git("update-index", "--add", "-z", "--index-info", stdin=entries, env=index)
                tree = self._git("write-tree", env=index).strip()
            source = self._git("rev-parse", "--short", "HEAD", check=False).strip()
            message = f"newsgen deploy{f' of {source}' if source else ''}"
            commit = self._git("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message).strip()
            self._git("update-ref", "-m", message, f"refs/heads/{self.branch}", commit, parent or "")
        if self.push:
            self._git("push", self.remote, f"refs/heads/{self.branch}:refs/heads/{self.branch}")

    def _check_repository(self) -> None:
        if self._git("rev-parse", "--git-dir", check=False) == "":
            raise DeployFailed(f"{self.site_dir} is not inside a Git repository: a gh-pages: target is a branch of it")
        if self._git("symbolic-ref", "-q", "HEAD", check=False).strip() == f"refs/heads/{self.branch}":
            raise DeployFailed(f"the branch {self.branch} is checked out: deploy to another branch, "
                               f"or check out your sources' branch")
        if self.push and self.remote not in self._git("remote").split():
            raise DeployFailed(f"the repository has no remote {self.remote!r} to push {self.branch} to")

    def _blobs(self, files: dict[str, Path], write: bool, nojekyll: bool = True) -> dict[str, str]:
        """Each file's Git blob id by site path, and `.nojekyll`'s unless told not; with `write`, stored in the repository."""
        blobs = {}
        if files:
            paths = "".join(f"{path}\n" for path in files.values())
            ids = self._git("hash-object", *(["-w"] if write else []), "--no-filters", "--stdin-paths", stdin=paths).split()
            blobs = dict(zip(files, ids))
        if nojekyll:
            # GitHub Pages runs Jekyll on a branch without .nojekyll, which hides files and folders starting with _.
            blobs.setdefault(".nojekyll", self._git("hash-object", *(["-w"] if write else []), "--stdin", stdin="").strip())
        return blobs

    def _head(self) -> str | None:
        found = self._git("rev-parse", "-q", "--verify", f"refs/heads/{self.branch}^{{commit}}", check=False).strip()
        return found or None

    def _tree(self) -> dict[str, str]:
        head = self._head()
        if head is None:
            return {}
        listing = self._git("ls-tree", "-r", "-z", head)
        tree = {}
        for entry in filter(None, listing.split("\0")):
            meta, _, path = entry.partition("\t")
            tree[path] = meta.split()[2]
        return tree

    def _git(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None, check: bool = True) -> str:
        command = ["git", "-C", str(self.site_dir), *args]
        try:
            result = subprocess.run(command, input=stdin, capture_output=True, text=True, errors="surrogateescape",
                                    env={**os.environ, **(env or {})})
        except FileNotFoundError:
            raise DeployFailed("git is not installed: a gh-pages: target needs it") from None
        if result.returncode and check:
            raise DeployFailed(f"git {args[0]} failed: {result.stderr.strip()}")
        return result.stdout if not result.returncode else ""


# ---------------------------------------------------------------- S3


# Uploads at once: S3 answers each request in tens of milliseconds, so a large first deploy needs several.
_UPLOADERS = 8
# The most keys S3 deletes in one request.
_DELETE_BATCH = 1000


@dataclass(frozen=True)
class S3:
    """A bucket and a key prefix of S3 or any S3-compatible storage, through boto3.

    Credentials, region and endpoint come from boto3's own sources only: the
    environment (AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_ENDPOINT_URL …) and the
    AWS configuration files. A file is uploaded when its MD5 differs from the
    object's ETag (which is its MD5, newsgen uploading each file in one part).
    """

    bucket: str
    prefix: str
    # Each file's MD5 as changes() read it: publish() sends it along with the upload (S3 then refuses
    # a file changed in between), and reading every file of a large site once is enough.
    digests: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def changes(self, output_dir: Path, files: dict[str, Path]) -> Changes:
        """List the objects under the prefix and compare their ETags with the files' MD5."""
        present = self._objects()
        self.digests.update((path, _md5(file)) for path, file in files.items())
        uploads = tuple(path for path in files if present.get(path) != self.digests[path].hex())
        deletes = tuple(path for path in present if path not in files)
        return Changes(uploads, deletes, len(files))

    def publish(self, output_dir: Path, files: dict[str, Path], changes: Changes) -> None:
        """Upload the changed files with their media types, then delete the removed ones."""
        def upload(path: str) -> None:
            file = files[path]
            with open(file, "rb") as body:
                client.put_object(Bucket=self.bucket, Key=self._key(path), Body=body, ContentType=media_type(path),
                                  ContentMD5=base64.b64encode(self.digests[path]).decode())

        with _s3_errors(self.bucket):
            client = self._client()
            with ThreadPoolExecutor(max_workers=_UPLOADERS) as pool:
                list(pool.map(upload, changes.uploads))
            for start in range(0, len(changes.deletes), _DELETE_BATCH):
                batch = changes.deletes[start:start + _DELETE_BATCH]
                answer = client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": [{"Key": self._key(path)} for path in batch], "Quiet": True})
                if answer.get("Errors"):
                    error = answer["Errors"][0]
                    raise DeployFailed(f"S3 did not delete {error.get('Key')}: {error.get('Message')}")

    def _key(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def _objects(self) -> dict[str, str]:
        """Every object under the prefix: site path -> ETag without quotes."""
        start = f"{self.prefix}/" if self.prefix else ""
        found = {}
        with _s3_errors(self.bucket):
            for page in self._client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", ()):
                    found[item["Key"][len(start):]] = item["ETag"].strip('"')
        return found

    def _client(self):
        import boto3  # slow to import: only deploys to S3 pay for it

        return boto3.client("s3")


@contextmanager
def _s3_errors(bucket: str) -> Iterator[None]:
    """Turn boto3's failures into DeployFailed, with a line saying what to check."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise DeployFailed("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                           "(or AWS_PROFILE) in the environment") from None
    except (ClientError, BotoCoreError) as error:
        raise DeployFailed(f"S3 bucket {bucket}: {error}") from None


def _md5(file: Path) -> bytes:
    digest = hashlib.md5(usedforsecurity=False)
    with open(file, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()
