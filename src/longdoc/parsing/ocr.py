"""OCR with RapidOCR (PP-OCR models on onnxruntime), English and Chinese.

The models ship inside the ``rapidocr`` wheel; their paths are passed explicitly so that the
library never reaches for its download URLs. Building the engine takes about a second and a few
hundred MB, so it is built on first use and kept for the life of the process.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from longdoc.config import ParsingSettings
from longdoc.core.errors import ParseFailed

# RapidOCR's Global.max_side_len: larger images are scaled down to this before detection
MODEL_MAX_SIDE = 2000


@dataclass(frozen=True)
class OcrLine:
    text: str
    top: float
    bottom: float
    left: float


class RapidOcrEngine:
    """An ``OcrEngine``: ``recognize(image)`` returns the text of a PIL image, lines in reading order."""

    def __init__(self, threads: int = 0) -> None:
        self._threads = threads
        self._engine: Any = None

    def recognize(self, image: object) -> str:
        model = self._model()
        try:
            result = model(_within_model_size(image))
        except Exception as exc:
            # onnxruntime reports a failed allocation as a generic RuntimeException; under the
            # parse's memory limit that is running out of memory, and is reported as such
            if "bad_alloc" in str(exc):
                raise MemoryError(str(exc)) from exc
            raise
        if not result.txts:
            return ""
        lines = [
            OcrLine(
                text=str(text),
                top=float(box[:, 1].min()),
                bottom=float(box[:, 1].max()),
                left=float(box[:, 0].min()),
            )
            for box, text in zip(result.boxes, result.txts, strict=True)
            if str(text).strip()
        ]
        return join_lines(lines)

    def _model(self) -> Any:
        if self._engine is None:
            from rapidocr import RapidOCR

            det, cls, rec = bundled_model_paths()
            self._engine = RapidOCR(
                params={
                    "Global.log_level": "warning",
                    "Det.model_path": str(det),
                    "Cls.model_path": str(cls),
                    "Rec.model_path": str(rec),
                    "EngineConfig.onnxruntime.intra_op_num_threads": self._threads or -1,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
        return self._engine


def _within_model_size(image: Any) -> Any:
    """The image shrunk to the largest side the detector reads; RapidOCR would shrink it anyway,
    and doing it first spares a full-size copy of a large image."""
    from PIL import Image

    if max(image.size) <= MODEL_MAX_SIDE:
        return image
    shrunk = image.copy()
    shrunk.thumbnail((MODEL_MAX_SIDE, MODEL_MAX_SIDE), Image.Resampling.LANCZOS)
    return shrunk


@functools.cache
def shared_ocr_engine(threads: int = 0) -> RapidOcrEngine:
    """One engine per process (and thread count): the models load once, on first ``recognize``."""
    return RapidOcrEngine(threads)


def bundled_model_paths() -> tuple[Path, Path, Path]:
    """The detection, orientation and recognition models inside the installed rapidocr wheel."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    found = []
    for task in ("det", "cls", "rec"):
        matches = sorted(models.glob(f"*{task}*.onnx"))
        if len(matches) != 1:
            raise ParseFailed(
                f"OCR is unavailable: expected one {task} model in {models}, found {len(matches)}"
            )
        found.append(matches[0])
    return found[0], found[1], found[2]


def join_lines(boxes: list[OcrLine]) -> str:
    """Boxes on the same visual line, left to right; lines top to bottom."""
    rows: list[list[OcrLine]] = []
    for box in sorted(boxes, key=lambda b: (b.top + b.bottom) / 2):
        if rows and _same_row(rows[-1], box):
            rows[-1].append(box)
        else:
            rows.append([box])
    out = []
    for row in rows:
        text = ""
        for box in sorted(row, key=lambda b: b.left):
            piece = box.text.strip()
            text = piece if not text else text + ("" if _cjk(text[-1]) and _cjk(piece[0]) else " ") + piece
        out.append(text)
    return "\n".join(out)


def _same_row(row: list[OcrLine], box: OcrLine) -> bool:
    top = sum(b.top for b in row) / len(row)
    bottom = sum(b.bottom for b in row) / len(row)
    overlap = min(bottom, box.bottom) - max(top, box.top)
    return overlap > 0.5 * min(bottom - top, box.bottom - box.top)


def _cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3000 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF


@dataclass
class OcrBudget:
    """OCR is slow (seconds a page): stop before the parse's own time limits kill it, so that the
    pages read so far are kept and the rest are recorded as not read."""

    settings: ParsingSettings
    share: float = 0.8
    _wall_start: float = field(default_factory=time.monotonic)
    _cpu_start: float = field(default_factory=time.process_time)

    def exhausted(self) -> bool:
        wall = time.monotonic() - self._wall_start
        cpu = time.process_time() - self._cpu_start
        return wall > self.share * self.settings.wall_seconds or cpu > self.share * self.settings.cpu_seconds
