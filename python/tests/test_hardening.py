"""Hardening of the Python door (issue #11): the waiter's arguments are checked before anything
is sent, the documented defaults are pinned against literal numbers, and Ctrl-C is answered
within one tick of the waiter's sleep."""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from typing import Any

import pytest

import ims
from ims.testing import Emulator

from .conftest import Door, Doors

UNKNOWN_JOB = "0123456789abcdef0123456789abcdef"
#: 366 days: the longest timeout, interval or first delay accepted (as the C ABI and the CLI).
MAX_SECS = 366 * 24 * 3600

BAD_REALS = [math.nan, -math.nan, math.inf, -math.inf, -1.0, -1e-9, MAX_SECS + 1.0, 1e300]


def _assert_refused(excinfo: pytest.ExceptionInfo[ims.ValidationError], name: str) -> None:
    err = excinfo.value
    assert isinstance(err, ValueError)
    assert err.kind == "validation"
    assert err.fields == [name], err.errors
    assert name in str(err), str(err)


@pytest.mark.parametrize("name", ["interval", "first_delay", "timeout"])
@pytest.mark.parametrize("value", BAD_REALS)
def test_bad_wait_numbers_are_refused_before_anything_is_sent(
    emu: Emulator, door: Door, name: str, value: float
) -> None:
    with pytest.raises(ims.ValidationError) as excinfo:
        door.wait_job(UNKNOWN_JOB, **{name: value})  # type: ignore[arg-type]
    _assert_refused(excinfo, name)
    assert emu.stats()["requests_total"] == 0


@pytest.mark.parametrize("value", [0, 0.0, -0.0, 1e-12])
def test_an_interval_of_zero_is_refused(emu: Emulator, door: Door, value: float) -> None:
    # 1e-12 s rounds to zero nanoseconds: a tight poll loop all the same.
    with pytest.raises(ims.ValidationError) as excinfo:
        door.wait_job(UNKNOWN_JOB, interval=value)
    _assert_refused(excinfo, "interval")
    assert emu.stats()["requests_total"] == 0


def test_edges_that_are_allowed(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=0)
    job_id = door.create_whole_image(name="edges", backup_id="backup-edges")
    # A zero first delay and the longest timeout are fine.
    job = door.wait_job(job_id, timeout=MAX_SECS, first_delay=0, interval=0.01)
    assert job.status == "SUCCESS"
    opts = ims.Client._wait_options(timeout=0, interval=MAX_SECS, first_delay=MAX_SECS)
    assert opts["timeout"] == 0.0
    assert opts["interval"] == MAX_SECS
    assert opts["first_delay"] == MAX_SECS


def test_documented_wait_defaults() -> None:
    # The README and the docstring: 10 s first delay, 10 s interval growing x1.5 up to 60 s,
    # +-10 % jitter, a 3600 s timeout, 10 transient errors absorbed, a 100 ms tick.
    assert ims.Client._wait_options() == {
        "first_delay": 10.0,
        "interval": 10.0,
        "backoff": 1.5,
        "max_interval": 60.0,
        "jitter": 0.1,
        "timeout": 3600.0,
        "transient_error_budget": 10,
        "tick": 0.1,
    }
    # `interval` alone also sets the first delay; `first_delay` overrides it.
    opts = ims.Client._wait_options(interval=2.5)
    assert (opts["first_delay"], opts["interval"], opts["max_interval"]) == (2.5, 2.5, 60.0)
    opts = ims.Client._wait_options(interval=90, first_delay=0)
    assert (opts["first_delay"], opts["interval"], opts["max_interval"]) == (0.0, 90.0, 90.0)


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_ctrl_c_is_answered_within_a_tick(emu: Emulator, client: ims.Client) -> None:
    emu.update(job_seconds=600)
    job_id = client.create_whole_image(name="tick", backup_id="backup-tick")
    sent: list[float] = []

    def interrupt() -> None:
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.3, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Sleeps 30 s between polls: only the tick's signal check can end it early.
            client.wait_job(job_id, timeout=600, first_delay=0, interval=30)
        answered = time.monotonic()
    finally:
        timer.cancel()
    assert len(sent) == 1
    latency = answered - sent[0]
    # The waiter checks for signals every 100 ms tick; 0.5 s leaves room for a loaded machine
    # and still fails when the check happens only at polls (30 s apart).
    assert latency < 0.5, latency


# -- numbers (issue #21, item 22): what is not a number, too large, or rounds to nothing -------

#: Every numeric setting of ``Client(...)`` / ``AsyncClient(...)``.
NUMERIC_SETTINGS = [
    "timeout",
    "connect_timeout",
    "pool_idle_timeout",
    "max_attempts",
    "max_concurrent_requests",
]


@pytest.mark.parametrize("name", NUMERIC_SETTINGS)
@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_a_number_in_the_settings(doors: Doors, name: str, value: bool) -> None:
    # `True` is an int to Python, but `timeout=True` is a mistake, not one second.
    with pytest.raises(TypeError) as info:
        doors(region="cn-north-4", **{name: value})
    assert name in str(info.value) and "bool" in str(info.value), str(info.value)


@pytest.mark.parametrize("name", ["timeout", "interval", "first_delay"])
def test_a_bool_is_not_a_number_in_wait_job(emu: Emulator, door: Door, name: str) -> None:
    kwargs: dict[str, Any] = {name: True}
    with pytest.raises(TypeError) as info:
        door.wait_job(UNKNOWN_JOB, **kwargs)
    assert name in str(info.value) and "bool" in str(info.value), str(info.value)
    assert emu.stats()["requests_total"] == 0


@pytest.mark.parametrize("name", ["min_ram", "max_ram"])
def test_a_bool_is_not_a_number_in_create(emu: Emulator, door: Door, name: str) -> None:
    kwargs: dict[str, Any] = {name: True}
    with pytest.raises(TypeError) as info:
        door.create_whole_image(name="n", backup_id="backup-bool", **kwargs)
    assert name in str(info.value) and "bool" in str(info.value), str(info.value)
    assert emu.stats()["requests_total"] == 0


@pytest.mark.parametrize("name", ["timeout", "interval", "first_delay"])
@pytest.mark.parametrize(
    "value", [pytest.param(10**400, id="10**400"), pytest.param(-(10**400), id="-10**400")]
)
def test_an_integer_beyond_a_float_is_a_validation_error(
    emu: Emulator, door: Door, name: str, value: int
) -> None:
    # Not an OverflowError: the same ValidationError as any other number out of range.
    kwargs: dict[str, Any] = {name: value}
    with pytest.raises(ims.ValidationError) as excinfo:
        door.wait_job(UNKNOWN_JOB, **kwargs)
    _assert_refused(excinfo, name)
    assert emu.stats()["requests_total"] == 0


@pytest.mark.parametrize("name", ["timeout", "connect_timeout", "pool_idle_timeout"])
def test_a_setting_beyond_a_float_is_a_config_error(doors: Doors, name: str) -> None:
    with pytest.raises(ims.ConfigError) as info:
        doors(region="cn-north-4", **{name: 10**400})
    assert f"{name} is too large" in str(info.value), str(info.value)


@pytest.mark.parametrize("name", ["timeout", "connect_timeout", "pool_idle_timeout"])
@pytest.mark.parametrize("value", [1e-10, 5e-324])
def test_a_setting_that_rounds_to_zero_is_refused(doors: Doors, name: str, value: float) -> None:
    # Positive, but less than a nanosecond: a timeout of zero.
    with pytest.raises(ims.ConfigError) as info:
        doors(region="cn-north-4", **{name: value})
    assert f"{name} must be a positive number of seconds" in str(info.value), str(info.value)
    assert doors(region="cn-north-4", **{name: 1e-9})


@pytest.mark.parametrize(
    "value", [0, -1, 101, 2**32, pytest.param(2**70, id="2**70")]
)
def test_max_attempts_is_refused_with_cores_range(doors: Doors, value: int) -> None:
    with pytest.raises(ims.ConfigError) as info:
        doors(region="cn-north-4", max_attempts=value)
    assert "max_attempts must be 1 (never retry) to 100" in str(info.value), str(info.value)
    assert str(value) in str(info.value)


def test_max_attempts_edges_are_accepted(doors: Doors) -> None:
    assert doors(region="cn-north-4", max_attempts=1)
    assert doors(region="cn-north-4", max_attempts=100)


def test_an_empty_security_token_is_no_token(emu: Emulator, doors: Doors) -> None:
    # As the C ABI (and core's credentials): "" is no token at all, not a token to refuse or send.
    client = doors(endpoint=emu.url, project_id=emu.project_id, security_token="")
    assert "credentials='chain'" in repr(client)
    client = doors(
        endpoint=emu.url, project_id=emu.project_id, ak=emu.ak, sk=emu.sk, security_token=""
    )
    assert "credentials='explicit'" in repr(client)
    job_id = client.create_whole_image(name="no-token", backup_id="backup-no-token")
    assert client.job_status(job_id).job_id == job_id


def test_a_job_is_hashable_consistently_with_eq(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=0)
    job_id = door.create_whole_image(name="hash", backup_id="backup-hash")
    first = door.job_status(job_id)
    again = door.job_status(job_id)
    assert first == again and hash(first) == hash(again)
    assert {first, again} == {first}
    assert {first: 1}[again] == 1
    other = ims.Job.from_dict({"job_id": "other", "status": "RUNNING"})
    assert other != first and len({first, other}) == 2
