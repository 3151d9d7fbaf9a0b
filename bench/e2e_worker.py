"""A long-lived client process for the end-to-end rounds: create a full-ECS image, then poll
its job until SUCCESS, against an emulator that runs in ANOTHER process (``ims emulator
--job-seconds 0``), so that ``time.process_time()`` of this process is the client's CPU alone
(every thread of it: for ``ours`` that includes the Rust core's HTTP thread).

    python bench/e2e_worker.py --client official|ours --url URL [--ak AK --sk SK --project-id P]

After 20 warm-up cycles (connection, caches) it prints ``ready``, then reads one integer N per
line from stdin, runs N cycles and answers one JSON line: cycles, polls, cpu_s (process_time),
thread_s (thread_time, the calling thread), wall_s (perf_counter). EOF ends it.

- official: ``ImsClient.create_whole_image(CreateWholeImageRequest(...))``, then
  ``show_job_progress`` until the status is SUCCESS.
- ours: ``ims.Client.create_whole_image(...)``, then ``wait_job(job_id, interval=0.001,
  first_delay=0)`` (polls at once; the job of 0 s is done by then, so the 1 ms is never slept).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Callable

NAME = "bench-cycle"
INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a"
VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600"


def official_cycle(url: str, ak: str, sk: str, project_id: str) -> Callable[[], int]:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkims.v2 import (
        CreateWholeImageRequest,
        CreateWholeImageRequestBody,
        ImsClient,
        ShowJobProgressRequest,
    )

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True  # plain http to loopback: no TLS at all
    client = (
        ImsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([url])
        .build()
    )

    def cycle() -> int:
        body = CreateWholeImageRequestBody(name=NAME, instance_id=INSTANCE_ID, vault_id=VAULT_ID)
        job_id = client.create_whole_image(CreateWholeImageRequest(body=body)).job_id
        polls = 0
        while True:
            polls += 1
            status = client.show_job_progress(ShowJobProgressRequest(job_id=job_id)).status
            if status == "SUCCESS":
                return polls
            if status not in ("INIT", "RUNNING"):
                raise RuntimeError("job %s ended %s" % (job_id, status))

    return cycle


def ours_cycle(url: str, ak: str, sk: str, project_id: str) -> Callable[[], int]:
    import ims

    client = ims.Client(endpoint=url, ak=ak, sk=sk, project_id=project_id)

    def cycle() -> int:
        job_id = client.create_whole_image(name=NAME, instance_id=INSTANCE_ID, vault_id=VAULT_ID)
        job = client.wait_job(job_id, interval=0.001, first_delay=0)
        if job.status != "SUCCESS":
            raise RuntimeError("job %s ended %s" % (job_id, job.status))
        return 0  # wait_job does not say how many polls it made (bench/connections.py counts)

    return cycle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", choices=["official", "ours"], required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--ak", default="IMSDEMOAK00000000000")
    parser.add_argument("--sk", default="ims-demo-secret-key-0000000000000000000000")
    parser.add_argument("--project-id", default="0123456789abcdef0123456789abcdef")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    make = official_cycle if args.client == "official" else ours_cycle
    cycle = make(args.url, args.ak, args.sk, args.project_id)
    for _ in range(args.warmup):
        cycle()
    print("ready", flush=True)
    for line in sys.stdin:
        n = int(line)
        polls = 0
        cpu0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
        for _ in range(n):
            polls += cycle()
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        own = time.thread_time() - thread0
        print(
            json.dumps(
                {
                    "client": args.client,
                    "cycles": n,
                    "polls": polls or None,
                    "cpu_s": cpu,
                    "thread_s": own,
                    "wall_s": wall,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
