from __future__ import annotations

from tandem.core.context.terms import (
    path_terms,
    prompt_mentions,
    stem,
    term_counts,
    terms,
    terms_text,
)


def test_camel_case_splits_into_parts_plus_the_whole() -> None:
    assert terms("getUserName") == ["get", "user", "name", "getusername"]


def test_snake_case_splits_into_parts_plus_the_whole() -> None:
    assert terms("total_item_count") == ["total", "item", "count", "total_item_count"]


def test_acronyms_and_digits_are_parts_of_their_own() -> None:
    assert terms("HTTPServer") == ["http", "server", "httpserver"]
    assert terms("load_sha256") == ["load", "sha", "256", "load_sha256"]
    assert terms("utf8") == ["utf", "utf8"]


def test_numbers_keep_two_digits_or_more() -> None:
    assert terms("error 404 at line 7") == ["error", "404", "line"]


def test_single_letters_stopwords_and_keywords_are_dropped() -> None:
    assert terms("def f(self, x): return the total") == ["total"]


def test_paths_split_into_folders_stem_parts_and_extension() -> None:
    assert path_terms("src/foo/bar_baz.py") == ["src", "foo", "bar", "baz", "bar_baz", "py"]
    assert path_terms("src\\Foo.tsx") == ["src", "foo", "tsx"]


def test_terms_text_and_counts_agree_with_terms() -> None:
    text = "getUserName(get_user_name) user"
    assert terms_text(text).split() == terms(text)
    assert term_counts(text)["user"] == 3
    assert term_counts(text)["getusername"] == 1


def test_word_parts_are_stemmed_but_whole_identifiers_are_not() -> None:
    assert stem("mocked") == stem("mocking") == stem("mocks") == "mock"
    assert stem("entries") == "entry"
    assert stem("classes") == "class"
    assert stem("values") == stem("value")
    assert stem("mapped") == stem("map") == "map"
    assert stem("status") == "status"
    assert terms("is_mocked") == ["mock", "is_mocked"]
    assert terms("rendered Templates") == ["render", "templat"]


def test_dunder_names_lose_their_underscores() -> None:
    assert terms("__init__") == ["init"]
    assert terms("_cached_helper") == ["cach", "helper", "cached_helper"]


def test_mentions_find_paths_with_extensions_and_traceback_files() -> None:
    prompt = (
        "See src/app/models.py and `utils.js`.\n"
        'File "/usr/lib/python3/site-packages/requests/sessions.py", line 10, in send\n'
    )
    mentions = prompt_mentions(prompt)
    assert "src/app/models.py" in mentions.paths
    assert "utils.js" in mentions.paths
    assert "usr/lib/python3/site-packages/requests/sessions.py" in mentions.paths


def test_mentions_turn_dotted_modules_into_paths_and_symbols() -> None:
    mentions = prompt_mentions("from astropy.modeling.separable import separability_matrix")
    assert "astropy/modeling/separable" in mentions.paths
    assert "separability_matrix" in mentions.symbols
    assert "separable" in mentions.symbols


def test_mentions_find_code_shaped_identifiers_not_prose() -> None:
    prompt = "The TimeSeries object calls _check_required_columns() via `remove_column`; it fails"
    symbols = prompt_mentions(prompt).symbols
    assert symbols[:3] == ["remove_column", "_check_required_columns", "TimeSeries"]
    assert "fails" not in symbols
    assert "object" not in symbols


def test_urls_are_not_paths() -> None:
    mentions = prompt_mentions("see https://github.com/org/repo/blob/main/README.md please")
    assert not any(p.startswith(("github", "https")) for p in mentions.paths)
