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

from ._ims import Client, _Emulator

__all__ = ["Emulator"]

class Emulator:
    """A local IMS emulator running in this process until :meth:`shutdown` (or the end of a
    ``with`` block).

    Defaults: the documented demo AK/SK (``IMSDEMOAK00000000000``) and project
    (``0123456789abcdef0123456789abcdef``), region ``cn-north-4``, jobs of 3 s. ``port=0``
    picks a free port. ``echo_unredacted=True`` makes a signature mismatch (APIGW.0301) echo
    the canonical request verbatim, security token included, as the real gateway does.

    ``tls=True`` serves HTTPS with a CA made at start-up (:attr:`ca_pem`), for ``127.0.0.1``,
    ``::1`` and ``localhost``; :meth:`client` trusts it. ``tls_certificate`` (which implies
    ``tls``) plays the failures: ``"other-host"`` presents a certificate for
    ``other-host.invalid``, ``"expired"`` one that expired in 2021 (``"valid"``: the default).
    """

    def __init__(
        self,
        *,
        ak: str | None = None,
        sk: str | None = None,
        project_id: str | None = None,
        region: str | None = None,
        job_seconds: float | None = None,
        auth_token: str | None = None,
        port: int = 0,
        gateway_prefix: _t.Literal["APIGW", "APIG"] = "APIGW",
        always_expired: bool = False,
        date_override: str | None = None,
        retry_after_http_date: bool = False,
        idle_close_ms: int | None = None,
        close_after_answer: bool = False,
        echo_unredacted: bool = False,
        tls: bool = False,
        tls_certificate: _t.Literal["valid", "other-host", "expired"] | None = None,
    ) -> None:
        self._emu = _Emulator(
            ak=ak,
            sk=sk,
            project_id=project_id,
            region=region,
            job_seconds=job_seconds,
            auth_token=auth_token,
            port=port,
            gateway_prefix=gateway_prefix,
            always_expired=always_expired,
            date_override=date_override,
            retry_after_http_date=retry_after_http_date,
            idle_close_ms=idle_close_ms,
            close_after_answer=close_after_answer,
            echo_unredacted=echo_unredacted,
            tls=tls,
            tls_certificate=tls_certificate,
        )

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
        settings: dict[str, _t.Any] = {
            "endpoint": self.url,
            "ak": self.ak,
            "sk": self.sk,
            "project_id": self.project_id,
        }
        if self.ca_pem is not None and "ca_file" not in kwargs:
            settings["ca_pem"] = self.ca_pem
        settings.update(kwargs)
        return Client(**settings)

    # -- what it saw -----------------------------------------------------------------------

    def stats(self) -> dict[str, _t.Any]:
        """Counters and the request log: ``create_accepted``, ``images_created``,
        ``connections``, ``requests_total`` and ``requests`` (a list of ``{"method", "path",
        "status"}``, never headers or bodies)."""
        return self._emu.stats()

    def reset_stats(self) -> None:
        """Zeroes the counters and empties the request log."""
        self._emu.reset_stats()

    # -- knobs -----------------------------------------------------------------------------

    def set_job_seconds(self, seconds: float) -> None:
        """How long the jobs created from now on take (0: done at once)."""
        self._emu.set_job_seconds(seconds)

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
        endpoint: _t.Literal["create", "job", "iam", "metadata"],
        n: int = 1,
        retry_after: int = 1,
    ) -> None:
        """The next ``n`` requests to ``endpoint`` get 429 ``APIGW.0308`` with
        ``Retry-After: retry_after``."""
        self._emu.throttle_next(endpoint, n, retry_after)

    def inject(
        self,
        endpoint: _t.Literal["create", "job", "iam", "metadata"],
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

    def pending(self, endpoint: _t.Literal["create", "job", "iam", "metadata"]) -> int:
        """How many injected faults still wait for ``endpoint``."""
        return self._emu.pending(endpoint)

    def set_response_delay(self, seconds: float) -> None:
        """Every response waits ``seconds`` before it is sent (0: none)."""
        self._emu.set_response_delay(seconds)

    def set_idle_close_ms(self, ms: int | None) -> None:
        """Close keep-alive connections idle longer than ``ms`` milliseconds (``None``: never),
        as load balancers do."""
        self._emu.set_idle_close_ms(ms)

    def set_close_after_answer(self, on: bool) -> None:
        """Answer with ``Connection: close`` and close each connection after its answer."""
        self._emu.set_close_after_answer(on)

    def clear_faults(self) -> None:
        """Removes every injected fault, delay and job failure."""
        self._emu.clear_faults()

    def set_credentials(self, ak: str, sk: str, security_token: str | None = None) -> None:
        """Accepts this AK/SK from now on (with ``security_token``: temporary credentials)."""
        self._emu.set_credentials(ak, sk, security_token)

    def set_gateway_prefix(self, prefix: _t.Literal["APIGW", "APIG"]) -> None:
        """Gateway error codes use the ``APIGW.`` (default) or ``APIG.`` prefix."""
        self._emu.set_gateway_prefix(prefix)

    def set_always_expired(self, on: bool) -> None:
        """When true, every signed request is refused as "signature expired"."""
        self._emu.set_always_expired(on)

    def set_date_override(self, date: str | None) -> None:
        """Every answer carries exactly this ``Date`` text (``None``: the emulator's clock)."""
        self._emu.set_date_override(date)

    def set_retry_after_http_date(self, on: bool) -> None:
        """Throttling answers give ``Retry-After`` as an HTTP date instead of seconds."""
        self._emu.set_retry_after_http_date(on)

    def set_auth_token(self, token: str | None) -> None:
        """Accepts ``X-Auth-Token: token`` (``None``: no token authentication)."""
        self._emu.set_auth_token(token)

    def set_known_instances(self, ids: list[str] | None) -> None:
        """Only these ECS ids exist (``None``: any); others get ``IMG.0005``."""
        self._emu.set_known_instances(ids)

    def set_known_vaults(self, ids: list[str] | None) -> None:
        """Only these CBR vaults exist (``None``: any); others get ``IMG.0184``."""
        self._emu.set_known_vaults(ids)

    def set_known_backups(self, ids: list[str] | None) -> None:
        """Only these CBR backups exist (``None``: any); others get ``IMG.0020``."""
        self._emu.set_known_backups(ids)

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
