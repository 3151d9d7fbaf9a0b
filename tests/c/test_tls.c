/*
 * The C door over HTTPS: emulators serving TLS with a CA made at start-up (`ims emulator
 * --tls-certificate KIND --ca-out FILE`). With the CA (as PEM text or as a file) create and wait
 * succeed; without it, or with a certificate for another host or an expired one, the error is
 * IMS_ERR_TRANSPORT with words that say why; a CA that cannot be read or parsed is
 * IMS_ERR_CONFIG naming it. tests/c/run.sh sets:
 *   IMS_TEST_TLS_ENDPOINT, IMS_TEST_TLS_CA_FILE                 a valid certificate and its CA
 *   IMS_TEST_TLS_OTHER_HOST_ENDPOINT, IMS_TEST_TLS_OTHER_HOST_CA_FILE   a certificate for
 *                                                               other-host.invalid only
 *   IMS_TEST_TLS_EXPIRED_ENDPOINT, IMS_TEST_TLS_EXPIRED_CA_FILE an expired certificate
 */
#include "test_util.h"

static const char *INSTANCE_ID = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
static const char *VAULT_ID = "de9fcf45-11b2-432c-8562-5c5428574600";

/* The whole of a file as a NUL-terminated string (free it), or NULL. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        char *grown = realloc(text, len + n + 1);
        if (grown == NULL) {
            free(text);
            fclose(f);
            return NULL;
        }
        text = grown;
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (text != NULL) {
        text[len] = '\0';
    }
    return text;
}

/* Options for `endpoint` with the test credentials, and the CA given as PEM (`pem`) and/or as
 * a file (`ca_file`), either may be NULL. The client, or NULL with the error of ims_client_new
 * in *rc. */
static ims_client *client_for(const char *endpoint, const char *pem, const char *ca_file,
                              ims_result *rc) {
    ims_client_options *o = NULL;
    ims_client *c = NULL;
    *rc = IMS_OK;
    CHECK_OK(ims_client_options_new(&o));
    CHECK_OK(ims_client_options_set_endpoint(o, endpoint));
    CHECK_OK(ims_client_options_set_project_id(o, env("IMS_TEST_PROJECT_ID")));
    CHECK_OK(ims_client_options_set_credentials(o, env("IMS_TEST_AK"), env("IMS_TEST_SK"), NULL));
    if (pem != NULL) {
        CHECK_OK(ims_client_options_set_ca_pem(o, pem));
    }
    if (ca_file != NULL) {
        CHECK_OK(ims_client_options_set_ca_file(o, ca_file));
    }
    *rc = ims_client_new(o, &c);
    ims_client_options_free(o);
    return c;
}

/* Creates an image with `c`; the job id (free it) or NULL, the result in *rc. */
static char *create(ims_client *c, ims_result *rc) {
    ims_request *req = NULL;
    char *job_id = NULL;
    CHECK_OK(ims_request_new_ecs("c-over-tls", INSTANCE_ID, VAULT_ID, &req));
    *rc = ims_create_whole_image(c, req, &job_id);
    ims_request_free(req);
    return job_id;
}

static void with_the_ca_pem_create_and_wait_succeed(void) {
    char *pem = read_file(env("IMS_TEST_TLS_CA_FILE"));
    CHECK(contains(pem, "-----BEGIN CERTIFICATE-----"));
    ims_result rc;
    ims_client *c = client_for(env("IMS_TEST_TLS_ENDPOINT"), pem, NULL, &rc);
    CHECK_RC(rc, IMS_OK);
    char *job_id = create(c, &rc);
    CHECK_RC(rc, IMS_OK);
    ims_wait_options w = fast_wait(50, 60000);
    ims_job *job = NULL;
    CHECK_OK(ims_wait_job(c, job_id, &w, NULL, NULL, &job));
    CHECK(same(ims_job_status_text(job), "SUCCESS"));
    ims_job_free(job);
    ims_string_free(job_id);
    ims_client_free(c);
    free(pem);
}

static void with_the_ca_file_create_succeeds(void) {
    ims_result rc;
    ims_client *c = client_for(env("IMS_TEST_TLS_ENDPOINT"), NULL, env("IMS_TEST_TLS_CA_FILE"), &rc);
    CHECK_RC(rc, IMS_OK);
    char *job_id = create(c, &rc);
    CHECK_RC(rc, IMS_OK);
    CHECK(job_id != NULL && strlen(job_id) == 32);
    ims_string_free(job_id);
    ims_client_free(c);
}

/* A create against `endpoint` trusting `ca_file` (or nothing) fails with IMS_ERR_TRANSPORT and
 * a message holding `words`. */
static void refused(const char *endpoint, const char *ca_file, const char *words) {
    ims_result rc;
    ims_client *c = client_for(endpoint, NULL, ca_file, &rc);
    CHECK_RC(rc, IMS_OK);
    char *job_id = create(c, &rc);
    CHECK_RC(rc, IMS_ERR_TRANSPORT);
    CHECK(job_id == NULL);
    CHECK(ims_last_error_kind() == IMS_ERR_TRANSPORT);
    CHECK(contains(ims_last_error_message(), words));
    CHECK(!contains(ims_last_error_message(), "error sending request"));
    ims_client_free(c);
}

static void without_the_ca_the_certificate_is_not_trusted(void) {
    refused(env("IMS_TEST_TLS_ENDPOINT"), NULL, "not trusted");
    CHECK(contains(ims_last_error_message(), "ims_client_options_set_ca_pem"));
}

static void a_certificate_for_another_host_is_refused(void) {
    refused(env("IMS_TEST_TLS_OTHER_HOST_ENDPOINT"), env("IMS_TEST_TLS_OTHER_HOST_CA_FILE"),
            "not valid for 127.0.0.1: it names other-host.invalid");
}

static void an_expired_certificate_is_refused(void) {
    refused(env("IMS_TEST_TLS_EXPIRED_ENDPOINT"), env("IMS_TEST_TLS_EXPIRED_CA_FILE"), "expired");
}

static void a_status_query_is_refused_as_well(void) {
    ims_result rc;
    ims_client *c = client_for(env("IMS_TEST_TLS_ENDPOINT"), NULL, NULL, &rc);
    ims_job *job = NULL;
    CHECK_RC(ims_job_status(c, "0123456789abcdef0123456789abcdef", &job), IMS_ERR_TRANSPORT);
    CHECK(job == NULL);
    CHECK(contains(ims_last_error_message(), "not trusted"));
    ims_client_free(c);
}

static void a_damaged_pem_is_a_config_error(void) {
    ims_client_options *o = NULL;
    CHECK_OK(ims_client_options_new(&o));
    CHECK_RC(ims_client_options_set_ca_pem(o, "not a certificate"), IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "CA certificate"));
    CHECK_RC(ims_client_options_set_ca_pem(
                 o, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
             IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), "CA certificate"));
    ims_client_options_free(o);
}

static void an_unreadable_ca_file_is_a_config_error_naming_it(void) {
    const char *missing = "/nonexistent-ims-dir/ca.pem";
    ims_result rc;
    ims_client *c = client_for(env("IMS_TEST_TLS_ENDPOINT"), NULL, missing, &rc);
    CHECK(c == NULL);
    CHECK_RC(rc, IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), missing));
    /* A file that is not PEM: the same, naming it. */
    const char *garbage = "/proc/self/status";
    c = client_for(env("IMS_TEST_TLS_ENDPOINT"), NULL, garbage, &rc);
    CHECK(c == NULL);
    CHECK_RC(rc, IMS_ERR_CONFIG);
    CHECK(contains(ims_last_error_message(), garbage));
    CHECK_RC(ims_client_options_set_ca_file(NULL, missing), IMS_ERR_NULL_ARGUMENT);
}

int main(void) {
    g_program = "test_tls";
    RUN(with_the_ca_pem_create_and_wait_succeed);
    RUN(with_the_ca_file_create_succeeds);
    RUN(without_the_ca_the_certificate_is_not_trusted);
    RUN(a_certificate_for_another_host_is_refused);
    RUN(an_expired_certificate_is_refused);
    RUN(a_status_query_is_refused_as_well);
    RUN(a_damaged_pem_is_a_config_error);
    RUN(an_unreadable_ca_file_is_a_config_error_naming_it);
    return g_failed == 0 ? 0 : 1;
}
