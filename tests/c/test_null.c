/*
 * NULL for every pointer parameter of every function, and invalid UTF-8 for every string
 * parameter: each gives its error code, names the parameter, leaves outputs untouched and sends
 * nothing (the client points at a closed port, so a request that went out would give
 * IMS_ERR_TRANSPORT instead). _free functions and accessors accept NULL.
 */
#include "test_util.h"

static const char BAD[] = {'a', (char)0xff, (char)0xfe, 'z', '\0'};

/* `call` must give IMS_ERR_NULL_ARGUMENT naming `param`. */
#define EXPECT_NULL(call, param)                                                                  \
    do {                                                                                          \
        CHECK_RC(call, IMS_ERR_NULL_ARGUMENT);                                                    \
        CHECK(contains(ims_last_error_message(), "`" param "` is NULL"));                         \
    } while (0)

/* `call` must give IMS_ERR_INVALID_UTF8 naming `param`. */
#define EXPECT_UTF8(call, param)                                                                  \
    do {                                                                                          \
        CHECK_RC(call, IMS_ERR_INVALID_UTF8);                                                     \
        CHECK(contains(ims_last_error_message(), "`" param "` is not valid UTF-8"));              \
    } while (0)

static ims_client_options *g_opts = NULL;
static ims_client *g_client = NULL;
static ims_request *g_req = NULL;

static int never_called(const ims_progress *p, void *user_data) {
    (void)p;
    (void)user_data;
    return 1;
}

static void library_functions(void) {
    ims_string_free(NULL);
    CHECK(ims_version() != NULL);
    CHECK(same(ims_result_str(-1), "unknown"));
    EXPECT_NULL(ims_wait_options_init(NULL, sizeof(ims_wait_options)), "options");
    /* ims_last_error_job(NULL) reports NULL without touching the last error. */
    CHECK_RC(ims_client_options_new(NULL), IMS_ERR_NULL_ARGUMENT);
    CHECK_RC(ims_last_error_job(NULL), IMS_ERR_NULL_ARGUMENT);
    CHECK(ims_last_error_kind() == IMS_ERR_NULL_ARGUMENT);
    CHECK(contains(ims_last_error_message(), "`options_out`"));
}

static void options_functions(void) {
    ims_client_options *sentinel = (ims_client_options *)&g_opts;
    ims_client_options *out = sentinel;
    EXPECT_NULL(ims_client_options_new(NULL), "options_out");
    ims_client_options_free(NULL);
    EXPECT_NULL(ims_client_options_set_region(NULL, "cn-north-4"), "options");
    EXPECT_NULL(ims_client_options_set_region(g_opts, NULL), "region");
    EXPECT_NULL(ims_client_options_set_endpoint(NULL, "http://127.0.0.1:1"), "options");
    EXPECT_NULL(ims_client_options_set_endpoint(g_opts, NULL), "endpoint");
    EXPECT_NULL(ims_client_options_set_iam_endpoint(NULL, "http://127.0.0.1:1"), "options");
    EXPECT_NULL(ims_client_options_set_iam_endpoint(g_opts, NULL), "iam_endpoint");
    EXPECT_NULL(ims_client_options_set_project_id(NULL, "p"), "options");
    EXPECT_NULL(ims_client_options_set_project_id(g_opts, NULL), "project_id");
    EXPECT_NULL(ims_client_options_set_auth_token(NULL, "t"), "options");
    EXPECT_NULL(ims_client_options_set_auth_token(g_opts, NULL), "token");
    EXPECT_NULL(ims_client_options_set_profile_file(NULL, "/p"), "options");
    EXPECT_NULL(ims_client_options_set_profile_file(g_opts, NULL), "path");
    EXPECT_NULL(ims_client_options_set_user_agent_suffix(NULL, "s"), "options");
    EXPECT_NULL(ims_client_options_set_user_agent_suffix(g_opts, NULL), "suffix");
    EXPECT_NULL(ims_client_options_set_proxy(NULL, "http://127.0.0.1:1"), "options");
    EXPECT_NULL(ims_client_options_set_proxy(g_opts, NULL), "proxy");
    EXPECT_NULL(ims_client_options_set_ca_pem(NULL, "pem"), "options");
    EXPECT_NULL(ims_client_options_set_ca_pem(g_opts, NULL), "pem");
    EXPECT_NULL(ims_client_options_set_credentials(NULL, "AK", "SK", NULL), "options");
    EXPECT_NULL(ims_client_options_set_credentials(g_opts, NULL, "SK", NULL), "access_key");
    EXPECT_NULL(ims_client_options_set_credentials(g_opts, "AK", NULL, NULL), "secret_key");
    EXPECT_NULL(ims_client_options_set_use_default_chain(NULL), "options");
    EXPECT_NULL(ims_client_options_set_algorithm(NULL, IMS_ALGORITHM_SDK_HMAC_SHA256), "options");
    EXPECT_NULL(ims_client_options_set_timeout_ms(NULL, 1000), "options");
    EXPECT_NULL(ims_client_options_set_connect_timeout_ms(NULL, 1000), "options");
    EXPECT_NULL(ims_client_options_set_pool_idle_timeout_ms(NULL, 1000), "options");
    EXPECT_NULL(ims_client_options_set_max_concurrent_requests(NULL, 4), "options");
    EXPECT_NULL(ims_client_options_set_allow_http(NULL, true), "options");
    EXPECT_NULL(ims_client_options_set_legacy_job_endpoint(NULL, true), "options");
    EXPECT_NULL(ims_client_options_set_max_attempts(NULL, 1), "options");
    CHECK(out == sentinel);
}

static void options_invalid_utf8(void) {
    EXPECT_UTF8(ims_client_options_set_region(g_opts, BAD), "region");
    EXPECT_UTF8(ims_client_options_set_endpoint(g_opts, BAD), "endpoint");
    EXPECT_UTF8(ims_client_options_set_iam_endpoint(g_opts, BAD), "iam_endpoint");
    EXPECT_UTF8(ims_client_options_set_project_id(g_opts, BAD), "project_id");
    EXPECT_UTF8(ims_client_options_set_auth_token(g_opts, BAD), "token");
    EXPECT_UTF8(ims_client_options_set_profile_file(g_opts, BAD), "path");
    EXPECT_UTF8(ims_client_options_set_user_agent_suffix(g_opts, BAD), "suffix");
    EXPECT_UTF8(ims_client_options_set_proxy(g_opts, BAD), "proxy");
    EXPECT_UTF8(ims_client_options_set_ca_pem(g_opts, BAD), "pem");
    EXPECT_UTF8(ims_client_options_set_credentials(g_opts, BAD, "SK", NULL), "access_key");
    EXPECT_UTF8(ims_client_options_set_credentials(g_opts, "AK", BAD, NULL), "secret_key");
    EXPECT_UTF8(ims_client_options_set_credentials(g_opts, "AK", "SK", BAD), "security_token");
}

static void client_functions(void) {
    ims_client *sentinel = (ims_client *)&g_client;
    ims_client *out = sentinel;
    EXPECT_NULL(ims_client_new(NULL, &out), "options");
    EXPECT_NULL(ims_client_new(g_opts, NULL), "client_out");
    CHECK(out == sentinel);
    ims_client_free(NULL);
}

static void request_functions(void) {
    ims_request *sentinel = (ims_request *)&g_req;
    ims_request *out = sentinel;
    char *json = (char *)&g_req;
    EXPECT_NULL(ims_request_new_ecs(NULL, "i", "v", &out), "name");
    EXPECT_NULL(ims_request_new_ecs("n", NULL, "v", &out), "instance_id");
    EXPECT_NULL(ims_request_new_ecs("n", "i", NULL, &out), "vault_id");
    EXPECT_NULL(ims_request_new_ecs("n", "i", "v", NULL), "request_out");
    EXPECT_NULL(ims_request_new_backup(NULL, "b", &out), "name");
    EXPECT_NULL(ims_request_new_backup("n", NULL, &out), "backup_id");
    EXPECT_NULL(ims_request_new_backup("n", "b", NULL), "request_out");
    CHECK(out == sentinel);
    ims_request_free(NULL);
    EXPECT_NULL(ims_request_set_description(NULL, "d"), "request");
    EXPECT_NULL(ims_request_set_description(g_req, NULL), "description");
    EXPECT_NULL(ims_request_set_enterprise_project_id(NULL, "0"), "request");
    EXPECT_NULL(ims_request_set_enterprise_project_id(g_req, NULL), "enterprise_project_id");
    EXPECT_NULL(ims_request_add_tag(NULL, "k", "v"), "request");
    EXPECT_NULL(ims_request_add_tag(g_req, NULL, "v"), "key");
    EXPECT_NULL(ims_request_add_tag(g_req, "k", NULL), "value");
    EXPECT_NULL(ims_request_add_legacy_tag(NULL, "k.v"), "request");
    EXPECT_NULL(ims_request_add_legacy_tag(g_req, NULL), "tag");
    EXPECT_NULL(ims_request_set_min_ram(NULL, 1), "request");
    EXPECT_NULL(ims_request_set_max_ram(NULL, 1), "request");
    EXPECT_NULL(ims_request_validate(NULL), "request");
    EXPECT_NULL(ims_request_to_json(NULL, &json), "request");
    EXPECT_NULL(ims_request_to_json(g_req, NULL), "json_out");
    CHECK(json == (char *)&g_req);
    /* The request was never changed by the failed calls: it is still valid, without tags. */
    CHECK_OK(ims_request_to_json(g_req, &json));
    CHECK(same(json, "{\"name\":\"null-test\",\"backup_id\":\"b-1\",\"whole_image_type\":\"CBR\"}"));
    ims_string_free(json);
}

static void request_invalid_utf8(void) {
    ims_request *out = NULL;
    EXPECT_UTF8(ims_request_new_ecs(BAD, "i", "v", &out), "name");
    EXPECT_UTF8(ims_request_new_ecs("n", BAD, "v", &out), "instance_id");
    EXPECT_UTF8(ims_request_new_ecs("n", "i", BAD, &out), "vault_id");
    EXPECT_UTF8(ims_request_new_backup(BAD, "b", &out), "name");
    EXPECT_UTF8(ims_request_new_backup("n", BAD, &out), "backup_id");
    CHECK(out == NULL);
    EXPECT_UTF8(ims_request_set_description(g_req, BAD), "description");
    EXPECT_UTF8(ims_request_set_enterprise_project_id(g_req, BAD), "enterprise_project_id");
    EXPECT_UTF8(ims_request_add_tag(g_req, BAD, "v"), "key");
    EXPECT_UTF8(ims_request_add_tag(g_req, "k", BAD), "value");
    EXPECT_UTF8(ims_request_add_legacy_tag(g_req, BAD), "tag");
    CHECK_OK(ims_request_validate(g_req));
}

static void call_functions(void) {
    char *sentinel = (char *)&g_client;
    char *job_id = sentinel;
    ims_job *job_sentinel = (ims_job *)&g_client;
    ims_job *job = job_sentinel;
    ims_wait_options w;
    CHECK_OK(ims_wait_options_init(&w, sizeof w));
    w.first_delay_ms = 0;
    const char *id = "0123456789abcdef0123456789abcdef";
    const char *body = "{\"name\": \"n\", \"backup_id\": \"b\", \"whole_image_type\": \"CBR\"}";
    EXPECT_NULL(ims_create_whole_image(NULL, g_req, &job_id), "client");
    EXPECT_NULL(ims_create_whole_image(g_client, NULL, &job_id), "request");
    EXPECT_NULL(ims_create_whole_image(g_client, g_req, NULL), "job_id_out");
    EXPECT_NULL(ims_create_whole_image_json(NULL, body, &job_id), "client");
    EXPECT_NULL(ims_create_whole_image_json(g_client, NULL, &job_id), "body_json");
    EXPECT_NULL(ims_create_whole_image_json(g_client, body, NULL), "job_id_out");
    CHECK(job_id == sentinel);
    EXPECT_NULL(ims_job_status(NULL, id, &job), "client");
    EXPECT_NULL(ims_job_status(g_client, NULL, &job), "job_id");
    EXPECT_NULL(ims_job_status(g_client, id, NULL), "job_out");
    EXPECT_NULL(ims_wait_job(NULL, id, &w, never_called, NULL, &job), "client");
    EXPECT_NULL(ims_wait_job(g_client, NULL, &w, never_called, NULL, &job), "job_id");
    EXPECT_NULL(ims_wait_job(g_client, id, &w, never_called, NULL, NULL), "job_out");
    CHECK(job == job_sentinel);
    /* Invalid UTF-8. */
    EXPECT_UTF8(ims_create_whole_image_json(g_client, BAD, &job_id), "body_json");
    EXPECT_UTF8(ims_job_status(g_client, BAD, &job), "job_id");
    EXPECT_UTF8(ims_wait_job(g_client, BAD, &w, never_called, NULL, &job), "job_id");
    CHECK(job_id == sentinel);
    CHECK(job == job_sentinel);
}

static int never_called_fleet(const ims_fleet_event *e, void *user_data) {
    (void)e;
    (void)user_data;
    return 1;
}

static void image_functions(void) {
    uint64_t used = 7, quota = 7;
    char *sentinel = (char *)&g_client;
    char *json = sentinel;
    EXPECT_NULL(ims_image_quota(NULL, &used, &quota), "client");
    EXPECT_NULL(ims_image_quota(g_client, NULL, &quota), "used_out");
    EXPECT_NULL(ims_image_quota(g_client, &used, NULL), "quota_out");
    CHECK(used == 7 && quota == 7);
    EXPECT_NULL(ims_delete_image(NULL, "i", false), "client");
    EXPECT_NULL(ims_delete_image(g_client, NULL, false), "image_id");
    EXPECT_NULL(ims_list_images(NULL, "{}", &json), "client");
    EXPECT_NULL(ims_list_images(g_client, "{}", NULL), "json_out");
    CHECK(json == sentinel);
    EXPECT_UTF8(ims_delete_image(g_client, BAD, false), "image_id");
    EXPECT_UTF8(ims_list_images(g_client, BAD, &json), "query_json");
    CHECK(json == sentinel);
}

static void fleet_functions(void) {
    ims_fleet_options *fo = NULL;
    ims_fleet_options *fo_sentinel = (ims_fleet_options *)&g_client;
    ims_fleet_options *fo_out = fo_sentinel;
    ims_fleet_report *rep_sentinel = (ims_fleet_report *)&g_client;
    ims_fleet_report *rep = rep_sentinel;
    char *json_sentinel = (char *)&g_client;
    char *json = json_sentinel;
    ims_wait_options w;
    CHECK_OK(ims_wait_options_init(&w, sizeof w));
    EXPECT_NULL(ims_fleet_options_new("f", NULL, &fo_out), "run");
    EXPECT_NULL(ims_fleet_options_new("f", "r", NULL), "options_out");
    EXPECT_UTF8(ims_fleet_options_new(BAD, "r", &fo_out), "fleet");
    EXPECT_UTF8(ims_fleet_options_new("f", BAD, &fo_out), "run");
    CHECK(fo_out == fo_sentinel);
    CHECK_OK(ims_fleet_options_new(NULL, "r", &fo)); /* the fleet may be NULL */
    ims_fleet_options_free(NULL);
    EXPECT_NULL(ims_fleet_options_set_parallel(NULL, 1), "options");
    EXPECT_NULL(ims_fleet_options_set_keep(NULL, 1), "options");
    EXPECT_NULL(ims_fleet_options_set_delete_backup(NULL, true), "options");
    EXPECT_NULL(ims_fleet_options_set_reconcile_grace_ms(NULL, 1), "options");
    EXPECT_NULL(ims_fleet_options_set_relist_interval_ms(NULL, 1), "options");
    EXPECT_NULL(ims_fleet_options_set_listing_failures(NULL, 1), "options");
    EXPECT_NULL(ims_fleet_options_set_dry_run(NULL, true), "options");
    EXPECT_NULL(ims_fleet_options_set_retry_failed(NULL, true), "options");
    EXPECT_NULL(ims_fleet_options_set_retry_unknown(NULL, true), "options");
    EXPECT_NULL(ims_fleet_options_set_allow_partial(NULL, true), "options");
    EXPECT_NULL(ims_fleet_options_set_wait(NULL, &w), "options");
    EXPECT_NULL(ims_fleet_options_set_wait_timeout_ms(NULL, 1), "options");
    EXPECT_NULL(ims_fleet_options_set_tick_events(NULL, true), "options");
    /* Out of range: refused, named. */
    CHECK_RC(ims_fleet_options_set_parallel(fo, 41), IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "parallel"));
    CHECK_RC(ims_fleet_options_set_keep(fo, 0), IMS_ERR_VALIDATION);
    CHECK_RC(ims_fleet_options_set_relist_interval_ms(fo, 0), IMS_ERR_VALIDATION);
    CHECK_RC(ims_fleet_options_set_listing_failures(fo, 0), IMS_ERR_VALIDATION);
    w.interval_ms = 0;
    CHECK_RC(ims_fleet_options_set_wait(fo, &w), IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "interval_ms"));
    CHECK_OK(ims_fleet_options_set_wait(fo, NULL));
    /* The run: every pointer, then invalid UTF-8; nothing is read or sent. */
    EXPECT_NULL(ims_fleet_run(NULL, "m", "j", fo, never_called_fleet, NULL, &rep), "client");
    EXPECT_NULL(ims_fleet_run(g_client, NULL, "j", fo, never_called_fleet, NULL, &rep),
                "manifest_path");
    EXPECT_NULL(ims_fleet_run(g_client, "m", NULL, fo, never_called_fleet, NULL, &rep),
                "journal_path");
    EXPECT_NULL(ims_fleet_run(g_client, "m", "j", NULL, never_called_fleet, NULL, &rep),
                "options");
    EXPECT_NULL(ims_fleet_run(g_client, "m", "j", fo, never_called_fleet, NULL, NULL),
                "report_out");
    EXPECT_UTF8(ims_fleet_run(g_client, BAD, "j", fo, never_called_fleet, NULL, &rep),
                "manifest_path");
    EXPECT_UTF8(ims_fleet_run(g_client, "m", BAD, fo, never_called_fleet, NULL, &rep),
                "journal_path");
    CHECK(rep == rep_sentinel);
    EXPECT_NULL(ims_fleet_status_json(NULL, &json), "journal_path");
    EXPECT_NULL(ims_fleet_status_json("j", NULL), "json_out");
    EXPECT_UTF8(ims_fleet_status_json(BAD, &json), "journal_path");
    CHECK(json == json_sentinel);
    ims_fleet_options_free(fo);
    /* The report and event accessors accept NULL. */
    ims_fleet_report_free(NULL);
    CHECK(ims_fleet_report_outcome(NULL) == IMS_FLEET_OUTCOME_UNKNOWN);
    CHECK(!ims_fleet_report_stopped(NULL));
    CHECK(!ims_fleet_report_dry_run(NULL));
    CHECK(ims_fleet_report_item_count(NULL) == 0);
    CHECK(ims_fleet_report_item_key(NULL, 0) == NULL);
    CHECK(ims_fleet_report_item_state(NULL, 0) == IMS_FLEET_STATE_NONE);
    CHECK(!ims_fleet_report_item_already_done(NULL, 0));
    CHECK(ims_fleet_report_item_line(NULL, 0) == 0);
    CHECK(ims_fleet_report_item_job_id(NULL, 0) == NULL);
    CHECK(ims_fleet_report_item_image_id(NULL, 0) == NULL);
    CHECK(ims_fleet_report_item_error_code(NULL, 0) == NULL);
    CHECK(ims_fleet_report_item_error_message(NULL, 0) == NULL);
    CHECK(ims_fleet_report_json(NULL) == NULL);
    CHECK(ims_fleet_event_kind(NULL) == IMS_FLEET_EVENT_NONE);
    CHECK(ims_fleet_event_key(NULL) == NULL);
    CHECK(ims_fleet_event_state(NULL) == IMS_FLEET_STATE_NONE);
    CHECK(ims_fleet_event_job_id(NULL) == NULL);
    CHECK(ims_fleet_event_image_id(NULL) == NULL);
    CHECK(ims_fleet_event_error_code(NULL) == NULL);
    CHECK(ims_fleet_event_error_message(NULL) == NULL);
    CHECK(ims_fleet_event_status(NULL) == NULL);
    CHECK(ims_fleet_event_percent(NULL) < 0.0);
    CHECK(ims_fleet_event_json(NULL) == NULL);
    CHECK(same(ims_fleet_state_str(IMS_FLEET_STATE_NONE), "none"));
    CHECK(same(ims_fleet_outcome_str(99), "none"));
}

static void job_functions(void) {
    ims_job_free(NULL);
    CHECK(ims_job_get_state(NULL) == IMS_JOB_UNKNOWN);
    CHECK(ims_job_status_text(NULL) == NULL);
    CHECK(ims_job_get_id(NULL) == NULL);
    CHECK(ims_job_get_type(NULL) == NULL);
    CHECK(ims_job_get_image_id(NULL) == NULL);
    CHECK(ims_job_get_percent(NULL) < 0.0);
    CHECK(ims_job_get_error_code(NULL) == NULL);
    CHECK(ims_job_get_fail_reason(NULL) == NULL);
    CHECK(ims_job_get_begin_time(NULL) == NULL);
    CHECK(ims_job_get_end_time(NULL) == NULL);
    CHECK(ims_job_get_json(NULL) == NULL);
}

static void last_error_without_error(void) {
    ims_job *job = (ims_job *)&g_client;
    CHECK_OK(ims_request_validate(g_req));
    CHECK(ims_last_error_kind() == IMS_OK);
    CHECK(same(ims_last_error_message(), ""));
    CHECK(ims_last_error_code() == NULL);
    CHECK(ims_last_error_request_id() == NULL);
    CHECK(ims_last_error_status() == 0);
    CHECK_OK(ims_last_error_job(&job));
    CHECK(job == NULL);
}

int main(void) {
    char endpoint[64];
    g_program = "test_null";
    /* Port 1 on loopback: nothing listens there; nothing is ever sent anyway. */
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:1");
    g_opts = test_options(endpoint, NULL);
    if (g_opts == NULL || ims_client_options_set_max_attempts(g_opts, 1) != IMS_OK ||
        ims_client_new(g_opts, &g_client) != IMS_OK ||
        ims_request_new_backup("null-test", "b-1", &g_req) != IMS_OK) {
        fprintf(stdout, "FAIL test_null: set-up: %s\n", ims_last_error_message());
        return 1;
    }
    RUN(library_functions);
    RUN(options_functions);
    RUN(options_invalid_utf8);
    RUN(client_functions);
    RUN(request_functions);
    RUN(request_invalid_utf8);
    RUN(call_functions);
    RUN(image_functions);
    RUN(fleet_functions);
    RUN(job_functions);
    RUN(last_error_without_error);
    ims_request_free(g_req);
    ims_client_free(g_client);
    ims_client_options_free(g_opts);
    return finish();
}
