"""Offline testing: a local IMS, run in this process, that your code can talk to.

``Emulator`` starts the emulator of the Rust workspace (crate ``ims-emulator``) on a free port
of ``127.0.0.1``: it verifies AK/SK signatures, serves the create and job endpoints (and IAM's
project lookup), runs jobs on its clock and answers like the real service, with the same JSON
shapes and error codes. Faults can be injected to test your error handling::

    import ims
    from ims.testing import Emulator

    def test_nightly_image():
        with Emulator(job_seconds=0) as emu:
            client = emu.client()
            job_id = client.create_whole_image(name="n", backup_id="b-1")
            job = client.wait_job(job_id, interval=0.05)
            assert job.status == "SUCCESS" and job.image_id

            emu.fail_next_jobs(1, "IMG.0010", "in-progress tasks")
            job_id = client.create_whole_image(name="n", backup_id="b-2")
            try:
                client.wait_job(job_id, interval=0.05)
            except ims.JobFailedError as e:
                assert e.job.error_code == "IMG.0010"

``wait_job`` waits 10 s before its first poll unless told otherwise: in tests pass a small
``interval`` (the first poll then comes after one interval) or ``first_delay=0``.
"""

from __future__ import annotations

# Private module aliases: stubtest compares every public name of a module with its runtime
# value, and `typing.Any` is no type on Python < 3.11. (Annotations are postponed, so the
# builtin generics and `X | None` work on 3.9.)
import types as _types
import typing as _t

from ._aio import AsyncClient
from ._ims import Client

try:
    from ._ims import _Emulator
except ImportError as _missing:  # pragma: no cover - only in a wheel built without it
    raise ImportError(
        "ims.testing needs the in-process emulator, which this build of ims left out "
        "(built with --no-default-features); rebuild with the 'emulator' feature, the default"
    ) from _missing

if _t.TYPE_CHECKING:
    from typing_extensions import Unpack as _Unpack

__all__ = ["Emulator", "EmulatorSettings"]


class EmulatorSettings(_t.TypedDict, total=False):
    """The settings of an :class:`Emulator`, given as keywords to ``Emulator(...)`` and to
    :meth:`Emulator.update` (the types of the keyword list of ``_Emulator``, which applies
    them)."""

    ak: str
    """The accepted access key (give ``sk`` with it)."""
    sk: str
    """The accepted secret key (give ``ak`` with it)."""
    security_token: str | None
    """With ``ak``/``sk``: they are temporary credentials, requests must carry this token."""
    project_id: str
    """The project id requests must carry."""
    region: str
    """The region (the IAM project lookup answers for it)."""
    job_seconds: float
    """How long the jobs created from then on take (0: done at once)."""
    auth_token: str | None
    """Accept ``X-Auth-Token: <this>`` (``None``: no token authentication)."""
    gateway_prefix: _t.Literal["APIGW", "APIG"]
    """Gateway error codes use the ``APIGW.`` (default) or ``APIG.`` prefix."""
    always_expired: bool
    """Every signed request is refused as "signature expired"."""
    signature_window_secs: int | None
    """Refuse an ``X-Sdk-Date`` further than this from the emulator's clock (``None``: 900 s)."""
    date_override: str | None
    """Every answer carries exactly this ``Date`` text (``None``: the emulator's clock)."""
    retry_after_http_date: bool
    """Throttling answers give ``Retry-After`` as an HTTP date instead of seconds."""
    idle_close_ms: int | None
    """Close keep-alive connections idle longer than this (``None``: never)."""
    close_after_answer: bool
    """Answer with ``Connection: close`` and close each connection after its answer."""
    echo_unredacted: bool
    """A signature mismatch echoes the canonical request verbatim, security token included."""
    metadata_enabled: bool
    """Whether the instance metadata endpoints exist (else both answer 404)."""
    known_instances: list[str] | None
    """Only these ECS ids exist (``None``: any); others get ``IMG.0005``."""
    known_vaults: list[str] | None
    """Only these CBR vaults exist (``None``: any); others get ``IMG.0184``."""
    known_backups: list[str] | None
    """Only these CBR backups exist (``None``: any); others get ``IMG.0020``."""
    projects: list[tuple[str, str]] | None
    """The IAM projects as ``(name, id)`` pairs (``None``: one named after the region)."""
    next_job_id: str | None
    """The job id the next create answers (once), instead of a random one."""
    image_quota: int
    """Private images allowed (default 50): a create while this many exist, whatever their
    status, gets ``IMG.0015``."""
    max_concurrent_jobs: int
    """Creation jobs allowed to run at once (default 40): a create beyond gets ``IMG.0060``."""
    list_delay: float
    """Seconds before a new image appears in ``GET /v2/cloudimages`` (default 0)."""
    delete_delay: float
    """Seconds a deleted image stays listed before it is gone (default 1)."""
    drop_after_create_rate: float
    """Share (0-1) of creates handled (image and job made) whose connection is then closed
    without an answer."""
    throttle_rate: float
    """Share (0-1) of creates answered 429 ``APIGW.0308`` (``Retry-After: 1``), unhandled."""
    fault_seed: int
    """Seed of the draws of the two rates given with it (default 0)."""


class Emulator:
    """A local IMS emulator running in this process until :meth:`shutdown` (or the end of a
    ``with`` block).

    Defaults: the documented demo AK/SK (``IMSDEMOAK00000000000``) and project
    (``0123456789abcdef0123456789abcdef``), region ``cn-north-4``, jobs of 3 s. ``port=0``
    picks a free port. Every other keyword is a setting (:class:`EmulatorSettings`), changed
    later with :meth:`update`: e.g. ``echo_unredacted=True`` makes a signature mismatch
    (APIGW.0301) echo the canonical request verbatim, security token included, as the real
    gateway does.

    ``tls=True`` serves HTTPS with a CA made at start-up (:attr:`ca_pem`), for ``127.0.0.1``,
    ``::1`` and ``localhost``; :meth:`client` trusts it. ``tls_certificate`` (which implies
    ``tls``) plays the failures: ``"other-host"`` presents a certificate for
    ``other-host.invalid``, ``"expired"`` one that expired in 2021 (``"valid"``: the default).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        tls: bool = False,
        tls_certificate: _t.Literal["valid", "other-host", "expired"] | None = None,
        **settings: _Unpack[EmulatorSettings],
    ) -> None:
        self._emu = _Emulator(port=port, tls=tls, tls_certificate=tls_certificate, **settings)

    def update(self, **settings: _Unpack[EmulatorSettings]) -> None:
        """Changes the settings while it runs (the keywords of the constructor, see
        :class:`EmulatorSettings`), all or none: a bad value raises ``TypeError`` or
        ``ValueError`` naming its keyword and changes nothing. ``ak`` and ``sk`` come
        together and replace the credentials as a whole."""
        self._emu.update(**settings)

    # -- where and who ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT`` (``https://`` with TLS)."""
        return self._emu.url

    @property
    def ca_pem(self) -> str | None:
        """The CA certificate (PEM) to trust with TLS (``Client(ca_pem=...)``), else ``None``."""
        return self._emu.ca_pem

    @property
    def ak(self) -> str:
        """The access key it accepts."""
        return self._emu.ak

    @property
    def sk(self) -> str:
        """The secret key it accepts (the emulator's own, not a real secret)."""
        return self._emu.sk

    @property
    def project_id(self) -> str:
        """The project id requests must carry."""
        return self._emu.project_id

    @property
    def region(self) -> str:
        """The region (the IAM project lookup answers for it)."""
        return self._emu.region

    @property
    def running(self) -> bool:
        """Whether it still runs."""
        return self._emu.running

    def client(self, **kwargs: _t.Any) -> Client:
        """An :class:`ims.Client` for this emulator (its URL, AK/SK and project id, and with TLS
        its CA unless ``ca_pem`` or ``ca_file`` is given); keyword arguments are passed on to
        ``ims.Client`` and override those."""
        return Client(**self._client_settings(kwargs))

    def async_client(self, **kwargs: _t.Any) -> AsyncClient:
        """An :class:`ims.AsyncClient` for this emulator, set up as :meth:`client` does;
        keyword arguments are passed on to ``ims.AsyncClient`` and override those."""
        return AsyncClient(**self._client_settings(kwargs))

    def _client_settings(self, overrides: dict[str, _t.Any]) -> dict[str, _t.Any]:
        """Its URL, AK/SK, project id and (with TLS) CA, updated with ``overrides``."""
        settings: dict[str, _t.Any] = {
            "endpoint": self.url,
            "ak": self.ak,
            "sk": self.sk,
            "project_id": self.project_id,
        }
        if self.ca_pem is not None and "ca_file" not in overrides:
            settings["ca_pem"] = self.ca_pem
        settings.update(overrides)
        return settings

    # -- what it saw -----------------------------------------------------------------------

    def stats(self) -> dict[str, _t.Any]:
        """Counters and the request log: ``create_accepted``, ``images_created``,
        ``connections``, ``requests_total``, ``peak_running_jobs`` (the most creation jobs
        ever seen running at once), ``running_jobs`` (now) and ``requests`` (a list of
        ``{"method", "path", "status"}``, never headers or bodies)."""
        return self._emu.stats()

    def image_settings(self) -> dict[str, _t.Any]:
        """The image limits and standing create faults now: ``image_quota``,
        ``max_concurrent_jobs``, ``list_delay``, ``delete_delay`` (seconds),
        ``drop_after_create_rate`` and ``throttle_rate``."""
        return self._emu.image_settings()

    def reset_stats(self) -> None:
        """Zeroes the counters and empties the request log."""
        self._emu.reset_stats()

    # -- knobs -----------------------------------------------------------------------------

    def set_clock_offset(self, secs: int) -> None:
        """Shifts the emulator's clock (signature expiry, ``Date`` header, job times)."""
        self._emu.set_clock_offset(secs)

    def fail_next_jobs(
        self, n: int, error_code: str | None = None, fail_reason: str | None = None
    ) -> None:
        """The next ``n`` jobs created end in ``FAIL`` with this ``error_code`` and
        ``fail_reason`` (default ``IMG.0010`` and an in-progress-task reason)."""
        self._emu.fail_next_jobs(n, error_code, fail_reason)

    def set_job_fail_rate(self, rate: float, seed: int = 0) -> None:
        """Other jobs end in ``FAIL`` with probability ``rate``, drawn from ``seed``."""
        self._emu.set_job_fail_rate(rate, seed)

    def throttle_next(
        self,
        endpoint: _t.Literal["create", "job", "iam", "metadata", "images"],
        n: int = 1,
        retry_after: int = 1,
    ) -> None:
        """The next ``n`` requests to ``endpoint`` get 429 ``APIGW.0308`` with
        ``Retry-After: retry_after``."""
        self._emu.throttle_next(endpoint, n, retry_after)

    def inject(
        self,
        endpoint: _t.Literal["create", "job", "iam", "metadata", "images"],
        fault: _t.Literal[
            "throttle",
            "internal_error",
            "unavailable",
            "delay",
            "drop_before_handling",
            "drop_after_handling",
            "truncated_body",
            "wrong_content_type",
            "ak_locked",
        ],
        n: int = 1,
        *,
        retry_after: int = 1,
        delay: float = 1.0,
    ) -> None:
        """The next ``n`` requests to ``endpoint`` get ``fault`` (``"delay"`` waits ``delay``
        seconds before answering; ``"drop_after_handling"`` creates the image, then drops the
        connection)."""
        self._emu.inject(endpoint, fault, n, retry_after=retry_after, delay=delay)

    def pending(self, endpoint: _t.Literal["create", "job", "iam", "metadata", "images"]) -> int:
        """How many injected faults still wait for ``endpoint``."""
        return self._emu.pending(endpoint)

    def set_response_delay(self, seconds: float) -> None:
        """Every response waits ``seconds`` before it is sent (0: none)."""
        self._emu.set_response_delay(seconds)

    def clear_faults(self) -> None:
        """Removes every injected fault, delay and job failure."""
        self._emu.clear_faults()

    # -- lifetime --------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stops it and frees its port. Idempotent."""
        self._emu.shutdown()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: _types.TracebackType | None,
    ) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ims.testing.Emulator {self.url} {state}>"
