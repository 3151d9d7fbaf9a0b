"""Shared fixtures: an in-process emulator and a client for it."""

from __future__ import annotations

from typing import Iterator

import pytest

import ims
from ims.testing import Emulator

INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a"
VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600"
BACKUP_ID = "9b27efab-4a17-4c06-bfa2-3e0cf021d3c3"

#: Fast polling for tests (the first poll comes after one interval).
FAST = 0.02


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator whose jobs take 0.2 s."""
    with Emulator(job_seconds=0.2) as e:
        yield e


@pytest.fixture
def client(emu: Emulator) -> ims.Client:
    """A client for `emu`."""
    return emu.client()
