"""``ims.JobStatus``: the status of an asynchronous job."""

from __future__ import annotations

import enum

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `import ims` stays free of `typing`


class JobStatus(str, enum.Enum):
    """The status of an asynchronous job.

    A ``str`` enum: ``job.status == "SUCCESS"`` holds, and ``str(status)`` is the wire text.
    ``UNKNOWN`` stands for any status this client does not know (the raw text stays in
    ``job.to_dict()["status"]``); a waiter keeps polling on it.
    """

    INIT = "INIT"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"

    if TYPE_CHECKING:
        # What `JobStatus("SUCCESS")` takes at run time (Enum's lookup by value), rather than
        # the `str.__new__` signature a type checker would infer from the str mixin.
        def __new__(cls, value: object) -> JobStatus: ...

    def __str__(self) -> str:
        return str.__str__(self)

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended (``SUCCESS`` or ``FAIL``)."""
        return self in (JobStatus.SUCCESS, JobStatus.FAIL)
