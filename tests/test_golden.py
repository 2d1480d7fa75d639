"""The sample archive, built, equals the reviewed tree in tests/golden/sample (`make golden` renews it).

The search index in pagefind/ is left out: it is Pagefind's binary and
minified output, unreadable as a diff; test_search.py and the browser tests
check it, and test_build.py that two builds give the same bytes.
"""

import difflib
from pathlib import Path

from newsgen.build import build

from conftest import REPOSITORY

GOLDEN = Path(__file__).parent / "golden" / "sample"


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).as_posix().startswith("pagefind/")}


def test_the_sample_site_matches_the_golden_tree(tmp_path):
    build(REPOSITORY, tmp_path / "public", jobs=1, use_cache=False)
    built, golden = files(tmp_path / "public"), files(GOLDEN)
    assert sorted(built) == sorted(golden), "pages added or removed: run `make golden` and review the diff"
    changed = [name for name in built if built[name] != golden[name]]
    if changed:
        first = changed[0]
        diff = "\n".join(difflib.unified_diff(
            golden[first].decode().splitlines(), built[first].decode().splitlines(),
            f"golden/{first}", f"built/{first}", lineterm="", n=2))
        raise AssertionError(f"{len(changed)} file(s) differ; run `make golden` and review. First:\n{diff}")
