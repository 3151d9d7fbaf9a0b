"""``ims.AsyncClient``: the client for asyncio (imported on first use of ``ims.AsyncClient``).

The work is the Rust core's ``AsyncClient``, run on one tokio runtime of this process (one
worker thread, started with the first ``AsyncClient``); this module only gives its operations
the shape of coroutines.
"""

from __future__ import annotations

from ._ims import Job, _AsyncClient

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

    def __repr__(self) -> str:
        return repr(self._inner)


def _is_awaitable(value: object) -> _TypeGuard[_t.Awaitable[_t.Any]]:
    """Whether ``on_progress`` returned something to await (a coroutine, a future, any
    awaitable), as ``inspect.isawaitable`` says."""
    import inspect  # already imported by asyncio, whose loop runs this

    return inspect.isawaitable(value)
