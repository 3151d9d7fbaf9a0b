"""The whole flow against the emulator: create (ECS and backup), query, wait."""

from __future__ import annotations

import uuid
from typing import Any, List, cast

import pytest

import ims
from ims.testing import Emulator

from .conftest import BACKUP_ID, FAST, INSTANCE_ID, VAULT_ID, Door, Doors


def test_version_and_exports() -> None:
    assert isinstance(ims.__version__, str) and ims.__version__.count(".") == 2
    for name in ims.__all__:
        assert hasattr(ims, name), name
    assert ims._ims.__file__.endswith(".abi3.so")


def test_ecs_image_end_to_end(emu: Emulator, door: Door) -> None:
    job_id = door.create_whole_image(
        name="nightly",
        instance_id=INSTANCE_ID,
        vault_id=VAULT_ID,
        description="built by CI",
        tags={"team": "infra", "env": "prod"},
        min_ram=1024,
        max_ram=4096,
    )
    assert isinstance(job_id, str) and len(job_id) == 32

    first = door.job_status(job_id)
    assert isinstance(first, ims.Job)
    assert first.job_id == job_id
    assert first.job_type == "imsCreateWholeImageByInstanceJob"
    assert first.status in (ims.JobStatus.INIT, ims.JobStatus.RUNNING)
    assert not first.is_terminal

    seen: List[ims.Job] = []
    job = door.wait_job(job_id, interval=FAST, on_progress=seen.append)
    assert job.status == "SUCCESS"
    assert job.status is ims.JobStatus.SUCCESS
    assert job.is_terminal and job.status.is_terminal
    assert job.image_id
    assert job.process_percent == 100.0 or job.process_percent is None
    assert job.error_code is None and job.fail_reason is None
    assert seen and seen[-1] == job
    assert all(isinstance(j, ims.Job) for j in seen)
    assert emu.stats()["images_created"] == 1


def test_backup_image_end_to_end(emu: Emulator, door: Door) -> None:
    job_id = door.create_whole_image(name="from-backup", backup_id=BACKUP_ID)
    job = door.wait_job(job_id, interval=FAST)
    assert job.status == "SUCCESS"
    assert job.job_type == "imsCreateWholeImageByBackupJob"
    assert job.image_id
    assert job.begin_time


def test_legacy_tags_and_legacy_endpoint(emu: Emulator, doors: Doors) -> None:
    door = doors.for_emulator(emu, legacy_job_endpoint=True)
    job_id = door.create_whole_image(
        name="legacy", backup_id=str(uuid.uuid4()), legacy_tags=["team.infra", "solo"]
    )
    job = door.wait_job(job_id, interval=FAST)
    assert job.status == "SUCCESS"
    paths = [r["path"] for r in emu.stats()["requests"]]
    assert any(p.startswith(f"/v1/{emu.project_id}/jobs/") for p in paths), paths


def test_create_from_body(emu: Emulator, door: Door) -> None:
    body = {
        "name": "from-body",
        "instance_id": INSTANCE_ID,
        "vault_id": VAULT_ID,
        "image_tags": [{"key": "team", "value": "infra"}],
        "max_ram": 2048,
    }
    job_id = door.create_whole_image_from_body(body)
    assert door.wait_job(job_id, interval=FAST).status == "SUCCESS"


def test_job_document(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=0)
    job_id = door.create_whole_image(name="doc", backup_id=BACKUP_ID)
    job = door.wait_job(job_id, first_delay=0, interval=FAST)
    doc = job.to_dict()
    assert doc["job_id"] == job_id and doc["status"] == "SUCCESS"
    assert doc["entities"]["image_id"] == job.image_id
    doc["status"] = "changed"  # a copy: the job does not change
    assert job.to_dict()["status"] == "SUCCESS"
    assert repr(job).startswith(f"Job(job_id='{job_id}', status='SUCCESS'")
    assert job.image_id is not None and job.image_id in repr(job)
    with pytest.raises(AttributeError):
        setattr(job, "status", ims.JobStatus.FAIL)
    assert ims.Job.from_dict(doc).status is ims.JobStatus.UNKNOWN
    assert ims.Job.from_dict(job.to_dict()) == job


def test_job_status_enum() -> None:
    assert ims.JobStatus("FAIL") is ims.JobStatus.FAIL
    assert str(ims.JobStatus.RUNNING) == "RUNNING"
    assert ims.JobStatus.SUCCESS == "SUCCESS"
    assert [s.value for s in ims.JobStatus] == ["INIT", "RUNNING", "SUCCESS", "FAIL", "UNKNOWN"]
    failed = ims.Job.from_dict(
        {"job_id": "j", "status": "fail", "error_code": "IMG.0010", "fail_reason": "busy"}
    )
    assert failed.status is ims.JobStatus.FAIL and failed.status == "FAIL"
    assert (failed.error_code, failed.fail_reason) == ("IMG.0010", "busy")
    assert "error_code='IMG.0010'" in repr(failed)
    with pytest.raises(ValueError):
        ims.Job.from_dict(cast(Any, [1, 2]))


def test_progress_reports_running_with_percent(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=1.0)
    job_id = door.create_whole_image(name="progress", backup_id=BACKUP_ID)
    seen: List[ims.Job] = []
    door.wait_job(job_id, interval=0.1, on_progress=seen.append)
    statuses = [j.status for j in seen]
    assert ims.JobStatus.RUNNING in statuses
    percents = [j.process_percent for j in seen if j.process_percent is not None]
    assert percents == sorted(percents)


def test_on_progress_returning_none_keeps_waiting(door: Door) -> None:
    calls: List[str] = []

    def note(job: ims.Job) -> None:
        calls.append(job.status.value)

    job_id = door.create_whole_image(name="cb", backup_id=BACKUP_ID)
    assert door.wait_job(job_id, interval=FAST, on_progress=note).status == "SUCCESS"
    assert calls[-1] == "SUCCESS"


def test_client_repr_and_endpoint(emu: Emulator, doors: Doors) -> None:
    door = doors.for_emulator(emu)
    text = repr(door)
    assert text.startswith(f"{doors.name}(endpoint=")
    assert emu.url in text and door.endpoint.rstrip("/") == emu.url
    assert emu.sk not in text and emu.ak not in text
    token_client = doors(endpoint=emu.url, auth_token="SECRET-TOKEN-123", project_id="p")
    assert "SECRET-TOKEN-123" not in repr(token_client)
    assert "credentials='token'" in repr(token_client)


def test_auth_token(emu: Emulator, doors: Doors) -> None:
    emu.update(auth_token="tok-123")
    door = doors(endpoint=emu.url, auth_token="tok-123", project_id=emu.project_id)
    job_id = door.create_whole_image(name="token", backup_id=BACKUP_ID)
    assert door.wait_job(job_id, interval=FAST).status == "SUCCESS"


def test_project_id_looked_up_in_iam(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, doors: Doors
) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", emu.url)
    monkeypatch.delenv("HUAWEICLOUD_SDK_PROJECT_ID", raising=False)
    door = doors(endpoint=emu.url, region=emu.region, ak=emu.ak, sk=emu.sk)
    job_id = door.create_whole_image(name="iam", backup_id=BACKUP_ID)
    assert door.wait_job(job_id, interval=FAST).status == "SUCCESS"
    assert any(r["path"] == "/v3/projects" for r in emu.stats()["requests"])


def test_from_env(emu: Emulator, monkeypatch: pytest.MonkeyPatch, doors: Doors) -> None:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", emu.ak)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", emu.sk)
    monkeypatch.setenv("HUAWEICLOUD_SDK_PROJECT_ID", emu.project_id)
    monkeypatch.setenv("IMS_ENDPOINT", emu.url)
    monkeypatch.setenv("IMS_NO_METADATA", "1")
    door = doors.from_env()
    assert door.endpoint.rstrip("/") == emu.url
    assert "credentials='chain'" in repr(door)
    job_id = door.create_whole_image(name="env", backup_id=BACKUP_ID)
    assert door.wait_job(job_id, interval=FAST).image_id


def test_emulator_knobs(emu: Emulator, doors: Doors) -> None:
    assert emu.running and emu.url.startswith("http://127.0.0.1:")
    emu.throttle_next("create", 1, retry_after=0)
    assert emu.pending("create") == 1
    door = doors.for_emulator(emu)
    job_id = door.create_whole_image(name="throttled-once", backup_id=BACKUP_ID)
    assert emu.pending("create") == 0
    statuses = [r["status"] for r in emu.stats()["requests"] if r["method"] == "POST"]
    assert statuses == [429, 200]
    emu.inject("job", "internal_error", 2)
    assert door.wait_job(job_id, interval=FAST).status == "SUCCESS"
    emu.reset_stats()
    assert emu.stats()["requests_total"] == 0
    emu.set_clock_offset(0)
    emu.clear_faults()
    with pytest.raises(ValueError):
        emu.inject("nowhere", "throttle")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        emu.inject("job", "meteor")  # type: ignore[arg-type]
    emu.shutdown()
    emu.shutdown()
    assert not emu.running
    with pytest.raises(RuntimeError):
        emu.stats()


def test_emulator_known_resources(emu: Emulator, door: Door) -> None:
    emu.update(known_backups=["only-this-one"])
    with pytest.raises(ims.ApiError) as info:
        door.create_whole_image(name="unknown", backup_id=BACKUP_ID)
    assert info.value.code == "IMG.0020"
    emu.update(known_backups=None)
    assert door.create_whole_image(name="any", backup_id=BACKUP_ID)


def test_pool_idle_timeout_retires_idle_connections(doors: Doors) -> None:
    """``pool_idle_timeout`` reaches core: a connection idle longer is not reused."""
    import time

    with Emulator(job_seconds=0) as emu:
        short = doors.for_emulator(emu, pool_idle_timeout=0.1)
        short.create_whole_image(name="pool-1", backup_id="b-pool-1")
        time.sleep(0.4)
        short.create_whole_image(name="pool-2", backup_id="b-pool-2")
        assert emu.stats()["connections"] == 2
        emu.reset_stats()
        default = doors.for_emulator(emu)
        default.create_whole_image(name="pool-3", backup_id="b-pool-3")
        time.sleep(0.4)
        default.create_whole_image(name="pool-4", backup_id="b-pool-4")
        assert emu.stats()["connections"] == 1


def test_emulator_connection_switches_keep_one_image_per_create(doors: Doors) -> None:
    """A balancer-like idle close, and a close after every answer: each create still makes
    exactly one image (the client never sends a create onto a closed connection)."""
    import time

    with Emulator(job_seconds=0, idle_close_ms=100) as emu:
        door = doors.for_emulator(emu)
        door.create_whole_image(name="idle-1", backup_id="b-idle-1")
        time.sleep(0.4)
        door.create_whole_image(name="idle-2", backup_id="b-idle-2")
        stats = emu.stats()
        assert stats["images_created"] == 2
        assert stats["connections"] == 2
        emu.update(idle_close_ms=None, close_after_answer=True)
        emu.reset_stats()
        for i in range(5):
            door.create_whole_image(name=f"close-{i}", backup_id=f"b-close-{i}")
        stats = emu.stats()
        assert stats["images_created"] == 5
        # The first create used the connection still open from before; each answer closed one.
        assert stats["connections"] == 4
