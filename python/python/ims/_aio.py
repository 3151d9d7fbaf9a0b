"""``ims.AsyncClient``: the client for asyncio (imported on first use of ``ims.AsyncClient``).

The work is the Rust core's ``AsyncClient``, run on one tokio runtime of this process (one
worker thread, started with the first ``AsyncClient``); this module only gives its operations
the shape of coroutines.
"""

from __future__ import annotations

from ._ims import FleetEvent, FleetReport, Image, ImageQuota, Job, _AsyncClient

# `typing` stays out of the import (as in `ims._errors`): with postponed annotations, these
# names are needed by the type checker only. Private aliases: stubtest compares every public
# name of a module with its runtime value (older versions even those imported for typing).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import typing as _t
    from typing import final as _final

    from typing_extensions import TypeGuard as _TypeGuard
    from typing_extensions import Unpack as _Unpack

    from ._ims import _ClientSettings

    #: What ``on_progress`` may be: a function, or a coroutine function (its coroutine is
    #: awaited); returning ``False`` cancels the wait.
    _OnProgress = _t.Callable[
        [Job], _t.Union[_t.Optional[bool], _t.Awaitable[_t.Optional[bool]]]
    ]
    #: What ``on_event`` may be: a function, or a coroutine function (its coroutine is
    #: awaited).
    _OnEvent = _t.Callable[[FleetEvent], _t.Optional[_t.Awaitable[object]]]
    import os as _os

    _Path = _t.Union[str, _os.PathLike[str]]
else:

    def _final(f):  # `typing.final` without importing `typing` (same parameter name)
        return f


__all__ = ["AsyncClient"]


@_final
class AsyncClient:
    """An IMS client for asyncio: every operation is a coroutine. One client serves any number
    of concurrent tasks (it keeps one connection pool); create it once and share it.

    The settings are those of ``ims.Client``, the same keyword arguments (times in seconds;
    None keeps the default):

    - ``region`` (e.g. "cn-north-4") or ``endpoint`` (an URL): one is required.
    - ``ak`` and ``sk`` (with ``security_token`` for temporary credentials), or
      ``auth_token`` (needs ``project_id``), or none of them for the default chain
      (environment, profile file, instance metadata).
    - ``project_id``: sent as X-Project-Id (default: asked from the credentials, then IAM).
    - ``timeout`` (30 s), ``connect_timeout`` (10 s), ``pool_idle_timeout`` (50 s, at most
      86400).
    - ``max_concurrent_requests``: exchanges (and so connections) in flight at once, 1 to
      65535 (default 32); a gather of thousands of waits shares that many connections.
    - ``allow_http``: plain http to hosts that are not loopback.
    - ``legacy_job_endpoint``: query jobs at /v1/{project_id}/jobs/{job_id}.
    - ``algorithm``: SDK-HMAC-SHA256 (default), SDK-HMAC-SM3 or V11-HMAC-SHA256.
    - ``user_agent_suffix``: appended to the User-Agent.
    - ``max_attempts``: tries per call, 1 (never retry) to 100.
    - ``ca_pem`` (PEM text) and ``ca_file`` (a PEM file) add trusted CAs.
    - ``proxy``: a proxy URL for every request (its user:password never shown).

    ``AsyncClient.from_env(region=None, endpoint=None, **settings)`` takes the same settings
    but the credentials, as ``Client.from_env``.

    Errors are the exceptions of ``ims.Client`` (``ims.ValidationError``, ``ims.ApiError``,
    ...), raised when the coroutine is awaited. Cancelling a task that awaits one of these
    coroutines (``task.cancel()``, ``asyncio.wait_for``) stops the operation at once: the
    request in flight is abandoned and the client stays usable. A create cancelled after its
    request was sent may still have created the image (as with a transport error).
    """

    __slots__ = ("_inner",)

    #: The names of the keyword arguments (those of ``ims.Client``).
    _keywords: _t.ClassVar[tuple[str, ...]] = _AsyncClient._keywords

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
        security_token: str | None = None,
        auth_token: str | None = None,
        **settings: _Unpack[_ClientSettings],
    ) -> None:
        self._inner = _AsyncClient(
            region=region,
            endpoint=endpoint,
            ak=ak,
            sk=sk,
            security_token=security_token,
            auth_token=auth_token,
            **settings,
        )

    @staticmethod
    def from_env(
        region: str | None = None,
        endpoint: str | None = None,
        **settings: _Unpack[_ClientSettings],
    ) -> AsyncClient:
        """A client whose credentials come from the default chain, with ``region`` and
        ``endpoint`` defaulting to ``IMS_REGION`` and ``IMS_ENDPOINT`` (as
        ``ims.Client.from_env``)."""
        client = object.__new__(AsyncClient)
        client._inner = _AsyncClient._from_env(region, endpoint, **settings)
        return client

    @property
    def endpoint(self) -> str:
        """The IMS endpoint in use."""
        return self._inner.endpoint

    async def create_whole_image(
        self,
        *,
        name: str,
        instance_id: str | None = None,
        vault_id: str | None = None,
        backup_id: str | None = None,
        description: str | None = None,
        tags: _t.Mapping[str, str] | None = None,
        legacy_tags: _t.Sequence[str] | None = None,
        min_ram: int | None = None,
        max_ram: int | None = None,
        enterprise_project_id: str | None = None,
    ) -> str:
        """Creates a full-ECS image and returns the job id (as
        ``ims.Client.create_whole_image``: every rule is checked first, ``ValidationError``
        lists each violation and nothing is sent)."""
        return await self._inner.create_whole_image(
            name=name,
            instance_id=instance_id,
            vault_id=vault_id,
            backup_id=backup_id,
            description=description,
            tags=tags,
            legacy_tags=legacy_tags,
            min_ram=min_ram,
            max_ram=max_ram,
            enterprise_project_id=enterprise_project_id,
        )

    async def create_whole_image_from_body(self, body: _t.Mapping[str, _t.Any]) -> str:
        """Creates a full-ECS image from the documented request body (a dict, as the API's
        JSON) and returns the job id (as ``ims.Client.create_whole_image_from_body``)."""
        return await self._inner.create_whole_image_from_body(body)

    async def job_status(self, job_id: str) -> Job:
        """Queries a job once."""
        return await self._inner.job_status(job_id)

    async def wait_job(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        interval: float | None = None,
        first_delay: float | None = None,
        on_progress: _OnProgress | None = None,
    ) -> Job:
        """Waits for a job to end and returns it on SUCCESS, with the pacing, limits and
        errors of ``ims.Client.wait_job`` (``JobFailedError``, ``WaitTimeoutError``,
        ``ValidationError`` for bad numbers, before anything is sent).

        Between polls nothing runs but a timer: thousands of waits share one thread.

        ``on_progress(job)`` is called on the event loop after each poll; it may be a plain
        function or a coroutine function (its coroutine is awaited). The next poll never
        starts before it has returned: polls keep their schedule, counted from the previous
        poll, and a callback slower than the interval delays the next one. Returning
        ``False`` cancels the wait (``ims.CancelledError``); an exception it raises stops the
        wait and propagates.

        Cancelling the task (``task.cancel()``, ``asyncio.wait_for``) stops the polling at
        once, even in the middle of a request.
        """
        if on_progress is not None and not callable(on_progress):
            raise TypeError("on_progress must be callable")
        waiter = self._inner._wait(
            job_id,
            timeout=timeout,
            interval=interval,
            first_delay=first_delay,
            report=on_progress is not None,
        )
        try:
            while True:
                done, job = await waiter.step()
                if done or on_progress is None:
                    return job
                answer = on_progress(job)
                if _is_awaitable(answer):
                    answer = await answer
                if answer is False:
                    cancelled = waiter.cancel()
                    if cancelled is not None:
                        raise cancelled
        finally:
            waiter.close()

    async def list_images(
        self,
        *,
        tag: str | None = None,
        name: str | None = None,
        status: str | None = None,
        imagetype: str | None = None,
        whole_image: bool | None = None,
        created_at: str | None = None,
        sort_key: str | None = None,
        sort_dir: str | None = None,
        page_size: int | None = None,
    ) -> list[Image]:
        """Every image the filters select, read page after page to the end (as
        ``ims.Client.list_images``; bad filters raise ``ValidationError``, nothing sent)."""
        return await self._inner.list_images(
            tag=tag,
            name=name,
            status=status,
            imagetype=imagetype,
            whole_image=whole_image,
            created_at=created_at,
            sort_key=sort_key,
            sort_dir=sort_dir,
            page_size=page_size,
        )

    async def image_quota(self) -> ImageQuota:
        """The region's private-image quota."""
        return await self._inner.image_quota()

    async def delete_image(self, image_id: str, *, delete_backup: bool = False) -> None:
        """Deletes an image (and its CBR backup when ``delete_backup``); it leaves the list a
        little later."""
        await self._inner.delete_image(image_id, delete_backup=delete_backup)

    async def run_fleet(
        self,
        manifest: _Path | None = None,
        *,
        journal: _Path,
        run: str,
        manifest_text: str | None = None,
        fleet: str | None = None,
        parallel: int = 10,
        keep: int | None = None,
        delete_backup: bool = False,
        reconcile_grace: float = 600.0,
        relist_interval: float = 10.0,
        dry_run: bool = False,
        retry_failed: bool = False,
        retry_unknown: bool = False,
        allow_partial: bool = False,
        timeout: float | None = None,
        interval: float | None = None,
        on_event: _OnEvent | None = None,
    ) -> FleetReport:
        """Runs a fleet (as ``ims.Client.run_fleet``: the same arguments, checks, journal and
        report) on this process's async runtime, and returns the ``ims.FleetReport``.

        The manifest is read and the journal opened (and locked) when the coroutine starts,
        briefly blocking the event loop; ``ManifestError``, ``JournalLockedError``,
        ``ValidationError`` are raised then, before anything is sent.

        ``on_event(event)`` is called on the event loop with each ``ims.FleetEvent``; it may be
        a coroutine function (its coroutine is awaited) and may use this client. The run goes
        on meanwhile (events only tell). An exception it raises stops the run gracefully (no
        new create, jobs in flight recorded and left to run) and is raised once the run has
        ended, with the report as its ``fleet_report`` attribute.

        Cancelling the task (``task.cancel()``, ``asyncio.wait_for``) stops the run at once,
        without waiting for anything: an item whose create was on the wire stays ``sending``
        in the journal (its image may exist), and running the same ``run`` again reconciles
        it by its tag, never creating it twice. Prefer letting ``on_event`` raise to stop
        gracefully.
        """
        if on_event is not None and not callable(on_event):
            raise TypeError("on_event must be callable")
        fleet_run = self._inner._run_fleet(
            manifest,
            journal=journal,
            run=run,
            manifest_text=manifest_text,
            fleet=fleet,
            parallel=parallel,
            keep=keep,
            delete_backup=delete_backup,
            reconcile_grace=reconcile_grace,
            relist_interval=relist_interval,
            dry_run=dry_run,
            retry_failed=retry_failed,
            retry_unknown=retry_unknown,
            allow_partial=allow_partial,
            timeout=timeout,
            interval=interval,
        )
        raised: Exception | None = None
        try:
            while True:
                done, value = await fleet_run.step()
                if done:
                    assert isinstance(value, FleetReport)
                    report = value
                    break
                if on_event is None or raised is not None:
                    continue
                assert isinstance(value, list)
                for event in value:
                    try:
                        answer = on_event(event)
                        if _is_awaitable(answer):
                            await answer
                    except Exception as e:  # stops the run; raised once it has ended
                        raised = e
                        fleet_run.stop()
                        break
        finally:
            fleet_run.close()
        if raised is not None:
            try:
                raised.fleet_report = report  # type: ignore[attr-defined]
            except Exception:  # an exception that takes no attributes still propagates
                pass
            raise raised
        return report

    def __repr__(self) -> str:
        return repr(self._inner)


def _is_awaitable(value: object) -> _TypeGuard[_t.Awaitable[_t.Any]]:
    """Whether ``on_progress`` returned something to await (a coroutine, a future, any
    awaitable), as ``inspect.isawaitable`` says."""
    import inspect  # already imported by asyncio, whose loop runs this

    return inspect.isawaitable(value)
