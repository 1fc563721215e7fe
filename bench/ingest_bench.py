"""Upload → ``processed`` for large text files, and what it costs the API process.

A real ``longdoc serve`` (fake model, in-process workers) takes a file of about 1M and 10M tokens
(Paul Graham's essays repeated). For each: seconds from the upload's answer to ``processed``, the
API process's resident memory before and at its peak while the file is prepared, and ``/healthz``
latency (p50 / max) polled every 50 ms meanwhile — the event loop must not stall behind a parse.

Baseline measured in the same run: the same steps with the counting and indexing done in the
calling process after an isolated parse (how the parse job worked before it moved them into the
parse child), in a fresh process so that its peak memory is its own.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from load_bench import PeakMemory, rss_kib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.server import LongdocServer  # noqa: E402

ESSAYS = ROOT.parent / "shared" / "eval" / "niah" / "PaulGrahamEssays"
SIZES = (1_000_000, 10_000_000)
CHARS_PER_TOKEN = 4.3  # of these English essays, near enough to size the files

IN_PROCESS = """
import json, resource, sys, time
from pathlib import Path
from longdoc.config import ContextSettings
from longdoc.context.indexing import build_index
from longdoc.context.tokens import TokenCounter
from longdoc.parsing import parse_isolated
started = time.perf_counter()
counter = TokenCounter()
document = parse_isolated(Path(sys.argv[1]))
tokens = counter.count(document.text)
parsed = document.model_dump_json().encode()
index = build_index(document, file_id="file-fe-x", counter=counter, settings=ContextSettings()).to_bytes()
print(json.dumps({"seconds": time.perf_counter() - started, "tokens": tokens,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def haystack(tokens: int, folder: Path) -> Path:
    text = "\n\n".join(p.read_text() for p in sorted(ESSAYS.glob("*.txt")) if "LICENSE" not in p.name)
    copies = max(1, round(tokens * CHARS_PER_TOKEN / len(text)))
    path = folder / f"essays-{tokens // 1_000_000}M.txt"
    path.write_text("\n\n".join([text] * copies), encoding="utf-8")
    return path


def health_latencies(origin: str, done: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=origin, timeout=30) as http:
        while not done.is_set():
            started = time.perf_counter()
            http.get("/healthz")
            out.append(time.perf_counter() - started)
            time.sleep(0.05)


def served(server: LongdocServer, path: Path) -> dict[str, float]:
    assert server._process is not None
    pid = server._process.pid
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.origin, timeout=600) as http:
        idle = rss_kib(pid)
        memory = PeakMemory(pid)
        latencies: list[float] = []
        done = threading.Event()
        prober = threading.Thread(target=health_latencies, args=(server.origin, done, latencies), daemon=True)
        with path.open("rb") as f:
            file_id = http.post(
                "/v1/files", headers=headers, files={"file": (path.name, f)}, data={"purpose": "file-extract"}
            ).json()["id"]
        started = time.perf_counter()
        prober.start()
        while (record := http.get(f"/v1/files/{file_id}", headers=headers).json())["status"] == "uploaded":
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        done.set()
        prober.join()
        memory.done.set()
        memory.join()
    assert record["status"] == "processed", record
    return {
        "seconds": seconds,
        "idle_mib": idle / 1024,
        "peak_mib": max(memory.peak, idle) / 1024,
        "health_p50_ms": statistics.median(latencies) * 1000,
        "health_max_ms": max(latencies) * 1000,
    }


def in_process(path: Path) -> dict[str, float]:
    finished = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(finished.stdout)  # type: ignore[no-any-return]


def main() -> None:
    if not ESSAYS.is_dir():
        print(f"skipped: {ESSAYS} not found (../shared beside the repository)")
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        env = {"LONGDOC_INFERENCE__BACKENDS": json.dumps({"embedded": {"kind": "fake"}})}
        server = LongdocServer(Path(folder) / "data", env=env).start()
        try:
            for size in SIZES:
                path = haystack(size, Path(folder))
                rows.append((size, served(server, path), in_process(path)))
                path.unlink()
        finally:
            server.stop()
    print("\nUpload → processed on a real server (fake model, in-process workers), one file at a time\n")
    print(
        "| file | to processed s | API RSS idle MiB | API RSS peak MiB | /healthz p50 ms | /healthz max ms "
        "| baseline: count + index in process, s | its peak RSS MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size, ours, peer in rows:
        print(
            f"| {size / 1e6:g}M tokens | {ours['seconds']:.1f} | {ours['idle_mib']:.0f} | {ours['peak_mib']:.0f} "
            f"| {ours['health_p50_ms']:.1f} | {ours['health_max_ms']:.0f} | {peer['seconds']:.1f} | {peer['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
