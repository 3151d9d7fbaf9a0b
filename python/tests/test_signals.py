"""Ctrl-C during a long wait: KeyboardInterrupt within a poll tick, the wait cancelled."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import ims
from ims.testing import Emulator


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_ctrl_c_interrupts_wait(emu: Emulator, client: ims.Client) -> None:
    emu.update(job_seconds=600)
    job_id = client.create_whole_image(name="long", backup_id="backup-long")
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Sleeps 30 s between polls: only the tick's signal check can end it early.
            client.wait_job(job_id, timeout=600, first_delay=0, interval=30)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    assert elapsed < 1.3, elapsed
    # The client is still fine afterwards.
    assert client.job_status(job_id).status in ("INIT", "RUNNING")


def test_signal_handler_exception_propagates(emu: Emulator, client: ims.Client) -> None:
    class Stop(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Stop(signum)

    emu.update(job_seconds=600)
    job_id = client.create_whole_image(name="handler", backup_id="backup-handler")
    previous = signal.signal(signal.SIGUSR1, handler)
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGUSR1))
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(Stop):
            client.wait_job(job_id, timeout=600, interval=30)
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
    assert time.monotonic() - started < 1.3
