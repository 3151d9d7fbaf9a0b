"""The emulator's image switches through ``ims.testing.Emulator``: the quota, the concurrent-job
limit with its peak gauge, the list and delete delays, and the standing create faults, set at
start and changed while running, and what a client sees of them."""

from __future__ import annotations

import pytest

import ims
from ims.testing import Emulator

from .conftest import INSTANCE_ID, VAULT_ID


def create(client: ims.Client, name: str) -> str:
    return client.create_whole_image(name=name, instance_id=INSTANCE_ID, vault_id=VAULT_ID)


def test_defaults_and_read_back() -> None:
    with Emulator() as emu:
        assert emu.image_settings() == {
            "image_quota": 50,
            "max_concurrent_jobs": 40,
            "list_delay": 0.0,
            "delete_delay": 1.0,
            "drop_after_create_rate": 0.0,
            "throttle_rate": 0.0,
        }
        assert emu.stats()["peak_running_jobs"] == 0
    with Emulator(
        image_quota=7,
        max_concurrent_jobs=3,
        list_delay=0.5,
        delete_delay=0.25,
        drop_after_create_rate=0.5,
        throttle_rate=0.25,
        fault_seed=9,
    ) as emu:
        assert emu.image_settings() == {
            "image_quota": 7,
            "max_concurrent_jobs": 3,
            "list_delay": 0.5,
            "delete_delay": 0.25,
            "drop_after_create_rate": 0.5,
            "throttle_rate": 0.25,
        }
        emu.update(image_quota=8, list_delay=0, throttle_rate=0)
        got = emu.image_settings()
        assert (got["image_quota"], got["list_delay"], got["throttle_rate"]) == (8, 0.0, 0.0)
        assert got["drop_after_create_rate"] == 0.5


def test_bad_values_are_refused_and_change_nothing() -> None:
    with Emulator() as emu:
        with pytest.raises(ValueError, match="throttle_rate"):
            emu.update(image_quota=3, throttle_rate=1.5)
        with pytest.raises(ValueError, match="list_delay"):
            emu.update(list_delay=-1)
        with pytest.raises(TypeError, match="image_quota"):
            emu.update(image_quota="many")  # type: ignore[arg-type]
        assert emu.image_settings()["image_quota"] == 50
    with pytest.raises(ValueError, match="drop_after_create_rate"):
        Emulator(drop_after_create_rate=-0.1)


def test_quota_refuses_a_create_with_img_0015() -> None:
    with Emulator(job_seconds=0, image_quota=1) as emu:
        client = emu.client()
        create(client, "one")
        with pytest.raises(ims.ApiError) as info:
            create(client, "two")
        assert (info.value.status, info.value.code) == (400, "IMG.0015")
        emu.update(image_quota=2)
        create(client, "two")
        assert emu.stats()["images_created"] == 2


def test_concurrent_jobs_are_limited_and_the_peak_is_readable() -> None:
    with Emulator(job_seconds=60, max_concurrent_jobs=2) as emu:
        client = emu.client()
        create(client, "a")
        create(client, "b")
        with pytest.raises(ims.ApiError) as info:
            create(client, "c")
        assert info.value.code == "IMG.0060"
        stats = emu.stats()
        assert (stats["peak_running_jobs"], stats["running_jobs"]) == (2, 2)


def test_drop_after_create_rate_makes_the_image_without_an_answer() -> None:
    with Emulator(job_seconds=0, drop_after_create_rate=1.0) as emu:
        client = emu.client(max_attempts=1)
        with pytest.raises(ims.ImsError):
            create(client, "lost")
        stats = emu.stats()
        assert stats["images_created"] >= 1
        assert stats["create_accepted"] == 0
        emu.update(drop_after_create_rate=0)
        create(client, "kept")


def test_throttle_rate_answers_429() -> None:
    with Emulator(job_seconds=0, throttle_rate=1.0) as emu:
        client = emu.client(max_attempts=1)
        with pytest.raises(ims.ApiError) as info:
            create(client, "t")
        assert (info.value.status, info.value.code) == (429, "APIGW.0308")
        assert emu.stats()["images_created"] == 0
