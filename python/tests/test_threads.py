"""One client shared by many threads; blocking calls release the GIL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import ims
from ims.testing import Emulator


def test_eight_threads_share_one_client(emu: Emulator, client: ims.Client) -> None:
    emu.update(job_seconds=1.0)
    barrier = threading.Barrier(8)

    def make_image(i: int) -> ims.Job:
        barrier.wait()
        job_id = client.create_whole_image(name=f"thread-{i}", backup_id=f"backup-{i}")
        return client.wait_job(job_id, interval=0.1)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = list(pool.map(make_image, range(8)))
    elapsed = time.monotonic() - started

    assert all(j.status == "SUCCESS" and j.image_id for j in jobs)
    assert len({j.image_id for j in jobs}) == 8
    assert emu.stats()["images_created"] == 8
    # Eight one-second jobs waited for concurrently: well under eight seconds.
    assert elapsed < 4.0, elapsed


def test_gil_released_while_waiting(emu: Emulator, client: ims.Client) -> None:
    emu.update(job_seconds=1.0)
    job_id = client.create_whole_image(name="gil", backup_id="backup-gil")
    ticks: List[float] = []
    done = threading.Event()

    def spin() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        client.wait_job(job_id, interval=0.3)
    finally:
        done.set()
        spinner.join()
    # Python code kept running during the wait: many ticks, no long gap.
    assert len(ticks) > 30
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(gaps) < 0.6, max(gaps)  # holding the GIL would show a gap of about 1 s
