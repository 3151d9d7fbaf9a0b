"""Type stubs of the native module ``ims._ims`` (Rust, pyo3)."""

import os
from typing import (
    Any,
    Awaitable,
    Callable,
    ClassVar,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
    final,
)

from typing_extensions import TypedDict, Unpack

from ._status import JobStatus

__all__ = ["__version__", "Client", "Job", "_AsyncClient", "_Emulator", "_Waiter"]

__version__: str

class _ClientSettings(TypedDict, total=False):
    """The settings keywords of ``Client(...)`` and ``Client.from_env(...)`` (not the
    credentials, nor ``from_env``'s positional ``region`` and ``endpoint``)."""

    project_id: Optional[str]
    timeout: Optional[float]
    connect_timeout: Optional[float]
    pool_idle_timeout: Optional[float]
    max_concurrent_requests: Optional[int]
    allow_http: bool
    legacy_job_endpoint: bool
    algorithm: Optional[str]
    user_agent_suffix: Optional[str]
    max_attempts: Optional[int]
    ca_pem: Union[str, bytes, None]
    ca_file: Union[str, os.PathLike[str], None]
    proxy: Optional[str]

@final
class Client:
    """An IMS client. Thread-safe; every blocking call releases the GIL."""

    _keywords: ClassVar[Tuple[str, ...]]
    def __new__(
        cls,
        *,
        region: Optional[str] = None,
        endpoint: Optional[str] = None,
        ak: Optional[str] = None,
        sk: Optional[str] = None,
        security_token: Optional[str] = None,
        auth_token: Optional[str] = None,
        **settings: Unpack[_ClientSettings],
    ) -> Client: ...
    @staticmethod
    def from_env(
        region: Optional[str] = None,
        endpoint: Optional[str] = None,
        **settings: Unpack[_ClientSettings],
    ) -> Client: ...
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
    def job_status(self, job_id: str) -> Job: ...
    def wait_job(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        interval: Optional[float] = None,
        first_delay: Optional[float] = None,
        on_progress: Optional[Callable[[Job], Optional[bool]]] = None,
    ) -> Job: ...
    @staticmethod
    def _wait_options(
        *,
        timeout: float = 3600.0,
        interval: Optional[float] = None,
        first_delay: Optional[float] = None,
    ) -> Dict[str, float]: ...

@final
class _AsyncClient:
    """The engine of ``ims.AsyncClient`` (``ims/_aio.py``): each operation checks its
    arguments at once and returns an asyncio future of the running loop."""

    _keywords: ClassVar[Tuple[str, ...]]
    def __new__(cls, **settings: Any) -> _AsyncClient: ...
    @staticmethod
    def _from_env(
        region: Optional[str] = None,
        endpoint: Optional[str] = None,
        **settings: Any,
    ) -> _AsyncClient: ...
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
    ) -> Awaitable[str]: ...
    def create_whole_image_from_body(self, body: Mapping[str, Any]) -> Awaitable[str]: ...
    def job_status(self, job_id: str) -> Awaitable[Job]: ...
    def _wait(
        self,
        job_id: str,
        *,
        timeout: float = 3600.0,
        interval: Optional[float] = None,
        first_delay: Optional[float] = None,
        report: bool = False,
    ) -> _Waiter: ...

@final
class _Waiter:
    """One wait of ``ims.AsyncClient.wait_job``."""

    def step(self) -> Awaitable[Tuple[bool, Job]]: ...
    def cancel(self) -> Optional[BaseException]: ...
    def close(self) -> None: ...

@final
class Job:
    """An asynchronous job document. Immutable, hashable (equal jobs hash alike) and
    picklable (to an equal job)."""

    @staticmethod
    def from_dict(doc: Mapping[str, Any]) -> Job: ...
    @property
    def job_id(self) -> str: ...
    @property
    def job_type(self) -> Optional[str]: ...
    @property
    def status(self) -> JobStatus: ...
    @property
    def is_terminal(self) -> bool: ...
    @property
    def image_id(self) -> Optional[str]: ...
    @property
    def image_name(self) -> Optional[str]: ...
    @property
    def process_percent(self) -> Optional[float]: ...
    @property
    def error_code(self) -> Optional[str]: ...
    @property
    def fail_reason(self) -> Optional[str]: ...
    @property
    def begin_time(self) -> Optional[str]: ...
    @property
    def end_time(self) -> Optional[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Tuple[Callable[[str], Job], Tuple[str]]: ...
    @staticmethod
    def _from_json(text: str) -> Job: ...

@final
class _Emulator:
    """The in-process emulator behind ``ims.testing.Emulator``."""

    def __new__(
        cls,
        *,
        port: int = 0,
        tls: bool = False,
        tls_certificate: Optional[str] = None,
        **settings: Any,
    ) -> _Emulator: ...
    def update(self, **settings: Any) -> None: ...
    @property
    def url(self) -> str: ...
    @property
    def ca_pem(self) -> Optional[str]: ...
    @property
    def host(self) -> str: ...
    @property
    def ak(self) -> str: ...
    @property
    def sk(self) -> str: ...
    @property
    def project_id(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def running(self) -> bool: ...
    def stats(self) -> Dict[str, Any]: ...
    def image_settings(self) -> Dict[str, Any]: ...
    def reset_stats(self) -> None: ...
    def set_clock_offset(self, secs: int) -> None: ...
    def fail_next_jobs(
        self, n: int, error_code: Optional[str] = None, fail_reason: Optional[str] = None
    ) -> None: ...
    def set_job_fail_rate(self, rate: float, seed: int = 0) -> None: ...
    def throttle_next(self, endpoint: str, n: int = 1, retry_after: int = 1) -> None: ...
    def inject(
        self,
        endpoint: str,
        fault: str,
        n: int = 1,
        *,
        retry_after: int = 1,
        delay: float = 1.0,
    ) -> None: ...
    def pending(self, endpoint: str) -> int: ...
    def set_response_delay(self, seconds: float) -> None: ...
    def clear_faults(self) -> None: ...
    def shutdown(self) -> None: ...
