"""The exceptions of ``ims``.

Every error raised by the library is an :class:`ImsError`; ``str(error)`` is one lowercase
sentence naming the service code and the request id when there is one, and ``error.kind`` is a
stable name (``"validation"``, ``"api"``, ...). No secret is ever part of an error. Every error
pickles with its attributes (``ProcessPoolExecutor`` hands it back as it was raised).

::

    ImsError
    ├── ValidationError (also a ValueError)   .errors
    ├── CredentialsError
    ├── ConfigError
    ├── SigningError
    ├── TransportError                         .timeout, .not_sent
    ├── ApiError                               .status, .code, .message, .request_id, .hint, .signed_request
    ├── InvalidResponseError                   .status, .message, .request_id
    ├── JobFailedError                         .job_id, .job
    ├── WaitTimeoutError                       .job_id, .elapsed, .job
    ├── CancelledError                         .job_id, .job
    └── FleetError                             (a fleet run could not start; nothing was sent)
        ├── ManifestError (also a ValueError)  .errors: [(line, message)]
        ├── JournalError                       .path, .reason
        │   └── JournalLockedError             (another process runs on the journal)
        └── QuotaError                         .needed, .used, .quota, .remaining

A fleet run's options that break a rule raise ``ValidationError`` (as every other argument),
and a call the run needs before it starts (the quota) raises that call's own error
(``ApiError``, ``TransportError``, ...).
"""

from __future__ import annotations

# `typing` is not imported (it would double the cost of `import ims`): with postponed
# annotations, builtin generics and `X | None` need nothing at run time.
from ._ims import Job


class ImsError(Exception):
    """Base class of every error raised by ``ims``."""

    #: Stable lowercase name of the error's kind (``"validation"``, ``"api"``, ...).
    kind: str = "ims"

    def __init__(self, *args: object, kind: str | None = None) -> None:
        super().__init__(*args)
        if kind is not None:
            self.kind = kind

    def __reduce__(self) -> tuple[object, ...]:
        # Pickle's default for exceptions calls `cls(*args)`, which misses the keyword-only
        # attributes (and fails where one is required, as `job`): rebuild without `__init__`,
        # then restore every attribute.
        return (_rebuild, (type(self), self.args), self.__dict__)


def _rebuild(cls: type[ImsError], args: tuple[object, ...]) -> ImsError:
    """An error of class ``cls`` with ``args`` and no attributes yet (for unpickling)."""
    return cls.__new__(cls, *args)


class ValidationError(ImsError, ValueError):
    """The request broke documented rules; nothing was sent.

    ``errors`` lists every violation as ``(field, rule, message)``: ``field`` is the path in
    the request body (``name``, ``image_tags[1].key``, ``source``), ``rule`` a stable name
    (``required``, ``length``, ``charset``, ``exclusive``, ...), ``message`` one sentence.
    """

    kind = "validation"

    def __init__(
        self,
        *args: object,
        errors: list[tuple[str, str, str]] | tuple[tuple[str, str, str], ...] = (),
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.errors: list[tuple[str, str, str]] = [(f, r, m) for f, r, m in errors]

    @property
    def fields(self) -> list[str]:
        """The field of each violation, in order."""
        return [field for field, _, _ in self.errors]


class CredentialsError(ImsError):
    """No usable credentials, or a credential provider failed."""

    kind = "credentials"


class ConfigError(ImsError):
    """The client configuration is wrong (endpoint, region, project, timeouts, ...)."""

    kind = "config"


class SigningError(ImsError):
    """The request could not be signed."""

    kind = "signing"


class TransportError(ImsError):
    """The exchange failed below HTTP: connection refused or dropped, or timed out.

    ``timeout`` is true when one exchange took longer than the client's ``timeout``;
    ``not_sent`` is true when the request surely never reached the service.
    """

    kind = "transport"

    def __init__(
        self,
        *args: object,
        timeout: bool = False,
        not_sent: bool = False,
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.timeout = timeout
        self.not_sent = not_sent


class ApiError(ImsError):
    """The service (or its API gateway) answered with an error.

    ``status`` is the HTTP status, ``code`` the service code (``IMG.0029``, ``APIGW.0301``),
    ``message`` the service's message, ``request_id`` the ``X-Request-Id``; ``hint`` is this
    client's advice, ``signed_request`` the canonical request it signed when the gateway
    refused the signature.
    """

    kind = "api"

    def __init__(
        self,
        *args: object,
        status: int = 0,
        code: str | None = None,
        message: str = "",
        request_id: str | None = None,
        hint: str | None = None,
        signed_request: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.hint = hint
        self.signed_request = signed_request


class InvalidResponseError(ImsError):
    """The service answered something this client cannot understand."""

    kind = "invalid_response"

    def __init__(
        self,
        *args: object,
        status: int = 0,
        message: str = "",
        request_id: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.status = status
        self.message = message
        self.request_id = request_id


class JobFailedError(ImsError):
    """The job ended in ``FAIL``; ``job`` has its ``error_code`` and ``fail_reason``, ``job_id``
    is its id (as ``WaitTimeoutError.job_id`` and ``CancelledError.job_id``)."""

    kind = "job_failed"

    def __init__(
        self, *args: object, job: Job, job_id: str | None = None, kind: str | None = None
    ) -> None:
        super().__init__(*args, kind=kind)
        self.job_id = job.job_id if job_id is None else job_id
        self.job = job


class WaitTimeoutError(ImsError):
    """``wait_job`` gave up after its ``timeout``; ``job`` is the last seen (or ``None``)."""

    kind = "wait_timeout"

    def __init__(
        self,
        *args: object,
        job_id: str = "",
        elapsed: float = 0.0,
        job: Job | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.job_id = job_id
        self.elapsed = elapsed
        self.job = job


class CancelledError(ImsError):
    """The wait was cancelled (``on_progress`` returned ``False``); ``job`` is the last seen."""

    kind = "cancelled"

    def __init__(
        self,
        *args: object,
        job_id: str = "",
        job: Job | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.job_id = job_id
        self.job = job


class FleetError(ImsError):
    """A fleet run could not start (or go on): nothing was sent to the create endpoint."""

    kind = "fleet"


class ManifestError(FleetError, ValueError):
    """The manifest has problems; nothing was sent.

    ``errors`` lists every one as ``(line, message)``: ``line`` counts from 1 (0 is the
    manifest as a whole), ``message`` names the field and its rule when a rule is broken.
    """

    kind = "manifest"

    def __init__(
        self,
        *args: object,
        errors: list[tuple[int, str]] | tuple[tuple[int, str], ...] = (),
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.errors: list[tuple[int, str]] = [(line, message) for line, message in errors]

    @property
    def lines(self) -> list[int]:
        """The line of each problem, in order."""
        return [line for line, _ in self.errors]


class JournalError(FleetError):
    """The journal cannot be used: not a fleet journal (or a damaged one), another fleet's, or
    a file that cannot be opened, read or written. ``path`` is the journal's path, ``reason``
    what was found (``kind`` says which: ``journal_corrupt``, ``journal_other_fleet``,
    ``journal_io``)."""

    kind = "journal"

    def __init__(
        self,
        *args: object,
        path: str = "",
        reason: str = "",
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.path = path
        self.reason = reason


class JournalLockedError(JournalError):
    """Another process holds the journal (a fleet run is in progress on it); nothing was
    sent. Overlapping runs (two cron jobs) get this instead of creating twice."""

    kind = "journal_locked"


class QuotaError(FleetError):
    """The run would make more images than the region's image quota leaves; nothing was sent
    (``allow_partial=True`` makes what fits). ``needed`` images were asked for, ``remaining``
    (``quota`` - ``used``) are left."""

    kind = "quota"

    def __init__(
        self,
        *args: object,
        needed: int = 0,
        used: int = 0,
        quota: int = 0,
        kind: str | None = None,
    ) -> None:
        super().__init__(*args, kind=kind)
        self.needed = needed
        self.used = used
        self.quota = quota

    @property
    def remaining(self) -> int:
        """How many images the quota leaves (0 at or over it)."""
        return max(self.quota - self.used, 0)
