"""A private jieba tokenizer whose user dictionary holds the routing table's words and the county's names.

Never jieba's global tokenizer: a reload builds a new one and swaps it in, so two tables can live in
one process. Start-up cost is jieba's prefix dictionary; jieba caches it with marshal, and we point
that cache at a directory of our own with a name that changes with jieba's dictionary, because:
- the default (/tmp/jieba.cache, shared by every user) is trusted without any check, and a
  marshal file another user can write is not something to load;
- jieba writes the cache to a temporary file in the same directory and renames it over the old
  one, so two processes starting together each either read a complete cache or build and
  atomically replace it with identical content — no lock needed as long as the directory is ours.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

with warnings.catch_warnings():
    # jieba 0.42 imports pkg_resources, which newer setuptools flags as deprecated on import.
    warnings.simplefilter("ignore")
    import jieba


class Tokenizer(Protocol):
    """What we use of a jieba.Tokenizer (jieba ships no type information)."""

    tmp_dir: str  # where its dictionary cache lives
    cache_file: str

    def cut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> Iterator[str]: ...


USER_WORD_FREQ = 500  # the lowest that cuts 路灯不亮 as 路灯|不亮

# jieba's words are runs of these characters; anything else (punctuation, emoji) is cut apart anyway.
_SEGMENTABLE = re.compile(r"^[\u4e00-\u9fd5a-z0-9]+$")


def default_cache_dir() -> Path:
    """Where the dictionary cache lives unless the caller says otherwise (XDG-style, per user)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gridwhistle"


def _cache_name() -> str:
    """Changes when jieba or its dictionary changes, so a stale cache is never read."""
    dict_file = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    stat = dict_file.stat()
    stamp = f"{jieba.__version__}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    return f"jieba-{jieba.__version__}-{hashlib.sha256(stamp).hexdigest()[:12]}.cache"


def build_tokenizer(words: Iterable[str], cache_dir: Path | None = None) -> Tokenizer:
    """A ready tokenizer (dictionary loaded) that keeps each of `words` whole when it stands alone."""
    # jieba logs every dictionary load at DEBUG to stderr; keep stderr for our own messages.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        # A read-only home must not stop the service; a per-user temp directory still avoids the
        # shared /tmp/jieba.cache.
        directory = Path(tempfile.gettempdir()) / f"gridwhistle-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(directory)
    tokenizer.cache_file = _cache_name()
    tokenizer.initialize()
    for word in sorted(set(words)):
        if _SEGMENTABLE.match(word):
            # At least what jieba suggests to keep the word whole on its own, and at least a
            # common word's frequency, so 路灯不亮 is cut 路灯|不亮 and not 路|灯不亮 (jieba knows
            # 灯不亮); not so high that 打来电话 becomes 打|来电|话.
            suggested = tokenizer.suggest_freq(word, tune=False)
            tokenizer.add_word(word, max(suggested, USER_WORD_FREQ))
    return tokenizer


def token_bounds(tokenizer: Tokenizer, text: str) -> set[int]:
    """Offsets in `text` where a token starts or ends."""
    bounds = {0}
    position = 0
    for token in tokenizer.cut(text, HMM=False):
        position += len(token)
        bounds.add(position)
    return bounds
