"""Redact secret-looking values from text before it is sent to a model.

:func:`redact` replaces each secret value with ``[REDACTED:<kind>]``, keeps the rest of
the line (and the number of lines, so line numbers stay true), and reports each
finding's kind and line, never the value.

Two families of rules:

* **Shaped tokens** whose format alone identifies them: private key blocks, AWS key
  ids, GitHub / GitLab / Slack / Stripe / OpenAI / Anthropic / Google / npm / PyPI /
  SendGrid / Twilio / Hugging Face / ... tokens, JWTs, passwords in URLs and in
  connection strings, ``Authorization`` headers.
* **Named values**: a value assigned to a name that *ends* in ``password``, ``passwd``,
  ``pwd``, ``passphrase``, ``secret``, ``token``, ``api_key``, ``apikey``,
  ``access_key``, ``client_secret``, ``private_key``, ``auth`` or ``credentials``, in
  code, YAML, JSON, TOML and ``.env`` syntax (``=``, ``:``, ``:=``, ``=>``). To keep
  ordinary code quiet, such a value counts only when it is a literal (quoted, or a bare
  word in ``.env`` / YAML style) of at least :data:`MIN_SECRET_LENGTH` characters, is
  not a placeholder (``changeme``, ``xxx``, ``<your-key>``, ``${VAR}``, ...), does not
  look like code or an identifier (``get_password()``, ``self.token``, ``None``,
  ``settings.SECRET``), contains no spaces, and has a Shannon entropy of at least
  :data:`ENTROPY_BITS` bits per character (for values shorter than 16 characters
  the bar is :data:`SHORT_ENTROPY_SHARE` of the most their length allows, log2(n)).

Speed: every rule is a precompiled regex behind a cheap prefilter (a few lowercase
substrings, one of which must occur in the text). All rules' hints are looked for in
one Aho-Corasick pass (``ahocorasick_rs``), so a text without any hint costs one
``str.lower()`` and one scan, not a scan per hint (60 of them).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import ahocorasick_rs

MIN_SECRET_LENGTH = 8
ENTROPY_BITS = 3.0
SHORT_ENTROPY_SHARE = 0.8

DATABASE_SCHEMES = frozenset((
    "postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss",
    "amqp", "amqps", "mssql", "sqlserver", "oracle", "cockroachdb", "clickhouse", "couchdb",
    "neo4j", "jdbc:postgresql", "jdbc:mysql",
))  # fmt: skip


@dataclass(frozen=True)
class Finding:
    kind: str
    line: int
    """1-based line of the text where the secret starts."""


@dataclass(frozen=True)
class Redacted:
    text: str
    findings: list[Finding]


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...] = ()
    """Lowercase substrings; the regex runs only if one occurs. Empty: always run."""
    check: Callable[[str], bool] | None = None
    """Extra test of the secret value (rejects look-alikes)."""
    bounded: bool = True
    """The match must start a word (checked after the fact: a leading ``\\b`` would
    stop ``re`` from scanning for the literal prefix, which makes it several times slower)."""
    fallback: re.Pattern[str] | None = None
    """For rules matched against the lowercased text: the case-insensitive pattern, used
    on the rare text whose lowercase form has a different length."""


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


def looks_random(value: str) -> bool:
    """Long enough and of high enough entropy to be a generated secret."""
    if len(value) < MIN_SECRET_LENGTH:
        return False
    bar = min(ENTROPY_BITS, SHORT_ENTROPY_SHARE * math.log2(len(value)))
    return entropy(value) >= bar


_PLACEHOLDER_WORDS = frozenset((
    "changeme", "change_me", "change-me", "changeit", "password", "passwd", "secret", "token",
    "none", "null", "nil", "true", "false", "undefined", "empty", "example", "sample", "dummy",
    "test", "testing", "placeholder", "redacted", "default", "required", "optional", "string",
    "str", "bytes", "int", "value", "secretkey", "apikey",
))  # fmt: skip
_PLACEHOLDER_PARTS = (
    "your", "example", "placeholder", "changeme", "change_me", "xxxx", "****", "...",
    "dummy", "redacted", "<", ">", "${", "{{", "%s", "%(", "$(", "#{", "here",
)  # fmt: skip
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\Z")
_WORDS = re.compile(r"(?:[a-z]+(?:[_\-. /][a-z]+)*|[A-Z]+(?:_[A-Z]+)*)\Z")


def is_placeholder(value: str) -> bool:
    lower = value.lower()
    if lower in _PLACEHOLDER_WORDS or len(set(lower)) <= 2:
        return True
    if lower[:1] in "${%<*" or lower.startswith("[redacted"):
        return True
    return any(part in lower for part in _PLACEHOLDER_PARTS)


def _is_code_like(value: str) -> bool:
    """An identifier, a call, an attribute path or plain words: not a literal secret."""
    if any(c in value for c in "([{ "):
        return True
    if value.startswith(("/", "./", "~/")) or "://" in value:
        return True
    if _WORDS.match(value):
        return True
    identifier = _IDENTIFIER.match(value) is not None
    return identifier and not any(c.isdigit() for c in value)


def _named_value(value: str) -> bool:
    return not is_placeholder(value) and not _is_code_like(value) and looks_random(value)


def _url_password(value: str) -> bool:
    return not is_placeholder(value) and value.lower() not in {"pass", "pw", "pwd"}


def _has_digit_and_letter(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _random_token(value: str) -> bool:
    return _has_digit_and_letter(value) and looks_random(value) and not is_placeholder(value)


def _literal(value: str) -> bool:
    return not is_placeholder(value) and not _is_code_like(value)


KEY_BLOCK_START = "-----BEGIN "
"""How every private-key rule's match starts (case and all)."""
_KEY = r"(?:[A-Z0-9 ]{0,40})PRIVATE KEY(?: BLOCK)?-----"
_NAMES = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_\-]?key|access[_\-]?key|"
    r"secret[_\-]?key|private[_\-]?key|signing[_\-]?key|auth|credentials?)"
)
_ASSIGN = (
    _NAMES + r"(?![A-Za-z0-9_])[\"'`]?\]?\s*"
    r"(?::\s*[A-Za-z_][\w.\[\], |]*?(?=\s*=[^=]))?"  # a type annotation
    r"\s*(?::=|=>|=(?!=)|:(?!:))\s*"
    r"(?:\"(?P<secret>[^\"\n\\]{1,300})\"|'(?P<secret2>[^'\n\\]{1,300})'"
    r"|`(?P<secret3>[^`\n\\]{1,300})`|(?P<secret4>[^\s\"'`,;#)\]}]{1,300}))"
)


def _rule(
    kind: str,
    regex: str,
    hints: str = "",
    check: Callable[[str], bool] | None = None,
    bounded: bool = True,
    lower: bool = False,
    flags: int = 0,
) -> _Rule:
    """A rule; with ``lower`` the regex is written in lowercase and runs on ``text.lower()``."""
    fallback = re.compile(regex, flags | re.IGNORECASE) if lower else None
    return _Rule(kind, re.compile(regex, flags), tuple(hints.split()), check, bounded, fallback)


RULES: tuple[_Rule, ...] = (
    _rule("private_key", KEY_BLOCK_START + _KEY + r"(?P<secret>.*?)-----END " + _KEY,
          "private", bounded=False, flags=re.DOTALL),
    _rule("private_key",
          KEY_BLOCK_START + _KEY + r"(?P<secret>(?:(?:\\n|\s)+[A-Za-z0-9+/=]{16,})+)",
          "private", bounded=False),
    _rule("aws_access_key_id", r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
          "akia asia abia acca a3t"),
    _rule("aws_secret_key",
          r"(?:aws[_\-]?secret[_\-]?(?:access[_\-]?)?key|secret[_\-]?access[_\-]?key)"
          r"[\"']?\s*(?:=|:|=>)\s*[\"']?(?P<secret>[a-z0-9/+=]{40})(?![a-z0-9/+=])",
          "secret", bounded=False, lower=True),
    _rule("github_token", r"gh[pousr]_[A-Za-z0-9]{36,255}\b", "ghp_ gho_ ghu_ ghs_ ghr_"),
    _rule("github_token", r"github_pat_[A-Za-z0-9_]{22,255}\b", "github_pat_"),
    _rule("gitlab_token", r"gl(?:pat|ptt|dt|rt)-[A-Za-z0-9_\-]{20,}", "glpat- glptt- gldt- glrt-"),
    _rule("slack_token", r"xox[abposr]-[A-Za-z0-9\-]{10,}", "xoxa- xoxb- xoxp- xoxr- xoxs- xoxo-"),
    _rule("slack_webhook",
          r"hooks\.slack\.com/services/(?P<secret>T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+)",
          "hooks.slack.com", bounded=False),
    _rule("stripe_key", r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}",
          "sk_live_ rk_live_ sk_test_ rk_test_"),
    _rule("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{20,}", "sk-ant-"),
    _rule("openai_key", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", "sk-",
          _random_token),
    _rule("google_api_key", r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])", "aiza"),
    _rule("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", "eyj"),
    _rule("twilio_key", r"SK[0-9a-fA-F]{32}\b", "sk", _has_digit_and_letter),
    _rule("sendgrid_key", r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b", "sg."),
    _rule("npm_token", r"npm_[A-Za-z0-9]{36}\b", "npm_"),
    _rule("pypi_token", r"pypi-AgE[A-Za-z0-9_\-]{50,}", "pypi-age"),
    _rule("huggingface_token", r"hf_[A-Za-z]{34}\b", "hf_"),
    _rule("shopify_token", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b", "shpat_ shpss_ shpca_ shppa_"),
    _rule("digitalocean_token", r"do[opr]_v1_[a-f0-9]{64}\b", "dop_v1_ doo_v1_ dor_v1_"),
    _rule("databricks_token", r"dapi[a-f0-9]{32}\b", "dapi"),
    _rule("telegram_bot_token", r"\d{8,10}:AA[0-9A-Za-z_\-]{32,33}\b", ":aa"),
    _rule("heroku_key", r"HRKU-[A-Za-z0-9_\-]{20,}", "hrku-"),
    _rule("heroku_key",
          r"heroku[a-z0-9_\-]*[\"']?\s*(?:=|:|=>)\s*[\"']?(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-"
          r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", "heroku", bounded=False, lower=True),
    _rule("azure_key",
          r"(?:accountkey|sharedaccesskey|sharedaccesssignature|sig)="
          r"(?P<secret>[a-z0-9+/%]{20,}(?:={1,2}|%3d){0,2})",
          "accountkey= sharedaccesskey= sharedaccesssignature= sig=", lower=True),
    _rule("connection_string_password",
          r";\s*(?:password|pwd)\s*=\s*(?P<secret>[^;\"'\s]+)"
          r"|(?:password|pwd)\s*=\s*(?P<secret2>[^;\"'\s]+);\s*\w[\w ]*=",
          "password pwd", _literal, bounded=False, lower=True),
    _rule("url_credentials",
          r"://[^\s:/@'\"]*:(?P<secret>[^\s@/'\"]{1,200})@[^\s/@'\"]+",
          "://", _url_password, bounded=False),
    _rule("authorization_header",
          r"authorization[\"']?\s*[:=]\s*[\"']?basic\s+(?P<secret>[a-z0-9+/]{8,}={0,2})",
          "basic", lower=True),
    _rule("bearer_token", r"bearer\s+(?P<secret>[a-z0-9\-._~+/]{20,}=*)", "bearer",
          _random_token, lower=True),
    _rule("secret", _ASSIGN,
          "pass pwd secret token key auth credential", _named_value, bounded=False, lower=True),
)  # fmt: skip
"""Order matters only for ties: of two findings on the same span the earlier rule names it."""

_HINTS = ahocorasick_rs.AhoCorasick(sorted({hint for rule in RULES for hint in rule.hints}))
"""Every rule's hints, found together (overlapping matches, so ``pass`` is found
inside ``password``)."""

KINDS = (*dict.fromkeys(rule.kind for rule in RULES), "password")
"""Every kind a finding can have."""
_PASSWORD_NAME = re.compile(r"pass|pwd", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    order: int


def redact(text: str) -> Redacted:
    """``text`` with secret values replaced by ``[REDACTED:<kind>]``, and what was found."""
    if not text:
        return Redacted(text, [])
    return apply(text, find_spans(text))


def apply(text: str, spans: list[Span]) -> Redacted:
    """``text`` with ``spans`` (overlapping ones resolved first) replaced."""
    spans = _without_overlaps(spans)
    if not spans:
        return Redacted(text, [])
    return Redacted(_replace(text, spans), _findings(text, spans))


def find_spans(text: str) -> list[Span]:
    """Every rule's matches in ``text``, overlaps not yet resolved."""
    lower = text.lower()
    same_length = len(lower) == len(text)
    present = set(_HINTS.find_matches_as_strings(lower, overlapping=True))
    spans: list[Span] = []
    for order, rule in enumerate(RULES):
        if rule.hints and present.isdisjoint(rule.hints):
            continue
        source, pattern = text, rule.pattern
        if rule.fallback is not None:
            source, pattern = (lower, rule.pattern) if same_length else (text, rule.fallback)
        for match in pattern.finditer(source):
            span = _secret_span(text, match, rule, order)
            if span is not None:
                spans.append(span)
    return spans


def _secret_span(text: str, match: re.Match[str], rule: _Rule, order: int) -> Span | None:
    if rule.bounded and match.start() > 0 and _is_word_char(text[match.start() - 1]):
        return None
    group = next((name for name, v in match.groupdict().items() if v is not None), None)
    start, end = match.span(group) if group else match.span()
    if rule.check is not None and not rule.check(text[start:end]):
        return None
    kind = rule.kind
    if kind == "secret" and _PASSWORD_NAME.search(match.string, match.start(), start):
        kind = "password"
    elif kind == "url_credentials" and _scheme_before(text, match.start()) in DATABASE_SCHEMES:
        kind = "database_url"
    return Span(start, end, kind, order)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.:\-]{0,30}\Z")


def _scheme_before(text: str, position: int) -> str:
    found = _SCHEME.search(text, max(0, position - 31), position)
    return found.group(0).lower() if found else ""


def _without_overlaps(spans: list[Span]) -> list[Span]:
    """Earliest start first; on the same start the longer span, then the earlier rule."""
    spans.sort(key=lambda s: (s.start, -(s.end - s.start), s.order))
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def _replace(text: str, spans: list[Span]) -> str:
    out: list[str] = []
    cursor = 0
    for span in spans:
        secret = text[span.start : span.end]
        lead = secret[: len(secret) - len(secret.lstrip())]
        out.append(text[cursor : span.start])
        out.append(f"{lead}[REDACTED:{span.kind}]" + "\n" * secret.count("\n", len(lead)))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def _findings(text: str, spans: list[Span]) -> list[Finding]:
    findings = []
    line, cursor = 1, 0
    for span in spans:
        line += text.count("\n", cursor, span.start)
        cursor = span.start
        findings.append(Finding(span.kind, line))
    return findings
