"""Fleet imaging and the image calls through both clients, against the in-process emulator:
``run_fleet`` (report, resume, events, bad input, a held journal, the quota, stopping),
``list_images``, ``image_quota`` and ``delete_image``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import pickle
import signal
import threading
import time
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Optional, TypeVar, Union

import pytest

import ims
from ims.testing import Emulator

T = TypeVar("T")

#: Fast polling of each job.
FAST = 0.02


def manifest_text(n: int, prefix: str = "srv") -> str:
    """``n`` items from ECSs ``{prefix}-0`` ... (their keys)."""
    return "\n".join(
        json.dumps({"name": f"img-{i}", "instance_id": f"{prefix}-{i}", "vault_id": "v-1"})
        for i in range(n)
    )


class FleetDoor:
    """``ims.Client`` or ``ims.AsyncClient`` (each coroutine run to its end on the test's
    loop) with the blocking signatures."""

    def __init__(self, emu: Emulator, kind: str, loop: asyncio.AbstractEventLoop) -> None:
        self.kind = kind
        self._loop = loop
        self.sync: Optional[ims.Client] = emu.client() if kind == "sync" else None
        self.aio: Optional[ims.AsyncClient] = emu.async_client() if kind == "async" else None

    def _run(self, coroutine: Awaitable[T]) -> T:
        return self._loop.run_until_complete(coroutine)

    def run_fleet(self, manifest: Union[str, Path, None] = None, **kwargs: Any) -> ims.FleetReport:
        kwargs.setdefault("interval", FAST)
        if self.sync is not None:
            return self.sync.run_fleet(manifest, **kwargs)
        assert self.aio is not None
        return self._run(self.aio.run_fleet(manifest, **kwargs))

    def list_images(self, **kwargs: Any) -> list[ims.Image]:
        if self.sync is not None:
            return self.sync.list_images(**kwargs)
        assert self.aio is not None
        return self._run(self.aio.list_images(**kwargs))

    def image_quota(self) -> ims.ImageQuota:
        if self.sync is not None:
            return self.sync.image_quota()
        assert self.aio is not None
        return self._run(self.aio.image_quota())

    def delete_image(self, image_id: str, *, delete_backup: bool = False) -> None:
        if self.sync is not None:
            return self.sync.delete_image(image_id, delete_backup=delete_backup)
        assert self.aio is not None
        return self._run(self.aio.delete_image(image_id, delete_backup=delete_backup))


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator whose jobs take 0.2 s."""
    with Emulator(job_seconds=0.2) as e:
        yield e


@pytest.fixture(params=["sync", "async"])
def door(request: pytest.FixtureRequest, emu: Emulator, loop: asyncio.AbstractEventLoop) -> FleetDoor:
    """A client of each kind in turn for `emu`."""
    kind: str = request.param
    return FleetDoor(emu, kind, loop)


def creates(emu: Emulator) -> int:
    return int(emu.stats()["create_accepted"])


def posts(emu: Emulator) -> int:
    return sum(1 for r in emu.stats()["requests"] if r["method"] == "POST")


# -- a run, its report, a rerun ---------------------------------------------------------------


def test_a_small_fleet_succeeds_and_a_rerun_is_already_done(
    door: FleetDoor, emu: Emulator, tmp_path: Path
) -> None:
    journal = tmp_path / "fleet.db"
    report = door.run_fleet(manifest_text=manifest_text(5), journal=journal, run="r1", fleet="f")
    assert isinstance(report, ims.FleetReport)
    assert (report.fleet, report.run, report.outcome) == ("f", "r1", "succeeded")
    assert not report.dry_run and not report.stopped
    assert [i.key for i in report.items] == [f"srv-{i}" for i in range(5)]
    assert [i.line for i in report.items] == [1, 2, 3, 4, 5]
    for item in report.items:
        assert isinstance(item, ims.FleetItem)
        assert item.state == "succeeded" and item.action == "create" and not item.already_done
        assert item.job_id and item.image_id
        assert item.duration is not None and item.duration >= 0
        assert item.error_code is None and item.error_message is None
    assert report.count("succeeded") == 5
    assert report.journal_writes > 0
    assert json.loads(report.to_json())["outcome"] == "succeeded"
    assert creates(emu) == 5
    # Every image carries the fleet's tag, and the listing finds them.
    images = door.list_images(whole_image=True)
    assert sorted(i.id for i in images) == sorted(i.image_id or "" for i in report.items)

    again = door.run_fleet(manifest_text=manifest_text(5), journal=journal, run="r1", fleet="f")
    assert again.outcome == "succeeded"
    assert all(i.already_done and i.state == "succeeded" for i in again.items)
    assert [i.image_id for i in again.items] == [i.image_id for i in report.items]
    assert creates(emu) == 5, "a rerun sends nothing"


def test_the_fleet_defaults_to_the_journals_then_the_manifest_files_stem(
    door: FleetDoor, tmp_path: Path
) -> None:
    path = tmp_path / "web-servers.jsonl"
    path.write_text(manifest_text(2))
    journal = tmp_path / "j.db"
    report = door.run_fleet(str(path), journal=str(journal), run="r1")
    assert report.fleet == "web-servers"
    # The journal now records the fleet: given as text, the manifest needs no name.
    again = door.run_fleet(manifest_text=manifest_text(2), journal=journal, run="r2")
    assert again.fleet == "web-servers"


def test_events_tell_each_items_states_in_order(door: FleetDoor, tmp_path: Path) -> None:
    events: list[ims.FleetEvent] = []
    door.run_fleet(
        manifest_text=manifest_text(5),
        journal=tmp_path / "j.db",
        run="r1",
        fleet="f",
        on_event=events.append,
    )
    assert all(isinstance(e, ims.FleetEvent) for e in events)
    assert events[0].kind == "started"
    assert (events[0].items, events[0].to_create) == (5, 5)
    assert events[0].quota == ims.ImageQuota(0, 50)
    for i in range(5):
        states = [e.state for e in events if e.kind == "item" and e.key == f"srv-{i}"]
        assert states == ["sending", "submitted", "succeeded"], (i, states)
    done = [e for e in events if e.kind == "item" and e.state == "succeeded"]
    assert all(e.image_id and e.job_id for e in done)
    assert any(e.kind == "progress" and e.status for e in events)


def test_an_async_on_event_coroutine_is_awaited(
    emu: Emulator, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    seen: list[str] = []

    async def on_event(event: ims.FleetEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event.kind)

    client = emu.async_client()
    report = loop.run_until_complete(
        client.run_fleet(
            manifest_text=manifest_text(2),
            journal=tmp_path / "j.db",
            run="r",
            fleet="f",
            interval=FAST,
            on_event=on_event,
        )
    )
    assert report.outcome == "succeeded"
    assert seen[0] == "started" and seen.count("item") == 6


# -- refused before anything is sent ------------------------------------------------------------


def test_a_bad_manifest_names_every_line_and_sends_nothing(
    door: FleetDoor, emu: Emulator, tmp_path: Path
) -> None:
    text = "\n".join(
        [
            json.dumps({"name": "a", "instance_id": "i-1", "vault_id": "v"}),
            "{not json",
            json.dumps({"name": "b", "instance_id": "i-1", "vault_id": "v"}),
            json.dumps({"name": "c", "instance_id": "i-3", "vault_id": "v", "colour": "red"}),
        ]
    )
    journal = tmp_path / "j.db"
    with pytest.raises(ims.ManifestError) as caught:
        door.run_fleet(manifest_text=text, journal=journal, run="r", fleet="f")
    e = caught.value
    assert isinstance(e, ims.FleetError) and isinstance(e, ims.ImsError)
    assert isinstance(e, ValueError)
    assert e.kind == "manifest"
    assert e.lines == [2, 3, 4], e.errors
    assert all(isinstance(m, str) and m for _, m in e.errors)
    assert "line 2" in str(e) and "nothing was sent" in str(e)
    assert emu.stats()["requests_total"] == 0
    assert not journal.exists(), "a bad manifest opens no journal"
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is ims.ManifestError and copy.errors == e.errors


def test_a_missing_manifest_file_is_a_file_not_found_error(door: FleetDoor, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        door.run_fleet(tmp_path / "nope.jsonl", journal=tmp_path / "j.db", run="r")


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"parallel": 0}, "parallel"),
        ({"parallel": 41}, "parallel"),
        ({"keep": 0}, "keep"),
        ({"reconcile_grace": -1.0}, "reconcile_grace"),
        ({"relist_interval": 0.0}, "relist_interval"),
        ({"timeout": float("nan")}, "timeout"),
        ({"run": ""}, "run"),
        ({"fleet": "a\nb"}, "fleet"),
    ],
)
def test_bad_options_raise_validation_error_naming_them(
    door: FleetDoor, emu: Emulator, tmp_path: Path, options: dict[str, Any], field: str
) -> None:
    kwargs: dict[str, Any] = {"journal": tmp_path / "j.db", "run": "r", "fleet": "f", **options}
    with pytest.raises(ims.ValidationError) as caught:
        door.run_fleet(manifest_text=manifest_text(1), **kwargs)
    assert field in caught.value.fields, caught.value.errors
    assert emu.stats()["requests_total"] == 0


def test_manifest_and_manifest_text_together_or_neither_are_type_errors(
    door: FleetDoor, tmp_path: Path
) -> None:
    with pytest.raises(TypeError):
        door.run_fleet(tmp_path / "m.jsonl", manifest_text="", journal=tmp_path / "j", run="r")
    with pytest.raises(TypeError):
        door.run_fleet(journal=tmp_path / "j", run="r")
    with pytest.raises(TypeError, match="on_event"):
        door.run_fleet(manifest_text=manifest_text(1), journal=tmp_path / "j", run="r",
                       fleet="f", on_event=42)


def test_a_run_beyond_the_quota_is_refused_before_any_create(
    door: FleetDoor, emu: Emulator, tmp_path: Path
) -> None:
    # The emulator's quota: 50 private images.
    with pytest.raises(ims.QuotaError) as caught:
        door.run_fleet(manifest_text=manifest_text(51), journal=tmp_path / "j.db", run="r",
                       fleet="f")
    e = caught.value
    assert isinstance(e, ims.FleetError)
    assert (e.needed, e.used, e.quota, e.remaining) == (51, 0, 50, 50)
    assert e.kind == "quota" and "51" in str(e) and "50" in str(e)
    assert posts(emu) == 0
    copy = pickle.loads(pickle.dumps(e))
    assert (copy.needed, copy.remaining) == (51, 50)


def test_another_fleets_journal_is_refused(door: FleetDoor, tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    door.run_fleet(manifest_text=manifest_text(1), journal=journal, run="r", fleet="one")
    with pytest.raises(ims.JournalError) as caught:
        door.run_fleet(manifest_text=manifest_text(1), journal=journal, run="r", fleet="two")
    assert caught.value.kind == "journal_other_fleet"
    assert not isinstance(caught.value, ims.JournalLockedError)


def test_a_file_that_is_not_a_journal_is_refused(door: FleetDoor, emu: Emulator, tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    journal.write_bytes(b"this is not a database, " * 100)
    with pytest.raises(ims.JournalError) as caught:
        door.run_fleet(manifest_text=manifest_text(1), journal=journal, run="r", fleet="f")
    assert caught.value.kind == "journal_corrupt"
    assert caught.value.path == str(journal)
    assert posts(emu) == 0


def test_a_dry_run_sends_and_writes_nothing(door: FleetDoor, emu: Emulator, tmp_path: Path) -> None:
    journal = tmp_path / "j.db"
    report = door.run_fleet(manifest_text=manifest_text(3), journal=journal, run="r", fleet="f",
                            dry_run=True)
    assert report.dry_run and report.journal_writes == 0
    assert [i.action for i in report.items] == ["create"] * 3
    assert posts(emu) == 0
    assert not journal.exists()


# -- a held journal, stopping ------------------------------------------------------------------


class Stop(Exception):
    """What the tests' `on_event` raises to stop a run."""


def test_a_second_run_on_a_held_journal_is_refused(
    door: FleetDoor, emu: Emulator, tmp_path: Path
) -> None:
    emu.update(job_seconds=30)
    journal = tmp_path / "j.db"
    holder = emu.client()
    submitted = threading.Event()
    release = threading.Event()

    def on_event(event: ims.FleetEvent) -> None:
        if event.kind == "item" and event.state == "submitted":
            submitted.set()
        if release.is_set():
            raise Stop()

    def hold() -> ims.FleetReport:
        return holder.run_fleet(manifest_text=manifest_text(2), journal=journal, run="r",
                                fleet="f", interval=FAST, on_event=on_event)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(hold)
        assert submitted.wait(10)
        before = posts(emu)
        with pytest.raises(ims.JournalLockedError) as caught:
            door.run_fleet(manifest_text=manifest_text(2), journal=journal, run="r", fleet="f")
        assert isinstance(caught.value, ims.JournalError)
        assert caught.value.kind == "journal_locked"
        assert "another process" in str(caught.value)
        assert posts(emu) == before, "the refused run sent nothing"
        release.set()
        with pytest.raises(Stop) as stopped:
            first.result(10)
    report: ims.FleetReport = stopped.value.fleet_report  # type: ignore[attr-defined]
    assert report.stopped and report.outcome == "incomplete"
    assert creates(emu) == 2


def test_an_on_event_that_raises_stops_the_run_and_is_raised(
    door: FleetDoor, emu: Emulator, tmp_path: Path
) -> None:
    emu.update(job_seconds=1.0)
    journal = tmp_path / "j.db"
    calls: list[ims.FleetEvent] = []

    def on_event(event: ims.FleetEvent) -> None:
        calls.append(event)
        if event.kind == "item" and event.state == "submitted":
            raise Stop("enough")

    started = time.monotonic()
    with pytest.raises(Stop, match="enough") as caught:
        door.run_fleet(manifest_text=manifest_text(5), journal=journal, run="r", fleet="f",
                       parallel=2, on_event=on_event)
    assert time.monotonic() - started < 5
    report: ims.FleetReport = caught.value.fleet_report  # type: ignore[attr-defined]
    assert report.stopped and report.outcome == "incomplete"
    assert report.count("succeeded") < 5
    assert calls[-1].kind == "item" and calls[-1].state == "submitted", "not called after it raised"
    sent = creates(emu)
    assert sent <= 2, "no new create after the stop"
    # The journal is consistent: a rerun waits for what was sent and creates the rest, once.
    report = door.run_fleet(manifest_text=manifest_text(5), journal=journal, run="r", fleet="f",
                            reconcile_grace=2.0, relist_interval=0.1)
    assert report.outcome == "succeeded", report.items
    assert creates(emu) == 5
    assert len(door.list_images()) == 5


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_ctrl_c_stops_the_blocking_run_gracefully(emu: Emulator, tmp_path: Path) -> None:
    emu.update(job_seconds=30)
    client = emu.client()

    def on_event(event: ims.FleetEvent) -> None:
        if event.kind == "item" and event.state == "submitted":
            threading.Timer(0.05, lambda: os.kill(os.getpid(), signal.SIGINT)).start()

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as caught:
        client.run_fleet(manifest_text=manifest_text(1), journal=tmp_path / "j.db", run="r",
                         fleet="f", interval=FAST, on_event=on_event)
    assert time.monotonic() - started < 5
    report: ims.FleetReport = caught.value.fleet_report  # type: ignore[attr-defined]
    assert report.stopped
    assert [i.state for i in report.items] == ["submitted"]
    # The journal was released and records the job: a rerun follows it, never sends again.
    emu.update(job_seconds=0)
    assert creates(emu) == 1


def test_cancelling_the_async_run_releases_the_journal_and_a_rerun_reconciles(
    emu: Emulator, loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    emu.update(job_seconds=1.0)
    client = emu.async_client()
    journal = tmp_path / "j.db"

    async def cancel_after_a_submit() -> None:
        submitted = asyncio.Event()

        def on_event(event: ims.FleetEvent) -> None:
            if event.kind == "item" and event.state == "submitted":
                submitted.set()

        task = asyncio.ensure_future(
            client.run_fleet(manifest_text=manifest_text(4), journal=journal, run="r",
                             fleet="f", interval=FAST, on_event=on_event)
        )
        await asyncio.wait_for(submitted.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    loop.run_until_complete(cancel_after_a_submit())
    time.sleep(0.2)  # the aborted task is dropped on the runtime's worker
    report = loop.run_until_complete(
        client.run_fleet(manifest_text=manifest_text(4), journal=journal, run="r", fleet="f",
                         interval=FAST, reconcile_grace=2.0, relist_interval=0.1)
    )
    assert report.outcome == "succeeded", report.items
    images = loop.run_until_complete(client.list_images())
    assert len(images) == 4, "one image per item, none made twice"


# -- threads and re-entrancy --------------------------------------------------------------------


def test_run_fleet_from_a_thread_pool_worker_with_a_reentrant_on_event(
    emu: Emulator, tmp_path: Path
) -> None:
    client = emu.client()
    quotas: list[ims.ImageQuota] = []

    def on_event(event: ims.FleetEvent) -> None:
        if event.kind == "item" and event.state == "succeeded":
            quotas.append(client.image_quota())

    def work() -> ims.FleetReport:
        return client.run_fleet(manifest_text=manifest_text(3), journal=tmp_path / "j.db",
                                run="r", fleet="f", interval=FAST, on_event=on_event)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        report = pool.submit(work).result(30)
    assert report.outcome == "succeeded"
    assert len(quotas) == 3 and all(isinstance(q, ims.ImageQuota) for q in quotas)
    assert quotas[-1].used == 3


def test_two_fleets_run_at_once_on_one_client_from_two_threads(
    emu: Emulator, tmp_path: Path
) -> None:
    client = emu.client()

    def work(name: str) -> ims.FleetReport:
        return client.run_fleet(manifest_text=manifest_text(3, name), journal=tmp_path / name,
                                run="r", fleet=name, interval=FAST)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(work, ["a", "b"]))
    assert [r.outcome for r in reports] == ["succeeded", "succeeded"]
    assert creates(emu) == 6


# -- the image calls ------------------------------------------------------------------------------


def test_list_quota_and_delete_round_trip(door: FleetDoor, emu: Emulator, tmp_path: Path) -> None:
    assert door.list_images() == []
    quota = door.image_quota()
    assert isinstance(quota, ims.ImageQuota)
    assert (quota.used, quota.quota, quota.remaining) == (0, 50, 50)
    report = door.run_fleet(manifest_text=manifest_text(3), journal=tmp_path / "j.db", run="r",
                            fleet="f")
    images = door.list_images(status="active", imagetype="private", whole_image=True,
                              sort_key="created_at", sort_dir="desc", page_size=2)
    assert len(images) == 3
    image = images[0]
    assert isinstance(image, ims.Image)
    assert image.status == "active" and image.whole_image is True
    assert image.imagetype == "private"
    assert image.created_at and image.name.startswith("img-")
    assert isinstance(image.tags, dict) and len(image.tags) == 1
    (key, value), = image.tags.items()
    assert image.tag(key) == value and image.tag("nope") is None
    # The fleet tag selects exactly that image.
    assert door.list_images(tag=f"{key}={value}") == [image]
    assert door.list_images(name=image.name) == [image]
    assert door.image_quota().used == 3

    door.delete_image(image.id, delete_backup=True)
    deadline = time.monotonic() + 5
    while image.id in {i.id for i in door.list_images()} and time.monotonic() < deadline:
        time.sleep(0.05)
    left = {i.id for i in door.list_images()}
    assert image.id not in left and len(left) == 2
    assert {i.image_id for i in report.items} >= left


def test_bad_list_filters_raise_validation_error_before_sending(
    door: FleetDoor, emu: Emulator
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"page_size": -1}, "page_size"),
        ({"sort_dir": "up"}, "sort_dir"),
        ({"name": ""}, "name"),
        ({"tag": "a\nb"}, "tag"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ims.ValidationError) as caught:
            door.list_images(**kwargs)
        assert field in caught.value.fields, (kwargs, caught.value.errors)
    with pytest.raises(TypeError):
        door.list_images(page_size=True)
    assert emu.stats()["requests_total"] == 0


def test_deleting_an_unknown_image_is_an_api_error(door: FleetDoor) -> None:
    with pytest.raises(ims.ApiError) as caught:
        door.delete_image("00000000-0000-0000-0000-000000000000")
    assert caught.value.status in (400, 404)


# -- the typed results ----------------------------------------------------------------------------


def test_the_typed_results_pickle_compare_and_show(door: FleetDoor, tmp_path: Path) -> None:
    events: list[ims.FleetEvent] = []
    report = door.run_fleet(manifest_text=manifest_text(2), journal=tmp_path / "j.db", run="r",
                            fleet="f", on_event=events.append)
    image = door.list_images()[0]
    quota = door.image_quota()
    for value in [report, *report.items, *events, image, quota]:
        copy = pickle.loads(pickle.dumps(value))
        assert copy == value and type(copy) is type(value), value
        assert repr(copy) == repr(value)
    assert report.to_json() == pickle.loads(pickle.dumps(report)).to_json()
    assert "FleetReport(fleet='f', run='r', outcome='succeeded'" in repr(report)
    assert repr(quota).startswith("ImageQuota(used=")
    assert hash(image) == hash(pickle.loads(pickle.dumps(image)))
    assert ims.ImageQuota(1, 3).remaining == 2 and ims.ImageQuota(5, 3).remaining == 0
    item = ims.FleetItem("k", 1, "failed", error_code="IMG.0010", error_message="no")
    assert item.action == "create" and item.error_code == "IMG.0010"
    event = ims.FleetEvent("progress", key="k", status="RUNNING", percent=50.0)
    assert event.percent == 50.0 and event.job_id is None
    with pytest.raises(AttributeError):
        report.outcome = "failed"  # type: ignore[misc]
