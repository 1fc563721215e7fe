"""A deterministic stand-in for the dense embedder: words map to concepts, so texts with no word in
common can still be close ("guarantee" and "warranty" are one concept), as with a real model.

Named by ``module:attribute`` (``support.embedders:ConceptEmbedder``) it also runs in the
embedding child, with ``tests`` on the child's ``PYTHONPATH``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

CONCEPTS = {
    "warranty": 0,
    "guarantee": 0,
    "guaranteed": 0,
    "covered": 0,
    "filter": 1,
    "rinse": 1,
    "wash": 1,
    "clean": 1,
    "battery": 2,
    "charges": 2,
    "charge": 2,
    "power": 2,
    "brushes": 3,
    "hair": 3,
    "bristles": 3,
}
DIMENSIONS = 8  # the concepts, and a last one every text has a little of


class ConceptEmbedder:
    name = "concepts"
    dimensions = DIMENSIONS

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.query(t) for t in texts]) if texts else np.zeros((0, DIMENSIONS), np.float32)

    def query(self, text: str) -> np.ndarray:
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        vector[-1] = 0.1
        for word in re.findall(r"\w+", text.lower()):
            if word in CONCEPTS:
                vector[CONCEPTS[word]] += 1.0
        return vector / np.linalg.norm(vector)


class BrokenEmbedder(ConceptEmbedder):
    """Fails as a native library might report a problem: with an exception."""

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("the model file is damaged")

    def query(self, text: str) -> np.ndarray:
        raise RuntimeError("the model file is damaged")


class SlowEmbedder(ConceptEmbedder):
    """Takes a minute to load, so that a test can stop the process while it embeds."""

    def __init__(self) -> None:
        import time

        time.sleep(60)
