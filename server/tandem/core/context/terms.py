"""Identifier-aware search terms, and what a prompt names.

Code search fails with plain word tokenizers because code glues words together:
``getUserName``, ``get_user_name`` and ``src/user/name.py`` should all meet a prompt
that says "user name". So every identifier yields its parts (split at ``_``, at
camelCase humps and at letter/digit boundaries) *and* its whole lowercased self, so
an exact identifier match still scores above a match of its parts.

Design choices, in the order they matter for speed:

* One regex pass finds raw tokens, and each *distinct* raw token is expanded once,
  through a memo whose misses are filled from C (``dict.__missing__`` under ``map``):
  source code repeats identifiers heavily, so :func:`terms_text` costs about as much as
  the regex pass itself (25 MB of astropy in ~1.2 s on one core here).
* Single letters, single digits and a short list of English stopwords and language
  keywords are dropped: they occur everywhere and only slow the index down.
* Word parts are lightly stemmed (:func:`stem`), so "mocked" in a bug report meets
  ``mock.py`` and "rendering" meets ``render()``.
* Numbers of two or more digits are kept (``404``, ``2038``); a digit run inside an
  identifier is a part of its own (``sha256`` -> ``sha``, ``256``, ``sha256``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_RAW = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
_HUMPS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_MEMO_LIMIT = 500_000

_STOPWORD_TEXT = """
a an and are as at be been but by can could did do does doing done for from had has
have he her his how i if in into is it its just me my no not of on or our she so
some such than that the their them then there these they this those to too was we
were what when where which while who why will with would you your yes also only
any all each more most other same own very
def return import class self cls none true false null nil var let const function
fn func pass elif else try except finally raise lambda yield async await void
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""English stopwords and keywords of many languages: everywhere, so never telling."""


def _expand(raw: str) -> tuple[str, ...]:
    """The terms one raw token stands for (without duplicates, order kept)."""
    if raw.isdigit():
        return (raw,) if len(raw) > 1 else ()
    parts: list[str] = []
    for piece in raw.split("_"):
        if piece:
            parts.extend(_HUMPS.findall(piece))
    out = [stem(p.lower()) for p in parts if _keep(p)]
    whole = raw.strip("_").lower()
    if len(parts) > 1 and whole not in out:
        out.append(whole)
    return tuple(dict.fromkeys(out))


_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("s", ""))
_ES_AFTER = ("ss", "x", "z", "ch", "sh")


def stem(word: str) -> str:
    """A light English stemmer for word parts: ``mocked``, ``mocking``, ``mocks`` ->
    ``mock``; ``entries`` -> ``entry``; ``classes`` -> ``class``; ``values`` and
    ``value`` -> ``valu``. It only ever strips, keeps at least four letters, and is
    applied to index and query alike, so prose meets code ("rendered" / ``render``).
    Whole identifiers are never stemmed: an exact name still matches exactly."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix):
            base = word[: -len(suffix)]
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix == "s" and base.endswith("e") and base[:-1].endswith(_ES_AFTER):
                base = base[:-1]
            if len(base) + len(replacement) < 4:
                return word
            word = base + replacement
            break
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeioulsz":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _keep(part: str) -> bool:
    if part.isdigit():
        return len(part) > 1
    return len(part) > 1 and part.lower() not in STOPWORDS


class _Memo(dict[str, str]):
    """raw token -> its terms joined by spaces; filled on a miss (from C, via
    ``__missing__``), dropped whole when it grows past :data:`_MEMO_LIMIT`."""

    def __missing__(self, raw: str) -> str:
        if len(self) > _MEMO_LIMIT:
            self.clear()
        value = self[raw] = " ".join(_expand(raw))
        return value


_memo = _Memo()


def expand(raw: str) -> tuple[str, ...]:
    """The terms of one raw token (memoised)."""
    return tuple(_memo[raw].split())


def terms_text(text: str) -> str:
    """The terms of ``text`` joined by spaces, repeats kept: the form the index stores.

    ``findall``, ``map`` and ``join`` all run in C; Python code runs only for a raw
    token not seen before, which makes this about as fast as the regex pass itself.
    """
    return " ".join(map(_memo.__getitem__, _RAW.findall(text)))


def terms(text: str) -> list[str]:
    """Lowercase identifier-aware terms of ``text``, in order, repeats kept."""
    return terms_text(text).split()


def term_counts(text: str) -> Counter[str]:
    """Term frequencies of ``text``."""
    return Counter(terms_text(text).split())


def path_terms(path: str) -> list[str]:
    """Terms of a path: its folders, the stem's parts and the extension."""
    return terms(path.replace("\\", "/"))


# --- what a prompt names ---------------------------------------------------------

_EXTENSIONS = (
    "py|pyi|pyx|js|jsx|mjs|cjs|ts|tsx|go|rs|java|kt|kts|scala|c|h|cc|cpp|cxx|hpp|hh|cs|rb|"
    "php|swift|m|mm|lua|sh|bash|zsh|ps1|r|jl|ex|exs|erl|hs|ml|mli|clj|dart|vue|svelte|"
    "md|rst|txt|toml|yaml|yml|json|ini|cfg|conf|xml|html|htm|css|scss|sql|proto|gradle|"
    "cmake|mk|tex|el|vim|nix|tf|zig|nim|v|sv|vhd"
)
_PATH = re.compile(
    r"(?<![\w./-])((?:[A-Za-z]:)?[/\\]?(?:[\w.-]+[/\\])*[\w-][\w.-]*\.(?:"
    + _EXTENSIONS
    + r"))(?![\w/])"
)
_SLASHED = re.compile(r"(?<![\w./-])((?:[\w-]+/){1,}[\w-]+)(?![\w/]|\.\w)")
_URL = re.compile(r"\b[A-Za-z][\w+.-]*://\S+")
_BACKTICKED = re.compile(r"`+([^`\n]{1,200})`+")
_DOTTED = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b")
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\(")
_CAMEL = re.compile(r"\b([A-Z][a-z0-9]+[A-Z]\w*|[a-z]+[A-Z]\w*|[A-Z]{2,}[a-z]\w*)\b")
_SNAKE = re.compile(r"\b(_*[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+_*)\b")
_IDENT = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Mentions:
    """Paths and symbols a prompt names, in order of first mention."""

    paths: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)


def prompt_mentions(prompt: str) -> Mentions:
    """Extract file paths, dotted names and code-shaped identifiers from a prompt.

    Symbols are identifiers that look like code rather than prose: backticked words,
    dotted names (each component too), ``name(`` calls, camelCase / CamelCase and
    snake_case words. Paths are file names with a known extension or slash-separated
    words; a dotted module name (``pkg.mod.func``) also yields ``pkg/mod/func``, which
    the ranker matches against path suffixes.
    """
    prompt = _URL.sub(" ", prompt)
    paths = _paths(prompt)
    symbols: dict[str, None] = {}
    for text in _BACKTICKED.findall(prompt):
        for ident in _IDENT.findall(text):
            _add_symbol(symbols, ident)
    for pattern in (_DOTTED, _CALLED, _CAMEL, _SNAKE):
        for match in pattern.findall(_strip_paths(prompt)):
            for ident in match.split("."):
                _add_symbol(symbols, ident)
    for dotted in _DOTTED.findall(prompt):
        if dotted.count(".") >= 1 and not _looks_like_file(dotted):
            paths.setdefault(dotted.replace(".", "/"), None)
    return Mentions(paths=list(paths), symbols=list(symbols))


def _paths(prompt: str) -> dict[str, None]:
    found: dict[str, None] = {}
    for pattern in (_PATH, _SLASHED):
        for match in pattern.findall(prompt):
            cleaned = re.sub(r"^[A-Za-z]:", "", match.replace("\\", "/")).lstrip("./")
            if cleaned and not cleaned.startswith(("http:", "https:")):
                found.setdefault(cleaned, None)
    return found


def _strip_paths(prompt: str) -> str:
    return _PATH.sub(" ", prompt)


def _looks_like_file(dotted: str) -> bool:
    return _PATH.fullmatch(dotted) is not None


def _add_symbol(symbols: dict[str, None], ident: str) -> None:
    if len(ident) < 3 or ident.lower() in STOPWORDS or ident.isdigit():
        return
    symbols.setdefault(ident, None)
