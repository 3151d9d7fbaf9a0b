"""The emulator's gateway switches through ``ims.testing.Emulator``, and what the client makes
of them: the APIG. prefix, always-expired, a hostile Date, the AK lock."""

from __future__ import annotations

import pytest

import ims
from ims.testing import Emulator

from .conftest import INSTANCE_ID, VAULT_ID, Door, Doors


def test_hostile_date_is_reported_and_not_applied(doors: Doors) -> None:
    hostile = "Sat, 01 Jan 10000 00:00:00 GMT"
    with Emulator(
        job_seconds=0, gateway_prefix="APIG", always_expired=True, date_override=hostile
    ) as emu:
        client = doors.for_emulator(emu)
        with pytest.raises(ims.ApiError) as info:
            client.create_whole_image(name="x", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
        assert info.value.code == "APIG.0301"
        assert hostile in (info.value.hint or "") and "24 h" in (info.value.hint or "")
        assert emu.stats()["requests_total"] == 1
        # Sane again: the same client works.
        emu.update(always_expired=False, date_override=None, gateway_prefix="APIGW")
        client.create_whole_image(name="y", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
        assert emu.stats()["images_created"] == 1


def test_ak_lock_hint_and_no_retry(emu: Emulator, door: Door) -> None:
    emu.inject("create", "ak_locked")
    with pytest.raises(ims.ApiError) as info:
        door.create_whole_image(name="x", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
    assert "5 minutes" in (info.value.hint or "")
    assert emu.stats()["requests_total"] == 1


def test_retry_after_date_form_switch(emu: Emulator, door: Door) -> None:
    emu.update(retry_after_http_date=True)
    emu.throttle_next("create", 1, retry_after=0)
    door.create_whole_image(name="x", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
    assert emu.stats()["images_created"] == 1


def test_bad_gateway_prefix_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="APIGW"):
        Emulator(gateway_prefix="XYZ")  # type: ignore[arg-type]


def test_update_is_all_or_nothing_and_names_the_keyword(emu: Emulator) -> None:
    before = (emu.ak, emu.project_id)
    with pytest.raises(TypeError, match="job_seconds"):
        emu.update(project_id="p-new", job_seconds="soon")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="no_such_setting"):
        emu.update(no_such_setting=1)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="ak and sk together"):
        emu.update(ak="ONLYAK")
    with pytest.raises(ValueError, match="APIGW"):
        emu.update(project_id="p-new", gateway_prefix="XYZ")  # type: ignore[arg-type]
    assert (emu.ak, emu.project_id) == before
    emu.update(ak="NEWAK", sk="new-sk", project_id="p-new")
    assert (emu.ak, emu.sk, emu.project_id) == ("NEWAK", "new-sk", "p-new")
