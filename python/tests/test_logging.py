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
