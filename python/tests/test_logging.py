"""Core's debug events reach Python's logging (logger "ims"), without secrets."""

from __future__ import annotations

import logging
from typing import Iterator, List

import pytest

import ims
from ims.testing import Emulator

from .conftest import BACKUP_ID, FAST


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[List[logging.LogRecord]]:
    logger = logging.getLogger("ims")
    handler = Collect()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_debug_records_reach_logging(emu: Emulator, records: List[logging.LogRecord]) -> None:
    secret = "a-very-secret-sk-value-0123456789"
    emu.update(ak="LOGAK0000000000000000", sk=secret)
    client = ims.Client(endpoint=emu.url, ak="LOGAK0000000000000000", sk=secret, project_id=emu.project_id)
    job_id = client.create_whole_image(name="logged", backup_id=BACKUP_ID)
    client.wait_job(job_id, interval=FAST)
    ours = [r for r in records if r.name == "ims"]
    assert ours, "no debug record reached the 'ims' logger"
    assert all(r.levelno == logging.DEBUG for r in ours)
    text = "\n".join(r.getMessage() for r in ours)
    assert "response" in text and "status=200" in text
    assert secret not in text
    assert "Authorization" not in text


def test_level_changes_take_effect(emu: Emulator, records: List[logging.LogRecord]) -> None:
    client = emu.client()
    logging.getLogger("ims").setLevel(logging.INFO)
    client.create_whole_image(name="quiet", backup_id=BACKUP_ID)
    assert not [r for r in records if r.name == "ims"]
    logging.getLogger("ims").setLevel(logging.DEBUG)
    client.create_whole_image(name="loud", backup_id="other-backup")
    assert [r for r in records if r.name == "ims"]


def test_level_changes_take_effect_for_the_async_client(
    emu: Emulator, records: List[logging.LogRecord]
) -> None:
    """Each call reads the logger's level as it starts (the async client's too): off, core's
    events stop in Rust; on, they reach the logger."""
    import asyncio

    client = emu.async_client()

    async def cycle(name: str) -> None:
        job_id = await client.create_whole_image(name=name, backup_id=name)
        await client.wait_job(job_id, interval=FAST)

    logging.getLogger("ims").setLevel(logging.INFO)
    asyncio.run(cycle("quiet-async"))
    assert not [r for r in records if r.name == "ims"]
    logging.getLogger("ims").setLevel(logging.DEBUG)
    asyncio.run(cycle("loud-async"))
    text = "\n".join(r.getMessage() for r in records if r.name == "ims")
    assert "response" in text and "status=200" in text, text


def test_a_handler_added_later_gets_records_from_the_next_call(emu: Emulator) -> None:
    """The level is read per call, not once per process: a client made while logging was off
    logs once it is on."""
    logger = logging.getLogger("ims")
    old_level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        client = emu.client()
        client.create_whole_image(name="before", backup_id="before")
        handler = Collect()
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            client.create_whole_image(name="after", backup_id="after")
        finally:
            logger.removeHandler(handler)
        assert [r for r in handler.records if r.name == "ims"]
    finally:
        logger.setLevel(old_level)
