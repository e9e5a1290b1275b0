"""The built-in lists behind :mod:`tandem.core.ignore`, kept as data.

Both lists use gitignore syntax (``gitwildmatch``): a pattern without a slash matches
a name at any depth, a trailing slash matches directories only, ``!`` re-includes.
"""

from __future__ import annotations

DEFAULT_IGNORES: tuple[str, ...] = (
    # version control
    ".git",
    ".hg/",
    ".svn/",
    # dependencies and virtualenvs (any folder holding pyvenv.cfg counts too)
    "node_modules/",
    ".venv/",
    "venv/",
    "bower_components/",
    # caches
    "__pycache__/",
    "*.pyc",
    "*.pyo",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".hypothesis/",
    ".tox/",
    ".nox/",
    ".cache/",
    ".gradle/",
    ".terraform/",
    ".parcel-cache/",
    ".turbo/",
    # build output
    "build/",
    "dist/",
    "target/",
    "*.egg-info/",
    ".eggs/",
    ".next/",
    ".nuxt/",
    ".svelte-kit/",
    # coverage output (not ``coverage/``: that is also a common package name)
    ".coverage",
    ".coverage.*",
    "htmlcov/",
    ".nyc_output/",
    "coverage.xml",
    "lcov.info",
    # editors and operating systems
    ".idea/",
    ".DS_Store",
    "Thumbs.db",
    "*.swp",
)
"""Never tracked. A project's own ``.gitignore`` may re-include any of them (``!dist/``)."""

SECRET_PATTERNS: tuple[tuple[str, str], ...] = (
    (".env", "dotenv file"),
    (".env.*", "dotenv file"),
    ("!.env.example", "dotenv template"),
    ("!.env.sample", "dotenv template"),
    ("!.env.template", "dotenv template"),
    (".envrc", "direnv file"),
    ("*.pem", "PEM key or certificate"),
    ("*.key", "private key"),
    ("*.p12", "PKCS#12 keystore"),
    ("*.pfx", "PKCS#12 keystore"),
    ("*.jks", "Java keystore"),
    ("*.keystore", "keystore"),
    ("*.ppk", "PuTTY private key"),
    ("id_rsa", "SSH private key"),
    ("id_dsa", "SSH private key"),
    ("id_ecdsa", "SSH private key"),
    ("id_ed25519", "SSH private key"),
    ("**/.ssh/**", "SSH directory"),
    (".npmrc", "npm credentials"),
    (".pypirc", "PyPI credentials"),
    (".netrc", "netrc credentials"),
    (".git-credentials", "git credentials"),
    (".htpasswd", "HTTP passwords"),
    ("*credentials*.json", "cloud credentials"),
    ("service-account*.json", "cloud service account key"),
    ("**/.aws/credentials", "AWS credentials"),
    ("**/.aws/config", "AWS configuration"),
    ("**/.docker/config.json", "Docker registry credentials"),
    ("**/.kube/config", "Kubernetes credentials"),
    ("kubeconfig", "Kubernetes credentials"),
    ("secrets.yml", "secrets file"),
    ("secrets.yaml", "secrets file"),
    ("*.tfvars", "Terraform variables"),
    ("*.tfstate", "Terraform state"),
    ("*.tfstate.backup", "Terraform state"),
)
"""Files whose content is never sent to a model (pattern, what it usually is).

They are still tracked (git status lists them); only their text is withheld, unless
the user allows a path with the ``workspace.allow`` setting. ``!`` lines are the
usual templates, which hold no secrets.
"""

RULES_FILES: tuple[str, ...] = (".gitignore", ".tandemignore")
"""Per-directory rules files, in increasing priority within a directory."""
