/*
 * The C API against the emulator: create (ECS, backup, JSON), status, wait with progress,
 * cancel, wait timeout, and every error class with its code, message, status and request id.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_util.h"

static const char *INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
static const char *VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600";

static ims_client *g_client = NULL;
/* On an emulator whose jobs take a minute: for what must see a job still running. */
static ims_client *g_slow = NULL;

/* A job id from creating an image of the test ECS (NULL on failure). */
static char *create_ecs(ims_client *client, const char *name) {
    ims_request *req = NULL;
    char *job_id = NULL;
    CHECK_OK(ims_request_new_ecs(name, INSTANCE_ID, VAULT_ID, &req));
    CHECK_OK(ims_create_whole_image(client, req, &job_id));
    ims_request_free(req);
    return job_id;
}

static int is_hex32(const char *s) {
    if (s == NULL || strlen(s) != 32) {
        return 0;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static void version_matches_header(void) {
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", IMS_VERSION_MAJOR, IMS_VERSION_MINOR,
             IMS_VERSION_PATCH);
    CHECK(same(ims_version(), expected));
    CHECK(same(ims_result_str(IMS_OK), "ok"));
    CHECK(same(ims_result_str(IMS_ERR_API), "api"));
    CHECK(same(ims_result_str(IMS_ERR_JOB_FAILED), "job_failed"));
    CHECK(same(ims_result_str(1234), "unknown"));
}

static void create_from_ecs(void) {
    ims_request *req = NULL;
    char *job_id = NULL;
    char *json = NULL;
    CHECK_OK(ims_request_new_ecs("c-test-ecs", INSTANCE_ID, VAULT_ID, &req));
    CHECK_OK(ims_request_set_description(req, "made by tests/c"));
    CHECK_OK(ims_request_add_tag(req, "team", "infra"));
    CHECK_OK(ims_request_add_tag(req, "env", ""));
    CHECK_OK(ims_request_set_min_ram(req, 1024));
    CHECK_OK(ims_request_set_max_ram(req, 4096));
    CHECK_OK(ims_request_set_enterprise_project_id(req, "0"));
    CHECK_OK(ims_request_validate(req));
    CHECK_OK(ims_request_to_json(req, &json));
    CHECK(contains(json, "\"name\":\"c-test-ecs\""));
    CHECK(contains(json, "\"image_tags\":[{\"key\":\"team\",\"value\":\"infra\"}"));
    CHECK(contains(json, "\"instance_id\":\"877a2cda-ba63-4e1e-b95f-e67e48b6129a\""));
    CHECK(contains(json, "\"min_ram\":1024"));
    CHECK(!contains(json, "whole_image_type"));
    CHECK_OK(ims_create_whole_image(g_client, req, &job_id));
    CHECK(is_hex32(job_id));
    CHECK(ims_last_error_kind() == IMS_OK);
    CHECK(same(ims_last_error_message(), ""));
    ims_string_free(json);
    ims_string_free(job_id);
    ims_request_free(req);
}

static void create_from_backup(void) {
    char backup[37];
    ims_request *req = NULL;
    char *job_id = NULL;
    char *json = NULL;
    ims_job *job = NULL;
    make_uuid(backup, 1);
    CHECK_OK(ims_request_new_backup("c-test-backup", backup, &req));
    CHECK_OK(ims_request_add_legacy_tag(req, "team.infra"));
    CHECK_OK(ims_request_to_json(req, &json));
    CHECK(contains(json, "\"whole_image_type\":\"CBR\""));
    CHECK(contains(json, "\"tags\":[\"team.infra\"]"));
    CHECK_OK(ims_create_whole_image(g_client, req, &job_id));
    CHECK(is_hex32(job_id));
    CHECK_OK(ims_job_status(g_client, job_id, &job));
    CHECK(same(ims_job_get_type(job), "imsCreateWholeImageByBackupJob"));
    ims_job_free(job);
    ims_string_free(json);
    ims_string_free(job_id);
    ims_request_free(req);
}

static void create_from_json(void) {
    char *job_id = NULL;
    CHECK_OK(ims_create_whole_image_json(
        g_client,
        "{\"name\": \"c-test-json\", \"instance_id\": \"877a2cda-ba63-4e1e-b95f-e67e48b6129a\","
        " \"vault_id\": \"de9fcf45-11b2-432c-8562-5c5428574600\","
        " \"image_tags\": [{\"key\": \"k\", \"value\": \"v\"}]}",
        &job_id));
    CHECK(is_hex32(job_id));
    ims_string_free(job_id);
}

static void job_status_reads_the_document(void) {
    char *job_id = create_ecs(g_slow, "c-test-status");
    ims_job *job = NULL;
    CHECK_OK(ims_job_status(g_slow, job_id, &job));
    CHECK(job != NULL);
    ims_job_state s = ims_job_get_state(job);
    CHECK(s == IMS_JOB_INIT || s == IMS_JOB_RUNNING);
    CHECK(same(ims_job_get_id(job), job_id));
    CHECK(same(ims_job_get_type(job), "imsCreateWholeImageByInstanceJob"));
    CHECK(ims_job_status_text(job) != NULL);
    CHECK(ims_job_get_begin_time(job) != NULL);
    CHECK(ims_job_get_error_code(job) == NULL);
    CHECK(ims_job_get_fail_reason(job) == NULL);
    CHECK(contains(ims_job_get_json(job), job_id));
    CHECK(ims_job_get_percent(job) < 100.0);
    ims_job_free(job);
    ims_string_free(job_id);
}

static void legacy_job_endpoint(void) {
    ims_client_options *o = test_options(env("IMS_TEST_ENDPOINT"), NULL);
    ims_client *c = NULL;
    ims_job *job = NULL;
    CHECK_OK(ims_client_options_set_legacy_job_endpoint(o, true));
    CHECK_OK(ims_client_new(o, &c));
    char *job_id = create_ecs(c, "c-test-legacy");
    CHECK_OK(ims_job_status(c, job_id, &job));
    CHECK(same(ims_job_get_id(job), job_id));
    ims_job_free(job);
    ims_string_free(job_id);
    ims_client_free(c);
    ims_client_options_free(o);
}

static void other_signing_algorithms(void) {
    const ims_algorithm algorithms[] = {IMS_ALGORITHM_SDK_HMAC_SM3, IMS_ALGORITHM_V11_HMAC_SHA256,
                              IMS_ALGORITHM_SDK_HMAC_SHA256};
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++) {
        ims_client_options *o = test_options(env("IMS_TEST_ENDPOINT"), NULL);
        ims_client *c = NULL;
        CHECK_OK(ims_client_options_set_region(o, "cn-north-4"));
        CHECK_OK(ims_client_options_set_algorithm(o, algorithms[i]));
        CHECK_OK(ims_client_options_set_user_agent_suffix(o, "c-tests/1.0"));
        CHECK_OK(ims_client_options_set_timeout_ms(o, 20000));
        CHECK_OK(ims_client_options_set_connect_timeout_ms(o, 5000));
        CHECK_OK(ims_client_options_set_max_attempts(o, 2));
        CHECK_OK(ims_client_new(o, &c));
        char *job_id = create_ecs(c, "c-test-algorithm");
        CHECK(is_hex32(job_id));
        ims_string_free(job_id);
        ims_client_free(c);
        ims_client_options_free(o);
    }
    ims_client_options *o = NULL;
    CHECK_OK(ims_client_options_new(&o));
    CHECK_RC(ims_client_options_set_algorithm(o, 42), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "42"));
    CHECK_RC(ims_client_options_set_timeout_ms(o, 0), IMS_ERR_CONFIG);
    CHECK_RC(ims_client_options_set_pool_idle_timeout_ms(o, 0), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "pool_idle_timeout_ms"));
    CHECK_RC(ims_client_options_set_pool_idle_timeout_ms(o, 86400001), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "between 1 and 86400000 milliseconds"));
    CHECK_RC(ims_client_options_set_pool_idle_timeout_ms(o, UINT64_MAX), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "pool_idle_timeout_ms"));
    CHECK_OK(ims_client_options_set_pool_idle_timeout_ms(o, 30000));
    CHECK_RC(ims_client_options_set_max_concurrent_requests(o, 0), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "max_concurrent_requests"));
    CHECK_RC(ims_client_options_set_max_concurrent_requests(o, 65536), IMS_ERR_CONFIG);
    CHECK_OK(ims_client_options_set_max_concurrent_requests(o, 4));
    CHECK_RC(ims_client_options_set_max_attempts(o, 0), IMS_ERR_CONFIG);
    ims_client_options_free(o);
}

struct progress_log {
    int calls;
    int cancel_after;
    double last_percent;
    int percent_went_down;
    uint32_t last_polls;
    int saw_job_id;
    int saw_job;
};

static int on_progress(const ims_progress *p, void *user_data) {
    struct progress_log *log = (struct progress_log *)user_data;
    log->calls++;
    if (p->percent >= 0 && p->percent < log->last_percent) {
        log->percent_went_down = 1;
    }
    if (p->percent >= 0) {
        log->last_percent = p->percent;
    }
    log->last_polls = p->polls;
    if (p->job_id != NULL && strlen(p->job_id) == 32) {
        log->saw_job_id = 1;
    }
    if (p->job != NULL && same(ims_job_get_id(p->job), p->job_id) &&
        ims_job_get_state(p->job) == p->status) {
        log->saw_job = 1;
    }
    return log->cancel_after > 0 && log->calls >= log->cancel_after;
}

static void wait_with_progress(void) {
    char *job_id = create_ecs(g_client, "c-test-wait");
    struct progress_log log = {0, 0, -1.0, 0, 0, 0, 0};
    ims_wait_options w = fast_wait(100, 60000);
    ims_job *job = NULL;
    CHECK_OK(ims_wait_job(g_client, job_id, &w, on_progress, &log, &job));
    CHECK(job != NULL);
    CHECK(ims_job_get_state(job) == IMS_JOB_SUCCESS);
    CHECK(same(ims_job_status_text(job), "SUCCESS"));
    CHECK(ims_job_get_image_id(job) != NULL && strlen(ims_job_get_image_id(job)) == 36);
    CHECK(ims_job_get_end_time(job) != NULL);
    CHECK(ims_job_get_percent(job) == 100.0);
    CHECK(log.calls >= 2);
    CHECK(log.last_polls == (uint32_t)log.calls);
    CHECK(!log.percent_went_down);
    CHECK(log.saw_job_id);
    CHECK(log.saw_job);
    ims_job_free(job);
    ims_string_free(job_id);
}

static void wait_without_callback(void) {
    char *job_id = create_ecs(g_client, "c-test-wait-nocb");
    ims_wait_options w = fast_wait(200, 60000);
    ims_job *job = NULL;
    CHECK_OK(ims_wait_job(g_client, job_id, &w, NULL, NULL, &job));
    CHECK(ims_job_get_state(job) == IMS_JOB_SUCCESS);
    ims_job_free(job);
    ims_string_free(job_id);
}

static void cancel_from_callback(void) {
    char *job_id = create_ecs(g_slow, "c-test-cancel");
    struct progress_log log = {0, 2, -1.0, 0, 0, 0, 0};
    ims_wait_options w = fast_wait(50, 60000);
    ims_job *job = (ims_job *)&log; /* sentinel: must stay untouched */
    ims_job *last = NULL;
    CHECK_RC(ims_wait_job(g_slow, job_id, &w, on_progress, &log, &job), IMS_ERR_CANCELLED);
    CHECK(job == (ims_job *)&log);
    CHECK(log.calls == 2);
    CHECK(ims_last_error_kind() == IMS_ERR_CANCELLED);
    CHECK(contains(ims_last_error_message(), "cancelled"));
    CHECK(contains(ims_last_error_message(), job_id));
    CHECK(ims_last_error_status() == 0);
    CHECK_OK(ims_last_error_job(&last));
    CHECK(last != NULL);
    CHECK(same(ims_job_get_id(last), job_id));
    CHECK(ims_job_get_state(last) == IMS_JOB_INIT || ims_job_get_state(last) == IMS_JOB_RUNNING);
    /* ims_last_error_job only reads the last error. */
    CHECK(ims_last_error_kind() == IMS_ERR_CANCELLED);
    ims_job_free(last);
    ims_string_free(job_id);
}

static void wait_timeout_keeps_the_last_job(void) {
    char *job_id = create_ecs(g_slow, "c-test-timeout");
    ims_wait_options w = fast_wait(50, 250);
    ims_job *job = NULL;
    ims_job *last = NULL;
    CHECK_RC(ims_wait_job(g_slow, job_id, &w, NULL, NULL, &job), IMS_ERR_WAIT_TIMEOUT);
    CHECK(job == NULL);
    CHECK(contains(ims_last_error_message(), "gave up waiting"));
    CHECK_OK(ims_last_error_job(&last));
    CHECK(last != NULL && same(ims_job_get_id(last), job_id));
    ims_job_free(last);
    ims_string_free(job_id);
}

static void bad_wait_options(void) {
    ims_wait_options w = fast_wait(50, 1000);
    ims_job *job = NULL;
    w.interval_ms = 0;
    CHECK_RC(ims_wait_job(g_client, "0123456789abcdef0123456789abcdef", &w, NULL, NULL, &job),
             IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "interval_ms"));
    w = fast_wait(50, 1000);
    w.struct_size = 2; /* too small to hold struct_size itself */
    CHECK_RC(ims_wait_job(g_client, "0123456789abcdef0123456789abcdef", &w, NULL, NULL, &job),
             IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "struct_size"));
    w = fast_wait(50, 1000);
    w.backoff = 0.5;
    CHECK_RC(ims_wait_job(g_client, "0123456789abcdef0123456789abcdef", &w, NULL, NULL, &job),
             IMS_ERR_VALIDATION);
    CHECK(job == NULL);
}

/* A loopback port with nothing listening: bound, read, closed. */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int port = 0;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static void validation_error_sends_nothing(void) {
    /* The client points at a closed port: a request that were sent would fail with
     * IMS_ERR_TRANSPORT, so IMS_ERR_VALIDATION proves nothing was sent. */
    char endpoint[64];
    char name[201];
    char *job_id = (char *)name; /* sentinel */
    ims_request *req = NULL;
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", closed_port());
    ims_client *c = test_client(endpoint, NULL);
    CHECK(c != NULL);
    memset(name, 'n', 200);
    name[200] = '\0';
    CHECK_OK(ims_request_new_ecs(name, "not a valid id", VAULT_ID, &req));
    CHECK_OK(ims_request_add_tag(req, "k", "v"));
    CHECK_OK(ims_request_add_legacy_tag(req, "k.v"));
    CHECK_RC(ims_request_validate(req), IMS_ERR_VALIDATION);
    CHECK_RC(ims_create_whole_image(c, req, &job_id), IMS_ERR_VALIDATION);
    CHECK(job_id == (char *)name);
    CHECK(ims_last_error_kind() == IMS_ERR_VALIDATION);
    const char *m = ims_last_error_message();
    CHECK(contains(m, "invalid request"));
    CHECK(contains(m, "name: must be 1-128 characters, got 200"));
    CHECK(contains(m, "instance_id"));
    CHECK(contains(m, "image_tags"));
    CHECK(ims_last_error_status() == 0);
    CHECK(ims_last_error_code() == NULL);
    CHECK(ims_last_error_request_id() == NULL);
    CHECK_RC(ims_request_to_json(req, &job_id), IMS_ERR_VALIDATION);
    CHECK(job_id == (char *)name);
    ims_request_free(req);

    CHECK_RC(ims_create_whole_image_json(c, "{\"name\": \"x\", \"backup_id\": \"b\", \"colour\": 1}",
                                         &job_id),
             IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "colour"));
    CHECK_RC(ims_create_whole_image_json(c, "{not json", &job_id), IMS_ERR_VALIDATION);
    CHECK_RC(ims_request_new_backup("", "b", &req), IMS_OK);
    CHECK_RC(ims_request_set_min_ram(req, -1), IMS_OK);
    CHECK_RC(ims_create_whole_image(c, req, &job_id), IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "min_ram"));
    CHECK(contains(ims_last_error_message(), "name"));
    CHECK(job_id == (char *)name);
    ims_request_free(req);
    ims_job *job = NULL;
    CHECK_RC(ims_job_status(c, "bad id with spaces", &job), IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "job_id"));
    ims_client_free(c);
}

static void api_error_backup_reused(void) {
    char backup[37];
    ims_request *req = NULL;
    char *first = NULL;
    char *second = NULL;
    make_uuid(backup, 2);
    CHECK_OK(ims_request_new_backup("c-test-reuse", backup, &req));
    CHECK_OK(ims_create_whole_image(g_client, req, &first));
    CHECK(first != NULL);
    CHECK_RC(ims_create_whole_image(g_client, req, &second), IMS_ERR_API);
    CHECK(second == NULL);
    CHECK(ims_last_error_kind() == IMS_ERR_API);
    CHECK(ims_last_error_status() == 400);
    CHECK(same(ims_last_error_code(), "IMG.0029"));
    const char *rid = ims_last_error_request_id();
    CHECK(rid != NULL && strlen(rid) > 0);
    CHECK(contains(ims_last_error_message(), "IMG.0029"));
    CHECK(contains(ims_last_error_message(), "http 400"));
    CHECK(rid != NULL && contains(ims_last_error_message(), rid));
    ims_job *job = NULL;
    CHECK_OK(ims_last_error_job(&job));
    CHECK(job == NULL); /* an API error carries no job */
    ims_string_free(first);
    ims_request_free(req);
}

static void api_error_unknown_job(void) {
    ims_job *job = NULL;
    CHECK_RC(ims_job_status(g_client, "ffffffffffffffffffffffffffffffff", &job), IMS_ERR_API);
    CHECK(job == NULL);
    CHECK(ims_last_error_status() == 404);
    CHECK(same(ims_last_error_code(), "IMG.0404"));
    CHECK(ims_last_error_request_id() != NULL);
}

static void auth_error_wrong_sk(void) {
    ims_client *c = test_client(env("IMS_TEST_ENDPOINT"), "definitely-not-the-secret-key");
    char *job_id = NULL;
    ims_request *req = NULL;
    CHECK(c != NULL);
    CHECK_OK(ims_request_new_ecs("c-test-auth", INSTANCE_ID, VAULT_ID, &req));
    CHECK_RC(ims_create_whole_image(c, req, &job_id), IMS_ERR_API);
    CHECK(job_id == NULL);
    CHECK(ims_last_error_status() == 401);
    CHECK(same(ims_last_error_code(), "APIGW.0301"));
    CHECK(ims_last_error_request_id() != NULL);
    CHECK(contains(ims_last_error_message(), "APIGW.0301"));
    CHECK(!contains(ims_last_error_message(), "definitely-not-the-secret-key"));
    ims_request_free(req);
    ims_client_free(c);
}

static void credentials_error_without_any(void) {
    /* The default chain with nothing to find: no variables, no profile file, no metadata. */
    ims_client_options *o = NULL;
    ims_client *c = NULL;
    ims_job *job = NULL;
    unsetenv("HUAWEICLOUD_SDK_AK");
    unsetenv("HUAWEICLOUD_SDK_SK");
    unsetenv("HUAWEICLOUD_SDK_SECURITY_TOKEN");
    setenv("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/ims-c-tests/credentials", 1);
    setenv("IMS_NO_METADATA", "1", 1);
    CHECK_OK(ims_client_options_new(&o));
    CHECK_OK(ims_client_options_set_endpoint(o, env("IMS_TEST_ENDPOINT")));
    CHECK_OK(ims_client_options_set_project_id(o, env("IMS_TEST_PROJECT_ID")));
    CHECK_OK(ims_client_options_set_credentials(o, "AK", "SK", NULL));
    CHECK_OK(ims_client_options_set_use_default_chain(o)); /* replaces the AK/SK above */
    CHECK_OK(ims_client_new(o, &c));
    CHECK_RC(ims_job_status(c, "0123456789abcdef0123456789abcdef", &job), IMS_ERR_CREDENTIALS);
    CHECK(job == NULL);
    CHECK(ims_last_error_status() == 0);
    CHECK(ims_last_error_message()[0] != '\0');
    ims_client_free(c);
    ims_client_options_free(o);
}

static void config_errors(void) {
    ims_client_options *o = NULL;
    ims_client *c = NULL;
    CHECK_OK(ims_client_options_new(&o));
    /* No endpoint nor region. */
    CHECK_RC(ims_client_new(o, &c), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "endpoint"));
    CHECK(c == NULL);
    CHECK_OK(ims_client_options_set_endpoint(o, "not a url"));
    CHECK_RC(ims_client_new(o, &c), IMS_ERR_CONFIG);
    CHECK(ims_last_error_status() == 0 && ims_last_error_code() == NULL);
    /* Plain http to a host that is not loopback is refused unless allowed. */
    CHECK_OK(ims_client_options_set_endpoint(o, "http://ims.example.invalid"));
    CHECK_RC(ims_client_new(o, &c), IMS_ERR_CONFIG);
    CHECK_OK(ims_client_options_set_allow_http(o, true));
    CHECK_OK(ims_client_new(o, &c));
    ims_client_free(c);
    c = NULL;
    CHECK_OK(ims_client_options_set_endpoint(o, "https://127.0.0.1:9"));
    CHECK_RC(ims_client_options_set_ca_pem(o, "this is no certificate"), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "BEGIN CERTIFICATE"));
    /* A damaged block is refused at once too (test_tls.c covers the CA path end to end). */
    CHECK_RC(ims_client_options_set_ca_pem(
                 o, "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"),
             IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "CA certificate"));
    ims_client_options_free(o);
    o = NULL;
    CHECK_OK(ims_client_options_new(&o));
    CHECK_OK(ims_client_options_set_region(o, "xx-nowhere-1"));
    CHECK_RC(ims_client_new(o, &c), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "xx-nowhere-1"));
    CHECK(c == NULL);
    ims_client_options_free(o);
}

static void transport_error_closed_port(void) {
    char endpoint[64];
    ims_client_options *o = NULL;
    ims_client *c = NULL;
    ims_request *req = NULL;
    char *job_id = NULL;
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", closed_port());
    o = test_options(endpoint, NULL);
    CHECK_OK(ims_client_options_set_max_attempts(o, 1));
    CHECK_OK(ims_client_options_set_connect_timeout_ms(o, 2000));
    CHECK_OK(ims_client_new(o, &c));
    CHECK_OK(ims_request_new_ecs("c-test-transport", INSTANCE_ID, VAULT_ID, &req));
    CHECK_RC(ims_create_whole_image(c, req, &job_id), IMS_ERR_TRANSPORT);
    CHECK(job_id == NULL);
    CHECK(contains(ims_last_error_message(), "cannot connect"));
    CHECK(ims_last_error_status() == 0);
    CHECK(ims_last_error_code() == NULL);
    CHECK(ims_last_error_request_id() == NULL);
    ims_request_free(req);
    ims_client_free(c);
    ims_client_options_free(o);
}

static void job_failed_keeps_the_job(void) {
    ims_client *c = test_client(env("IMS_TEST_FAIL_ENDPOINT"), NULL);
    char *job_id = create_ecs(c, "c-test-fail");
    ims_wait_options w = fast_wait(100, 60000);
    ims_job *job = NULL;
    ims_job *failed = NULL;
    CHECK_RC(ims_wait_job(c, job_id, &w, NULL, NULL, &job), IMS_ERR_JOB_FAILED);
    CHECK(job == NULL);
    CHECK(ims_last_error_kind() == IMS_ERR_JOB_FAILED);
    CHECK(same(ims_last_error_code(), "IMG.0010"));
    CHECK(contains(ims_last_error_message(), "failed"));
    CHECK(contains(ims_last_error_message(), "IMG.0010"));
    CHECK(ims_last_error_status() == 0);
    CHECK_OK(ims_last_error_job(&failed));
    CHECK(failed != NULL);
    CHECK(ims_job_get_state(failed) == IMS_JOB_FAIL);
    CHECK(same(ims_job_get_id(failed), job_id));
    CHECK(same(ims_job_get_error_code(failed), "IMG.0010"));
    CHECK(ims_job_get_fail_reason(failed) != NULL);
    CHECK(contains(ims_job_get_json(failed), "\"FAIL\""));
    ims_job_free(failed);
    ims_string_free(job_id);
    ims_client_free(c);
}

static void success_clears_the_last_error(void) {
    ims_job *job = NULL;
    char *job_id = NULL;
    CHECK_RC(ims_job_status(g_client, "ffffffffffffffffffffffffffffffff", &job), IMS_ERR_API);
    CHECK(ims_last_error_kind() == IMS_ERR_API);
    job_id = create_ecs(g_client, "c-test-clear");
    CHECK(ims_last_error_kind() == IMS_OK);
    CHECK(same(ims_last_error_message(), ""));
    CHECK(ims_last_error_code() == NULL);
    CHECK(ims_last_error_request_id() == NULL);
    CHECK(ims_last_error_status() == 0);
    ims_string_free(job_id);
}

int main(void) {
    g_program = "test_api";
    g_client = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    g_slow = test_client(env("IMS_TEST_SLOW_ENDPOINT"), NULL);
    if (g_client == NULL || g_slow == NULL) {
        fprintf(stdout, "FAIL test_api: cannot make the shared clients\n");
        return 1;
    }
    RUN(version_matches_header);
    RUN(create_from_ecs);
    RUN(create_from_backup);
    RUN(create_from_json);
    RUN(job_status_reads_the_document);
    RUN(legacy_job_endpoint);
    RUN(other_signing_algorithms);
    RUN(wait_with_progress);
    RUN(wait_without_callback);
    RUN(cancel_from_callback);
    RUN(wait_timeout_keeps_the_last_job);
    RUN(bad_wait_options);
    RUN(validation_error_sends_nothing);
    RUN(api_error_backup_reused);
    RUN(api_error_unknown_job);
    RUN(auth_error_wrong_sk);
    RUN(credentials_error_without_any);
    RUN(config_errors);
    RUN(transport_error_closed_port);
    RUN(job_failed_keeps_the_job);
    RUN(success_clears_the_last_error);
    ims_client_free(g_slow);
    ims_client_free(g_client);
    return finish();
}
