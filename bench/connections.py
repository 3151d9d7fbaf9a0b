"""TCP connections a client opens, and requests per create + wait cycle, counted by ONE
in-process emulator (``ims.testing.Emulator(job_seconds=0)``, whose ``stats()`` count accepted
connections and log every request).

    python bench/connections.py --cycle-bin target/bench/bin/cycle [--polls 100] [--cycles 50]

For each client the counters are reset, then:

- official SDK and ours (Python): one client is built, creates one image, then polls that job
  ``--polls`` times (``show_job_progress`` / ``job_status``): the connections opened over the
  client's whole life so far; then ``--cycles`` create + wait cycles count the requests per
  cycle (and any further connection).
- ours (Rust): ``cycle --url URL --cycles N`` (20 warm-up cycles + N, one client): its
  connections and requests.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from typing import Any

from ims.testing import Emulator

INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a"
VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600"


def counts(emu: Emulator) -> dict[str, int]:
    s = emu.stats()
    methods = [r["method"] for r in s["requests"]]
    return {
        "connections": int(s["connections"]),
        "requests": int(s["requests_total"]),
        "posts": methods.count("POST"),
        "gets": methods.count("GET"),
        "errors": sum(1 for r in s["requests"] if int(r["status"]) >= 400),
    }


def official(emu: Emulator, polls: int, cycles: int) -> dict[str, Any]:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkims.v2 import (
        CreateWholeImageRequest,
        CreateWholeImageRequestBody,
        ImsClient,
        ShowJobProgressRequest,
    )

    emu.reset_stats()
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    client = (
        ImsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(emu.ak, emu.sk, emu.project_id))
        .with_endpoints([emu.url])
        .build()
    )

    def create() -> str:
        body = CreateWholeImageRequestBody(name="conn", instance_id=INSTANCE_ID, vault_id=VAULT_ID)
        return client.create_whole_image(CreateWholeImageRequest(body=body)).job_id

    def poll(job_id: str) -> str:
        return client.show_job_progress(ShowJobProgressRequest(job_id=job_id)).status

    job_id = create()
    for _ in range(polls):
        poll(job_id)
    first = counts(emu)
    emu.reset_stats()
    for _ in range(cycles):
        job_id = create()
        while poll(job_id) != "SUCCESS":
            pass
    return {"polls_phase": first, "cycles_phase": counts(emu), "cycles": cycles}


def ours(emu: Emulator, polls: int, cycles: int) -> dict[str, Any]:
    emu.reset_stats()
    client = emu.client()

    def create() -> str:
        return client.create_whole_image(name="conn", instance_id=INSTANCE_ID, vault_id=VAULT_ID)

    job_id = create()
    for _ in range(polls):
        client.job_status(job_id)
    first = counts(emu)
    emu.reset_stats()
    for _ in range(cycles):
        job = client.wait_job(create(), interval=0.001, first_delay=0)
        assert job.status == "SUCCESS"
    return {"polls_phase": first, "cycles_phase": counts(emu), "cycles": cycles}


def rust(emu: Emulator, cycle_bin: str, cycles: int) -> dict[str, Any]:
    emu.reset_stats()
    out = subprocess.run(
        [cycle_bin, "--url", emu.url, "--cycles", str(cycles), "--ak", emu.ak, "--sk", emu.sk,
         "--project-id", emu.project_id],
        check=True, capture_output=True, text=True, timeout=300,
    ).stdout
    report = json.loads(out.strip().splitlines()[-1])
    return {"run": counts(emu), "cycles": cycles + 20, "report": report}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycle-bin", required=True)
    parser.add_argument("--polls", type=int, default=100)
    parser.add_argument("--cycles", type=int, default=50)
    args = parser.parse_args()
    with Emulator(job_seconds=0, image_quota=1_000_000_000, max_concurrent_jobs=1_000_000_000) as emu:
        result = {
            "official": official(emu, args.polls, args.cycles),
            "ours_python": ours(emu, args.polls, args.cycles),
            "ours_rust": rust(emu, args.cycle_bin, 100),
            "polls": args.polls,
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
