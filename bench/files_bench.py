"""Files API throughput on loopback: upload MB/s, list and retrieve requests/s.

Peers measured in the same run: uploads against a stock Starlette endpoint that parses the same
multipart body with ``request.form()`` (spooled temp file) and writes it to disk; list/retrieve
against ``/healthz`` (the same server, no store access) as the floor of the HTTP stack.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.server import LongdocServer  # noqa: E402

UPLOAD_MB = int(os.environ.get("BENCH_UPLOAD_MB", "64"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "400"))

PEER_APP = """
import os, sys, tempfile, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def upload(request):
    form = await request.form()
    f = form["file"]
    fd, name = tempfile.mkstemp(dir=sys.argv[2])
    with os.fdopen(fd, "wb") as out:
        while chunk := await f.read(1 << 20):
            out.write(chunk)
        out.flush(); os.fsync(out.fileno())
    return JSONResponse({"ok": True})

app = Starlette(routes=[Route("/upload", upload, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed_uploads(url: str, path: Path, headers: dict[str, str], rounds: int = 3) -> float:
    best = 0.0
    with httpx.Client(timeout=300) as client:
        for _ in range(rounds):
            with path.open("rb") as f:
                started = time.perf_counter()
                r = client.post(
                    url, headers=headers, files={"file": (path.name, f)}, data={"purpose": "batch"}
                )
                elapsed = time.perf_counter() - started
            r.raise_for_status()
            best = max(best, path.stat().st_size / 1e6 / elapsed)
    return best


def requests_per_second(url: str, headers: dict[str, str], n: int, threads: int = 4) -> float:
    def run(count: int) -> None:
        with httpx.Client(timeout=30) as client:
            for _ in range(count):
                client.get(url, headers=headers).raise_for_status()

    workers = [threading.Thread(target=run, args=(n // threads,)) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (n // threads * threads) / (time.perf_counter() - started)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="longdoc-bench-"))
    payload = work / "payload.bin"
    with payload.open("wb") as f:
        for _ in range(UPLOAD_MB):
            f.write(os.urandom(1 << 20))

    server = LongdocServer(work / "data").start()
    peer_port = free_port()
    (work / "peer").mkdir()
    peer = subprocess.Popen([sys.executable, "-c", PEER_APP, str(peer_port), str(work / "peer")])
    try:
        auth = {"Authorization": f"Bearer {server.api_key}"}
        for _ in range(50):
            try:
                httpx.get(f"http://127.0.0.1:{peer_port}/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        ours = timed_uploads(f"{server.origin}/v1/files", payload, auth)
        theirs = timed_uploads(f"http://127.0.0.1:{peer_port}/upload", payload, {})

        with httpx.Client() as client:
            small = [
                client.post(
                    f"{server.origin}/v1/files",
                    headers=auth,
                    files={"file": (f"f{i}.txt", b"x" * 100)},
                    data={"purpose": "batch"},
                ).json()["id"]
                for i in range(50)
            ]
        list_rps = requests_per_second(f"{server.origin}/v1/files?limit=20", auth, REQUESTS)
        get_rps = requests_per_second(f"{server.origin}/v1/files/{small[7]}", auth, REQUESTS)
        floor_rps = requests_per_second(f"{server.origin}/healthz", {}, REQUESTS)

        print(
            f"\n### Files API on loopback ({UPLOAD_MB} MB upload, best of 3; {REQUESTS} requests, 4 threads)\n"
        )
        print("| measure | longdoc | peer | longdoc / peer |")
        print("| --- | ---: | ---: | ---: |")
        print(
            f"| upload MB/s (peer: Starlette request.form + fsync) | {ours:.0f} | {theirs:.0f} | {ours / theirs:.2f} |"
        )
        print(
            f"| list files req/s (peer: /healthz) | {list_rps:.0f} | {floor_rps:.0f} | {list_rps / floor_rps:.2f} |"
        )
        print(
            f"| retrieve file req/s (peer: /healthz) | {get_rps:.0f} | {floor_rps:.0f} | {get_rps / floor_rps:.2f} |"
        )
    finally:
        peer.terminate()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
