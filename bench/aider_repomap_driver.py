"""Aider's repo map for one checkout, built the way aider builds it for a chat message.

Run by the python of aider's own virtualenv (``bench/aider_compare.py`` makes it and
passes a request file); it imports only aider, never Tandem. For each call in the
request it extracts the file and identifier mentions from the prompt with aider's own
``Coder.get_file_mentions`` / ``get_ident_mentions`` / ``get_ident_filename_matches``
(no files in the chat, every file of the checkout addable), then asks one
``RepoMap`` instance for the map, as aider does for each message of a chat:

    python aider_repomap_driver.py REQUEST.json RESULT.json

REQUEST: ``{"root", "tags_cache", "cold", "model", "calls": [{"label", "prompt",
"map_tokens"}]}``. RESULT: ``{"aider_version", "files", "calls": [{"label", "seconds",
"cpu_seconds", "map_seconds", "tokens", "mentioned_fnames", "mentioned_idents", "map"}]}``.

Offline: litellm reads its price map from the package (``LITELLM_LOCAL_MODEL_COST_MAP``)
and its tokenizer from ``CUSTOM_TIKTOKEN_CACHE_DIR``, both set by the caller; aider's
own model-metadata download is turned off here. No model is called. ``max_context_window``
is left unset, so the map gets exactly ``map_tokens`` (aider itself multiplies its
default of 1,024 by 8 while the chat holds no files, which is the 8k configuration).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

# aider and litellm print progress and warnings on stdout; the result goes to a file.
sys.stdout = sys.stderr

import aider  # noqa: E402
from aider import models  # noqa: E402
from aider.coders.base_coder import Coder  # noqa: E402
from aider.io import InputOutput  # noqa: E402
from aider.repomap import RepoMap  # noqa: E402


class CheckoutFiles:
    """The parts of a ``Coder`` its mention helpers read: all files addable, none in chat."""

    abs_read_only_fnames: tuple[str, ...] = ()

    def __init__(self, root: Path) -> None:
        self.root = root
        self.relative = sorted(
            os.path.relpath(os.path.join(folder, name), root)
            for folder, _, names in os.walk(root)
            for name in names
        )

    def get_all_relative_files(self) -> list[str]:
        return self.relative

    def get_addable_relative_files(self) -> set[str]:
        return set(self.relative)

    def get_inchat_relative_files(self) -> list[str]:
        return []

    def get_rel_fname(self, fname: str) -> str:
        return os.path.relpath(fname, self.root)


def mentions(files: CheckoutFiles, text: str) -> tuple[set[str], set[str]]:
    """What ``Coder.get_repo_map`` extracts from the current message."""
    fnames: set[str] = Coder.get_file_mentions(files, text)
    idents: set[str] = Coder.get_ident_mentions(files, text)
    fnames.update(Coder.get_ident_filename_matches(files, idents))
    return fnames, idents


def one_call(repo_map: RepoMap, files: CheckoutFiles, model: models.Model, call: dict) -> dict:  # type: ignore[type-arg]
    repo_map.max_map_tokens = call["map_tokens"]
    all_files = [str(files.root / rel) for rel in files.relative]
    started, cpu = time.perf_counter(), time.process_time()
    fnames, idents = mentions(files, call["prompt"])
    mapped = time.perf_counter()
    text = repo_map.get_repo_map(
        set(), all_files, mentioned_fnames=fnames, mentioned_idents=idents, force_refresh=True
    )
    ended = time.perf_counter()
    return {
        "label": call["label"],
        "map_tokens": call["map_tokens"],
        "seconds": ended - started,
        "cpu_seconds": time.process_time() - cpu,
        "map_seconds": ended - mapped,
        "tokens": model.token_count(text or ""),
        "mentioned_fnames": len(fnames),
        "mentioned_idents": len(idents),
        "map": text or "",
    }


def main(request_path: str, result_path: str) -> int:
    request = json.loads(Path(request_path).read_text())
    models.model_info_manager._update_cache = lambda: None  # no download: offline
    root = Path(request["root"])
    cache = Path(request["tags_cache"])
    if request.get("cold"):
        shutil.rmtree(cache, ignore_errors=True)
    RepoMap.TAGS_CACHE_DIR = str(cache)  # absolute: joined to root it stays itself
    model = models.Model(request.get("model", "gpt-4"))
    io = InputOutput(pretty=False, yes=True, fancy_input=False)
    files = CheckoutFiles(root)
    repo_map = RepoMap(root=str(root), main_model=model, io=io, refresh="auto")
    calls = [one_call(repo_map, files, model, call) for call in request["calls"]]
    result = {"aider_version": aider.__version__, "files": len(files.relative), "calls": calls}
    Path(result_path).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
