"""The embedded model: a GGUF run in this process by llama.cpp (llama-cpp-python).

The prompt is the GGUF's own chat template (ChatML for Qwen); JSON schemas become a grammar
(``response_format={"type": "json_object", "schema": …}``), so output is valid by construction.
One model serves one request at a time (``ModelQueue``); the rest wait in a bounded line.

``create_chat_completion`` streams neither usage nor a hook to stop, so each loaded model's
``eval`` and ``generate`` are wrapped (``_Meter``): ``generate`` counts the tokens sampled, exactly
as llama.cpp's own usage does, and ``eval`` feeds the prompt batch by batch so a cancelled request
stops within one batch instead of after the whole prompt.

Under CPU contention (other processes, or several servers on one host) fewer threads and
``OMP_WAIT_POLICY=PASSIVE`` in the server's environment behave better; set it before start-up,
since OpenMP reads it once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from longdoc.core.errors import ModelUnavailable, TooLarge
from longdoc.inference.base import (
    ChatMessage,
    FinishReason,
    GenerationParams,
    InferenceBackend,
    StreamEnd,
    StreamEvent,
    TokenDelta,
    Usage,
)
from longdoc.inference.model_queue import ModelQueue
from longdoc.inference.weights import EMBEDDED_MODELS, default_cache_dir, ensure_gguf

# used only when a GGUF carries no chat template of its own
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class _PromptCancelled(Exception):
    pass


class _Meter:
    """The current request's cancel event and sampled-token count, seen by the wrapped model."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self.cancel = cancel
        self.completion_tokens = 0


def available_threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class LlamaCppBackend(InferenceBackend):
    supports_json_schema = True
    supports_streaming = True

    def __init__(
        self,
        model_path: Path | Callable[[], Path],
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        n_batch: int = 512,
        flash_attn: bool = True,
        max_waiting: int = 8,
        max_wait_seconds: float = 120.0,
    ) -> None:
        self._model_path = model_path
        self.name = "llama_cpp"
        self.context_window = n_ctx
        self.n_threads = n_threads or available_threads()
        self.n_batch = n_batch
        self.flash_attn = flash_attn
        self.queue = ModelQueue(max_waiting, max_wait_seconds)
        self._load_lock = threading.Lock()
        self._llm: Any = None
        self._formatter: Any = None
        self._meter: _Meter | None = None

    def load(self) -> None:
        """Reassemble or find the weights and load the model; later calls return at once."""
        with self._load_lock:
            if self._llm is not None:
                return
            try:
                import llama_cpp
                from llama_cpp import llama_chat_format
            except ImportError as exc:
                raise ModelUnavailable(
                    "the embedded model needs llama-cpp-python: pip install 'longdoc[embedded]'"
                ) from exc
            path = self._model_path() if callable(self._model_path) else self._model_path
            llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.context_window,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_batch=self.n_batch,
                flash_attn=self.flash_attn,
                verbose=False,
            )
            eos_id = llm.token_eos()
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=llm.metadata.get("tokenizer.chat_template", CHATML_TEMPLATE),
                eos_token=llm._model.token_get_text(eos_id) if eos_id != -1 else "",
                bos_token=llm._model.token_get_text(llm.token_bos()) if llm.token_bos() != -1 else "",
                stop_token_ids=[eos_id],
            )
            # counting and generating must see the same prompt: one formatter serves both
            llm.chat_handler = self._formatter.to_chat_handler()
            self._install_meter(llm, llama_cpp)
            self.name = f"llama_cpp:{Path(path).stem}"
            self._llm = llm

    def readiness(self) -> str | None:
        return None if self._llm is not None else "the model is not loaded yet"

    def self_check(self) -> None:
        """Load the model and generate one token: a build that cannot run on this CPU fails here."""
        self.load()
        self.complete(
            [ChatMessage(role="user", content="Hi")], GenerationParams(max_tokens=1, temperature=0.0)
        )

    def close(self) -> None:
        """Free the model once the request using it (if any) ends; a busy model is left to process exit."""
        try:
            with self.queue.turn(), self._load_lock:
                if self._llm is not None:
                    self._llm.close()
                    self._llm = None
        except ModelUnavailable:
            pass  # freeing memory a generation still uses would crash the process

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        self.load()
        rendered = self._formatter(messages=[m.model_dump() for m in messages])
        prompt = rendered.prompt.encode("utf-8")
        return len(self._llm.tokenize(prompt, add_bos=not rendered.added_special, special=True))

    def stream(
        self,
        messages: Sequence[ChatMessage],
        params: GenerationParams,
        cancel: threading.Event | None = None,
    ) -> Iterator[StreamEvent]:
        prompt_tokens = self.count_tokens(messages)
        if prompt_tokens >= self.context_window:
            raise TooLarge(
                f"the prompt takes {prompt_tokens} tokens; the embedded model's context holds "
                f"{self.context_window} (inference.backends.<name>.n_ctx)"
            )
        finish: FinishReason = "length"
        with self.queue.turn(cancel) as got_turn:
            if not got_turn:
                yield StreamEnd("cancelled", Usage(0, 0))
                return
            meter = self._meter = _Meter(cancel)
            chunks = self._llm.create_chat_completion(
                messages=[m.model_dump() for m in messages], stream=True, **llama_arguments(params)
            )
            try:
                for chunk in chunks:
                    if cancel is not None and cancel.is_set():
                        finish = "cancelled"
                        break
                    choice = chunk["choices"][0]
                    text = choice["delta"].get("content")
                    if text:
                        yield TokenDelta(text)
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
            except _PromptCancelled:
                finish = "cancelled"
            finally:
                chunks.close()  # stops llama.cpp's generator if we left early
                self._meter = None
        yield StreamEnd(finish, Usage(prompt_tokens, meter.completion_tokens))

    def _install_meter(self, llm: Any, llama_cpp: Any) -> None:
        original_eval, original_generate = llm.eval, llm.generate
        vocab = llm._model.vocab

        def eval_in_batches(tokens: Sequence[int]) -> None:
            for start in range(0, len(tokens), llm.n_batch):
                meter = self._meter
                if meter is not None and meter.cancel is not None and meter.cancel.is_set():
                    raise _PromptCancelled
                original_eval(tokens[start : start + llm.n_batch])

        def counted_generate(tokens: Sequence[int], *args: Any, **kwargs: Any) -> Iterator[int]:
            for token in original_generate(tokens, *args, **kwargs):
                meter = self._meter
                if meter is not None and not llama_cpp.llama_vocab_is_eog(vocab, token):
                    meter.completion_tokens += 1
                yield token

        llm.eval = eval_in_batches
        llm.generate = counted_generate


def llama_arguments(params: GenerationParams) -> dict[str, Any]:
    """``create_chat_completion`` keyword arguments for these params (unset ones keep its defaults)."""
    arguments: dict[str, Any] = {
        key: value
        for key, value in {
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "top_k": params.top_k,
            "seed": params.seed,
            "repeat_penalty": params.repetition_penalty,
        }.items()
        if value is not None
    }
    if params.stop:
        arguments["stop"] = list(params.stop)
    if params.json_schema is not None:
        arguments["response_format"] = {"type": "json_object", "schema": params.json_schema}
    elif params.json_object:
        arguments["response_format"] = {"type": "json_object"}
    return arguments


def llama_cpp_from_settings(spec: Any, settings: Any) -> LlamaCppBackend:
    if spec.model_path is not None:
        locate: Path | Callable[[], Path] = Path(spec.model_path)
    else:
        cache_dir = settings.model_cache_dir or default_cache_dir()
        weights = EMBEDDED_MODELS[spec.model]

        def locate() -> Path:
            return ensure_gguf(weights, Path(cache_dir))

    return LlamaCppBackend(
        locate,
        n_ctx=spec.n_ctx,
        n_threads=spec.n_threads,
        n_batch=spec.n_batch,
        flash_attn=spec.flash_attn,
        max_waiting=spec.max_waiting,
        max_wait_seconds=spec.max_wait_seconds,
    )
