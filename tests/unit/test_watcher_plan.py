"""The watch plan: recursive watches over clean subtrees, flat ones where ignored dirs sit."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tandem.core.ignore import IgnoreRules
from tandem.infra.scan import ScanResult, scan_dirs
from tandem.infra.watch_plan import plan_watches


def make_dirs(root: Path, rels: list[str]) -> Path:
    for rel in rels:
        (root / rel).mkdir(parents=True, exist_ok=True)
    return root


def test_clean_folder_is_one_recursive_watch(tmp_path: Path) -> None:
    make_dirs(tmp_path, ["src/a", "src/b", "docs"])
    plan = plan_watches(scan_dirs(tmp_path, IgnoreRules.load(tmp_path)))
    assert plan.recursive == ("",) and plan.flat == ()
    assert plan.watched_dirs == 5


def test_ignored_directories_are_cut_out(tmp_path: Path) -> None:
    dirs = [".git/objects/ab", "node_modules/react/lib", "src/app/views", "src/lib"]
    make_dirs(tmp_path, [*dirs, "web/assets", "web/node_modules/x", "web/src/components"])
    plan = plan_watches(scan_dirs(tmp_path, IgnoreRules.load(tmp_path)))
    assert plan.flat == ("", "web")
    assert plan.recursive == ("src", "web/assets", "web/src")
    assert plan.dirs == {
        "", "src", "src/app", "src/app/views", "src/lib", "web", "web/assets", "web/src",
        "web/src/components",
    }  # fmt: skip


def test_plan_for_a_big_node_modules_costs_only_the_tracked_folders(tmp_path: Path) -> None:
    make_dirs(tmp_path, [f"node_modules/pkg{i}/lib" for i in range(300)] + ["src/a", "src/b"])
    plan = plan_watches(scan_dirs(tmp_path, IgnoreRules.load(tmp_path)))
    assert plan.watched_dirs == 4  # "", src, src/a, src/b


def test_same_watches() -> None:
    a = plan_watches(ScanResult(dirs=["", "src"], pruned=["node_modules"]))
    b = plan_watches(ScanResult(dirs=["", "src"], pruned=["node_modules", ".git"]))
    c = plan_watches(ScanResult(dirs=["", "src", "lib"], pruned=["node_modules"]))
    assert a.same_watches(b) and not a.same_watches(c) and not a.same_watches(None)


# A random tree: each directory a path of short names; some of them pruned.
names = st.sampled_from(["a", "b", "c"])
trees = st.lists(st.lists(names, min_size=1, max_size=4), max_size=25)


@given(trees, st.sets(st.integers(0, 30)))
def test_every_walked_directory_is_covered_once_and_no_pruned_one(
    paths: list[list[str]], pruned_picks: set[int]
) -> None:
    all_dirs = {""} | {"/".join(p[:i]) for p in paths for i in range(1, len(p) + 1)}
    ordered = sorted(all_dirs)
    pruned = {ordered[i] for i in pruned_picks if 0 < i < len(ordered)}
    walked = [d for d in ordered if not any(d == p or d.startswith(p + "/") for p in pruned)]
    tops = [p for p in pruned if not any(p.startswith(q + "/") for q in pruned)]
    plan = plan_watches(ScanResult(dirs=walked, pruned=tops))

    covered: list[str] = list(plan.flat)
    for root in plan.recursive:
        subtree = [d for d in all_dirs if root == "" or d == root or d.startswith(root + "/")]
        assert not pruned & set(subtree), "a recursive watch would reach a pruned directory"
        covered += subtree
    assert sorted(covered) == sorted(walked)
