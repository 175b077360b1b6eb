"""A private jieba tokenizer whose user dictionary holds the routing table's words and the county's names.

Never jieba's global tokenizer: a reload builds a new one and swaps it in, so two tables can live in
one process. Start-up cost is jieba's prefix dictionary; jieba caches it with marshal, and we point
that cache at a directory of our own with a name that changes with jieba's dictionary, because:
- the default (/tmp/jieba.cache, shared by every user) is trusted without any check, and a
  marshal file another user can write is not something to load;
- jieba writes the cache to a temporary file in the same directory and renames it over the old
  one, so two processes starting together each either read a complete cache or build and
  atomically replace it with identical content — no lock needed as long as the directory is ours.
On top of that, the dictionary with the table's words added is packed into a file of our own, keyed
by jieba's dictionary and those words, and read in shards on demand (build_tokenizer): start-up then
reads no whole dictionary. The matcher asks for token bounds only, which `ShardedTokenizer.bounds`
computes as jieba's own cut would, without making the words.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import Protocol

with warnings.catch_warnings():
    # jieba 0.42 imports pkg_resources, which newer setuptools flags as deprecated on import, only to open
    # the files beside its own module — a tenth of a second of start-up. Unless something imported it
    # already, jieba is imported with pkg_resources marked absent, and opens those files by path itself.
    warnings.simplefilter("ignore")
    _hide = "pkg_resources" not in sys.modules
    if _hide:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # `import` raises ImportError
    try:
        import jieba
    finally:
        if _hide:
            del sys.modules["pkg_resources"]


class Tokenizer(Protocol):
    """What we use of a jieba.Tokenizer (jieba ships no type information)."""

    tmp_dir: str  # where its dictionary cache lives
    cache_file: str

    def cut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> Iterator[str]: ...


USER_WORD_FREQ = 500  # the lowest that cuts 路灯不亮 as 路灯|不亮
_PACKED_FORMAT = 1  # bump when the layout of the packed dictionary file changes
_PACKED_PREFIX = "gridwhistle-dict-"
_STALE_AFTER = 7 * 24 * 3600  # packed dictionaries of other word lists unused this long are removed

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
    """A ready tokenizer that keeps each of `words` whole when it stands alone.

    The first build for a word list loads jieba's dictionary, adds the words and packs the result into
    one file in the cache directory, named by a hash of jieba's dictionary and the words (so an edited
    table or another jieba gets its own file); later builds read that file, which unpacks a first
    character's words only when a message uses that character — start-up without loading the whole
    dictionary (jieba's own cache load alone takes about half a second)."""
    # jieba logs every dictionary load at DEBUG to stderr; keep stderr for our own messages.
    logging.getLogger("jieba").setLevel(logging.WARNING)
    directory = _writable_cache_dir(cache_dir)
    words = sorted({w for w in words if _SEGMENTABLE.match(w)})
    packed_file = directory / _packed_name(words)
    try:
        with open(packed_file, "rb") as handle:
            version, total, packed = marshal.load(handle)
        if version == _PACKED_FORMAT:
            return ShardedTokenizer(packed, total, str(directory))
    except (OSError, EOFError, ValueError, TypeError):
        pass  # not built yet, or unreadable: build it again
    tokenizer = _jieba_tokenizer(words, directory)
    packed = _pack(tokenizer)
    _write_packed(tokenizer.total, packed, packed_file)
    return ShardedTokenizer(packed, tokenizer.total, str(directory))  # the same tokenizer the next start reads


def _writable_cache_dir(cache_dir: Path | None) -> Path:
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        # A read-only home must not stop the service; a per-user temp directory still avoids the
        # shared /tmp/jieba.cache.
        directory = Path(tempfile.gettempdir()) / f"gridwhistle-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def _packed_name(words: list[str]) -> str:
    digest = hashlib.sha256(f"{_PACKED_FORMAT}:{_cache_name()}:{USER_WORD_FREQ}".encode())
    digest.update("\n".join(words).encode("utf-8"))
    return f"{_PACKED_PREFIX}{digest.hexdigest()[:20]}.marshal"


def _jieba_tokenizer(words: list[str], directory: Path) -> jieba.Tokenizer:
    """jieba's tokenizer with its whole dictionary loaded and `words` added."""
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(directory)
    tokenizer.cache_file = _cache_name()
    tokenizer.initialize()
    for word in words:
        # At least what jieba suggests to keep the word whole on its own, and at least a
        # common word's frequency, so 路灯不亮 is cut 路灯|不亮 and not 路|灯不亮 (jieba knows
        # 灯不亮); not so high that 打来电话 becomes 打|来电|话.
        suggested = tokenizer.suggest_freq(word, tune=False)
        tokenizer.add_word(word, max(suggested, USER_WORD_FREQ))
    return tokenizer


def _pack(tokenizer: jieba.Tokenizer) -> dict[str, bytes]:
    """The tokenizer's dictionary as one marshalled shard per first character."""
    shards: dict[str, dict[str, int]] = {}
    for word, freq in tokenizer.FREQ.items():
        shards.setdefault(word[0], {})[word] = freq
    return {char: marshal.dumps(shard) for char, shard in shards.items()}


def _write_packed(total: int, packed: dict[str, bytes], path: Path) -> None:
    """Written to a temporary file and renamed, so a process starting meanwhile reads the old state or the
    whole new file, never half of one."""
    try:
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=".tmp-", delete=False) as handle:
            marshal.dump((_PACKED_FORMAT, total, packed), handle)
        os.replace(handle.name, path)
    except OSError:
        return  # a cache we cannot write only costs the next start-up time
    now = time.time()
    for other in path.parent.glob(f"{_PACKED_PREFIX}*.marshal"):
        try:
            if other != path and now - other.stat().st_atime > _STALE_AFTER:
                other.unlink()
        except OSError:
            pass


class _LazyFreq(MutableMapping[str, int]):
    """jieba's FREQ for its own code paths (HMM cuts, suggest_freq, add_word), over the shards."""

    def __init__(self, owner: ShardedTokenizer) -> None:
        self._owner = owner

    def __getitem__(self, word: str) -> int:
        return self._owner.shard(word[:1])[word]

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word in self._owner.shard(word[:1])

    def get(self, word: str, default: int | None = None) -> int | None:  # type: ignore[override]  # dict's get
        return self._owner.shard(word[:1]).get(word, default)

    def __setitem__(self, word: str, freq: int) -> None:
        self._owner.shard(word[:1])[word] = freq

    def __delitem__(self, word: str) -> None:
        del self._owner.shard(word[:1])[word]

    def __iter__(self) -> Iterator[str]:
        for char in list(self._owner.packed):
            yield from list(self._owner.shard(char))

    def __len__(self) -> int:
        return sum(1 for _ in self)


class ShardedTokenizer(jieba.Tokenizer):
    """jieba's tokenizer over a packed dictionary: the words starting with a character are unpacked the
    first time a message uses it. get_DAG and calc are jieba's own, reading one shard per position."""

    def __init__(self, packed: dict[str, bytes], total: int, tmp_dir: str) -> None:
        super().__init__()
        self.packed = packed
        self._shards: dict[str, dict[str, int]] = {}
        self._logs: dict[str, dict[str, float | None]] = {}
        self.FREQ = _LazyFreq(self)
        self.total = total
        self.tmp_dir = tmp_dir
        self.cache_file = _cache_name()
        self.initialized = True

    def shard(self, char: str) -> dict[str, int]:
        found = self._shards.get(char)
        if found is None:
            raw = self.packed.get(char)
            found = self._shards[char] = marshal.loads(raw) if raw else {}
        return found

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802  # jieba's name
        dag = {}
        n = len(sentence)
        shards = self._shards
        for k in range(n):
            freq = shards.get(sentence[k])
            if freq is None:
                freq = self.shard(sentence[k])
            ends = []
            i = k
            frag = sentence[k]
            while i < n and frag in freq:
                if freq[frag]:
                    ends.append(i)
                i += 1
                frag = sentence[k : i + 1]
            dag[k] = ends or [k]
        return dag

    def calc(self, sentence: str, DAG: dict[int, list[int]], route: dict[int, tuple[float, int]]) -> None:  # noqa: N803
        n = len(sentence)
        route[n] = (0, 0)
        logtotal = math.log(self.total)
        log = math.log
        for idx in range(n - 1, -1, -1):
            freq = self._shards[sentence[idx]]  # get_DAG unpacked it
            route[idx] = max(
                (log(freq.get(sentence[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x) for x in DAG[idx]
            )

    def log_shard(self, char: str) -> dict[str, float | None]:
        """The shard of `char` as jieba's calc reads it: log(freq) - log(total), None for a prefix only."""
        found = self._logs.get(char)
        if found is None:
            logtotal = math.log(self.total)
            found = self._logs[char] = {
                word: (math.log(freq) - logtotal if freq else None) for word, freq in self.shard(char).items()
            }
        return found

    def bounds(self, block: str) -> list[int]:
        """Where the tokens of `cut(block, HMM=False)` start and end, for one block of JIEBA_BLOCK
        characters: jieba's DAG and best route in one backward pass, without building the words (the
        same sums in the same order as jieba's calc, so the same floating-point results)."""
        n = len(block)
        logs = self._logs
        alone = -math.log(self.total)  # a character no word starts with counts as frequency 1
        score = [0.0] * (n + 1)
        step = [0] * (n + 1)  # the end (exclusive) of the best word starting at each position
        for k in range(n - 1, -1, -1):
            char = block[k]
            shard = logs.get(char)
            if shard is None:
                shard = self.log_shard(char)
            get = shard.get
            best: float | None = None
            bound = k + 1
            i = k
            frag = char
            while i < n:
                found = get(frag, _ABSENT)
                if found is _ABSENT:
                    break
                if found is not None:  # a word, not only the prefix of one
                    value = found + score[i + 1]
                    if best is None or value >= best:  # jieba's max((score, end)): a tie goes to the longer
                        best, bound = value, i + 1
                i += 1
                frag = block[k : i + 1]
            if best is None:
                best = alone + score[k + 1]
            score[k] = best
            step[k] = bound
        # jieba joins a run of one-character Latin letters and digits into one token.
        result = [0]
        x = 0
        joining = False
        while x < n:
            y = step[x]
            if y - x == 1 and _ENG.match(block, x):
                joining = True
            else:
                if joining:
                    result.append(x)
                    joining = False
                result.append(y)
            x = y
        if joining:
            result.append(n)
        return result


_ENG = re.compile(r"[a-zA-Z0-9]")  # jieba's re_eng
_ABSENT = float("nan")  # a default of the shards' own type, told apart by identity (no stored value is NaN)

# jieba cuts each run of these characters on its own (its re_han_default); anything between runs is cut
# character by character.
JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")


def token_bounds(tokenizer: Tokenizer, text: str) -> set[int]:
    """Offsets in `text` where a token starts or ends."""
    if isinstance(tokenizer, ShardedTokenizer) and JIEBA_BLOCK.fullmatch(text):
        return set(tokenizer.bounds(text))
    bounds = {0}
    position = 0
    for token in tokenizer.cut(text, HMM=False):
        position += len(token)
        bounds.add(position)
    return bounds
