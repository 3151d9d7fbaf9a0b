"""Shared fixtures: an in-process emulator, a client for it, and the "door" fixtures that run
one test against both clients (``ims.Client`` and ``ims.AsyncClient``)."""

from __future__ import annotations

import asyncio
from typing import (
    Any,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    TypeVar,
)

import pytest

import ims
from ims.testing import Emulator


INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a"
VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600"
BACKUP_ID = "9b27efab-4a17-4c06-bfa2-3e0cf021d3c3"

#: Fast polling for tests (the first poll comes after one interval).
FAST = 0.02
# The tenant limits lifted (the emulator's image quota of 50 and its 40 running jobs): for the
# tests that start more creates than one tenant may, about something else than the limits.
UNLIMITED = 1_000_000_000

T = TypeVar("T")


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator whose jobs take 0.2 s."""
    with Emulator(job_seconds=0.2) as e:
        yield e


@pytest.fixture
def client(emu: Emulator) -> ims.Client:
    """A client for `emu`."""
    return emu.client()


# -- one suite, both clients -----------------------------------------------------------------


class Door(Protocol):
    """What the tests use of a client: ``ims.Client`` itself, or :class:`AsyncDoor` (an
    ``ims.AsyncClient`` whose coroutines are run to the end, one at a time)."""

    @property
    def endpoint(self) -> str: ...

    def create_whole_image(
        self,
        *,
        name: str,
        instance_id: Optional[str] = None,
        vault_id: Optional[str] = None,
        backup_id: Optional[str] = None,
        description: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
        legacy_tags: Optional[Sequence[str]] = None,
        min_ram: Optional[int] = None,
        max_ram: Optional[int] = None,
        enterprise_project_id: Optional[str] = None,
    ) -> str: ...

    def create_whole_image_from_body(self, body: Mapping[str, Any]) -> str: ...

    def job_status(self, job_id: str) -> ims.Job: ...

    def wait_job(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        interval: Optional[float] = None,
        first_delay: Optional[float] = None,
        on_progress: Optional[Callable[[ims.Job], Optional[bool]]] = None,
    ) -> ims.Job: ...


class AsyncDoor:
    """An ``ims.AsyncClient`` with the blocking client's signatures: each call runs its
    coroutine to the end on the test's event loop."""

    def __init__(self, client: ims.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self.client = client
        self._loop = loop

    def _run(self, coroutine: Awaitable[T]) -> T:
        return self._loop.run_until_complete(coroutine)

    @property
    def endpoint(self) -> str:
        return self.client.endpoint

    def create_whole_image(self, **kwargs: Any) -> str:
        return self._run(self.client.create_whole_image(**kwargs))

    def create_whole_image_from_body(self, body: Mapping[str, Any]) -> str:
        return self._run(self.client.create_whole_image_from_body(body))

    def job_status(self, job_id: str) -> ims.Job:
        return self._run(self.client.job_status(job_id))

    def wait_job(self, job_id: str, **kwargs: Any) -> ims.Job:
        return self._run(self.client.wait_job(job_id, **kwargs))

    def __repr__(self) -> str:
        return repr(self.client)


class Doors:
    """Builds clients of one kind (``"sync"``: ``ims.Client``, ``"async"``: ``ims.AsyncClient``
    behind an :class:`AsyncDoor`) from the same settings."""

    def __init__(self, kind: str, loop: asyncio.AbstractEventLoop) -> None:
        self.kind = kind
        self._loop = loop
        #: The class name users see in messages and reprs.
        self.name = "Client" if kind == "sync" else "AsyncClient"

    def __call__(self, **settings: Any) -> Door:
        """``ims.Client(**settings)`` or ``ims.AsyncClient(**settings)``."""
        if self.kind == "sync":
            return ims.Client(**settings)
        return AsyncDoor(ims.AsyncClient(**settings), self._loop)

    def from_env(self, *args: Any, **settings: Any) -> Door:
        """``from_env`` of the class."""
        if self.kind == "sync":
            return ims.Client.from_env(*args, **settings)
        return AsyncDoor(ims.AsyncClient.from_env(*args, **settings), self._loop)

    def for_emulator(self, emu: Emulator, **overrides: Any) -> Door:
        """``emu.client(...)`` or ``emu.async_client(...)``."""
        if self.kind == "sync":
            return emu.client(**overrides)
        return AsyncDoor(emu.async_client(**overrides), self._loop)


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop of the test's own, closed after it."""
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


@pytest.fixture(params=["sync", "async"])
def doors(request: pytest.FixtureRequest, loop: asyncio.AbstractEventLoop) -> Doors:
    """Builds clients of each kind in turn (the test runs once per kind)."""
    kind: str = request.param
    return Doors(kind, loop)


@pytest.fixture
def door(doors: Doors, emu: Emulator) -> Door:
    """A client of each kind in turn for `emu`."""
    return doors.for_emulator(emu)
