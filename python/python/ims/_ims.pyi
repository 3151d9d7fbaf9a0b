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

__all__ = [
    "__version__",
    "Client",
    "FleetDeletion",
    "FleetEvent",
    "FleetItem",
    "FleetReport",
    "Image",
    "ImageQuota",
    "Job",
    "_AsyncClient",
    "_Emulator",
    "_FleetRun",
    "_Waiter",
]

__version__: str

_Path = Union[str, os.PathLike[str]]

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
    def list_images(
        self,
        *,
        tag: Optional[str] = None,
        name: Optional[str] = None,
        status: Optional[str] = None,
        imagetype: Optional[str] = None,
        whole_image: Optional[bool] = None,
        created_at: Optional[str] = None,
        sort_key: Optional[str] = None,
        sort_dir: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> List[Image]: ...
    def image_quota(self) -> ImageQuota: ...
    def delete_image(self, image_id: str, *, delete_backup: bool = False) -> None: ...
    def run_fleet(
        self,
        manifest: Optional[_Path] = None,
        *,
        journal: _Path,
        run: str,
        manifest_text: Optional[str] = None,
        fleet: Optional[str] = None,
        parallel: int = 10,
        keep: Optional[int] = None,
        delete_backup: bool = False,
        reconcile_grace: float = 600.0,
        relist_interval: float = 10.0,
        dry_run: bool = False,
        retry_failed: bool = False,
        retry_unknown: bool = False,
        allow_partial: bool = False,
        timeout: Optional[float] = None,
        interval: Optional[float] = None,
        on_event: Optional[Callable[[FleetEvent], object]] = None,
    ) -> FleetReport: ...
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
    def list_images(
        self,
        *,
        tag: Optional[str] = None,
        name: Optional[str] = None,
        status: Optional[str] = None,
        imagetype: Optional[str] = None,
        whole_image: Optional[bool] = None,
        created_at: Optional[str] = None,
        sort_key: Optional[str] = None,
        sort_dir: Optional[str] = None,
        page_size: Optional[int] = None,
    ) -> Awaitable[List[Image]]: ...
    def image_quota(self) -> Awaitable[ImageQuota]: ...
    def delete_image(self, image_id: str, *, delete_backup: bool = False) -> Awaitable[None]: ...
    def _run_fleet(
        self,
        manifest: Optional[_Path] = None,
        *,
        journal: _Path,
        run: str,
        manifest_text: Optional[str] = None,
        fleet: Optional[str] = None,
        parallel: int = 10,
        keep: Optional[int] = None,
        delete_backup: bool = False,
        reconcile_grace: float = 600.0,
        relist_interval: float = 10.0,
        dry_run: bool = False,
        retry_failed: bool = False,
        retry_unknown: bool = False,
        allow_partial: bool = False,
        timeout: Optional[float] = None,
        interval: Optional[float] = None,
    ) -> _FleetRun: ...

@final
class _FleetRun:
    """One run of ``ims.AsyncClient.run_fleet``."""

    def step(self) -> Awaitable[Tuple[bool, Union[FleetReport, List[FleetEvent]]]]: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...

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
class Image:
    """One image of a listing. Immutable, comparable, hashable, picklable."""

    def __new__(
        cls,
        id: str,
        name: str = "",
        status: str = "",
        created_at: str = "",
        updated_at: str = "",
        tags: Optional[Sequence[Tuple[str, str]]] = None,
        imagetype: Optional[str] = None,
        whole_image: Optional[bool] = None,
        backup_id: Optional[str] = None,
        owner: Optional[str] = None,
    ) -> Image: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> str: ...
    @property
    def updated_at(self) -> str: ...
    @property
    def tags(self) -> Dict[str, str]: ...
    @property
    def imagetype(self) -> Optional[str]: ...
    @property
    def whole_image(self) -> Optional[bool]: ...
    @property
    def backup_id(self) -> Optional[str]: ...
    @property
    def owner(self) -> Optional[str]: ...
    def tag(self, key: str) -> Optional[str]: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]: ...

@final
class ImageQuota:
    """The region's private-image quota. Immutable, comparable, hashable, picklable."""

    def __new__(cls, used: int, quota: int) -> ImageQuota: ...
    @property
    def used(self) -> int: ...
    @property
    def quota(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> Tuple[Any, Tuple[int, int]]: ...

@final
class FleetItem:
    """One item of a fleet report. Immutable, comparable, picklable."""

    def __new__(
        cls,
        key: str,
        line: int,
        state: str,
        already_done: bool = False,
        action: str = "create",
        job_id: Optional[str] = None,
        image_id: Optional[str] = None,
        duration: Optional[float] = None,
        error_code: Optional[str] = None,
        error_message: Optional[str] = None,
    ) -> FleetItem: ...
    @property
    def key(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def already_done(self) -> bool: ...
    @property
    def action(self) -> str: ...
    @property
    def job_id(self) -> Optional[str]: ...
    @property
    def image_id(self) -> Optional[str]: ...
    @property
    def duration(self) -> Optional[float]: ...
    @property
    def error_code(self) -> Optional[str]: ...
    @property
    def error_message(self) -> Optional[str]: ...
    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]: ...

@final
class FleetDeletion:
    """A retention deletion of a fleet report. Immutable, comparable, picklable."""

    def __new__(
        cls, key: str, image_id: str, created_at: str, state: str, error: Optional[str] = None
    ) -> FleetDeletion: ...
    @property
    def key(self) -> str: ...
    @property
    def image_id(self) -> str: ...
    @property
    def created_at(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def error(self) -> Optional[str]: ...
    def __reduce__(self) -> Tuple[Any, Tuple[Any, ...]]: ...

@final
class FleetReport:
    """A fleet run's report: one row per item and the worst outcome. Immutable, comparable,
    picklable."""

    @property
    def fleet(self) -> str: ...
    @property
    def run(self) -> str: ...
    @property
    def dry_run(self) -> bool: ...
    @property
    def stopped(self) -> bool: ...
    @property
    def outcome(self) -> str: ...
    @property
    def items(self) -> List[FleetItem]: ...
    @property
    def deletions(self) -> List[FleetDeletion]: ...
    @property
    def journal_writes(self) -> int: ...
    def to_json(self) -> str: ...
    def count(self, state: str) -> int: ...
    def __reduce__(self) -> Tuple[Callable[[str], FleetReport], Tuple[str]]: ...
    @staticmethod
    def _from_json(text: str) -> FleetReport: ...

@final
class FleetEvent:
    """Something that happened in a fleet run (``kind``: ``started``, ``item``,
    ``progress``, ``reconciling``, ``deletion``, ``stopping``). Immutable, comparable,
    picklable."""

    def __new__(
        cls,
        kind: str,
        *,
        key: Optional[str] = None,
        state: Optional[str] = None,
        job_id: Optional[str] = None,
        image_id: Optional[str] = None,
        status: Optional[str] = None,
        percent: Optional[float] = None,
        error_code: Optional[str] = None,
        error_message: Optional[str] = None,
        items: Optional[int] = None,
        to_create: Optional[int] = None,
        quota: Optional[ImageQuota] = None,
        since_intent: Optional[float] = None,
    ) -> FleetEvent: ...
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> Optional[str]: ...
    @property
    def state(self) -> Optional[str]: ...
    @property
    def job_id(self) -> Optional[str]: ...
    @property
    def image_id(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def percent(self) -> Optional[float]: ...
    @property
    def error_code(self) -> Optional[str]: ...
    @property
    def error_message(self) -> Optional[str]: ...
    @property
    def items(self) -> Optional[int]: ...
    @property
    def to_create(self) -> Optional[int]: ...
    @property
    def quota(self) -> Optional[ImageQuota]: ...
    @property
    def since_intent(self) -> Optional[float]: ...
    def __reduce__(self) -> Any: ...

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
