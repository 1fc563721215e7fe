"""Token counting with Qwen's vocabulary.

The vocabulary file ``qwen.tiktoken`` ships inside the ``dashscope`` package; we read it with
tiktoken directly (never importing dashscope, whose package pulls in its HTTP client) and use the
same split pattern, special tokens and NFC normalisation as dashscope's ``QwenTokenizer``, so ids
are identical to the Qwen tokenizer's.
"""

from __future__ import annotations

import base64
import importlib.util
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

# The pre-tokenisation pattern of Qwen (and Qwen2/2.5): the same as dashscope's PAT_STR.
QWEN_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
SPECIAL_START_ID = 151643
SPECIAL_TOKENS: tuple[str, ...] = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    *(f"<|extra_{i}|>" for i in range(205)),
)

# tiktoken's regex engine overflows its stack on very long pieces (a million spaces), so long
# texts are encoded in parts of at most this many characters, cut after newlines as dashscope does.
MAX_PART_CHARS = 100_000


def find_qwen_vocabulary() -> Path:
    """Where the installed ``dashscope`` package keeps ``qwen.tiktoken`` (found without importing it)."""
    spec = importlib.util.find_spec("dashscope")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the dashscope package (which ships qwen.tiktoken) is not installed")
    for location in spec.submodule_search_locations:
        path = Path(location) / "resources" / "qwen.tiktoken"
        if path.is_file():
            return path
    raise FileNotFoundError("dashscope is installed but holds no resources/qwen.tiktoken")


def _read_ranks(path: Path) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


def split_long_text(text: str, limit: int = MAX_PART_CHARS) -> list[str]:
    """``text`` in consecutive parts of at most ``limit`` characters, cut before newlines where possible."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    for i, line in enumerate(text.split("\n")):
        piece = line if i == 0 else "\n" + line
        if len(piece) <= limit:
            pieces.append(piece)
        else:
            pieces.extend(piece[j : j + limit] for j in range(0, len(piece), limit))
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        if size + len(piece) > limit and current:
            parts.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece)
    if current:
        parts.append("".join(current))
    return parts


class TokenCounter:
    """Counts, encodes and decodes text as Qwen models see it.

    Building one reads the 151,643-entry vocabulary (≈ 0.3 s); the application builds one and
    passes it to whatever needs it. Instances are immutable and safe to share between threads.
    """

    def __init__(self, vocabulary: Path | None = None) -> None:
        import tiktoken  # lazy: only what counts tokens pays for loading it

        path = vocabulary or find_qwen_vocabulary()
        ranks = _read_ranks(path)
        special = {token: SPECIAL_START_ID + i for i, token in enumerate(SPECIAL_TOKENS)}
        self._encoding = tiktoken.Encoding(
            "qwen", pat_str=QWEN_PATTERN, mergeable_ranks=ranks, special_tokens=special
        )
        self.vocabulary_size: int = self._encoding.n_vocab

    def encode(self, text: str, *, special: bool = True) -> list[int]:
        """Token ids of ``text``. With ``special`` (dashscope's default) a literal ``<|im_end|>``
        becomes its special id; without, it is encoded as plain text."""
        if not text.isascii():
            text = unicodedata.normalize("NFC", text)
        # tiktoken converts the allowed-special set on every call, which costs more than encoding
        # a short text: skip it when no special token can be present.
        if special and "<|" in text:
            return self._encode_parts(text, lambda part: self._encoding.encode(part, allowed_special="all"))
        return self._encode_parts(text, self._encoding.encode_ordinary)

    @staticmethod
    def _encode_parts(text: str, encode: Callable[[str], list[int]]) -> list[int]:
        if len(text) <= MAX_PART_CHARS:
            return encode(text)
        ids: list[int] = []
        for part in split_long_text(text):
            ids.extend(encode(part))
        return ids

    def count(self, text: str) -> int:
        """How many tokens ``text`` is (as ``len(encode(text))``)."""
        if not text:
            return 0
        return len(self.encode(text))

    def count_many(self, texts: Iterable[str]) -> list[int]:
        return [self.count(t) for t in texts]

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``; bytes that do not form whole characters become U+FFFD."""
        return self._encoding.decode(list(ids), errors="replace")

    def cut_points(self, text: str, max_tokens: int) -> list[int]:
        """Character offsets where ``text`` can be cut into pieces of at most ``max_tokens`` each.

        Cuts fall on token boundaries that are also character boundaries, so every piece is a
        ``text[a:b]`` slice of ``text`` as given (it is not normalised here).
        """
        if max_tokens <= 0:
            raise ValueError("max_tokens must be positive")
        cuts: list[int] = []
        base = 0
        for part in split_long_text(text):
            if base:
                cuts.append(base)
            # Not NFC-normalised: offsets must refer to ``text`` as given.
            if "<|" in part:
                ids = self._encoding.encode(part, allowed_special="all")
            else:
                ids = self._encoding.encode_ordinary(part)
            if len(ids) > max_tokens:
                starts: list[int] = []
                clean: list[bool] = []
                offset = 0
                for token in self._encoding.decode_tokens_bytes(ids):
                    # A token whose first byte continues a character starts mid-character.
                    clean.append(not 0x80 <= token[0] < 0xC0)
                    starts.append(offset)
                    offset += sum(1 for byte in token if not 0x80 <= byte < 0xC0)
                first = 0
                while len(ids) - first > max_tokens:
                    cut = first + max_tokens
                    while cut > first + 1 and not clean[cut]:
                        cut -= 1
                    cuts.append(base + starts[cut])
                    first = cut
            base += len(part)
        return cuts
