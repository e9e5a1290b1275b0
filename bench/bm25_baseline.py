"""The whole-file BM25 baseline, built like the SWE-bench paper's retrieval.

Non-test ``.py`` files, path + content as the document, lowercase word tokens,
Pyserini's default k1 = 0.9, b = 0.4; the context is whole files in rank order until
the next one does not fit.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

from swebench_data import read_text, walk

_WORD = re.compile(r"\w+")
_BASELINE_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
    ]
)


def _baseline_tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _BASELINE_STOP]


class FileBM25:
    """BM25 over whole non-test .py files (k1=0.9, b=0.4: Pyserini's defaults)."""

    def __init__(self, root: Path, k1: float = 0.9, b: float = 0.4) -> None:
        self.k1, self.b = k1, b
        self.postings: dict[str, dict[str, int]] = defaultdict(dict)
        self.lengths: dict[str, int] = {}
        for rel, _stat in walk(root):
            if rel.endswith(".py") and not _is_test(rel):
                counts = Counter(_baseline_tokens(rel + "\n" + (read_text(root / rel) or "")))
                self.lengths[rel] = sum(counts.values())
                for term, n in counts.items():
                    self.postings[term][rel] = n
        self.avg = sum(self.lengths.values()) / max(len(self.lengths), 1)

    def rank(self, query: str) -> list[str]:
        scores: Counter[str] = Counter()
        total = len(self.lengths)
        for term in set(_baseline_tokens(query)):
            docs = self.postings.get(term)
            if not docs:
                continue
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            for doc, tf in docs.items():
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc] / self.avg)
                scores[doc] += idf * tf * (self.k1 + 1) / (tf + norm)
        return [doc for doc, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))]


def _is_test(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    in_tests = any(p in ("test", "tests", "testing") for p in parts[:-1])
    return in_tests or name.startswith("test_") or name.endswith("_test.py")
