"""From a fresh interpreter to the first answered request: import the client, build it, show one
job (``show_job_progress`` / ``job_status``), exit. bench/harness.py times whole runs of it.

    python bench/first_request.py official|ours URL JOB_ID [AK SK PROJECT_ID]
"""

import sys


def main() -> None:
    which, url, job_id = sys.argv[1:4]
    ak, sk, project_id = (sys.argv[4:7] + [None, None, None])[:3]
    ak = ak or "IMSDEMOAK00000000000"
    sk = sk or "ims-demo-secret-key-0000000000000000000000"
    project_id = project_id or "0123456789abcdef0123456789abcdef"
    if which == "official":
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig
        from huaweicloudsdkims.v2 import ImsClient, ShowJobProgressRequest

        config = HttpConfig.get_default_config()
        config.ignore_ssl_verification = True
        client = (
            ImsClient.new_builder()
            .with_http_config(config)
            .with_credentials(BasicCredentials(ak, sk, project_id))
            .with_endpoints([url])
            .build()
        )
        status = client.show_job_progress(ShowJobProgressRequest(job_id=job_id)).status
    else:
        import ims

        client = ims.Client(endpoint=url, ak=ak, sk=sk, project_id=project_id)
        status = client.job_status(job_id).status
    if status != "SUCCESS":
        raise SystemExit("unexpected job status %r" % status)


if __name__ == "__main__":
    main()
