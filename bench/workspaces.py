"""The benchmark workspaces: real code no one here wrote, built once and cached.

* **W2k**: the interpreter's standard library (with its ``test/`` folder, without
  ``site-packages``, ``__pycache__`` and the compiled parts), one commit.
* **W10k**: the standard library under ``stdlib/`` plus the sources of a few PyPI
  sdists (``pip download --no-deps --no-binary :all:``), each under its own folder,
  until at least 10,000 text files; one commit.
* **quick**: a few hundred generated modules, for the CI smoke run.

Each has a second branch, ``churn``, whose one commit rewrites :data:`CHURN_FILES`
Python files (each gets a function named ``churn_marker_NNNN``): checking it out is the
churn benchmark. Built repositories are cached under ``~/.cache/tandem-bench`` keyed by
the interpreter and package versions; each run works on a fresh ``git clone`` of one.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from bench.chat_overhead import stdlib_workspace
from tests.support.gitrepo import git

CACHE = Path(os.environ.get("TANDEM_BENCH_CACHE", Path.home() / ".cache" / "tandem-bench"))
SDISTS = (("django", "5.1.4"), ("sympy", "1.13.3"), ("pygments", "2.18.0"))
"""Added in this order until the workspace holds :data:`W10K_MIN_FILES` text files."""
W10K_MIN_FILES = 10_000
CHURN_FILES = 1_000
CHURN_BRANCH = "churn"
MAIN_BRANCH = "main"
PIP_DOWNLOAD = (sys.executable, "-m", "pip", "download", "--quiet", "--no-deps")
PIP_DOWNLOAD += ("--no-binary", ":all:")


@dataclass(frozen=True)
class Workspace:
    """A fresh clone to benchmark on, and the churn branch's rewritten files."""

    name: str
    path: Path
    churned: tuple[str, ...]
    """Folder-relative paths the churn commit rewrites, sorted."""

    def churn_marker(self, rel: str) -> str:
        return marker(self.churned.index(rel))


def marker(n: int) -> str:
    return f"churn_marker_{n:04d}"


# -- building the cached repositories ------------------------------------------------


def w2k_repo() -> Path:
    return _cached(f"w2k-py{platform.python_version()}", _build_w2k, CHURN_FILES)


def w10k_repo() -> Path:
    versions = "-".join(f"{name}{version}" for name, version in SDISTS)
    key = f"w10k-py{platform.python_version()}-{versions}"
    return _cached(key, _build_w10k, CHURN_FILES)


def quick_repo() -> Path:
    return _cached("quick-v1", _build_quick, 20)


def _cached(key: str, build: object, churn: int) -> Path:
    repo = CACHE / "workspaces" / key
    if (repo / ".git" / "tandem-bench-complete").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    repo.parent.mkdir(parents=True, exist_ok=True)
    assert callable(build)
    build(repo)
    _make_churn_branch(repo, churn)
    (repo / ".git" / "tandem-bench-complete").write_text("ok\n")
    return repo


def _build_w2k(dest: Path) -> None:
    stdlib_workspace(dest)


def _build_w10k(dest: Path) -> None:
    dest.mkdir(parents=True)
    stdlib_workspace(dest / "stdlib")
    shutil.rmtree(dest / "stdlib" / ".git")
    for name, version in SDISTS:
        if count_text_files(dest) >= W10K_MIN_FILES:
            break
        _unpack(_download(name, version), dest)
    git(dest, "init", "-q", "-b", MAIN_BRANCH)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "workspace")


def _build_quick(dest: Path, files: int = 300) -> None:
    for n in range(files):
        target = dest / f"pkg{n % 10}" / f"module_{n}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        body = [f"def function_{n}_{k}(value):\n    return value * {k} + {n}\n" for k in range(8)]
        target.write_text(
            f'"""Module {n}: parsing, caching and retries."""\n\n\n' + "\n\n".join(body)
        )
    git(dest, "init", "-q", "-b", MAIN_BRANCH)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "workspace")


def _download(name: str, version: str) -> Path:
    """The sdist of ``name==version`` in the cache (downloaded once)."""
    folder = CACHE / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    found = _sdist_in(folder, name, version)
    if found is None:
        subprocess.run(
            [*PIP_DOWNLOAD, "-d", str(folder), f"{name}=={version}"],
            check=True,
        )
        found = _sdist_in(folder, name, version)
    if found is None:
        raise SystemExit(f"pip did not leave an sdist of {name}=={version} in {folder}")
    return found


def _sdist_in(folder: Path, name: str, version: str) -> Path | None:
    for path in folder.glob("*.tar.gz"):
        if path.name.lower() == f"{name}-{version}.tar.gz".lower():
            return path
    return None


def _unpack(sdist: Path, dest: Path) -> None:
    with tarfile.open(sdist) as archive:
        if sys.version_info >= (3, 12):
            archive.extractall(dest, filter="data")
        else:
            archive.extractall(dest)  # a pinned sdist from PyPI


def count_text_files(folder: Path) -> int:
    count = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path) and _is_text(path):
                count += 1
    return count


def _is_text(path: str) -> bool:
    with open(path, "rb") as handle:
        return b"\x00" not in handle.read(8192)


def _make_churn_branch(repo: Path, count: int) -> None:
    """A second branch whose one commit rewrites ``count`` Python files."""
    chosen = churn_candidates(repo, count)
    git(repo, "checkout", "-q", "-b", CHURN_BRANCH)
    for n, rel in enumerate(chosen):
        path = repo / rel
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        addition = f"\n\ndef {marker(n)}(value):\n    return value  # churned revision {n}\n"
        path.write_text(text + addition, encoding="utf-8", errors="surrogateescape")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "churn")
    git(repo, "checkout", "-q", MAIN_BRANCH)
    (repo / ".git" / "tandem-bench-churned").write_text("\n".join(chosen) + "\n")


def churn_candidates(repo: Path, count: int) -> list[str]:
    """``count`` tracked ``.py`` files spread evenly over the sorted list."""
    tracked = [p for p in git(repo, "ls-files").splitlines() if p.endswith(".py")]
    tracked = [p for p in tracked if (repo / p).is_file() and not (repo / p).is_symlink()]
    step = max(1, len(tracked) // count)
    return sorted(tracked[::step][:count])


# -- a fresh copy per run ------------------------------------------------------------


def checkout(name: str, repo: Path, dest: Path) -> Workspace:
    """A clone of the cached ``repo`` at ``dest`` with both branches local."""
    subprocess.run(
        ["git", "clone", "-q", "--branch", MAIN_BRANCH, str(repo), str(dest)], check=True
    )
    git(dest, "branch", "-q", CHURN_BRANCH, f"origin/{CHURN_BRANCH}")
    churned = (repo / ".git" / "tandem-bench-churned").read_text().split()
    return Workspace(name, dest, tuple(churned))
