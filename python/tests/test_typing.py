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
