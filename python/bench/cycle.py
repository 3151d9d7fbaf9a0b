"""Client CPU per create + wait cycle, against an emulator with instant jobs.

The emulator runs in a child process so that ``time.process_time()`` of this process counts
only the client: the calling thread (Python, the binding, validation, signing, JSON) plus the
HTTP runtime thread of the Rust core's blocking reqwest client. ``time.thread_time()`` gives
the calling thread's share.

    python python/bench/cycle.py [CYCLES]      # default 500
"""

from __future__ import annotations

import subprocess
import sys
import time

import ims

SERVER = """
import sys
from ims.testing import Emulator
with Emulator(job_seconds=0, image_quota=1_000_000_000, max_concurrent_jobs=1_000_000_000) as emu:
    print(emu.url, emu.ak, emu.sk, emu.project_id, flush=True)
    sys.stdin.read()
"""


def main() -> None:
    cycles = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url, ak, sk, project = server.stdout.readline().split()
        client = ims.Client(endpoint=url, ak=ak, sk=sk, project_id=project)

        def cycle(i: int) -> None:
            job_id = client.create_whole_image(name=f"bench-{i}", backup_id=f"backup-{i}")
            job = client.wait_job(job_id, first_delay=0)
            assert job.status == "SUCCESS", job

        for i in range(20):  # warm-up: connections, caches
            cycle(-1 - i)
        cpu0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        for i in range(cycles):
            cycle(i)
        cpu = time.process_time() - cpu0
        own = time.thread_time() - thread0
        wall = time.perf_counter() - wall0
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)
    print(
        f"{cycles} create+wait cycles: client CPU {cpu / cycles * 1e6:.0f} us/cycle "
        f"(calling thread {own / cycles * 1e6:.0f} us, HTTP runtime thread the rest), "
        f"wall {wall / cycles * 1e3:.2f} ms/cycle "
        f"(python {sys.version.split()[0]}, ims {ims.__version__})"
    )


if __name__ == "__main__":
    main()
