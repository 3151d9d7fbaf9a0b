"""The stubs match the runtime (mypy's stubtest), and typed code using ims checks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy")

HERE = Path(__file__).parent


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MYPYPATH", None)
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_stubtest(tmp_path: Path) -> None:
    # Run from a neutral directory so that the installed package (not the source tree) is
    # the one checked; no allowlist.
    result = _run("mypy.stubtest", "ims", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_usage_checks(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        textwrap.dedent(
            """
            import ims
            from ims.testing import Emulator

            from typing import Optional

            def run() -> Optional[str]:
                with Emulator(job_seconds=0) as emu:
                    client: ims.Client = emu.client(timeout=5.0)
                    job_id: str = client.create_whole_image(
                        name="n", backup_id="b", tags={"k": "v"}, min_ram=1024
                    )
                    job: ims.Job = client.wait_job(job_id, interval=0.1, on_progress=print)
                    status: ims.JobStatus = job.status
                    assert status.is_terminal
                    try:
                        client.job_status("x")
                    except ims.ApiError as e:
                        code: Optional[str] = e.code
                        print(code, e.status + 1, e.request_id)
                    except ims.ValidationError as e:
                        for field, rule, message in e.errors:
                            print(field.upper(), rule, message)
                    except ims.JobFailedError as e:
                        print(e.job.error_code)
                    return job.image_id
            """
        )
    )
    result = _run("mypy", "--strict", str(sample), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_and_tests_typecheck_strict() -> None:
    # python/pyproject.toml [tool.mypy]: strict, over python/ims and tests.
    result = _run("mypy", cwd=HERE.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_async_usage_checks(tmp_path: Path) -> None:
    sample = tmp_path / "async_sample.py"
    sample.write_text(
        textwrap.dedent(
            """
            import asyncio
            from typing import List, Optional

            import ims
            from ims.testing import Emulator

            async def note(job: ims.Job) -> Optional[bool]:
                await asyncio.sleep(0)
                return job.status != "FAIL"

            async def run() -> List[Optional[str]]:
                with Emulator(job_seconds=0) as emu:
                    client: ims.AsyncClient = emu.async_client(timeout=5.0)
                    other = ims.AsyncClient(
                        endpoint=emu.url, ak=emu.ak, sk=emu.sk, project_id=emu.project_id,
                        max_attempts=2, legacy_job_endpoint=True,
                    )
                    print(other.endpoint, ims.AsyncClient.from_env("cn-north-4", timeout=3))
                    job_id: str = await client.create_whole_image(
                        name="n", backup_id="b", tags={"k": "v"}, min_ram=1024
                    )
                    body_id: str = await client.create_whole_image_from_body(
                        {"name": "m", "backup_id": "c"}
                    )
                    first: ims.Job = await client.job_status(body_id)
                    jobs = await asyncio.gather(
                        client.wait_job(job_id, interval=0.1, on_progress=print),
                        client.wait_job(body_id, interval=0.1, on_progress=note),
                    )
                    task = asyncio.ensure_future(client.wait_job(job_id, timeout=1.0))
                    done: ims.Job = await asyncio.wait_for(task, 2.0)
                    try:
                        await client.job_status("x")
                    except ims.ApiError as e:
                        print(e.code, e.status + 1)
                    except ims.CancelledError as e:
                        print(e.job_id, e.job)
                    return [j.image_id for j in jobs] + [first.image_id, done.image_id]

            print(asyncio.run(run()))
            """
        )
    )
    result = _run("mypy", "--strict", str(sample), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


#: Misuses of ims.AsyncClient, one per line marked `# E`: strict mypy must report an error on
#: each marked line and on no other.
ASYNC_MISUSE = """
import asyncio

import ims
from ims.testing import Emulator

async def returns_int(job: ims.Job) -> int:
    return 1

async def run() -> None:
    with Emulator() as emu:
        client = emu.async_client()
        ims.AsyncClient(region="cn-north-4", proxi="http://127.0.0.1:9")  # E unknown keyword
        ims.AsyncClient.from_env("cn-north-4", ak="a")  # E credentials refused by from_env
        ims.AsyncClient("cn-north-4")  # E positional setting
        ims.AsyncClient(region="cn-north-4", timeout="5")  # E wrong type of setting
        job: ims.Job = await client.create_whole_image(name="n", backup_id="b")  # E str, not a Job
        missed: ims.Job = client.wait_job("j")  # E not awaited
        client.job_status("j")  # E coroutine never awaited
        await client.wait_job("j", on_progress=42)  # E not callable
        await client.wait_job("j", on_progress=returns_int)  # E callback's result
        await client.wait_job("j", timeout="5")  # E wrong type
        await client.wait_job("j", 5.0)  # E timeout is keyword-only
        await client.create_whole_image(name="n", tags={"a": 1})  # E tag values are str
        await client.create_whole_image(nam="n")  # E unknown argument
        await client.endpoint  # E a str is not awaitable
        print(job, missed)

asyncio.run(run())
"""


def test_async_misuse_is_caught(tmp_path: Path) -> None:
    sample = tmp_path / "async_misuse.py"
    sample.write_text(ASYNC_MISUSE)
    marked = {i for i, line in enumerate(ASYNC_MISUSE.splitlines(), 1) if "# E" in line}
    result = _run("mypy", "--strict", "--no-error-summary", str(sample), cwd=tmp_path)
    flagged = {
        int(line.split(":")[1])
        for line in result.stdout.splitlines()
        if line.startswith((str(sample), sample.name)) and ": error:" in line
    }
    assert result.returncode == 1, result.stdout + result.stderr
    assert flagged == marked, (sorted(marked - flagged), sorted(flagged - marked), result.stdout)


def test_typed_fleet_usage_checks(tmp_path: Path) -> None:
    sample = tmp_path / "fleet_sample.py"
    sample.write_text(
        textwrap.dedent(
            """
            import asyncio
            from pathlib import Path
            from typing import Dict, List, Optional, Tuple

            import ims
            from ims.testing import Emulator

            def show(event: ims.FleetEvent) -> None:
                key: Optional[str] = event.key
                percent: Optional[float] = event.percent
                quota: Optional[ims.ImageQuota] = event.quota
                print(event.kind.upper(), key, percent, quota)

            async def show_async(event: ims.FleetEvent) -> None:
                await asyncio.sleep(0)
                print(event.state)

            def run(manifest: Path, journal: str) -> List[Optional[str]]:
                with Emulator(job_seconds=0) as emu:
                    client: ims.Client = emu.client()
                    try:
                        report: ims.FleetReport = client.run_fleet(
                            manifest, journal=journal, run="nightly", parallel=4, keep=3,
                            reconcile_grace=30.0, on_event=show, timeout=60.0,
                        )
                    except ims.ManifestError as e:
                        lines: List[Tuple[int, str]] = e.errors
                        print(lines[0][0] + 1)
                        raise
                    except ims.QuotaError as e:
                        print(e.needed - e.remaining)
                        raise
                    except ims.JournalLockedError as e:
                        print(e.path)
                        raise
                    except ims.FleetError as e:
                        print(e.kind)
                        raise
                    item: ims.FleetItem = report.items[0]
                    seconds: Optional[float] = item.duration
                    print(report.outcome, report.to_json(), seconds, item.state, item.line + 1)
                    images: List[ims.Image] = client.list_images(tag="k=v", page_size=10)
                    tags: Dict[str, str] = images[0].tags
                    quota: ims.ImageQuota = client.image_quota()
                    client.delete_image(images[0].id, delete_backup=True)
                    aclient = emu.async_client()
                    again: ims.FleetReport = asyncio.run(
                        aclient.run_fleet(manifest_text="{}", journal=Path(journal), run="r",
                                          fleet="f", on_event=show_async)
                    )
                    listed: List[ims.Image] = asyncio.run(aclient.list_images(status="active"))
                    left: int = asyncio.run(aclient.image_quota()).remaining
                    print(tags, quota.remaining, again.stopped, listed, left)
                    return [i.image_id for i in report.items]
            """
        )
    )
    result = _run("mypy", "--strict", str(sample), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
