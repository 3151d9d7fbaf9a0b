"""Every exception, with its attributes: the same classes from ``ims.Client`` and
``ims.AsyncClient`` (the tests taking ``door`` or ``doors`` run once with each)."""

from __future__ import annotations

import pickle
import socket
import time
from pathlib import Path
from typing import Any

import pytest

import ims
from ims.testing import Emulator

from .conftest import BACKUP_ID, FAST, INSTANCE_ID, VAULT_ID, Door, Doors


def test_hierarchy() -> None:
    for cls in (
        ims.ValidationError,
        ims.CredentialsError,
        ims.ConfigError,
        ims.SigningError,
        ims.TransportError,
        ims.ApiError,
        ims.InvalidResponseError,
        ims.JobFailedError,
        ims.WaitTimeoutError,
        ims.CancelledError,
    ):
        assert issubclass(cls, ims.ImsError), cls
    assert issubclass(ims.ImsError, Exception)
    assert issubclass(ims.ValidationError, ValueError)


def test_validation_error_lists_every_violation(door: Door, emu: Emulator) -> None:
    with pytest.raises(ims.ValidationError) as info:
        door.create_whole_image(
            name=" bad<name> ",
            instance_id=INSTANCE_ID,
            vault_id=VAULT_ID,
            tags={"k" * 40: "v"},
            min_ram=-1,
        )
    e = info.value
    assert isinstance(e, ValueError) and e.kind == "validation"
    fields = [f for f, _, _ in e.errors]
    assert "name" in fields and "image_tags[0].key" in fields and "min_ram" in fields
    assert ("name", "whitespace") in [(f, r) for f, r, _ in e.errors]
    assert all(isinstance(m, str) and m for _, _, m in e.errors)
    assert e.fields == fields
    # The message names every field.
    for field in ("name", "image_tags[0].key", "min_ram"):
        assert field in str(e), (field, str(e))
    assert str(e).startswith("invalid request: ")
    assert emu.stats()["requests_total"] == 0, "nothing was sent"


def test_validation_of_sources(door: Door) -> None:
    with pytest.raises(ims.ValidationError) as info:
        door.create_whole_image(name="n")
    assert info.value.errors[0][:2] == ("source", "required")
    with pytest.raises(ims.ValidationError) as info:
        door.create_whole_image(name="n", instance_id=INSTANCE_ID, backup_id=BACKUP_ID)
    assert ("source", "exclusive") in [(f, r) for f, r, _ in info.value.errors]
    with pytest.raises(ims.ValidationError) as info:
        door.create_whole_image(name="n", instance_id=INSTANCE_ID)
    assert [(f, r) for f, r, _ in info.value.errors] == [("vault_id", "required")]
    assert "vault_id" in str(info.value)
    with pytest.raises(ims.ValidationError) as info:
        door.create_whole_image(
            name="n", backup_id=BACKUP_ID, tags={"a": "b"}, legacy_tags=["c.d"]
        )
    assert ("image_tags", "exclusive") in [(f, r) for f, r, _ in info.value.errors]


def test_validation_of_a_body(door: Door) -> None:
    with pytest.raises(ims.ValidationError) as info:
        door.create_whole_image_from_body(
            {
                "name": "n",
                "backup_id": BACKUP_ID,
                "image_tags": [{"key": "a", "value": "b"}, {"key": "c", "value": 5}],
                "colour": "blue",
            }
        )
    pairs = [(f, r) for f, r, _ in info.value.errors]
    assert ("image_tags[1].value", "type") in pairs
    assert ("colour", "unknown_field") in pairs
    with pytest.raises(TypeError, match=r"image_tags\[0\]: cannot be sent as JSON"):
        door.create_whole_image_from_body(
            {"name": "n", "backup_id": BACKUP_ID, "image_tags": [object()]}
        )


def test_validation_of_job_ids(door: Door) -> None:
    with pytest.raises(ims.ValidationError) as info:
        door.job_status("has space")
    assert info.value.errors[0][0] == "job_id"


def test_argument_types(door: Door) -> None:
    with pytest.raises(TypeError):
        door.create_whole_image(name="n", backup_id=BACKUP_ID, legacy_tags="a.b")
    with pytest.raises(TypeError):
        door.create_whole_image(name="n", backup_id=BACKUP_ID, tags={"a": 1})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        door.wait_job("abc", on_progress=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        door.wait_job("abc", timeout=-1)


def test_api_error_backup_reuse(door: Door) -> None:
    door.create_whole_image(name="first", backup_id=BACKUP_ID)
    with pytest.raises(ims.ApiError) as info:
        door.create_whole_image(name="second", backup_id=BACKUP_ID)
    e = info.value
    assert e.kind == "api"
    assert (e.status, e.code) == (400, "IMG.0029")
    assert e.message
    assert e.request_id and len(e.request_id) == 32
    assert "IMG.0029" in str(e) and e.request_id in str(e)


def test_api_error_wrong_sk(emu: Emulator, doors: Doors) -> None:
    client = doors(endpoint=emu.url, ak=emu.ak, sk="not-the-secret", project_id=emu.project_id)
    with pytest.raises(ims.ApiError) as info:
        client.create_whole_image(name="n", backup_id=BACKUP_ID)
    e = info.value
    assert (e.status, e.code) == (401, "APIGW.0301")
    assert e.request_id
    assert e.signed_request, "the canonical request this client signed, to compare"
    assert "not-the-secret" not in str(e) and "not-the-secret" not in (e.signed_request or "")
    assert emu.stats()["images_created"] == 0


def test_job_failed_error(emu: Emulator, door: Door) -> None:
    emu.fail_next_jobs(1, "IMG.0010", "The ECS has in-progress tasks.")
    job_id = door.create_whole_image(name="doomed", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
    with pytest.raises(ims.JobFailedError) as info:
        door.wait_job(job_id, interval=FAST)
    e = info.value
    assert e.kind == "job_failed"
    assert isinstance(e.job, ims.Job)
    assert e.job.job_id == job_id
    assert e.job.status is ims.JobStatus.FAIL
    assert e.job.error_code == "IMG.0010"
    assert e.job.fail_reason == "The ECS has in-progress tasks."
    assert "IMG.0010" in str(e)


def test_wait_timeout_error(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=60)
    job_id = door.create_whole_image(name="slow", backup_id=BACKUP_ID)
    started = time.monotonic()
    with pytest.raises(ims.WaitTimeoutError) as info:
        door.wait_job(job_id, timeout=0.5, interval=0.1)
    assert time.monotonic() - started < 3
    e = info.value
    assert e.kind == "wait_timeout" and e.job_id == job_id
    assert e.elapsed >= 0.5
    assert e.job is not None and e.job.status in ("INIT", "RUNNING")


def test_wait_timeout_is_a_deadline_behind_a_slow_gateway(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=60)
    job_id = door.create_whole_image(name="slow-gateway", backup_id=BACKUP_ID)
    # Every job answer takes 6 s: the wait's own timeout must still end it after about 1 s.
    emu.inject("job", "delay", 100, delay=6)
    started = time.monotonic()
    with pytest.raises(ims.WaitTimeoutError):
        door.wait_job(job_id, timeout=1, interval=0.1, first_delay=0)
    elapsed = time.monotonic() - started
    emu.clear_faults()
    assert elapsed < 2.0, elapsed


def test_cancelled_error(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=60)
    job_id = door.create_whole_image(name="cancel", backup_id=BACKUP_ID)
    polls = []

    def stop_after_two(job: ims.Job) -> bool:
        polls.append(job)
        return len(polls) < 2

    with pytest.raises(ims.CancelledError) as info:
        door.wait_job(job_id, interval=FAST, on_progress=stop_after_two)
    e = info.value
    assert e.kind == "cancelled" and e.job_id == job_id
    assert e.job is not None and e.job == polls[-1]
    assert len(polls) == 2


def test_on_progress_exception_propagates(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=60)
    job_id = door.create_whole_image(name="raise", backup_id=BACKUP_ID)

    class Boom(Exception):
        pass

    def explode(job: ims.Job) -> None:
        raise Boom(job.job_id)

    with pytest.raises(Boom, match=job_id):
        door.wait_job(job_id, interval=FAST, on_progress=explode)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_transport_error_closed_port(doors: Doors) -> None:
    client = doors(
        endpoint=f"http://127.0.0.1:{_closed_port()}",
        ak="AK",
        sk="SK",
        project_id="p",
        max_attempts=1,
    )
    with pytest.raises(ims.TransportError) as info:
        client.job_status("4010a32b5f909853015f90aaa24b0015")
    e = info.value
    assert e.kind == "transport" and e.not_sent and not e.timeout
    with pytest.raises(ims.TransportError):
        client.create_whole_image(name="n", backup_id=BACKUP_ID)


def test_transport_error_timeout(emu: Emulator, doors: Doors) -> None:
    client = doors.for_emulator(emu, timeout=0.2, max_attempts=1)
    emu.inject("job", "delay", 1, delay=2.0)
    with pytest.raises(ims.TransportError) as info:
        client.job_status("4010a32b5f909853015f90aaa24b0015")
    assert info.value.timeout and info.value.kind == "timeout"


def test_invalid_response_error(emu: Emulator, doors: Doors) -> None:
    client = doors.for_emulator(emu, max_attempts=1)
    emu.inject("create", "wrong_content_type", 1)
    with pytest.raises(ims.InvalidResponseError) as info:
        client.create_whole_image(name="n", backup_id=BACKUP_ID)
    e = info.value
    assert e.kind == "invalid_response" and e.status == 200 and e.message


def test_credentials_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, emu: Emulator, doors: Doors
) -> None:
    for var in ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", str(tmp_path / "missing"))
    monkeypatch.setenv("IMS_NO_METADATA", "1")
    client = doors(endpoint=emu.url, project_id=emu.project_id)
    with pytest.raises(ims.CredentialsError) as info:
        client.create_whole_image(name="n", backup_id=BACKUP_ID)
    assert info.value.kind == "credentials"
    with pytest.raises(ims.CredentialsError):
        doors(endpoint=emu.url, ak="only-the-ak")
    with pytest.raises(ims.CredentialsError):
        doors(endpoint=emu.url, security_token="t")


def test_config_errors(doors: Doors) -> None:
    with pytest.raises(ims.ConfigError) as info:
        doors(ak="a", sk="b")
    assert "endpoint" in str(info.value) and info.value.kind == "config"
    with pytest.raises(ims.ConfigError):
        doors(region="cn-north-4", ak="a", sk="b", auth_token="t")
    with pytest.raises(ims.ConfigError):
        doors(endpoint="http://example.com", ak="a", sk="b")  # plain http, not loopback
    with pytest.raises(ims.ConfigError):
        doors(region="cn-north-4", timeout=0)
    with pytest.raises(ims.ConfigError):
        doors(region="cn-north-4", algorithm="MD5")
    with pytest.raises(ims.ConfigError):
        doors(region="cn-north-4", max_attempts=0)
    assert doors(region="cn-north-4", algorithm="SDK-HMAC-SM3", ak="a", sk="b")


# -- the settings keywords: one table in the binding, checked as Python checks keywords ------


def test_an_unknown_keyword_is_a_type_error_naming_it(doors: Doors) -> None:
    with pytest.raises(TypeError) as info:
        doors(region="cn-north-4", proxi="http://127.0.0.1:9")
    assert str(info.value) == f"{doors.name}() got an unexpected keyword argument 'proxi'"
    with pytest.raises(TypeError) as info:
        doors.from_env("cn-north-4", timeuot=5)
    assert (
        str(info.value) == f"{doors.name}.from_env() got an unexpected keyword argument 'timeuot'"
    )
    # Names are checked before values, as Python does.
    with pytest.raises(TypeError, match="'bogus'"):
        doors(region="cn-north-4", timeout=0, bogus=1)
    # Positional settings are refused too.
    positional: list[Any] = ["cn-north-4"]
    cls: Any = ims.Client if doors.kind == "sync" else ims.AsyncClient
    with pytest.raises(TypeError):
        cls(*positional)


def test_unknown_keywords_are_caught_statically() -> None:
    """The same mistakes, as mypy sees them (the ignores would be unused otherwise: strict
    mypy reports those)."""
    with pytest.raises(TypeError):
        ims.Client(region="cn-north-4", proxi="http://127.0.0.1:9")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ims.AsyncClient(region="cn-north-4", proxi="http://127.0.0.1:9")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ims.Client.from_env("cn-north-4", timeuot=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ims.AsyncClient.from_env("cn-north-4", timeuot=5)  # type: ignore[call-arg]


@pytest.mark.parametrize("keyword", ["ak", "sk", "security_token", "auth_token"])
def test_from_env_refuses_credential_keywords(keyword: str, doors: Doors) -> None:
    kwargs: dict[str, Any] = {keyword: "secret-value"}
    with pytest.raises(TypeError) as info:
        doors.from_env("cn-north-4", **kwargs)
    message = str(info.value)
    assert message == f"{doors.name}.from_env() got an unexpected keyword argument '{keyword}'"
    assert "secret-value" not in message


def test_a_keyword_of_the_wrong_type_is_a_type_error_naming_it_not_its_value(
    doors: Doors,
) -> None:
    for kwargs in ({"region": 5}, {"timeout": "5"}, {"allow_http": None}, {"max_attempts": 1.5}):
        with pytest.raises(TypeError) as info:
            doors(**kwargs)
        (name,) = kwargs
        assert name in str(info.value), str(info.value)
    with pytest.raises(TypeError) as info:
        doors(region="cn-north-4", ak="a", sk=b"s3cret-bytes")
    assert "sk" in str(info.value) and "s3cret" not in str(info.value)


def test_every_keyword_is_documented_and_typed() -> None:
    import ast

    keywords = ims.Client._keywords
    assert "region" in keywords and "proxy" in keywords and "ak" in keywords
    doc = ims.Client.__doc__ or ""
    missing = [k for k in keywords if f"``{k}``" not in doc]
    assert not missing, f"not in the docstring of ims.Client: {missing}"
    stub = ast.parse((Path(ims.__file__).parent / "_ims.pyi").read_text())
    classes = {n.name: n for n in stub.body if isinstance(n, ast.ClassDef)}
    typed = [
        n.target.id
        for n in classes["_ClientSettings"].body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    ]
    (new,) = [
        n
        for n in classes["Client"].body
        if isinstance(n, ast.FunctionDef) and n.name == "__new__"
    ]
    typed += [a.arg for a in new.args.kwonlyargs]
    assert sorted(typed) == sorted(keywords)


def test_pool_idle_timeout_is_validated(doors: Doors) -> None:
    # Up to a day, as the C door; 1.8e19 s used to be accepted and overflowed in the pool.
    for bad in (0, -1, 1e-12, float("nan"), float("inf"), 86400.001, 1.8e19, 1e300):
        with pytest.raises(ims.ConfigError) as info:
            doors(region="cn-north-4", pool_idle_timeout=bad)
        message = str(info.value)
        assert "pool_idle_timeout must be a positive number of seconds up to 86400" in message
    assert doors(region="cn-north-4", pool_idle_timeout=0.5)
    assert doors(region="cn-north-4", pool_idle_timeout=86400)
    assert doors.from_env("cn-north-4", pool_idle_timeout=120)


def test_exceptions_are_plain_python() -> None:
    e = ims.ApiError("boom", status=503, code="IMG.0503", request_id="r1")
    assert (e.status, e.code, e.request_id, str(e)) == (503, "IMG.0503", "r1", "boom")
    again = pickle.loads(pickle.dumps(e))
    assert (again.status, again.code, str(again)) == (503, "IMG.0503", "boom")
    v = ims.ValidationError("bad", errors=[("name", "required", "is required")])
    assert v.errors == [("name", "required", "is required")]


def test_max_concurrent_requests_is_validated(doors: Doors) -> None:
    for bad in (0, -1, 65536, 2**70):
        with pytest.raises(ims.ConfigError) as info:
            doors(region="cn-north-4", max_concurrent_requests=bad)
        assert "max_concurrent_requests must be 1 to 65535" in str(info.value)
    with pytest.raises(TypeError) as type_info:
        doors(region="cn-north-4", max_concurrent_requests="8")
    assert "max_concurrent_requests" in str(type_info.value)
    assert doors(region="cn-north-4", max_concurrent_requests=1)
    assert doors.from_env("cn-north-4", max_concurrent_requests=65535)


# -- pickling (issue #21, item 21): errors cross process boundaries with their attributes -----

#: A job document as the service writes it (keys in its order, not sorted).
JOB_DOC = (
    '{"status": "FAIL", "job_id": "4010a32b5f909853015f90aaa24b0015",'
    ' "job_type": "imsCreateWholeImageByInstanceJob", "begin_time": "2026-12-01T10:00:00.000Z",'
    ' "entities": {"process_percent": 40, "image_name": "nightly"},'
    ' "error_code": "IMG.0010", "fail_reason": "The ECS has in-progress tasks.", "extra": [1, 2]}'
)


def _job() -> ims.Job:
    import json

    return ims.Job.from_dict(json.loads(JOB_DOC))


def _round_trips() -> list[Any]:
    """A copy of each error class, built by hand with every attribute set."""
    job = _job()
    return [
        ims.ImsError("plain", kind="custom"),
        ims.ValidationError("bad", errors=[("name", "required", "is required")]),
        ims.CredentialsError("no credentials"),
        ims.ConfigError("no endpoint"),
        ims.SigningError("cannot sign"),
        ims.TransportError("refused", timeout=True, not_sent=True, kind="timeout"),
        ims.ApiError(
            "boom",
            status=503,
            code="IMG.0503",
            message="busy",
            request_id="r1",
            hint="retry later",
            signed_request="POST\n/v1\n",
        ),
        ims.InvalidResponseError("garbled", status=200, message="not JSON", request_id="r2"),
        ims.JobFailedError("failed", job=job),
        ims.WaitTimeoutError("too slow", job_id=job.job_id, elapsed=1.5, job=job),
        ims.WaitTimeoutError("too slow", job_id="j", elapsed=0.5, job=None),
        ims.CancelledError("cancelled", job_id=job.job_id, job=job),
        ims.CancelledError("cancelled", job_id="j", job=None),
    ]


def _assert_same_error(again: BaseException, e: BaseException) -> None:
    assert type(again) is type(e)
    assert again.args == e.args and str(again) == str(e)
    assert vars(again) == vars(e), (vars(again), vars(e))
    assert getattr(again, "kind") == getattr(e, "kind")


def test_a_job_pickles_to_an_equal_job() -> None:
    import copy

    job = _job()
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(job, protocol))
        assert isinstance(again, ims.Job)
        assert again == job and hash(again) == hash(job)
        assert again.to_dict() == job.to_dict()
        assert repr(again) == repr(job)
    assert copy.copy(job) == job and copy.deepcopy(job) == job


def test_a_job_from_the_service_pickles_to_an_equal_job(emu: Emulator, door: Door) -> None:
    emu.update(job_seconds=0)
    job_id = door.create_whole_image(name="pickle", backup_id=BACKUP_ID)
    for job in (door.job_status(job_id), door.wait_job(job_id, first_delay=0, interval=FAST)):
        again = pickle.loads(pickle.dumps(job))
        assert again == job and again.status is job.status and again.image_id == job.image_id


@pytest.mark.parametrize("error", _round_trips(), ids=lambda e: type(e).__name__)
def test_every_error_pickles_with_its_attributes(error: BaseException) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        _assert_same_error(pickle.loads(pickle.dumps(error, protocol)), error)


def test_job_failed_error_names_its_job_id(emu: Emulator, door: Door) -> None:
    emu.fail_next_jobs(1, "IMG.0010", "busy")
    job_id = door.create_whole_image(name="doomed", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
    with pytest.raises(ims.JobFailedError) as info:
        door.wait_job(job_id, interval=FAST)
    assert info.value.job_id == job_id == info.value.job.job_id
    # By hand, the job's id unless one is given.
    assert ims.JobFailedError("failed", job=_job()).job_id == _job().job_id


def test_errors_from_the_service_pickle_with_their_attributes(
    emu: Emulator, door: Door
) -> None:
    raised: list[BaseException] = []
    emu.fail_next_jobs(1, "IMG.0010", "busy")
    job_id = door.create_whole_image(name="doomed", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
    with pytest.raises(ims.JobFailedError) as failed:
        door.wait_job(job_id, interval=FAST)
    raised.append(failed.value)
    emu.update(job_seconds=60)
    job_id = door.create_whole_image(name="slow", backup_id=BACKUP_ID)
    with pytest.raises(ims.WaitTimeoutError) as timed_out:
        door.wait_job(job_id, timeout=0.2, interval=FAST)
    raised.append(timed_out.value)
    with pytest.raises(ims.CancelledError) as cancelled:
        door.wait_job(job_id, interval=FAST, on_progress=lambda job: False)
    raised.append(cancelled.value)
    with pytest.raises(ims.ValidationError) as invalid:
        door.create_whole_image(name=" bad ", backup_id=BACKUP_ID)
    raised.append(invalid.value)
    with pytest.raises(ims.ApiError) as api:
        door.create_whole_image(name="again", backup_id=BACKUP_ID)
    raised.append(api.value)
    for error in raised:
        _assert_same_error(pickle.loads(pickle.dumps(error)), error)


def _wait_in_a_worker(url: str, ak: str, sk: str, project_id: str, job_id: str) -> ims.Job:
    """Runs in a ProcessPoolExecutor's worker."""
    client = ims.Client(endpoint=url, ak=ak, sk=sk, project_id=project_id)
    return client.wait_job(job_id, interval=FAST)


def test_a_process_pool_raises_the_real_job_failed_error(emu: Emulator, client: ims.Client) -> None:
    import concurrent.futures
    import multiprocessing

    emu.fail_next_jobs(1, "IMG.0010", "The ECS has in-progress tasks.")
    job_id = client.create_whole_image(name="doomed", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
    # spawn: a fresh interpreter for the worker (this process runs the emulator's threads).
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(
            _wait_in_a_worker, emu.url, emu.ak, emu.sk, emu.project_id, job_id
        )
        with pytest.raises(ims.JobFailedError) as info:
            future.result(timeout=60)
    e = info.value
    assert e.kind == "job_failed" and e.job_id == job_id
    assert e.job.job_id == job_id and e.job.status is ims.JobStatus.FAIL
    assert (e.job.error_code, e.job.fail_reason) == ("IMG.0010", "The ECS has in-progress tasks.")
