"""A public-facing service under load: 50 concurrent clients for 60 s against a real `longdoc serve`
on loopback — listing and retrieving files, small uploads, chat on the fake model — with a slow
parse (OCR of a scanned PDF) running alongside, and, as the baseline in the same run, the same load
with no parse alongside.

Prints, per run: requests served, 5xx count (goal 0), p50/p99 latency by kind, and the API
process's peak resident memory (its parse children are separate processes).

Usage: python bench/load_bench.py   (BENCH_LOAD_SECONDS, BENCH_LOAD_CLIENTS to change the load)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.server import LongdocServer  # noqa: E402

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "50"))
SCANNED = ROOT.parent / "shared" / "corpus" / "pdf" / "R-intro.p12-14.scanned.pdf"
MIX = [("list", 40), ("retrieve", 30), ("upload", 15), ("chat", 15)]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class PeakMemory(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak = max(self.peak, rss_kib(self.pid))


async def client_loop(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    file_ids: list[str],
    until: float,
    results: dict[str, list[float]],
    failures: list[str],
) -> None:
    kinds, weights = zip(*MIX, strict=True)
    while time.monotonic() < until:
        kind = random.choices(kinds, weights)[0]
        started = time.perf_counter()
        try:
            response = await request(http, headers, file_ids, kind)
        except httpx.TransportError as exc:  # no answer at all: as bad as a 5xx
            failures.append(f"{kind}: {type(exc).__name__} {exc}")
            continue
        results[kind].append(time.perf_counter() - started)
        if response.status_code >= 500:
            failures.append(f"{kind}: {response.status_code} {response.text[:200]}")


async def request(
    http: httpx.AsyncClient, headers: dict[str, str], file_ids: list[str], kind: str
) -> httpx.Response:
    if kind == "list":
        return await http.get("/v1/files?limit=20", headers=headers)
    if kind == "retrieve":
        return await http.get(f"/v1/files/{random.choice(file_ids)}", headers=headers)
    if kind == "upload":
        files = {"file": ("note.txt", b"A short note about lighthouses.\n" * 20)}
        return await http.post("/v1/files", headers=headers, files=files, data={"purpose": "file-extract"})
    body = {"model": "qwen-long", "messages": [{"role": "user", "content": "Say something short."}]}
    return await http.post("/v1/chat/completions", headers=headers, json=body)


async def load(server: LongdocServer, slow_parse: bool) -> tuple[dict[str, list[float]], list[str]]:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    results: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    limits = httpx.Limits(max_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=server.origin, timeout=120, limits=limits) as http:
        seed = await http.post(
            "/v1/files",
            headers=headers,
            files={"file": ("seed.txt", b"seed\n")},
            data={"purpose": "file-extract"},
        )
        file_ids = [seed.json()["id"]]
        if slow_parse and SCANNED.exists():
            with SCANNED.open("rb") as scanned:
                await http.post(
                    "/v1/files",
                    headers=headers,
                    files={"file": (SCANNED.name, scanned)},
                    data={"purpose": "file-extract"},
                )
        until = time.monotonic() + SECONDS
        await asyncio.gather(
            *(client_loop(http, headers, file_ids, until, results, failures) for _ in range(CLIENTS))
        )
    return results, failures


def run(slow_parse: bool) -> tuple[dict[str, list[float]], list[str], int, bool]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "LONGDOC_INFERENCE__BACKENDS": json.dumps({"embedded": {"kind": "fake"}}),
            "LONGDOC_RATE_LIMITS__ENABLED": "false",  # the load is one key's; throttling it is not the point
        }
        server = LongdocServer(Path(folder) / "data", env=env).start()
        assert server._process is not None
        memory = PeakMemory(server._process.pid)
        try:
            results, failures = asyncio.run(load(server, slow_parse))
            alive = server._process.poll() is None
            failures += [
                f"server log: {line.strip()}"
                for line in server.output
                if "Traceback" in line or " ERROR" in line
            ][:5]
        finally:
            memory.done.set()
            server.stop()
    return results, failures, memory.peak, alive


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def main() -> None:
    runs = {
        "with a slow parse alongside": run(slow_parse=True),
        "baseline: no parse alongside": run(slow_parse=False),
    }
    print(f"\n{CLIENTS} concurrent clients for {SECONDS:.0f} s on loopback, fake model; mix {dict(MIX)}\n")
    print(
        "| run | requests | req/s | 5xx or no answer | p50 ms | p99 ms | list p99 | upload p99 | chat p99 | API peak RSS MiB | alive |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (results, failures, peak, alive) in runs.items():
        every = [t for times in results.values() for t in times]
        print(
            f"| {name} | {len(every)} | {len(every) / SECONDS:.0f} | {len(failures)} "
            f"| {statistics.median(every) * 1000:.0f} | {percentile(every, 0.99) * 1000:.0f} "
            f"| {percentile(results['list'], 0.99) * 1000:.0f} | {percentile(results['upload'], 0.99) * 1000:.0f} "
            f"| {percentile(results['chat'], 0.99) * 1000:.0f} | {peak / 1024:.0f} | {'yes' if alive else 'NO'} |"
        )
        for failure in failures[:5]:
            print(f"  failure: {failure}")


if __name__ == "__main__":
    main()
