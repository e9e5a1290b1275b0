"""Planted secrets: unique, format-valid credentials of many kinds, and a leak check.

Values are generated at run time from a seeded generator (so runs are repeatable and
this file does not itself look like a leak to a secret scanner), each unique, each in
the format its kind really has. ``leaks`` looks for any 12-character piece of any of
them in a text: a redactor that kept half a key would still be caught.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Iterable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
FRAGMENT = 12
"""A leak is any run of this many characters of a secret (or the whole, if shorter)."""


@dataclass(frozen=True)
class Planted:
    name: str
    """Unique name of this planting (used in the report table)."""
    kind: str
    """The redaction kind the manifest should report for it."""
    value: str
    """The secret itself: what must never be sent."""


class Secrets:
    """A seeded generator of secrets; remembers each one it made."""

    def __init__(self, seed: int = 20240611) -> None:
        self._rng = random.Random(seed)
        self.planted: dict[str, Planted] = {}

    def rand(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(n))

    def add(self, name: str, kind: str, value: str) -> str:
        assert name not in self.planted, name
        self.planted[name] = Planted(name, kind, value)
        return value

    # -- one generator per format -----------------------------------------------------

    def aws_key_id(self, name: str) -> str:
        return self.add(name, "aws_access_key_id", "AKIA" + self.rand(16, UPPER_DIGITS))

    def aws_secret(self, name: str) -> str:
        return self.add(name, "aws_secret_key", self.rand(40, B64))

    def github_classic(self, name: str) -> str:
        return self.add(name, "github_token", "gh" + "p_" + self.rand(36))

    def github_fine_grained(self, name: str) -> str:
        value = "github" + "_pat_" + self.rand(22) + "_" + self.rand(59)
        return self.add(name, "github_token", value)

    def gitlab(self, name: str) -> str:
        return self.add(name, "gitlab_token", "gl" + "pat-" + self.rand(20))

    def slack(self, name: str, prefix: str = "xoxb") -> str:
        digits = self.rand(11, string.digits) + "-" + self.rand(12, string.digits)
        return self.add(name, "slack_token", f"{prefix}-{digits}-{self.rand(24)}")

    def stripe(self, name: str) -> str:
        return self.add(name, "stripe_key", "sk" + "_live_" + self.rand(24))

    def openai(self, name: str, project: bool = True) -> str:
        prefix = "sk-" + ("proj-" if project else "")
        return self.add(name, "openai_key", prefix + self.rand(48))

    def anthropic(self, name: str) -> str:
        value = "sk-" + "ant-api03-" + self.rand(93, ALNUM + "-_") + "AA"
        return self.add(name, "anthropic_key", value)

    def google(self, name: str) -> str:
        return self.add(name, "google_api_key", "AI" + "za" + self.rand(35, ALNUM + "-_"))

    def twilio(self, name: str) -> str:
        return self.add(name, "twilio_key", "SK" + self.rand(32, HEX))

    def sendgrid(self, name: str) -> str:
        return self.add(name, "sendgrid_key", "SG." + self.rand(22) + "." + self.rand(43))

    def npm(self, name: str) -> str:
        return self.add(name, "npm_token", "np" + "m_" + self.rand(36))

    def huggingface(self, name: str) -> str:
        return self.add(name, "huggingface_token", "h" + "f_" + self.rand(34, string.ascii_letters))

    def digitalocean(self, name: str) -> str:
        return self.add(name, "digitalocean_token", "do" + "p_v1_" + self.rand(64, HEX))

    def databricks(self, name: str) -> str:
        return self.add(name, "databricks_token", "da" + "pi" + self.rand(32, HEX))

    def azure_account_key(self, name: str) -> str:
        """The key of an Azure storage connection string (86 base64 characters, ``==``)."""
        return self.add(name, "azure_key", self.rand(86, B64) + "==")

    def jwt(self, name: str) -> str:
        header = {"alg": "HS256", "typ": "JWT", "kid": self.rand(10)}
        claims = {"sub": self.rand(12), "iat": 1718000000}
        parts = [_b64url(json.dumps(p).encode()) for p in (header, claims)]
        value = ".".join([*parts, _b64url(self._rng.randbytes(32))])
        return self.add(name, "jwt", value)

    def pem_body(self, name: str, lines: int = 6) -> str:
        """The base64 body of a key block (what must not leak; the armour may)."""
        body = "\n".join(self.rand(64, B64) for _ in range(lines)) + "\n" + self.rand(20, B64)
        return self.add(name, "private_key", body)

    def password(self, name: str, kind: str = "password", length: int = 20) -> str:
        return self.add(name, kind, self.rand(length, ALNUM + "!#^-_"))

    def token_value(self, name: str, kind: str = "secret", length: int = 32) -> str:
        return self.add(name, kind, self.rand(length))

    def canary(self, name: str) -> str:
        """Not secret-looking at all: it only proves a whole file was withheld."""
        word = "".join(self._rng.choice(string.ascii_lowercase) for _ in range(10))
        return self.add(f"{name} (canary)", "canary", f"canary {word} marker")


def pem(kind: str, body: str) -> str:
    label = f"{kind} PRIVATE KEY" if kind != "PGP" else "PGP PRIVATE KEY BLOCK"
    if kind == "PGP":
        body = "Version: GnuPG v2\n\n" + body
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def fragments(value: str, size: int = FRAGMENT) -> set[str]:
    """Every run of ``size`` characters of ``value`` (the value itself if shorter),
    each line of a multi-line value on its own."""
    out: set[str] = set()
    for line in value.splitlines() or [value]:
        if len(line) <= size:
            out.add(line)
        else:
            out.update(line[i : i + size] for i in range(len(line) - size + 1))
    return {f for f in out if f.strip()}


def leaks(text: str, planted: Iterable[Planted]) -> list[tuple[str, str]]:
    """(name, fragment) of every planted value with a piece of it in ``text``."""
    found = []
    for secret in planted:
        piece = next((f for f in fragments(secret.value) if f in text), None)
        if piece is not None:
            found.append((secret.name, piece))
    return found
