"""Ignore rules of a workspace folder and the secret deny list, on real files in tmp dirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tandem.core.ignore import IgnoreRules, secret_kind
from tandem.core.ignore_lists import DEFAULT_IGNORES, SECRET_PATTERNS


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("path", "is_dir", "ignored"),
    [
        ("node_modules", True, True),
        ("node_modules/react/index.js", False, True),
        ("web/node_modules/x/y.js", False, True),
        (".git/HEAD", False, True),
        (".git", False, True),  # the .git file of a worktree or submodule
        (".venv/lib/site.py", False, True),
        ("pkg/__pycache__/m.cpython-311.pyc", False, True),
        ("pkg/m.pyc", False, True),
        ("build", True, True),
        ("dist/app.js", False, True),
        ("target/debug/app", False, True),
        ("tandem_ls.egg-info/PKG-INFO", False, True),
        (".DS_Store", False, True),
        ("htmlcov/index.html", False, True),
        (".coverage", False, True),
        ("src/app.py", False, False),
        ("static/app.min.js", False, False),  # minified bundles are ordinary files
        ("out/report.txt", False, False),
        ("coverage/__init__.py", False, False),
        ("build", False, False),  # a *file* named build: the pattern is for directories
        ("src/builder.py", False, False),
    ],
)
def test_defaults(tmp_path: Path, path: str, is_dir: bool, ignored: bool) -> None:
    assert IgnoreRules.load(tmp_path).is_ignored(path, is_dir=is_dir) is ignored


def test_root_gitignore_with_anchors_dirs_and_negation(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "*.log\n!keep.log\n/root-only.txt\ngen/\ndocs/**/*.tmp\n"})
    rules = IgnoreRules.load(tmp_path)
    assert rules.is_ignored("a.log") and rules.is_ignored("deep/er/a.log")
    assert not rules.is_ignored("keep.log") and not rules.is_ignored("sub/keep.log")
    assert rules.is_ignored("root-only.txt") and not rules.is_ignored("sub/root-only.txt")
    assert rules.is_ignored("src/gen", is_dir=True) and rules.is_ignored("src/gen/x.py")
    assert rules.is_ignored("docs/a/b/c.tmp") and not rules.is_ignored("other/c.tmp")


def test_nested_gitignore_is_scoped_to_its_directory(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "*.log\n",
            "pkg/.gitignore": "!important.log\n/local.txt\nfixtures/\n",
        },
    )
    rules = IgnoreRules.load(tmp_path)
    assert not rules.is_ignored("pkg/important.log")  # deeper file re-includes
    assert rules.is_ignored("important.log")  # but only below its directory
    assert rules.is_ignored("pkg/local.txt") and not rules.is_ignored("local.txt")
    assert not rules.is_ignored("pkg/sub/local.txt")  # anchored to pkg/
    assert rules.is_ignored("pkg/sub/fixtures/a.json") and not rules.is_ignored("fixtures/a")


def test_nothing_below_an_ignored_directory_can_be_re_included(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "vendor/\n!vendor/keep.py\n", "vendor/.gitignore": "!*\n"})
    rules = IgnoreRules.load(tmp_path)
    assert rules.is_ignored("vendor/keep.py")
    assert rules.is_ignored("vendor/a/b.py")


def test_project_can_re_include_a_default(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "!build/\n"})
    rules = IgnoreRules.load(tmp_path)
    assert not rules.is_ignored("build/main.c")
    assert rules.is_ignored("dist/main.js")


def test_tandemignore_overrides_gitignore_and_settings_override_both(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "secret_notes.md\n",
            ".tandemignore": "!secret_notes.md\nfixtures/\n",
            "sub/.tandemignore": "*.snap\n",
        },
    )
    rules = IgnoreRules.load(tmp_path, extra_patterns=["*.csv", "!fixtures/"])
    assert not rules.is_ignored("secret_notes.md")
    assert rules.is_ignored("sub/a.snap") and not rules.is_ignored("a.snap")
    assert rules.is_ignored("data/big.csv")
    assert not rules.is_ignored("fixtures/one.json")  # the setting wins over .tandemignore


def test_info_exclude_of_the_repository(tmp_path: Path) -> None:
    write(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", ".git/info/exclude": "scratch/\n"})
    rules = IgnoreRules.load(tmp_path)
    assert rules.is_ignored("scratch/a.py")
    assert rules.is_rules_file(".git/info/exclude")


def test_folder_inside_a_repository_gets_the_rules_above_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".git/HEAD": "ref: refs/heads/main\n",
            ".git/info/exclude": "*.bak\n",
            ".gitignore": "*.log\n/app/generated/\n",
            "app/src/main.py": "",
        },
    )
    rules = IgnoreRules.load(tmp_path / "app")
    assert rules.is_ignored("x.log") and rules.is_ignored("src/old.bak")
    assert rules.is_ignored("generated/a.py")  # anchored at the repository root
    assert not rules.is_ignored("src/main.py")


def test_folder_the_repository_ignores_is_still_usable(tmp_path: Path) -> None:
    write(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", ".gitignore": "build/\n*.log\n"})
    (tmp_path / "build").mkdir()
    rules = IgnoreRules.load(tmp_path / "build")
    assert not rules.is_ignored("main.c")


def test_worktree_git_file_points_at_the_common_exclude(tmp_path: Path) -> None:
    main = write(tmp_path / "main", {".git/HEAD": "x\n", ".git/info/exclude": "*.tmp\n"})
    wt_dir = main / ".git" / "worktrees" / "feature"
    write(wt_dir, {"commondir": "../..\n", "HEAD": "x\n"})
    feature = write(tmp_path / "feature", {".git": f"gitdir: {wt_dir}\n"})
    assert IgnoreRules.load(feature).is_ignored("a.tmp")


def test_any_folder_holding_pyvenv_cfg_is_a_virtualenv(tmp_path: Path) -> None:
    write(tmp_path, {"env/pyvenv.cfg": "home = /usr\n", "env/lib/site.py": "", "envy/a.py": ""})
    rules = IgnoreRules.load(tmp_path)
    assert rules.is_ignored("env", is_dir=True) and rules.is_ignored("env/lib/site.py")
    assert not rules.is_ignored("envy/a.py")


def test_paths_are_normalised(tmp_path: Path) -> None:
    rules = IgnoreRules.load(tmp_path)
    assert rules.is_ignored("./node_modules/a.js")
    assert rules.is_ignored("node_modules/")
    assert not rules.is_ignored("")


def test_rules_files_and_reload(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "*.log\n"})
    rules = IgnoreRules.load(tmp_path, extra_patterns=["*.csv"], allow_patterns=["dev.pem"])
    assert rules.is_rules_file(".gitignore") and rules.is_rules_file("a/b/.tandemignore")
    assert not rules.is_rules_file("gitignore.py")
    (tmp_path / ".gitignore").write_text("*.txt\n")
    assert rules.is_ignored("a.log")  # an IgnoreRules never changes under its user
    fresh = rules.reload()
    assert fresh.is_ignored("a.txt") and not fresh.is_ignored("a.log")
    assert fresh.is_ignored("x.csv") and not fresh.is_secret_path("dev.pem")


def test_unreadable_rules_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").mkdir()  # a directory where a file is expected
    assert not IgnoreRules.load(tmp_path).is_ignored("a.py")


def test_defaults_are_gitignore_patterns() -> None:
    assert "node_modules/" in DEFAULT_IGNORES
    assert all(isinstance(p, str) and p.strip() == p for p in DEFAULT_IGNORES)


# -- secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        ".env.production",
        "services/api/.env",
        "certs/server.pem",
        "tls/server.key",
        "store.p12",
        "store.pfx",
        "android/release.jks",
        "release.keystore",
        "id_rsa",
        "home/.ssh/id_ed25519",
        ".ssh/config",
        "putty.ppk",
        ".npmrc",
        ".pypirc",
        ".netrc",
        ".git-credentials",
        "credentials.json",
        "gcp-credentials.json",
        "service-account-prod.json",
        ".aws/credentials",
        "ops/.aws/config",
        ".docker/config.json",
        ".kube/config",
        "kubeconfig",
        "config/secrets.yml",
        "secrets.yaml",
        "prod.tfvars",
        "terraform.tfstate",
        ".htpasswd",
    ],
)
def test_secret_paths(tmp_path: Path, path: str) -> None:
    assert IgnoreRules.load(tmp_path).is_secret_path(path)
    assert secret_kind(path) is not None


@pytest.mark.parametrize(
    "path",
    [
        ".env.example",
        ".env.sample",
        ".env.template",
        "src/env.py",
        "keys.py",
        "docs/credentials.md",
        "config/settings.yaml",
        "monkey.py",
        "key.txt",
        "config.json",
        "kube/config.py",
        "README.md",
    ],
)
def test_not_secret_paths(tmp_path: Path, path: str) -> None:
    assert not IgnoreRules.load(tmp_path).is_secret_path(path)


def test_allow_patterns_lift_the_deny_list_for_named_files(tmp_path: Path) -> None:
    rules = IgnoreRules.load(tmp_path, allow_patterns=["test/fixtures/*.pem", ".env.test"])
    assert not rules.is_secret_path("test/fixtures/self-signed.pem")
    assert not rules.is_secret_path(".env.test")
    assert rules.is_secret_path("prod/server.pem")
    assert rules.is_secret_path(".env")


def test_secret_kind_names_what_the_file_is() -> None:
    assert secret_kind(".env") == "dotenv file"
    assert secret_kind("deploy/id_rsa") == "SSH private key"
    assert secret_kind("main.py") is None


def test_every_secret_pattern_has_a_description() -> None:
    assert all(description for _, description in SECRET_PATTERNS)
