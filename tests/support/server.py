"""A real ``longdoc serve`` process on a loopback port, for tests driven by the official SDKs."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import openai

from support.processes import MODEL_CHILD, wait_for_child

KEY_LINE = re.compile(r"^LONGDOC_API_KEY=(\S+)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LongdocServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.args = args
        self.port = free_port()
        self.env = {**os.environ, "LONGDOC_JOBS__POLL_SECONDS": "0.1", **(env or {})}
        if database_url:
            self.env["LONGDOC_STORAGE__DATABASE_URL"] = database_url
        self.api_key: str | None = None
        self.output: list[str] = []
        self._process: subprocess.Popen[str] | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> LongdocServer:
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "longdoc.cli",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.args,
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read_output, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("longdoc serve exited:\n" + "".join(self.output[-50:]))
            try:
                if httpx.get(f"{self.origin}/healthz", timeout=1).status_code == 200:
                    self._await_output_settled()
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("longdoc serve did not become healthy:\n" + "".join(self.output[-50:]))

    def _await_output_settled(self) -> None:
        # The key line is printed before the server listens; give the reader thread a moment.
        for _ in range(20):
            if self.api_key or any("longdoc serving" in line for line in self.output):
                return
            time.sleep(0.05)

    def _read_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self.output.append(line)
            match = KEY_LINE.match(line.strip())
            if match:
                self.api_key = match.group(1)

    def model_pid(self, timeout: float = 60.0) -> int:
        """The process id of the server's model child (``longdoc.inference.model_child``)."""
        assert self._process is not None
        return wait_for_child(self._process.pid, MODEL_CHILD, timeout)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Stop without any chance to clean up, as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None


def openai_client(
    server: LongdocServer, key: str | None = None, prefix: str = "/compatible-mode/v1"
) -> openai.OpenAI:
    return openai.OpenAI(api_key=key or server.api_key, base_url=server.origin + prefix, max_retries=0)


def create_key(server: LongdocServer, account: str) -> str:
    """``longdoc keys create`` against the running server's store, as an operator would."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "longdoc.cli",
            "keys",
            "create",
            "--account",
            account,
            "--data-dir",
            str(server.data_dir),
        ],
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def wait_for_status(client: openai.OpenAI, file_id: str, timeout: float = 60.0) -> openai.types.FileObject:
    deadline = time.monotonic() + timeout
    while True:
        file = client.files.retrieve(file_id)
        if file.status != "uploaded" or time.monotonic() > deadline:
            return file
        time.sleep(0.1)


def raw(
    server: LongdocServer, method: str, path: str, key: str | None = None, **kwargs: object
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, server.origin + path, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]
