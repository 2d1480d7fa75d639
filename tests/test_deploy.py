"""newsgen deploy: the built folder published to a folder (rsync), a Git branch and S3 (a local moto server)."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from newsgen.build import build
from newsgen.cache import Cache
from newsgen.cli import main
from newsgen.mediatypes import media_type
from newsgen.model import BuildFailed

from conftest import article
from test_build import tree

FILES = {
    "newsgen.yaml": "title: Lưu trữ\nsearch: false\n",
    "content/articles/2024/09/boeing.md": article("Tiếp Chủ tịch Boeing", "2024-09-22", persons="[Tô Lâm]"),
    "content/articles/2024/09/cuba.md": article("Thăm Cuba", "2024-09-25", events="[Thăm Cuba]"),
}
CUBA_PAGE = "2024/09/tham-cuba/index.html"


@pytest.fixture
def built(site) -> Path:
    """A site built into its public/, its cache in its own .newsgen/."""
    site_dir = site(FILES)
    build(site_dir, jobs=1)
    return site_dir


def deploy(site_dir: Path, *args: str) -> int:
    return main(["deploy", str(site_dir), *args])


def drop_cuba(site_dir: Path) -> None:
    """Delete an article and build again: its page and its event's pages leave the output."""
    (site_dir / "content/articles/2024/09/cuba.md").unlink()
    build(site_dir, jobs=1)


def needs_rsync() -> None:
    if shutil.which("rsync") is None:
        pytest.skip("rsync is missing: `make test` installs it (apt-get install rsync, as root)")


# ---------------------------------------------------------------- what any deploy refuses


def test_a_missing_or_empty_output_is_refused(site, tmp_path, capsys):
    site_dir = site(FILES)
    assert deploy(site_dir, "--to", str(tmp_path / "www")) == 1
    assert f"{site_dir / 'public'} is missing or empty: build the site first" in capsys.readouterr().err
    (site_dir / "public").mkdir()
    assert deploy(site_dir, "--to", str(tmp_path / "www"), "--force") == 1
    assert not (tmp_path / "www").exists()


def test_a_failed_last_build_is_refused_even_forced(built, tmp_path, capsys):
    boeing = built / "content/articles/2024/09/boeing.md"
    good = boeing.read_text(encoding="utf-8")
    boeing.write_text(good.replace("date: 2024-09-22", "date: 22/9/2024"), encoding="utf-8")
    with pytest.raises(BuildFailed):
        build(built, jobs=1)
    for extra in ([], ["--force"]):
        assert deploy(built, "--to", str(tmp_path / "www"), *extra) == 1
        assert "the last build into" in capsys.readouterr().err
    assert not (tmp_path / "www").exists()

    needs_rsync()
    boeing.write_text(good, encoding="utf-8")
    build(built, jobs=1)
    assert deploy(built, "--to", str(tmp_path / "www")) == 0


def test_an_output_changed_since_its_build_or_unknown_to_the_cache_needs_force(built, tmp_path, capsys):
    needs_rsync()
    (built / "public/index.html").write_text("sửa tay", encoding="utf-8")
    assert deploy(built, "--to", str(tmp_path / "www")) == 1
    assert "has changed since newsgen built it" in capsys.readouterr().err
    assert not (tmp_path / "www").exists()

    shutil.rmtree(built / ".newsgen")
    assert deploy(built, "--to", str(tmp_path / "www")) == 1
    assert "newsgen has no record of building" in capsys.readouterr().err
    assert deploy(built, "--to", str(tmp_path / "www"), "--force") == 0
    assert (tmp_path / "www/index.html").read_text(encoding="utf-8") == "sửa tay"


@pytest.mark.parametrize("target", ["..", ".", "public", "public/www", "content", "content/x", ".newsgen/www"])
def test_a_folder_holding_or_inside_the_site_or_its_output_is_refused(built, target, capsys):
    before = tree(built)
    assert deploy(built, "--to", str(built / target)) == 1
    assert "refusing to deploy to" in capsys.readouterr().err
    assert tree(built) == before


@pytest.mark.parametrize("args", [["--to", "s3://"], ["--to", "s3:///prefix"], ["--to", "gh-pages:bad..name"],
                                  ["--to", "/tmp/www", "--push"], ["--to", ""], [], ["--max-deletes", "-1"]])
def test_usage_errors_exit_2(built, args):
    with pytest.raises(SystemExit) as exit:
        deploy(built, *args)
    assert exit.value.code == 2


# ---------------------------------------------------------------- a folder, by rsync


def test_a_folder_gets_the_output_and_a_second_deploy_copies_nothing(built, tmp_path, capsys):
    needs_rsync()
    www = tmp_path / "srv/www"
    files = len(tree(built / "public"))
    assert deploy(built, "--to", str(www)) == 0
    assert capsys.readouterr().out.endswith(f"uploaded {files}, deleted 0, 0 unchanged\n")
    assert tree(www) == tree(built / "public")

    assert deploy(built, "--to", str(www)) == 0
    assert capsys.readouterr().out.endswith(f"uploaded 0, deleted 0, {files} unchanged\n")

    drop_cuba(built)
    assert deploy(built, "--to", str(www), "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"delete {CUBA_PAGE}\n" in out and "(dry run: nothing was changed)" in out
    assert (www / CUBA_PAGE).is_file()

    assert deploy(built, "--to", str(www)) == 0
    assert tree(www) == tree(built / "public") and not (www / CUBA_PAGE).exists()


def test_a_deploy_waits_for_a_build_writing_into_its_folder_meanwhile(built, tmp_path, capsys):
    needs_rsync()
    www = tmp_path / "www"
    running = Cache(built / ".newsgen/cache.sqlite", "a build")
    running.hold_output((built / "public").resolve())
    deployer = threading.Thread(target=lambda: deploy(built, "--to", str(www)))
    deployer.start()
    deployer.join(1)
    assert deployer.is_alive() and not www.exists()
    running.close()
    deployer.join(60)
    assert tree(www) == tree(built / "public")
    assert capsys.readouterr().err == (f"newsgen: a build is writing into {built / 'public'}: "
                                       f"waiting for it to finish before deploying…\n")


def test_a_deploy_does_not_wait_for_a_build_writing_elsewhere(built, tmp_path, capsys):
    needs_rsync()
    with Cache(built / ".newsgen/cache.sqlite", "a build") as preview:
        preview.hold_output((built / ".newsgen/preview").resolve())
        assert deploy(built, "--to", str(tmp_path / "www")) == 0
    assert "waiting" not in capsys.readouterr().err


def test_more_deletions_than_allowed_need_force(built, tmp_path, capsys):
    needs_rsync()
    www = tmp_path / "www"
    assert deploy(built, "--to", str(www)) == 0
    for name in ("a.txt", "b.txt", "c.txt"):
        (www / name).write_text("cũ", encoding="utf-8")
    before = tree(www)
    assert deploy(built, "--to", str(www), "--max-deletes", "2") == 1
    assert "refusing to delete 3 files" in capsys.readouterr().err
    assert tree(www) == before
    assert deploy(built, "--to", str(www), "--max-deletes", "2", "--force") == 0
    assert tree(www) == tree(built / "public")


# ---------------------------------------------------------------- a GitHub Pages branch


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repository(built, tmp_path) -> tuple[Path, Path]:
    """The built site as a Git repository with its sources committed on main, and a bare repository as origin."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--bare", "-q", str(origin))
    git(built, "init", "-q", "-b", "main")
    git(built, "config", "user.name", "Biên tập viên")
    git(built, "config", "user.email", "bientap@example.org")
    (built / ".gitignore").write_text("public/\n.newsgen/\n", encoding="utf-8")
    git(built, "add", "-A")
    git(built, "commit", "-q", "-m", "Nguồn")
    git(built, "remote", "add", "origin", str(origin))
    return built, origin


def branch_files(repo: Path, ref: str) -> dict[str, bytes]:
    names = git(repo, "ls-tree", "-r", "-z", "--name-only", ref).split("\0")
    return {name: subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{name}"], check=True,
                                 capture_output=True).stdout for name in names if name}


def test_a_branch_gets_a_commit_of_the_output_with_nojekyll_and_is_pushed_when_asked(repository, capsys):
    site_dir, origin = repository
    status = git(site_dir, "status", "--porcelain")
    assert deploy(site_dir, "--to", "gh-pages:", "--push") == 0
    public = {path.relative_to(site_dir / "public").as_posix(): path.read_bytes()
              for path in (site_dir / "public").rglob("*") if path.is_file()}
    assert branch_files(origin, "gh-pages") == {**public, ".nojekyll": b""}
    assert git(site_dir, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(site_dir, "status", "--porcelain") == status  # work tree and index untouched
    assert git(site_dir, "log", "-1", "--format=%s", "gh-pages").startswith("newsgen deploy of ")
    capsys.readouterr()

    assert deploy(site_dir, "--to", "gh-pages:") == 0
    assert capsys.readouterr().out.endswith(f"uploaded 0, deleted 0, {len(public) + 1} unchanged\n")
    assert git(site_dir, "rev-list", "--count", "gh-pages").strip() == "1"

    drop_cuba(site_dir)
    assert deploy(site_dir, "--to", "gh-pages:", "--dry-run", "--push") == 0
    out = capsys.readouterr().out
    assert f"delete {CUBA_PAGE}\n" in out and "and push it" in out
    assert git(site_dir, "rev-list", "--count", "gh-pages").strip() == "1"

    assert deploy(site_dir, "--to", "gh-pages:") == 0
    assert git(site_dir, "rev-list", "--count", "gh-pages").strip() == "2"
    assert CUBA_PAGE not in branch_files(site_dir, "gh-pages")
    assert git(origin, "rev-parse", "gh-pages") != git(site_dir, "rev-parse", "gh-pages")  # not pushed
    assert deploy(site_dir, "--to", "gh-pages:", "--push") == 0
    assert git(origin, "rev-parse", "gh-pages") == git(site_dir, "rev-parse", "gh-pages")


def test_another_branch_name_and_what_a_branch_deploy_refuses(repository, site, capsys):
    site_dir, _ = repository
    assert deploy(site_dir, "--to", "gh-pages:site") == 0
    assert ".nojekyll" in branch_files(site_dir, "site")
    assert deploy(site_dir, "--to", "gh-pages:main") == 1
    assert "the branch main is checked out" in capsys.readouterr().err

    git(site_dir, "remote", "remove", "origin")
    assert deploy(site_dir, "--to", "gh-pages:", "--push") == 1
    assert "no remote 'origin'" in capsys.readouterr().err


def test_a_branch_deploy_reads_each_file_once_and_stores_only_the_changed_ones(repository, monkeypatch):
    from newsgen import deploy as deploy_module
    site_dir, _ = repository
    assert deploy(site_dir, "--to", "gh-pages:") == 0
    before = tree(site_dir / "public")
    (site_dir / "content/articles/2024/09/boeing.md").write_text(
        article("Tiếp Chủ tịch Boeing", "2024-09-22", persons="[Tô Lâm]") + "\nThêm một đoạn.\n", encoding="utf-8")
    build(site_dir, jobs=1)
    after = tree(site_dir / "public")
    changed = [str(site_dir / "public" / path) for path in after if before.get(path) != after[path]]
    hashed: list[tuple[bool, list[str]]] = []
    run = deploy_module.GitBranch._git

    def counting(self, *args, stdin=None, **kwargs):
        if args[0] == "hash-object" and "--stdin-paths" in args:
            hashed.append(("-w" in args, stdin.split()))
        return run(self, *args, stdin=stdin, **kwargs)
    monkeypatch.setattr(deploy_module.GitBranch, "_git", counting)
    assert deploy(site_dir, "--to", "gh-pages:") == 0
    compared, stored = hashed
    assert not compared[0] and len(compared[1]) == len(after)
    assert stored[0] and sorted(stored[1]) == sorted(changed) and 0 < len(changed) < len(after)
    assert branch_files(site_dir, "gh-pages")["2024/09/tiep-chu-tich-boeing/index.html"] == \
        (site_dir / "public/2024/09/tiep-chu-tich-boeing/index.html").read_bytes()


def test_a_site_outside_git_cannot_deploy_to_a_branch(built, capsys):
    if subprocess.run(["git", "-C", str(built), "rev-parse"], capture_output=True).returncode == 0:
        pytest.skip("the test folder lies inside a Git repository")
    assert deploy(built, "--to", "gh-pages:") == 1
    assert "is not inside a Git repository" in capsys.readouterr().err


# ---------------------------------------------------------------- S3, through a local moto server


@pytest.fixture
def s3(monkeypatch):
    """A moto S3 server on a free loopback port, found by boto3 through AWS_ENDPOINT_URL; yields a client."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask the network for credentials
    boto3.setup_default_session()
    client = boto3.client("s3")
    client.create_bucket(Bucket="luu-tru")
    try:
        yield client
    finally:
        server.stop()


def objects(client, prefix: str = "") -> dict[str, dict]:
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="luu-tru", Prefix=prefix):
        for item in page.get("Contents", ()):
            found[item["Key"]] = item
    return found


def count_uploads(monkeypatch) -> list[str]:
    """The key of every PutObject newsgen sends from now on, counted by boto3's own event hooks."""
    import boto3

    sent: list[str] = []
    boto3.DEFAULT_SESSION.events.register("before-call.s3.PutObject",
                                          lambda params, **kwargs: sent.append(params["url_path"]))
    return sent


def test_s3_gets_every_file_with_its_type_and_a_second_deploy_uploads_nothing(built, s3, monkeypatch, capsys):
    s3.put_object(Bucket="luu-tru", Key="khac/giu-lai.txt", Body=b"not the site's")
    public = {path.relative_to(built / "public").as_posix(): path.read_bytes()
              for path in (built / "public").rglob("*") if path.is_file()}
    uploads = count_uploads(monkeypatch)
    from newsgen import deploy as deploy_module
    hashed: list[Path] = []
    md5 = deploy_module._md5
    monkeypatch.setattr(deploy_module, "_md5", lambda file: hashed.append(file) or md5(file))
    assert deploy(built, "--to", "s3://luu-tru/site") == 0
    assert capsys.readouterr().out.endswith(f"uploaded {len(public)}, deleted 0, 0 unchanged\n")
    assert len(uploads) == len(public)
    assert len(hashed) == len(public)  # each file read once, to compare and to upload
    assert set(objects(s3, "site/")) == {f"site/{relpath}" for relpath in public}
    for relpath in ("index.html", "css/style.css", "2024/09/tiep-chu-tich-boeing/index.html"):
        answer = s3.get_object(Bucket="luu-tru", Key=f"site/{relpath}")
        assert answer["Body"].read() == public[relpath]
        assert answer["ContentType"] == media_type(relpath)
    assert s3.get_object(Bucket="luu-tru", Key="site/index.html")["ContentType"] == "text/html; charset=utf-8"

    uploads.clear()
    assert deploy(built, "--to", "s3://luu-tru/site/") == 0
    assert capsys.readouterr().out.endswith(f"uploaded 0, deleted 0, {len(public)} unchanged\n")
    assert uploads == []

    drop_cuba(built)
    assert deploy(built, "--to", "s3://luu-tru/site", "--dry-run") == 0
    assert f"delete {CUBA_PAGE}\n" in capsys.readouterr().out
    assert f"site/{CUBA_PAGE}" in objects(s3)
    assert deploy(built, "--to", "s3://luu-tru/site", "--max-deletes", "0") == 1
    assert "refusing to delete" in capsys.readouterr().err
    assert f"site/{CUBA_PAGE}" in objects(s3) and uploads == []

    assert deploy(built, "--to", "s3://luu-tru/site", "--force", "--max-deletes", "0") == 0
    remaining = {path.relative_to(built / "public").as_posix() for path in (built / "public").rglob("*") if path.is_file()}
    assert set(objects(s3, "site/")) == {f"site/{relpath}" for relpath in remaining}
    assert "khac/giu-lai.txt" in objects(s3)  # outside the prefix: never touched


def test_s3_at_the_bucket_root_and_without_credentials(built, s3, monkeypatch, capsys):
    assert deploy(built, "--to", "s3://luu-tru") == 0
    assert "index.html" in objects(s3)
    assert deploy(built, "--to", "s3://khong-co") == 1
    assert "S3 bucket khong-co: " in capsys.readouterr().err
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    import boto3

    boto3.setup_default_session()
    assert deploy(built, "--to", "s3://luu-tru") == 1
    assert "no AWS credentials" in capsys.readouterr().err


# ---------------------------------------------------------------- what is published


def stray_files(site_dir: Path, outside: Path) -> None:
    """A file added by hand to the built folder, and symbolic links out of it: to a file, to a folder."""
    (site_dir / "public/google-xac-minh.html").write_text("tay", encoding="utf-8")
    outside.write_text("bí mật", encoding="utf-8")
    (site_dir / "public/secret.txt").symlink_to(outside)
    elsewhere = outside.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "passwd").write_text("bí mật", encoding="utf-8")
    (site_dir / "public/css/etc").symlink_to(elsewhere, target_is_directory=True)


def test_only_the_files_the_build_wrote_are_published_and_the_others_named(built, tmp_path, capsys):
    needs_rsync()
    stray_files(built, tmp_path / "outside.txt")
    (built / "public/css/x*[1].css").write_text("a name rsync would read as a pattern", encoding="utf-8")
    stray = ("google-xac-minh.html", "secret.txt", "css/etc", "css/x*[1].css")  # in the order of a walk of the folder
    www = tmp_path / "www"
    assert deploy(built, "--to", str(www), "--dry-run") == 0
    out, err = capsys.readouterr()
    assert "".join(f"leave out {path}\n" for path in stray) in out
    assert "left out 4 files" in err and ", ".join(stray) in err
    assert deploy(built, "--to", str(www)) == 0
    assert tree(www) == {path: data for path, data in tree(built / "public").items()
                         if path not in stray and not path.startswith("css/etc/")}
    assert not (www / "css/etc").exists() and not (www / "css/etc").is_symlink()

    # Forced, the folder is published as it is, but a link still never carries a file out of it.
    assert deploy(built, "--to", str(www), "--force") == 0
    assert "left out 2 files" in capsys.readouterr().err
    assert (www / "google-xac-minh.html").is_file() and (www / "css/x*[1].css").is_file()
    assert not (www / "secret.txt").exists() and not (www / "css/etc").is_symlink()


def test_a_file_the_target_gains_while_deploying_is_not_deleted_beyond_the_count(built, tmp_path, monkeypatch, capsys):
    needs_rsync()
    from newsgen import deploy as deploy_module
    www = tmp_path / "www"
    assert deploy(built, "--to", str(www)) == 0
    counted = deploy_module.Rsync.changes

    def counted_then_gained(self, output_dir, files):
        changes = counted(self, output_dir, files)
        (www / "moi.txt").write_text("mới", encoding="utf-8")  # arrives after the count
        return changes
    monkeypatch.setattr(deploy_module.Rsync, "changes", counted_then_gained)
    assert deploy(built, "--to", str(www)) == 1
    assert "gained files to delete while deploying" in capsys.readouterr().err
    assert (www / "moi.txt").is_file()


def test_a_branch_and_s3_get_only_the_files_the_build_wrote(repository, s3, tmp_path):
    site_dir, _ = repository
    public = set(tree(site_dir / "public"))
    stray_files(site_dir, tmp_path / "outside.txt")
    assert deploy(site_dir, "--to", "gh-pages:") == 0
    assert set(branch_files(site_dir, "gh-pages")) == public | {".nojekyll"}
    assert deploy(site_dir, "--to", "s3://luu-tru/site") == 0
    assert set(objects(s3, "site/")) == {f"site/{path}" for path in public}

    assert deploy(site_dir, "--to", "s3://luu-tru/site", "--force") == 0
    assert set(objects(s3, "site/")) == {f"site/{path}" for path in public | {"google-xac-minh.html"}}
