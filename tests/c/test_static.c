/*
 * Linked against libims.a (plus the native libraries rustc lists with --print
 * native-static-libs): the library works without libims.so.
 */
#include "test_util.h"

static ims_client *g_client = NULL;

static void static_version(void) {
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", IMS_VERSION_MAJOR, IMS_VERSION_MINOR,
             IMS_VERSION_PATCH);
    CHECK(same(ims_version(), expected));
}

static void static_create_status_wait(void) {
    ims_request *req = NULL;
    char *job_id = NULL;
    ims_job *job = NULL;
    CHECK_OK(ims_request_new_ecs("c-static", "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
                                 "de9fcf45-11b2-432c-8562-5c5428574600", &req));
    CHECK_OK(ims_create_whole_image(g_client, req, &job_id));
    CHECK_OK(ims_job_status(g_client, job_id, &job));
    CHECK(same(ims_job_get_id(job), job_id));
    ims_job_free(job);
    job = NULL;
    ims_wait_options w = fast_wait(100, 60000);
    CHECK_OK(ims_wait_job(g_client, job_id, &w, NULL, NULL, &job));
    CHECK(ims_job_get_state(job) == IMS_JOB_SUCCESS);
    ims_job_free(job);
    ims_string_free(job_id);
    ims_request_free(req);
}

static void static_errors(void) {
    ims_job *job = NULL;
    CHECK_RC(ims_job_status(g_client, "ffffffffffffffffffffffffffffffff", &job), IMS_ERR_API);
    CHECK(same(ims_last_error_code(), "IMG.0404"));
    CHECK_RC(ims_job_status(g_client, NULL, &job), IMS_ERR_NULL_ARGUMENT);
    CHECK(job == NULL);
}

int main(void) {
    g_program = "test_static";
    g_client = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    if (g_client == NULL) {
        fprintf(stdout, "FAIL test_static: cannot make the client\n");
        return 1;
    }
    RUN(static_version);
    RUN(static_create_status_wait);
    RUN(static_errors);
    ims_client_free(g_client);
    return finish();
}
