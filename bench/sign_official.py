"""Signing rate of the OFFICIAL SDK's signer (huaweicloudsdkcore 3.1.219) on the
``create-whole-image-sha256`` request of shared/spec/signing-vectors.json (the request of
core/benches/sign.rs).

One round: first checks that the signer reproduces the vector's Authorization, then times, with
``time.perf_counter``, ``repeats`` loops of ``n`` signatures, each
``Signer(credentials).sign(SdkRequest(...))`` on a fresh ``SdkRequest`` (the signer mutates the
request it signs: headers, body, uri), and the same loops building the ``SdkRequest`` only. The
signing cost is the difference, so request construction is not charged to the signer.

Two paths are timed: ``now`` (no ``X-Sdk-Date`` header: the signer stamps the current time, as
for every request the SDK sends; the headline) and ``vector`` (the vector's fixed
``X-Sdk-Date``, which the signer parses). Prints one JSON line.

    python bench/sign_official.py VECTORS_JSON [--n 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

CASE = "create-whole-image-sha256"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("vectors")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    with open(args.vectors, encoding="utf-8") as f:
        case = next(c for c in json.load(f)["cases"] if c["name"] == CASE)
    body = base64.b64decode(case["body_base64"])
    credentials = BasicCredentials(case["ak"], case["sk"])
    vector_headers = dict(case["headers"])
    now_headers = {k: v for k, v in vector_headers.items() if k.lower() != "x-sdk-date"}

    def request(headers: dict[str, str]) -> SdkRequest:
        return SdkRequest(
            method=case["method"],
            schema="https",
            host=case["host"],
            resource_path=case["path"],
            query_params=[],
            header_params=dict(headers),
            body=body,
        )

    # The official signer must produce the vector's Authorization, byte for byte.
    signed = Signer(credentials).sign(request(vector_headers))
    authorization = signed.header_params["Authorization"]
    if authorization != case["expected"]["authorization"]:
        raise SystemExit("official signer disagrees with the vector: %r" % authorization)

    def per_signature(headers: dict[str, str]) -> tuple[float, float]:
        n = args.n
        t0 = time.perf_counter()
        for _ in range(n):
            Signer(credentials).sign(request(headers))
        signing = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(n):
            request(headers)
        building = time.perf_counter() - t0
        return (signing - building) / n, building / n

    for _ in range(max(1, args.n // 10)):  # warm-up
        Signer(credentials).sign(request(now_headers))
    now, vector, build = [], [], []
    for _ in range(args.repeats):
        s, b = per_signature(now_headers)
        now.append(s)
        build.append(b)
        vector.append(per_signature(vector_headers)[0])
    print(
        json.dumps(
            {
                "n": args.n,
                "repeats": args.repeats,
                "sign_s": statistics.median(now),
                "sign_vector_date_s": statistics.median(vector),
                "build_request_s": statistics.median(build),
                "authorization_matches_vector": True,
            }
        )
    )


if __name__ == "__main__":
    main()
