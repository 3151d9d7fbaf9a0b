/*
 * The README's C quick start, built with `pkg-config --cflags --libs ims` against an installed
 * prefix (scripts/install-c.sh) and run against the emulator by tests/c/run.sh.
 *
 *   cc -std=c11 quickstart.c $(pkg-config --cflags --libs ims) -o quickstart
 *   IMS_ENDPOINT=http://127.0.0.1:8080 HUAWEICLOUD_SDK_AK=... HUAWEICLOUD_SDK_SK=... \
 *   HUAWEICLOUD_SDK_PROJECT_ID=... ./quickstart
 */
#include <stdio.h>
#include <stdlib.h>

#include <ims.h>

static int on_progress(const ims_progress *p, void *user_data) {
    (void)user_data;
    printf("  job %s: status %u, %.0f%%\n", p->job_id, (unsigned)p->status, p->percent);
    return 0; /* non-zero cancels the wait */
}

static int fail(const char *what) {
    fprintf(stderr, "%s: [%s] %s (http %u, code %s, request id %s)\n", what,
            ims_result_str(ims_last_error_kind()), ims_last_error_message(),
            (unsigned)ims_last_error_status(),
            ims_last_error_code() ? ims_last_error_code() : "-",
            ims_last_error_request_id() ? ims_last_error_request_id() : "-");
    return 1;
}

int main(void) {
    ims_client_options *opts = NULL;
    ims_client *client = NULL;
    ims_request *req = NULL;
    char *job_id = NULL;
    ims_job *job = NULL;
    int rc = 1;

    /* Region or endpoint; credentials from the default chain (HUAWEICLOUD_SDK_AK/_SK, ...). */
    const char *endpoint = getenv("IMS_ENDPOINT");
    if (ims_client_options_new(&opts) != IMS_OK ||
        (endpoint ? ims_client_options_set_endpoint(opts, endpoint)
                  : ims_client_options_set_region(opts, "cn-north-4")) != IMS_OK ||
        ims_client_new(opts, &client) != IMS_OK) {
        rc = fail("client");
        goto done;
    }

    if (ims_request_new_ecs("nightly", "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
                            "de9fcf45-11b2-432c-8562-5c5428574600", &req) != IMS_OK ||
        ims_request_set_description(req, "built by CI") != IMS_OK ||
        ims_request_add_tag(req, "team", "infra") != IMS_OK) {
        rc = fail("request");
        goto done;
    }
    if (ims_create_whole_image(client, req, &job_id) != IMS_OK) {
        rc = fail("create");
        goto done;
    }
    printf("job %s\n", job_id);

    ims_wait_options wait;
    ims_wait_options_init(&wait, sizeof wait); /* defaults: 10 s first delay, up to 60 minutes */
    if (getenv("IMS_ENDPOINT") != NULL) {
        wait.first_delay_ms = 0; /* the emulator's jobs take about a second */
        wait.interval_ms = 200;
    }
    if (ims_wait_job(client, job_id, &wait, on_progress, NULL, &job) != IMS_OK) {
        rc = fail("wait"); /* ims_last_error_job() has the failed job, if any */
        goto done;
    }
    printf("image %s\n", ims_job_get_image_id(job));
    rc = 0;

done:
    ims_job_free(job);
    ims_string_free(job_id);
    ims_request_free(req);
    ims_client_free(client);
    ims_client_options_free(opts);
    return rc;
}
