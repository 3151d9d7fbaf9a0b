"""asyncio.gather of many create + wait cycles on ONE ims.AsyncClient, against an emulator in
another process (``ims emulator --job-seconds 30``). Prints one JSON line.

    python bench/async_gather.py --url http://127.0.0.1:PORT [--cycles 1000] [--job-seconds 30]

Waits poll after ``--first-delay`` (20 s), then every ``--interval`` (3 s, growing x1.5 as
``wait_job`` does). Reported: cycles done, the wall time from the first create to the last
SUCCESS (and over the job time), the most OS threads of the process (``/proc/self/status``,
sampled every 100 ms), peak RSS (``VmHWM``) and CPU seconds. The emulator prints the
connections it counted when it stops (bench/many_waits.sh reads it).
"""

import argparse
import asyncio
import json
import resource
import time

import ims

AK = "IMSDEMOAK00000000000"
SK = "ims-demo-secret-key-0000000000000000000000"
PROJECT = "0123456789abcdef0123456789abcdef"


def status_field(name: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cycles", type=int, default=1000)
    p.add_argument("--job-seconds", type=float, default=30.0)
    p.add_argument("--first-delay", type=float, default=20.0)
    p.add_argument("--interval", type=float, default=3.0)
    a = p.parse_args()
    client = ims.AsyncClient(endpoint=a.url, project_id=PROJECT, ak=AK, sk=SK)
    max_threads = status_field("Threads")

    async def sample() -> None:
        nonlocal max_threads
        while True:
            max_threads = max(max_threads, status_field("Threads"))
            await asyncio.sleep(0.1)

    async def cycle() -> float:
        job_id = await client.create_whole_image(
            name="bench-gather", instance_id="877a2cda-ba63-4e1e-b95f-e67e48b6129a",
            vault_id="de9fcf45-11b2-432c-8562-5c5428574600")
        created = time.perf_counter()
        await client.wait_job(job_id, first_delay=a.first_delay, interval=a.interval, timeout=600)
        return time.perf_counter() - created

    sampler = asyncio.ensure_future(sample())
    cpu0, start = time.process_time(), time.perf_counter()
    results = await asyncio.gather(*(cycle() for _ in range(a.cycles)), return_exceptions=True)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
    sampler.cancel()
    errors = [r for r in results if isinstance(r, BaseException)]
    waits = [r for r in results if isinstance(r, float)]
    print(json.dumps({
        "cycles": a.cycles, "ok": len(waits), "failed": len(errors),
        "job_seconds": a.job_seconds, "wall_seconds": round(wall, 2),
        "wall_over_job": round(wall / a.job_seconds, 3),
        "slowest_wait_seconds": round(max(waits, default=0.0), 2),
        "max_threads": max_threads,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpu_seconds": round(cpu, 2),
        "first_error": repr(errors[0]) if errors else None,
    }))


if __name__ == "__main__":
    asyncio.run(main())
