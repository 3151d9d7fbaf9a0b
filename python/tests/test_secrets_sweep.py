"""The secrets sweep of the Python door (issue #11, J): one session with temporary credentials
(AK, SK and a security token) against an emulator that echoes the canonical request unredacted
on a signature mismatch, as the real gateway does. Everything the session shows is captured:
the ``logging`` records of the ``ims`` logger at DEBUG (through a handler on the root logger),
``str``/``repr`` of every exception, of its attributes and of its formatted traceback, ``repr``
of the clients, the jobs and what ``on_progress`` saw. None of it may hold the SK, the token or a
signature value. (The Python door has no dry run: nothing signed is ever shown before sending.)
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from typing import Any, Callable, Iterator, List, Optional

import pytest

import ims
from ims.testing import Emulator

from .conftest import Door, Doors

TOKEN = "gQpjbi1ub3J0aC00PYSWEEPTOKENvalue0123456789abcdefXYZ"
SK = "py-sweep-right-secret-key-0123456789abcdefgh"
WRONG_SK = "PY-SWEEP-WRONG-secret-key-9876543210zyxwvut"
WRONG_TOKEN = "gQpjbi1ub3J0aC00PYWRONGTOKENvalue0123456789abcdef"
SECRETS = (TOKEN, SK, WRONG_SK, WRONG_TOKEN)
UNKNOWN_JOB = "4010a32b5f909853015f90aaa24b0015"
FAST = 0.02

#: A 64-hex run: a signature, a payload hash, or an id.
HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


class Capture(logging.Handler):
    """Every record that reaches the root logger, formatted with its logger name and level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Capture]:
    root, ours = logging.getLogger(), logging.getLogger("ims")
    handler = Capture()
    levels = (root.level, ours.level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    ours.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        ours.setLevel(levels[1])


def exception_texts(e: BaseException) -> List[str]:
    """``str``, ``repr`` and the traceback of ``e``, and ``str``/``repr`` of its args and of
    every attribute (a job attribute also as its dict)."""
    out = [str(e), repr(e), "".join(traceback.format_exception(type(e), e, e.__traceback__))]
    out.extend(repr(a) for a in e.args)
    for name, value in vars(e).items():
        out.extend([name, str(value), repr(value)])
        if isinstance(value, ims.Job):
            out.append(repr(value.to_dict()))
    return out


def raised(
    shown: List[str], kind: "type[ims.ImsError]", call: Callable[[], Any]
) -> ims.ImsError:
    """Runs ``call``, which must raise ``kind``; records what the exception shows."""
    with pytest.raises(kind) as info:
        call()
    shown.extend(exception_texts(info.value))
    return info.value


def signature_leaks(text: str) -> List[str]:
    """The signature values ``text`` shows: after ``Signature=`` (unless redacted), and any
    64-hex run that is not the payload hash closing a canonical request (the line after the
    signed-headers line). A ``repr`` shows line breaks as ``\\n``: they count as breaks."""
    text = text.replace("\\n", "\n")
    found = [m.group(0) for m in re.finditer(r"Signature=(?!<redacted>)\S*", text)]
    for m in HEX64.finditer(text):
        before = text[: m.start()]
        previous_line = before.rstrip("\n").rsplit("\n", 1)[-1]
        is_payload_hash = before.endswith("\n") and re.fullmatch(
            r"[a-z0-9-]+(;[a-z0-9-]+)*", previous_line
        ) is not None and "x-sdk-date" in previous_line
        if not is_payload_hash:
            found.append(m.group(0))
    return found


def test_secrets_sweep_through_a_whole_python_session(logs: Capture, doors: Doors) -> None:
    shown: List[str] = []
    with Emulator(job_seconds=0.5, echo_unredacted=True) as emu, Emulator() as stopped:
        project_id = emu.project_id
        emu.update(ak=emu.ak, sk=SK, security_token=TOKEN)

        def client(
            sk: str = SK, token: Optional[str] = TOKEN, endpoint: Optional[str] = None
        ) -> Door:
            c = doors(
                endpoint=endpoint or emu.url,
                ak=emu.ak,
                sk=sk,
                security_token=token,
                project_id=emu.project_id,
                max_attempts=1,
            )
            shown.extend([repr(c), str(c)])
            return c

        c = client()
        backup = str(uuid.uuid4())

        # Bad input: refused before sending.
        raised(shown, ims.ValidationError, lambda: c.create_whole_image(name="", backup_id=backup))

        # Create, then waits: cancelled by on_progress, timed out, and to the end.
        job_id = c.create_whole_image(name="py-sweep", backup_id=backup)
        seen: List[ims.Job] = []

        def progress(stop: bool) -> Callable[[ims.Job], bool]:
            def on_progress(job: ims.Job) -> bool:
                seen.append(job)
                return not stop

            return on_progress

        raised(
            shown,
            ims.CancelledError,
            lambda: c.wait_job(job_id, interval=FAST, on_progress=progress(True)),
        )
        raised(shown, ims.WaitTimeoutError, lambda: c.wait_job(job_id, timeout=0.05, interval=FAST))
        job = c.wait_job(job_id, interval=FAST, on_progress=progress(False))
        assert job.status == "SUCCESS" and job.image_id
        shown.extend([job_id, repr(job), repr(job.to_dict())])
        shown.extend(repr(j.to_dict()) for j in seen)
        assert len(seen) >= 2

        # A failed job.
        emu.fail_next_jobs(1)
        failed_id = c.create_whole_image(name="py-sweep-fail", backup_id=str(uuid.uuid4()))
        raised(shown, ims.JobFailedError, lambda: c.wait_job(failed_id, interval=FAST))

        # API errors: the backup used again, an unknown backup, an unknown job, a fault.
        e = raised(shown, ims.ApiError, lambda: c.create_whole_image(name="again", backup_id=backup))
        assert isinstance(e, ims.ApiError) and e.code == "IMG.0029"
        emu.update(known_backups=[backup])
        e = raised(
            shown, ims.ApiError, lambda: c.create_whole_image(name="n", backup_id=str(uuid.uuid4()))
        )
        assert isinstance(e, ims.ApiError) and e.code == "IMG.0020"
        emu.update(known_backups=None)
        e = raised(shown, ims.ApiError, lambda: c.job_status(UNKNOWN_JOB))
        assert isinstance(e, ims.ApiError) and e.status == 404
        emu.inject("job", "internal_error")
        e = raised(shown, ims.ApiError, lambda: c.job_status(job_id))
        assert isinstance(e, ims.ApiError) and e.status == 500

        # Signature errors, the gateway echoing the canonical request unredacted: a wrong SK
        # (create and job query), and the right SK with a wrong token.
        wrong_sk = client(sk=WRONG_SK)
        for call in (
            lambda: wrong_sk.create_whole_image(name="n", backup_id=str(uuid.uuid4())),
            lambda: wrong_sk.job_status(job_id),
        ):
            e = raised(shown, ims.ApiError, call)
            assert isinstance(e, ims.ApiError) and (e.status, e.code) == (401, "APIGW.0301")
            assert "x-security-token:<redacted>" in e.message, "the echo came back, scrubbed"
        wrong_token = client(token=WRONG_TOKEN)
        e = raised(shown, ims.ApiError, lambda: wrong_token.job_status(job_id))
        assert isinstance(e, ims.ApiError) and e.code == "APIGW.0301"

        # Transport errors: a dropped connection, and an emulator that was stopped.
        emu.inject("job", "drop_before_handling")
        raised(shown, ims.TransportError, lambda: c.job_status(job_id))
        stopped.shutdown()
        gone = client(endpoint=stopped.url)
        raised(shown, ims.TransportError, lambda: gone.job_status(job_id))
        e = raised(
            shown,
            ims.TransportError,
            lambda: gone.create_whole_image(name="n", backup_id=str(uuid.uuid4())),
        )
        assert isinstance(e, ims.TransportError) and e.not_sent

        shown.append(repr(emu))
        shown.append(repr(emu.stats()))

    log_text = "\n".join(logs.lines)
    text = "\n".join(shown) + "\n" + log_text
    # The capture is real: the logs saw the session, and the texts hold what they should.
    assert "ims DEBUG" in log_text and "status=200" in log_text and "status=401" in log_text
    assert job_id in log_text, "the logs name the job"
    assert project_id in text, "repr(Client) shows its project"
    assert "x-security-token:<redacted>" in text
    assert "x-security-token" in text and "APIGW.0301" in text and "IMG.0029" in text
    for secret in SECRETS:
        assert secret not in text, f"{secret[:12]}... leaked: " + next(
            line for line in text.splitlines() if secret in line
        )
    assert signature_leaks(text) == [], "a signature leaked"


def test_the_sweep_would_see_a_signature() -> None:
    echo = "POST\n/v1/x/\n\nhost:h\nx-sdk-date:20240101T000000Z\n\nhost;x-sdk-date\n" + "ab" * 32
    assert signature_leaks(echo) == []
    assert signature_leaks(repr(echo)) == []
    signature = "0f" * 32
    assert signature_leaks("Authorization: SDK-HMAC-SHA256 Signature=" + signature) != []
    assert signature_leaks("the signature " + signature + " was wrong") == [signature]
    assert signature_leaks(echo.replace("host;x-sdk-date\n", "")) != []
    assert signature_leaks("Signature=<redacted>") == []
