"""What a history search matches, and the snippet it shows; shared by every backend.

A query is split into words (runs of letters and digits). A message matches when
every word of the query starts some word of the message, ignoring case and accents:
``pars`` finds "Parser" and "parsing", ``foo_bar`` finds "foo bar". SQLite answers
this with FTS5 (unicode61 tokenizer, prefix queries); Redis with a scan that uses
the same rules. Snippets are cut here, from the message text, so both agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from tandem.core.errors import InvalidArguments
from tandem.core.history.models import MARK_END, MARK_START

_WORD = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")
SNIPPET_WORDS = 16
"""Words shown around the first match."""


def fold(text: str) -> str:
    """Lower case without accents, as the FTS5 tokenizer sees words."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def query_terms(query: object) -> list[str]:
    """The query's words, folded; a query without words is a bad argument."""
    if not isinstance(query, str):
        raise InvalidArguments(f"search query must be a string, got {type(query).__name__}")
    terms = [fold(word) for word in _WORD.findall(query)]
    if not terms:
        raise InvalidArguments("search query needs at least one letter or digit")
    return list(dict.fromkeys(terms))


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: every term as a quoted prefix, all required."""
    return " AND ".join(f'"{term}"*' for term in terms)


def _is_hit(word: str, terms: Sequence[str]) -> bool:
    folded = fold(word)
    return any(folded.startswith(term) for term in terms)


def matches(text: str, terms: Sequence[str]) -> bool:
    folded = fold(text)
    if not all(term in folded for term in terms):
        return False  # cheap: a word prefix is a substring
    words = set(_WORD.findall(folded))
    return all(any(word.startswith(term) for word in words) for term in terms)


def snippet(text: str, terms: Sequence[str], width: int = SNIPPET_WORDS) -> str:
    """A one-line excerpt around the first matching word, matches marked."""
    words = list(_WORD.finditer(text))
    hits = [i for i, word in enumerate(words) if _is_hit(word.group(), terms)]
    if not hits:
        return _SPACE.sub(" ", text[:200]).strip()
    first = max(0, hits[0] - width // 4)
    last = min(len(words), first + width) - 1
    start = 0 if first == 0 else words[first].start()
    end = len(text) if last == len(words) - 1 else words[last].end()
    marked = _mark(text, words[first : last + 1], terms, start, end)
    prefix = "" if start == 0 else "…"
    suffix = "" if end == len(text) else "…"
    return prefix + _SPACE.sub(" ", marked).strip() + suffix


def _mark(text: str, words: list[re.Match[str]], terms: Sequence[str], start: int, end: int) -> str:
    parts: list[str] = []
    cursor = start
    for word in words:
        if _is_hit(word.group(), terms):
            parts.append(text[cursor : word.start()])
            parts.append(MARK_START + word.group() + MARK_END)
            cursor = word.end()
    parts.append(text[cursor:end])
    return "".join(parts)
