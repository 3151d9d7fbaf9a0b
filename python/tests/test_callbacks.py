"""The blocking ims.Client and the process around it: an ``on_progress`` callback runs on the
waiting thread between polls and may call the client back, block or take locks while other
threads' calls go on; Ctrl-C ends a create or a query against a server that never answers; a
client made before ``fork()`` works in the child on connections of its own.

A scenario that could hang runs on a daemon thread joined with a timeout: a hang fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, TypeVar

import pytest

import ims
from ims.testing import Emulator

T = TypeVar("T")

FAST = 0.02


def within(seconds: float, what: str, scenario: Callable[[], T]) -> T:
    """Runs `scenario` on a daemon thread; fails when it is still running after `seconds`."""
    out: List[T] = []
    errors: List[BaseException] = []

    def run() -> None:
        try:
            out.append(scenario())
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"{what}: still running after {seconds} s (a deadlock)")
    if errors:
        raise errors[0]
    return out[0]


def test_on_progress_may_call_the_client_it_waits_on(emu: Emulator, client: ims.Client) -> None:
    job_id = client.create_whole_image(name="reentrant", backup_id="backup-reentrant")
    other = client.create_whole_image(name="other", backup_id="backup-other")
    seen: List[str] = []

    def on_progress(job: ims.Job) -> None:
        seen.append(client.job_status(other).job_id)

    done = within(
        30, "re-entrant call", lambda: client.wait_job(job_id, interval=FAST, on_progress=on_progress)
    )
    assert done.status == "SUCCESS"
    assert seen and all(s == other for s in seen)


def test_on_progress_waiting_for_another_threads_call_finishes(
    emu: Emulator, client: ims.Client
) -> None:
    job_id = client.create_whole_image(name="pool", backup_id="backup-pool")
    other = client.create_whole_image(name="pool-other", backup_id="backup-pool-other")
    emu.inject("job", "delay", 100, delay=0.2)
    answers: List[str] = []

    def scenario() -> ims.Job:
        with ThreadPoolExecutor(max_workers=1) as pool:

            def on_progress(job: ims.Job) -> None:
                # Another thread's call, waited for inside the callback.
                answers.append(pool.submit(client.job_status, other).result().job_id)

            return client.wait_job(job_id, interval=FAST, on_progress=on_progress)

    done = within(30, "callback waiting on a pool", scenario)
    assert done.status == "SUCCESS"
    assert answers and all(a == other for a in answers)


def test_a_callback_taking_a_lock_another_thread_holds_across_its_call_finishes(
    emu: Emulator, client: ims.Client
) -> None:
    job_id = client.create_whole_image(name="lock", backup_id="backup-lock")
    other = client.create_whole_image(name="lock-other", backup_id="backup-lock-other")
    emu.inject("job", "delay", 100, delay=0.3)
    lock = threading.Lock()
    go = threading.Event()
    holding = threading.Event()
    b_answer: List[str] = []

    def thread_b() -> None:
        go.wait()
        with lock:
            holding.set()
            b_answer.append(client.job_status(other).job_id)

    first = [True]

    def on_progress(job: ims.Job) -> None:
        if first[0]:
            first[0] = False
            go.set()
            holding.wait()
            time.sleep(0.05)
            with lock:
                pass

    def scenario() -> ims.Job:
        b = threading.Thread(target=thread_b, daemon=True)
        b.start()
        job = client.wait_job(job_id, interval=FAST, on_progress=on_progress)
        b.join()
        return job

    done = within(30, "callback waiting on a lock", scenario)
    assert done.status == "SUCCESS"
    assert b_answer == [other]


def test_a_slow_on_progress_does_not_hold_up_another_threads_call(
    emu: Emulator, client: ims.Client
) -> None:
    job_id = client.create_whole_image(name="slow", backup_id="backup-slow")
    other = client.create_whole_image(name="slow-other", backup_id="backup-slow-other")
    barrier = threading.Barrier(2)
    took: List[float] = []

    def thread_b() -> None:
        barrier.wait()
        time.sleep(0.1)
        t = time.monotonic()
        client.job_status(other)
        took.append(time.monotonic() - t)

    first = [True]

    def on_progress(job: ims.Job) -> None:
        if first[0]:
            first[0] = False
            barrier.wait()
            time.sleep(1.5)

    def scenario() -> None:
        b = threading.Thread(target=thread_b, daemon=True)
        b.start()
        client.wait_job(job_id, interval=FAST, on_progress=on_progress)
        b.join()

    within(30, "slow callback", scenario)
    assert took and took[0] < 1.0, took


def test_the_jobs_outcome_wins_over_an_exception_from_its_final_report(
    emu: Emulator, client: ims.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu.update(job_seconds=0)
    job_id = client.create_whole_image(name="final", backup_id="backup-final")
    unraisable: List[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    def on_progress(job: ims.Job) -> None:
        raise ValueError(f"callback saw {job.status}")

    done = client.wait_job(job_id, first_delay=0, interval=FAST, on_progress=on_progress)
    assert done.status == "SUCCESS" and done.image_id
    assert len(unraisable) == 1
    assert isinstance(unraisable[0].exc_value, ValueError)
    assert "SUCCESS" in str(unraisable[0].exc_value)
    # Before the final report, the callback's exception still ends the wait.
    emu.update(job_seconds=600)
    long_job = client.create_whole_image(name="running", backup_id="backup-running")
    with pytest.raises(ValueError):
        client.wait_job(long_job, first_delay=0, interval=FAST, on_progress=on_progress)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
@pytest.mark.parametrize("operation", ["create", "job_status"])
def test_ctrl_c_interrupts_a_call_to_a_server_that_never_answers(
    emu: Emulator, client: ims.Client, operation: str
) -> None:
    job_id = client.create_whole_image(name="ctrl-c", backup_id="backup-ctrl-c")
    if operation == "create":
        emu.inject("create", "delay", 1, delay=60)
    else:
        emu.inject("job", "delay", 1, delay=60)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as raised:
            if operation == "create":
                client.create_whole_image(name="never", backup_id="backup-never")
            else:
                client.job_status(job_id)
    finally:
        timer.cancel()
    elapsed = time.monotonic() - started
    assert elapsed < 1.3, elapsed
    if operation == "create":
        # The request was written before the server stalled: it may have been processed.
        assert getattr(raised.value, "may_have_been_sent", None) is True
        if sys.version_info >= (3, 11):
            assert any("may be on its way" in n for n in raised.value.__notes__)
    emu.clear_faults()
    assert client.job_status(job_id).job_id == job_id


def _query_rounds(client: ims.Client, job_id: str, rounds: int) -> int:
    ok = 0
    for _ in range(rounds):
        if client.job_status(job_id).job_id == job_id:
            ok += 1
    return ok


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_client_made_before_fork_works_in_the_child(emu: Emulator, client: ims.Client) -> None:
    parent_job = client.create_whole_image(name="fork-parent", backup_id="backup-fork-parent")
    child_job = client.create_whole_image(name="fork-child", backup_id="backup-fork-child")
    assert client.job_status(parent_job).job_id == parent_job  # a pooled connection now
    emu.reset_stats()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            signal.alarm(30)
            code = 0 if _query_rounds(client, child_job, 40) == 40 else 1
        finally:
            os._exit(code)
    parent_ok = _query_rounds(client, parent_job, 40)
    deadline = time.monotonic() + 60
    status: Optional[int] = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the forked child hung")
    assert status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert parent_ok == 40
    # The parent's queries reused its pooled connection (opened before the stats were reset);
    # the child's went out on a connection of its own.
    assert emu.stats()["connections"] >= 1


MODULE_CLIENT: Optional[ims.Client] = None


def _child_query(job_id: str) -> str:
    assert MODULE_CLIENT is not None
    return MODULE_CLIENT.job_status(job_id).job_id


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"
)
def test_a_module_level_client_works_in_multiprocessing_fork_workers(
    emu: Emulator, client: ims.Client
) -> None:
    global MODULE_CLIENT
    MODULE_CLIENT = client
    ids = [client.create_whole_image(name=f"mp-{i}", backup_id=f"backup-mp-{i}") for i in range(4)]
    assert client.job_status(ids[0]).job_id == ids[0]
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(2) as pool:
            result = pool.map_async(_child_query, ids * 5)
            answers = result.get(timeout=60)
    finally:
        MODULE_CLIENT = None
    assert answers == ids * 5
