"""The official Huawei Cloud Python SDK (huaweicloudsdkims v2) against the local emulator.

Run through run.sh, which starts the emulator and exports IMS_EMULATOR_URL, IMS_AK, IMS_SK,
IMS_PROJECT_ID and IMS_REGION. Nothing here talks to anything but the emulator on loopback.
"""

import os
import re
import time
import uuid

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions import exceptions
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkcore.signer.algorithm import SigningAlgorithm
from huaweicloudsdkims.v2 import (
    CreateWholeImageRequest,
    CreateWholeImageRequestBody,
    GlanceDeleteImageRequest,
    GlanceDeleteImageRequestBody,
    ImsClient,
    ListImagesRequest,
    ShowImageQuotaRequest,
    ShowJobProgressRequest,
    ShowJobRequest,
    TagKeyValue,
)

# show_job (the legacy job endpoint) is deprecated in the SDK but still served and tested.
pytestmark = pytest.mark.filterwarnings("ignore:Method 'show_job' of ImsClient is deprecated")

URL = os.environ["IMS_EMULATOR_URL"]
AK = os.environ["IMS_AK"]
SK = os.environ["IMS_SK"]
PROJECT_ID = os.environ["IMS_PROJECT_ID"]
REGION = os.environ.get("IMS_REGION", "cn-north-4")

INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a"
VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
JOB_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def http_config(algorithm=SigningAlgorithm.HMAC_SHA256):
    config = HttpConfig.get_default_config()
    # Plain http to loopback needs no TLS settings; keep calls short.
    config.ignore_ssl_verification = True
    config.timeout = (3, 10)
    config.signing_algorithm = algorithm
    return config


def make_client(sk=SK, algorithm=SigningAlgorithm.HMAC_SHA256, credentials=None):
    credentials = credentials or BasicCredentials(AK, sk, PROJECT_ID)
    return (
        ImsClient.new_builder()
        .with_http_config(http_config(algorithm))
        .with_credentials(credentials)
        .with_endpoints([URL])
        .build()
    )


def ecs_request(name, **extra):
    body = CreateWholeImageRequestBody(
        name=name, instance_id=INSTANCE_ID, vault_id=VAULT_ID, **extra
    )
    return CreateWholeImageRequest(body=body)


def wait_progress(client, job_id, timeout=15.0):
    """Polls the progress endpoint until the job ends; returns every answer seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        resp = client.show_job_progress(ShowJobProgressRequest(job_id=job_id))
        seen.append(resp)
        if resp.status in ("SUCCESS", "FAIL"):
            return seen
        time.sleep(0.1)
    raise AssertionError("job %s did not end: %r" % (job_id, seen[-1] if seen else None))


def test_create_from_ecs_and_follow_the_job():
    client = make_client()
    created = client.create_whole_image(
        ecs_request(
            "sdk-ecs-image",
            description="made by the official SDK",
            image_tags=[TagKeyValue(key="team", value="infra")],
            min_ram=1024,
            max_ram=4096,
        )
    )
    assert created.status_code == 200
    assert HEX32.match(created.job_id), created.job_id

    seen = wait_progress(client, created.job_id)
    statuses = [r.status for r in seen]
    assert statuses[-1] == "SUCCESS", statuses
    assert set(statuses) <= {"INIT", "RUNNING", "SUCCESS"}, statuses
    running = [r.entities.process_percent for r in seen if r.status == "RUNNING"]
    assert all(0 < p < 100 for p in running), running
    assert running == sorted(running), running

    final = seen[-1]
    assert final.job_id == created.job_id
    assert final.job_type == "imsCreateWholeImageByInstanceJob"
    assert final.entities.image_name == "sdk-ecs-image"
    assert UUID4.match(final.entities.image_id), final.entities.image_id
    assert final.entities.process_percent == 100.0
    assert JOB_TIME.match(final.begin_time) and JOB_TIME.match(final.end_time)
    assert final.error_code is None and final.fail_reason is None

    # The legacy "status" endpoint (project id in the path) returns the same job.
    legacy = client.show_job(ShowJobRequest(job_id=created.job_id))
    assert legacy.status == "SUCCESS"
    assert legacy.job_type == "imsCreateWholeImageByInstanceJob"
    assert legacy.entities.image_id == final.entities.image_id
    assert legacy.entities.image_name == "sdk-ecs-image"


def test_create_from_backup():
    client = make_client()
    backup_id = str(uuid.uuid4())
    body = CreateWholeImageRequestBody(
        name="sdk-backup-image", backup_id=backup_id, whole_image_type="CBR",
        tags=["env.ci", "owner"],
    )
    created = client.create_whole_image(CreateWholeImageRequest(body=body))
    assert HEX32.match(created.job_id)
    final = wait_progress(client, created.job_id)[-1]
    assert final.status == "SUCCESS"
    assert final.job_type == "imsCreateWholeImageByBackupJob"
    shown = client.show_job(ShowJobRequest(job_id=created.job_id))
    assert shown.job_type == "imsCreateWholeImageByBackupJob"

    # A backup can create only one full-ECS image.
    with pytest.raises(exceptions.ClientRequestException) as err:
        client.create_whole_image(CreateWholeImageRequest(body=body))
    assert err.value.status_code == 400
    assert err.value.error_code == "IMG.0029"


def test_wrong_secret_is_apigw_0301():
    client = make_client(sk="definitely-not-the-secret")
    with pytest.raises(exceptions.ClientRequestException) as err:
        client.create_whole_image(ecs_request("never-created"))
    e = err.value
    assert e.status_code == 401
    assert e.error_code == "APIGW.0301"
    assert "verify aksk signature fail" in e.error_msg
    # The gateway-style message shows the canonical request the server computed.
    assert "canonical request: POST\n/v1/cloudimages/wholeimages/action/\n" in e.error_msg
    assert HEX32.match(e.request_id or ""), e.request_id


def test_invalid_name_is_refused_with_img_code():
    client = make_client()
    with pytest.raises(exceptions.ClientRequestException) as err:
        client.create_whole_image(ecs_request("x" * 129))
    assert err.value.status_code == 400
    assert err.value.error_code == "IMG.0002"
    assert "name" in err.value.error_msg


def test_unknown_job_is_404():
    client = make_client()
    with pytest.raises(exceptions.ClientRequestException) as err:
        client.show_job_progress(ShowJobProgressRequest(job_id="0" * 32))
    assert err.value.status_code == 404
    assert err.value.error_code == "IMG.0404"


def test_sm3_signing():
    client = make_client(algorithm=SigningAlgorithm.HMAC_SM3)
    created = client.create_whole_image(ecs_request("sdk-sm3"))
    assert HEX32.match(created.job_id)
    assert client.show_job(ShowJobRequest(job_id=created.job_id)).job_id == created.job_id


def test_v11_derived_signing():
    credentials = BasicCredentials(AK, SK, PROJECT_ID).with_derived_predicate(
        BasicCredentials.get_default_derived_predicate()
    )
    # What ClientBuilder.with_region does for services with derived auth: scope = region/service.
    credentials._process_derived_auth_params("ims", REGION)
    client = make_client(credentials=credentials)
    created = client.create_whole_image(ecs_request("sdk-v11"))
    assert HEX32.match(created.job_id)
    progress = client.show_job_progress(ShowJobProgressRequest(job_id=created.job_id))
    assert progress.job_id == created.job_id


def test_project_id_looked_up_through_iam():
    # No project id: the SDK asks IAM (GET /v3/projects?name=REGION) — here the emulator.
    credentials = BasicCredentials(AK, SK).with_iam_endpoint(URL)
    client = (
        ImsClient.new_builder()
        .with_http_config(http_config())
        .with_credentials(credentials)
        .with_region(Region(REGION, URL))
        .build()
    )
    assert credentials.project_id == PROJECT_ID
    created = client.create_whole_image(ecs_request("sdk-iam-lookup"))
    assert HEX32.match(created.job_id)


IMAGE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def create_tagged(client, name, run):
    """Creates an image tagged fleet=<run> and waits for its job; returns the image id."""
    resp = client.create_whole_image(
        ecs_request(name, image_tags=[TagKeyValue(key="fleet", value=run)])
    )
    final = wait_progress(client, resp.job_id)[-1]
    assert final.status == "SUCCESS", final
    return final.entities.image_id


def test_list_images_by_tag_type_status_and_marker():
    client = make_client()
    run = uuid.uuid4().hex[:12]
    made = [create_tagged(client, "sdk-list-%d" % i, run) for i in range(3)]

    def page(**kwargs):
        return client.list_images(
            ListImagesRequest(imagetype="private", tag="fleet=" + run, **kwargs)
        )

    first = page(limit=2)
    assert len(first.images) == 2
    assert first.page_info.next_marker == first.images[-1].id
    rest = page(limit=2, marker=first.images[-1].id)
    assert len(rest.images) == 1
    assert rest.page_info is None
    listed = [i.id for i in first.images + rest.images]
    assert sorted(listed) == sorted(made)
    assert listed == list(reversed(made)), "newest first by default"

    image = rest.images[0]
    assert image.name == "sdk-list-0"
    assert image.status == "active"
    assert image.imagetype == "private"
    assert image.owner == PROJECT_ID
    assert image.visibility == "private"
    assert image.tags == ["fleet=" + run]
    assert IMAGE_TIME.match(image.created_at), image.created_at
    assert IMAGE_TIME.match(image.updated_at), image.updated_at

    assert len(page(status="active").images) == 3
    assert page(status="saving").images == []
    assert client.list_images(ListImagesRequest(tag="fleet=" + run + "-other")).images == []
    assert client.list_images(ListImagesRequest(imagetype="gold", tag="fleet=" + run)).images == []

    with pytest.raises(exceptions.ClientRequestException) as err:
        client.list_images(ListImagesRequest(marker=str(uuid.uuid4())))
    assert err.value.status_code == 400
    assert err.value.error_code == "IMG.0144"


def test_show_image_quota():
    client = make_client()
    create_tagged(client, "sdk-quota", uuid.uuid4().hex[:12])
    resp = client.show_image_quota(ShowImageQuotaRequest())
    (image,) = resp.quotas.resources
    assert image.type == "image"
    assert image.quota == 50
    assert 1 <= image.used <= image.quota
    assert (image.min, image.max) == (1, 1000)


def test_glance_delete_image_then_gone():
    client = make_client()
    run = uuid.uuid4().hex[:12]
    image_id = create_tagged(client, "sdk-delete", run)
    resp = client.glance_delete_image(
        GlanceDeleteImageRequest(
            image_id=image_id, body=GlanceDeleteImageRequestBody(delete_backup=False)
        )
    )
    assert resp.status_code == 204
    deadline = time.monotonic() + 10
    while client.list_images(ListImagesRequest(tag="fleet=" + run)).images:
        assert time.monotonic() < deadline, "the deleted image stays listed"
        time.sleep(0.1)

    with pytest.raises(exceptions.ClientRequestException) as err:
        client.glance_delete_image(
            GlanceDeleteImageRequest(
                image_id=image_id, body=GlanceDeleteImageRequestBody(delete_backup=False)
            )
        )
    assert err.value.status_code == 404
    assert err.value.error_code == "IMG.0144"
