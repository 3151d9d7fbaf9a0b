/*
 * Lifetimes across a wait: a progress callback may free the client being waited on (the wait
 * holds its own reference to the client's shared state), and wait options with values no
 * wait can honour (NaN, infinities, negatives, absurdly large) are refused up front with
 * IMS_ERR_VALIDATION naming the field. Run plainly and under valgrind by tests/c/run.sh.
 */
#include <math.h>

#include "test_util.h"

static const char *INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
static const char *VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600";

/* What the callback does, and what it saw. */
typedef struct {
    ims_client *client; /* freed (and set to NULL) on the first call */
    int calls;
    int cancel;         /* non-zero: also cancel on the first call */
} free_state;

static int free_client_cb(const ims_progress *p, void *user_data) {
    free_state *s = (free_state *)user_data;
    s->calls++;
    if (s->client != NULL) {
        ims_client_free(s->client);
        s->client = NULL;
        /* Other calls still work inside the callback after the free. */
        if (ims_job_get_id(p->job) == NULL) {
            return 1;
        }
        return s->cancel;
    }
    return 0;
}

static char *create_ecs(ims_client *client, const char *name) {
    ims_request *req = NULL;
    char *job_id = NULL;
    CHECK_OK(ims_request_new_ecs(name, INSTANCE_ID, VAULT_ID, &req));
    CHECK_OK(ims_create_whole_image(client, req, &job_id));
    ims_request_free(req);
    return job_id;
}

static void callback_frees_the_client_and_the_wait_completes(void) {
    /* Jobs of 6 s: the callback runs on several polls before the job ends, even under valgrind. */
    free_state s = {test_client(env("IMS_TEST_MEDIUM_ENDPOINT"), NULL), 0, 0};
    CHECK(s.client != NULL);
    if (s.client == NULL) {
        return;
    }
    char *job_id = create_ecs(s.client, "c-test-free-in-callback");
    ims_wait_options w = fast_wait(50, 30000);
    ims_job *job = NULL;
    CHECK_OK(ims_wait_job(s.client, job_id, &w, free_client_cb, &s, &job));
    CHECK(s.client == NULL);
    CHECK(s.calls >= 2);
    CHECK(job != NULL && ims_job_get_state(job) == IMS_JOB_SUCCESS);
    CHECK(job != NULL && same(ims_job_get_id(job), job_id));
    ims_job_free(job);
    ims_string_free(job_id);
}

static void callback_frees_the_client_and_cancels(void) {
    free_state s = {test_client(env("IMS_TEST_SLOW_ENDPOINT"), NULL), 0, 1};
    CHECK(s.client != NULL);
    if (s.client == NULL) {
        return;
    }
    char *job_id = create_ecs(s.client, "c-test-free-and-cancel");
    ims_wait_options w = fast_wait(50, 30000);
    ims_job *job = NULL;
    CHECK_RC(ims_wait_job(s.client, job_id, &w, free_client_cb, &s, &job), IMS_ERR_CANCELLED);
    CHECK(s.client == NULL);
    CHECK(s.calls == 1);
    CHECK(job == NULL);
    ims_job *last = NULL;
    CHECK_OK(ims_last_error_job(&last));
    CHECK(last != NULL && same(ims_job_get_id(last), job_id));
    ims_job_free(last);
    ims_string_free(job_id);
}

/* One bad field: IMS_ERR_VALIDATION naming it, nothing written. */
static void expect_refused(ims_client *client, ims_wait_options w, const char *field) {
    ims_job *job = NULL;
    ims_result rc = ims_wait_job(client, "0123456789abcdef0123456789abcdef", &w, NULL, NULL, &job);
    if (rc != IMS_ERR_VALIDATION || !contains(ims_last_error_message(), field) || job != NULL) {
        g_case_ok = 0;
        fprintf(stdout, "    %s: got %s: %s\n", field, ims_result_str(rc),
                ims_last_error_message());
    }
}

static void wait_options_out_of_range_are_refused(void) {
    ims_client *c = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    CHECK(c != NULL);
    if (c == NULL) {
        return;
    }
    const double bad_reals[] = {NAN, -NAN, INFINITY, -INFINITY, -1.0, 1e300};
    for (size_t i = 0; i < sizeof bad_reals / sizeof bad_reals[0]; i++) {
        ims_wait_options w = fast_wait(50, 1000);
        w.backoff = bad_reals[i];
        expect_refused(c, w, "backoff");
        w = fast_wait(50, 1000);
        w.jitter = bad_reals[i];
        expect_refused(c, w, "jitter");
    }
    const uint64_t huge = UINT64_MAX;
    ims_wait_options w = fast_wait(50, 1000);
    w.interval_ms = 0;
    expect_refused(c, w, "interval_ms");
    w = fast_wait(50, 1000);
    w.interval_ms = huge;
    expect_refused(c, w, "interval_ms");
    w = fast_wait(50, 1000);
    w.first_delay_ms = huge;
    expect_refused(c, w, "first_delay_ms");
    w = fast_wait(50, 1000);
    w.max_interval_ms = huge;
    expect_refused(c, w, "max_interval_ms");
    w = fast_wait(50, 1000);
    w.timeout_ms = huge;
    expect_refused(c, w, "timeout_ms");
    ims_client_free(c);
}

int main(void) {
    g_program = "test_lifetime";
    RUN(callback_frees_the_client_and_the_wait_completes);
    RUN(callback_frees_the_client_and_cancels);
    RUN(wait_options_out_of_range_are_refused);
    return finish();
}
