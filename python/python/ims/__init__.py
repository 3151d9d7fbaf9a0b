"""Huawei Cloud IMS full-ECS images from Python.

::

    import ims

    client = ims.Client(region="cn-north-4", ak="...", sk="...")
    job_id = client.create_whole_image(
        name="nightly",
        instance_id="877a2cda-ba63-4e1e-b95f-e67e48b6129a",
        vault_id="de9fcf45-11b2-432c-8562-5c5428574600",
        tags={"team": "infra"},
    )
    job = client.wait_job(job_id)
    print(job.image_id)

The work is done by the Rust core (``ims._ims``): validation of every documented rule, AK/SK
signing, retries that never create an image twice, and a waiter that answers Ctrl-C. Blocking
calls release the GIL; one ``Client`` can be shared by many threads. Debug logs go to the
``logging`` logger ``"ims"``. ``ims.AsyncClient`` takes the same settings and offers the same
operations as coroutines, for asyncio. ``ims.testing.Emulator`` runs a local IMS in this
process for offline tests.

Fleet imaging (one image per server of a JSON Lines manifest, many at once, with a SQLite
journal that makes a crash or a rerun neither duplicate nor lose an image)::

    report = client.run_fleet("servers.jsonl", journal="fleet.db", run="nightly-2026-12-02")
    for item in report.items:
        print(item.key, item.state, item.image_id)

"""

from ._errors import (
    ApiError,
    CancelledError,
    ConfigError,
    CredentialsError,
    FleetError,
    ImsError,
    InvalidResponseError,
    JobFailedError,
    JournalError,
    JournalLockedError,
    ManifestError,
    QuotaError,
    SigningError,
    TransportError,
    ValidationError,
    WaitTimeoutError,
)
from ._ims import (
    Client,
    FleetDeletion,
    FleetEvent,
    FleetItem,
    FleetReport,
    Image,
    ImageQuota,
    Job,
    __version__,
)

# `JobStatus` is an `enum.Enum`, and `enum` (with `collections` and `functools`) would be most
# of the cost of `import ims`: it is imported on first use (PEP 562), which the first job
# status read does anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._aio import AsyncClient
    from ._status import JobStatus


def __getattr__(name: str) -> object:
    if name == "JobStatus":
        from ._status import JobStatus

        globals()["JobStatus"] = JobStatus
        return JobStatus
    # `ims.AsyncClient` too: only asyncio programs pay for it.
    if name == "AsyncClient":
        from ._aio import AsyncClient

        globals()["AsyncClient"] = AsyncClient
        return AsyncClient
    raise AttributeError(f"module 'ims' has no attribute {name!r}")

__all__ = [
    "ApiError",
    "AsyncClient",
    "CancelledError",
    "Client",
    "ConfigError",
    "CredentialsError",
    "FleetDeletion",
    "FleetError",
    "FleetEvent",
    "FleetItem",
    "FleetReport",
    "Image",
    "ImageQuota",
    "ImsError",
    "InvalidResponseError",
    "Job",
    "JobFailedError",
    "JobStatus",
    "JournalError",
    "JournalLockedError",
    "ManifestError",
    "QuotaError",
    "SigningError",
    "TransportError",
    "ValidationError",
    "WaitTimeoutError",
    "__version__",
]
