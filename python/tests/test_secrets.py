"""An unredacted gateway echo (``Emulator(echo_unredacted=True)``) never reaches Python: the
exception's text, message and repr hold neither the security token nor the SK."""

from __future__ import annotations

import pytest

import ims
from ims.testing import Emulator

from .conftest import BACKUP_ID, Doors

TOKEN = "gQpjbi1ub3J0aC00PYSECRETTOKENvalue0123456789abcdef"
GOOD_SK = "py-right-secret-key-0123456789abcdefghijkl"
WRONG_SK = "PY-WRONG-secret-key-9876543210zyxwvutsrqp"


def test_unredacted_echo_is_scrubbed(doors: Doors) -> None:
    with Emulator(job_seconds=0, echo_unredacted=True) as emu:
        emu.update(ak=emu.ak, sk=GOOD_SK, security_token=TOKEN)
        client = doors(
            endpoint=emu.url,
            ak=emu.ak,
            sk=WRONG_SK,
            security_token=TOKEN,
            project_id=emu.project_id,
        )
        with pytest.raises(ims.ApiError) as info:
            client.create_whole_image(name="n", backup_id=BACKUP_ID)
        e = info.value
        assert (e.status, e.code) == (401, "APIGW.0301")
        assert "x-security-token:<redacted>" in str(e), "the echo is shown, scrubbed"
        for text in (str(e), repr(e), e.message, e.signed_request or "", e.hint or ""):
            for secret in (TOKEN, GOOD_SK, WRONG_SK):
                assert secret not in text
