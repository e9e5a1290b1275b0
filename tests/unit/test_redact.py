"""Secret redaction: planted secrets of every kind go, ordinary code stays untouched.

Planted values are assembled from pieces at run time so this file does not itself
look like it leaks credentials to a secret scanner.
"""

from __future__ import annotations

import inspect
import json
import string

import pytest

from tandem.core.redact import Finding, Redacted, entropy, looks_random, redact
from tandem.core.redact_memo import RedactionMemo

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase


def rand(n: int, alphabet: str = ALNUM, seed: int = 7) -> str:
    """A deterministic, high-entropy string of ``n`` characters."""
    return "".join(
        alphabet[(i * 7919 + seed * 104729 + i * i * 31) % len(alphabet)] for i in range(n)
    )


HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
PEM_BODY = "\n".join(rand(64, B64, seed) for seed in range(5))
JWT = "eyJ" + rand(20, ALNUM, 1) + ".eyJ" + rand(30, ALNUM, 2) + "." + rand(43, ALNUM, 3)

# (kind, line of text holding the secret, the secret value itself)
PLANTED: list[tuple[str, str, str]] = [
    ("private_key", "-----BEGIN RSA " + "PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----",
     PEM_BODY),
    ("private_key", "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n{s}\n", PEM_BODY),
    ("aws_access_key_id", "aws_access_key_id = {s}", "AKIA" + rand(16, UPPER + "234567")),
    ("aws_secret_key", "aws_secret_access_key = {s}", rand(40, B64, 4)),
    ("github_token", "GITHUB_TOKEN={s}", "ghp_" + rand(36)),
    ("github_token", "token: {s}", "github_pat_" + rand(22) + "_" + rand(59, ALNUM, 5)),
    ("gitlab_token", 'private_token = "{s}"', "glpat-" + rand(20, ALNUM + "-_", 6)),
    ("slack_token", "SLACK={s}", "xoxb-" + "1234567890-" + rand(24, ALNUM, 8)),
    ("slack_webhook", "url = https://hooks.slack.com/services/{s}",
     "T" + rand(8, UPPER) + "/B" + rand(8, UPPER, 2) + "/" + rand(24)),
    ("stripe_key", "stripe.api_key = '{s}'", "sk_" + "live_" + rand(24)),
    ("stripe_key", "RESTRICTED={s}", "rk_" + "live_" + rand(24, ALNUM, 9)),
    ("openai_key", "client = OpenAI(api_key='{s}')", "sk-proj-" + rand(48, ALNUM, 10)),
    ("openai_key", "OPENAI={s}", "sk-" + rand(48, ALNUM, 11)),
    ("anthropic_key", "ANTHROPIC_API_KEY={s}", "sk-ant-api03-" + rand(80, ALNUM + "-_", 12)),
    ("google_api_key", 'const key = "{s}";', "AIza" + rand(35, ALNUM + "-_", 13)),
    ("jwt", "Cookie: session={s}", JWT),
    ("twilio_key", "twilio_sid = {s}", "SK" + rand(32, HEX, 14)),
    ("sendgrid_key", "SENDGRID={s}", "SG." + rand(22, ALNUM, 15) + "." + rand(43, ALNUM, 16)),
    ("npm_token", "//registry.npmjs.org/:_authToken={s}", "npm_" + rand(36, ALNUM, 17)),
    ("pypi_token", "password = {s}", "pypi-AgEIcHlwaS5vcmc" + rand(60, ALNUM + "-_", 18)),
    ("heroku_key", "HEROKU_API_KEY={s}", "0f3e6b1c-7a2d-4e9f-8b5a-1c2d3e4f5a6b"),
    ("heroku_key", "HEROKU={s}", "HRKU-" + rand(60, ALNUM + "-_", 19)),
    ("azure_key", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={s};EndpointSuffix=x",
     rand(86, B64, 20) + "=="),
    ("database_url", "DATABASE_URL=postgres://admin:{s}@db.internal:5432/app", "S3cr3t-Pw"),
    ("database_url", 'MONGO = "mongodb+srv://svc:{s}@cluster0.example.net/db"',
     rand(16, ALNUM, 21)),
    ("url_credentials", "proxy = https://bob:{s}@proxy.corp:8080/", "hunter2x"),
    ("connection_string_password", "Server=db;Database=app;User Id=sa;Password={s};", "Pa55word!x"),
    ("password", 'DB_PASSWORD = "{s}"', "xK9#mP2$vL7q"),
    ("password", "password: {s}", "Tr0ub4dor&3xyz"),
    ("password", '{{"password": "{s}"}}', rand(20, ALNUM, 22)),
    ("secret", 'client_secret: "{s}"', rand(32, ALNUM, 23)),
    ("secret", "SECRET_KEY={s}", rand(50, ALNUM + "!@#%^&*", 24)),
    ("secret", 'apiKey := "{s}"', rand(32, HEX, 25)),
    ("secret", "auth_token => '{s}'", rand(40, ALNUM, 26)),
    ("bearer_token", "curl -H 'Authorization: Bearer {s}'", rand(40, ALNUM, 27)),
    ("authorization_header", "Authorization: Basic {s}", "dXNlcjpwYXNzd29yZDEyMw=="),
    ("huggingface_token", "HF={s}", "hf_" + rand(34, string.ascii_letters, 28)),
    ("databricks_token", "host_token_value {s}", "dapi" + rand(32, HEX, 29)),
    ("digitalocean_token", "DO={s}", "dop_v1_" + rand(64, HEX, 30)),
    ("shopify_token", "SHOPIFY={s}", "shpat_" + rand(32, HEX, 31)),
    ("telegram_bot_token", "bot = Bot('{s}')", "1234567890:AA" + rand(33, ALNUM + "_-", 32)),
]  # fmt: skip


def test_planted_secrets_cover_at_least_25_kinds() -> None:
    assert len({kind for kind, _, _ in PLANTED}) >= 25


@pytest.mark.parametrize(("kind", "template", "secret"), PLANTED, ids=[p[0] for p in PLANTED])
def test_each_planted_secret_is_redacted(kind: str, template: str, secret: str) -> None:
    text = "first line\n" + template.format(s=secret) + "\nlast line\n"
    result = redact(text)
    for part in secret.split("\n"):
        assert part not in result.text
    assert f"[REDACTED:{kind}]" in result.text
    assert Finding(kind, 2) in result.findings
    assert result.text.count("\n") == text.count("\n"), "line numbers must stay true"


def test_the_rest_of_the_line_is_kept() -> None:
    secret = "ghp_" + rand(36)
    result = redact(f"    headers = {{'token': '{secret}'}}  # keep me\n")
    assert result.text == "    headers = {'token': '[REDACTED:github_token]'}  # keep me\n"


def test_findings_report_kind_and_line_never_the_value() -> None:
    secret = "sk-" + rand(48, ALNUM, 3)
    text = "a\nb\nc\nkey = '" + secret + "'\n"
    result = redact(text)
    assert result.findings == [Finding("openai_key", 4)]
    assert secret not in repr(result.findings)


def test_many_secrets_in_one_text_get_their_own_lines() -> None:
    lines = [template.format(s=secret) for _, template, secret in PLANTED if "\n" not in secret]
    text = "\n".join(lines) + "\n"
    result = redact(text)
    assert len(result.findings) >= len(lines)
    assert sorted({f.line for f in result.findings}) == list(range(1, len(lines) + 1))


def test_private_key_in_a_json_string_with_escaped_newlines() -> None:
    body = PEM_BODY.replace("\n", "\\n")
    blob = json.dumps({"private_key": "x"}).replace(
        '"x"', '"-----BEGIN ' + "PRIVATE KEY-----\\n" + body + '\\n-----END PRIVATE KEY-----\\n"'
    )
    result = redact(blob)
    assert PEM_BODY.split("\n")[0] not in result.text
    assert [f.kind for f in result.findings] == ["private_key"]


ORDINARY = [
    "password = get_password()",
    "token = None",
    "self.token = token",
    "secret = os.environ['APP_SECRET']",
    'password = os.environ.get("DB_PASSWORD", "")',
    "api_key: str | None = None",
    'password = "changeme"',
    'API_KEY = "<your-key>"',
    'token = "xxxxxxxxxxxxxxxx"',
    'SECRET_KEY = "${SECRET_KEY}"',
    "password: ${DB_PASSWORD}",
    "token_type = 'bearer'",
    "if password == 'hunter2abc':",
    "author = 'Guido van Rossum'",
    'auth = ("user", pw)',
    "password = short",
    'url = f"postgres://{user}:{password}@{host}/db"',
    'dsn = "postgres://user:password@localhost/db"',
    "http://localhost:8080/path",
    'input type="password" name="pw"',
    'AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"',
    'token_url = "https://example.com/oauth/token"',
    "secret = settings.SECRET_KEY",
    'headers["Authorization"] = f"Bearer {token}"',
    'password = "your password here"',
    "passwd = pwd.getpwnam(user)",
    "the password: see the vault",
    "task-list-item-checkbox-container-element",
]


@pytest.mark.parametrize("line", ORDINARY)
def test_ordinary_code_is_left_alone(line: str) -> None:
    assert redact(line + "\n") == Redacted(line + "\n", [])


@pytest.mark.parametrize(
    "module_name",
    ["smtplib", "urllib.request", "http.cookiejar", "getpass", "hmac", "secrets", "netrc", "ssl"],
)
def test_stdlib_modules_yield_no_findings(module_name: str) -> None:
    module = __import__(module_name, fromlist=["_"])
    source = inspect.getsource(module)
    result = redact(source)
    assert result.findings == []
    assert result.text == source


def test_entropy_threshold_separates_words_from_keys() -> None:
    assert entropy("aaaa") == 0.0
    assert entropy("abcd") == 2.0
    assert not looks_random("aaaabbbbaaaabbbb")
    assert not looks_random("short")
    assert looks_random(rand(24))


def test_empty_and_clean_text() -> None:
    assert redact("").findings == []
    assert redact("def f():\n    return 1\n").findings == []


def test_the_memo_gives_what_redact_gives_and_stays_within_its_size() -> None:
    memo = RedactionMemo(max_chars=4_000)
    key = "ghp_" + "".join(ALNUM[(7 * n) % len(ALNUM)] for n in range(36))
    texts = [f"token_{n} = '{key}'\nplain line {n}\n" for n in range(200)]
    for text in texts + texts[-5:]:
        assert memo.redact(text) == redact(text)
    assert memo.redact(texts[-1]) is memo.redact(texts[-1])  # kept, not redone
    assert memo._chars <= 4_000
