/*
 * The secrets sweep of the C door: one session with temporary credentials (AK, SK and a
 * security token) against an emulator that echoes the canonical request unredacted on a
 * signature mismatch, as the real gateway does (`ims emulator --echo-unredacted
 * --security-token ...`). Every text the library hands back — the request JSON (the C door's
 * dry run), job documents, and ims_last_error_message / _code / _request_id / _job after every
 * error — is collected and must hold neither the SK, nor the security token, nor a signature
 * value. Run plainly and under valgrind by tests/c/run.sh, which sets:
 *   IMS_TEST_SECRETS_ENDPOINT   an emulator with --echo-unredacted and --security-token
 *   IMS_TEST_SECURITY_TOKEN     the token it needs (with IMS_TEST_AK / IMS_TEST_SK)
 *   IMS_TEST_CLOSED_ENDPOINT    the URL of an emulator that was stopped (connection refused)
 */
#include "test_util.h"

static const char *WRONG_SK = "C-WRONG-secret-key-9876543210zyxwvutsrqp";
static const char *WRONG_TOKEN = "gQpjbi1ub3J0aC00CWRONGTOKENvalue0123456789abcdef";
static const char *UNKNOWN_JOB = "4010a32b5f909853015f90aaa24b0015";

/* Everything shown to the caller during the session, one text after the other. */
static char *g_seen = NULL;
static size_t g_seen_len = 0;

static void seen(const char *what, const char *text) {
    if (text == NULL) {
        return;
    }
    size_t add = strlen(what) + strlen(text) + 3;
    char *grown = realloc(g_seen, g_seen_len + add + 1);
    if (grown == NULL) {
        fprintf(stdout, "    out of memory\n");
        exit(2);
    }
    g_seen = grown;
    snprintf(g_seen + g_seen_len, add + 1, "%s: %s\n", what, text);
    g_seen_len += strlen(g_seen + g_seen_len);
}

/* The last error, all of it: message, code, request id and the job it carries. */
static void seen_last_error(const char *what) {
    seen(what, ims_last_error_message());
    seen(what, ims_last_error_code());
    seen(what, ims_last_error_request_id());
    ims_job *job = NULL;
    if (ims_last_error_job(&job) == IMS_OK && job != NULL) {
        seen(what, ims_job_get_json(job));
        seen(what, ims_job_get_fail_reason(job));
        ims_job_free(job);
    }
}

/* Whether `text` shows a signature value: `Signature=` followed by anything but `<redacted>`. */
static int shows_a_signature(const char *text) {
    const char *p = text;
    while ((p = strstr(p, "Signature=")) != NULL) {
        p += strlen("Signature=");
        if (*p != '<') {
            return 1;
        }
    }
    return 0;
}

/* Temporary credentials for `endpoint`: the test AK with `sk` and `token`, one attempt. */
static ims_client *secret_client(const char *endpoint, const char *sk, const char *token) {
    ims_client_options *o = NULL;
    ims_client *c = NULL;
    if (ims_client_options_new(&o) != IMS_OK ||
        ims_client_options_set_endpoint(o, endpoint) != IMS_OK ||
        ims_client_options_set_project_id(o, env("IMS_TEST_PROJECT_ID")) != IMS_OK ||
        ims_client_options_set_credentials(o, env("IMS_TEST_AK"), sk, token) != IMS_OK ||
        ims_client_options_set_max_attempts(o, 1) != IMS_OK || ims_client_new(o, &c) != IMS_OK) {
        fprintf(stdout, "    cannot make a client: %s\n", ims_last_error_message());
        c = NULL;
    }
    ims_client_options_free(o);
    return c;
}

static int cancel_first(const ims_progress *p, void *user_data) {
    (void)user_data;
    seen("progress", ims_job_get_json(p->job));
    return 1;
}

static int count_progress(const ims_progress *p, void *user_data) {
    (*(int *)user_data)++;
    seen("progress", ims_job_get_json(p->job));
    return 0;
}

/* Runs the whole session; every text it saw ends in g_seen. */
static void run_session(void) {
    const char *url = env("IMS_TEST_SECRETS_ENDPOINT");
    const char *sk = env("IMS_TEST_SK");
    const char *token = env("IMS_TEST_SECURITY_TOKEN");
    ims_client *c = secret_client(url, sk, token);
    CHECK(c != NULL);
    if (c == NULL) {
        return;
    }
    char backup[37];
    make_uuid(backup, 7);

    /* The dry run of the C door: the request, validated and shown as JSON. */
    ims_request *req = NULL;
    char *json = NULL;
    CHECK_OK(ims_request_new_backup("c-secrets-sweep", backup, &req));
    CHECK_OK(ims_request_validate(req));
    CHECK_OK(ims_request_to_json(req, &json));
    CHECK(contains(json, backup));
    seen("request json", json);
    ims_string_free(json);

    /* Create, then a wait cancelled at its first report (the last error carries the job),
     * then a wait to the end, with progress. */
    char *job_id = NULL;
    CHECK_OK(ims_create_whole_image(c, req, &job_id));
    seen("job id", job_id);
    ims_wait_options w = fast_wait(100, 60000);
    ims_job *job = NULL;
    CHECK_RC(ims_wait_job(c, job_id, &w, cancel_first, NULL, &job), IMS_ERR_CANCELLED);
    seen_last_error("cancelled");
    int reports = 0;
    CHECK_OK(ims_wait_job(c, job_id, &w, count_progress, &reports, &job));
    CHECK(reports >= 1);
    CHECK(job != NULL && ims_job_get_state(job) == IMS_JOB_SUCCESS);
    if (job != NULL) {
        seen("job", ims_job_get_json(job));
        ims_job_free(job);
        job = NULL;
    }

    /* API errors: the backup used again, and an unknown job. */
    char *again = NULL;
    CHECK_RC(ims_create_whole_image(c, req, &again), IMS_ERR_API);
    CHECK(again == NULL);
    CHECK(ims_last_error_status() >= 400);
    seen_last_error("backup reused");
    CHECK_RC(ims_job_status(c, UNKNOWN_JOB, &job), IMS_ERR_API);
    seen_last_error("unknown job");

    /* Signature errors, the gateway echoing the canonical request unredacted: a wrong SK on
     * the create and on the job query, and a wrong token (with the right SK) on both. */
    const char *sks[] = {WRONG_SK, sk};
    const char *tokens[] = {token, WRONG_TOKEN};
    for (int i = 0; i < 2; i++) {
        ims_client *bad = secret_client(url, sks[i], tokens[i]);
        CHECK(bad != NULL);
        if (bad == NULL) {
            continue;
        }
        char *none = NULL;
        CHECK_RC(ims_create_whole_image(bad, req, &none), IMS_ERR_API);
        CHECK(ims_last_error_status() == 401);
        CHECK(same(ims_last_error_code(), "APIGW.0301"));
        if (i == 0) {
            /* The echo did reach the client, and its token was scrubbed where it stood. */
            CHECK(contains(ims_last_error_message(), "x-security-token:<redacted>"));
        }
        seen_last_error("signature create");
        CHECK_RC(ims_job_status(bad, job_id, &job), IMS_ERR_API);
        CHECK(same(ims_last_error_code(), "APIGW.0301"));
        seen_last_error("signature job");
        ims_client_free(bad);
    }

    /* A transport error: the emulator at that URL was stopped. */
    ims_client *closed = secret_client(env("IMS_TEST_CLOSED_ENDPOINT"), sk, token);
    CHECK(closed != NULL);
    if (closed != NULL) {
        CHECK_RC(ims_job_status(closed, job_id, &job), IMS_ERR_TRANSPORT);
        seen_last_error("transport job");
        char *none = NULL;
        CHECK_RC(ims_create_whole_image(closed, req, &none), IMS_ERR_TRANSPORT);
        seen_last_error("transport create");
        ims_client_free(closed);
    }

    ims_request_free(req);
    ims_string_free(job_id);
    ims_client_free(c);
}

static void secrets_sweep_through_a_whole_c_session(void) {
    run_session();
    const char *text = g_seen != NULL ? g_seen : "";
    /* The capture is real: it holds the scrubbed echo and the session's own words. */
    CHECK(contains(text, "x-security-token:<redacted>"));
    CHECK(contains(text, "APIGW.0301"));
    CHECK(contains(text, "SUCCESS"));
    const char *secrets[] = {env("IMS_TEST_SK"), env("IMS_TEST_SECURITY_TOKEN"), WRONG_SK,
                             WRONG_TOKEN};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        const char *at = strstr(text, secrets[i]);
        if (at != NULL) {
            /* The line it leaked in, from its label on. */
            const char *line = at;
            while (line > text && line[-1] != '\n') {
                line--;
            }
            g_case_ok = 0;
            fprintf(stdout, "    secret %zu (%.12s...) leaked in: %.300s\n", i, secrets[i], line);
        }
    }
    if (shows_a_signature(text)) {
        g_case_ok = 0;
        fprintf(stdout, "    a signature leaked in: %s\n", text);
    }
    free(g_seen);
    g_seen = NULL;
    g_seen_len = 0;
}

int main(void) {
    g_program = "test_secrets";
    RUN(secrets_sweep_through_a_whole_c_session);
    return finish();
}
