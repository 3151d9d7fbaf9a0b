/*
 * The growth rule of the versioned struct ims_wait_options, as programs built with other
 * headers see it. tests/c/run.sh builds this file twice:
 *
 *  - test_abi_old: against a copy of include/ims.h whose ims_wait_options lacks its last fields
 *    (backoff, jitter), as an older header would have had it (-DIMS_TEST_OLD_HEADER). The
 *    current library must write no byte past that smaller struct, read none past it (the guard
 *    bytes after it hold NaN patterns that the missing double fields would refuse), and wait
 *    with the missing fields at their defaults.
 *  - test_abi: against the current header, with a struct that has extra trailing fields (as a
 *    newer header would have): accepted, extra bytes neither written nor read; and sizes too
 *    small to hold struct_size itself: refused with IMS_ERR_VALIDATION naming the field.
 */
#include <stddef.h>

#include "test_util.h"

static ims_client *g_client = NULL;

/* The caller's struct followed by guard bytes, in one object. */
typedef struct {
    ims_wait_options w;
    unsigned char guard[64];
} guarded;

static char *create(const char *name) {
    ims_request *req = NULL;
    char *job_id = NULL;
    CHECK_OK(ims_request_new_ecs(name, "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
                                 "de9fcf45-11b2-432c-8562-5c5428574600", &req));
    CHECK_OK(ims_create_whole_image(g_client, req, &job_id));
    ims_request_free(req);
    return job_id;
}

#ifdef IMS_TEST_OLD_HEADER

/* This header's struct really is the older, smaller one. */
_Static_assert(sizeof(ims_wait_options) == offsetof(ims_wait_options, max_interval_ms) + 8,
               "the old header's ims_wait_options ends with max_interval_ms");

static int guard_is(const guarded *g, unsigned char value) {
    for (size_t i = 0; i < sizeof g->guard; i++) {
        if (g->guard[i] != value) {
            fprintf(stdout, "    guard byte %zu is 0x%02x, expected 0x%02x\n", i, g->guard[i],
                    value);
            return 0;
        }
    }
    return 1;
}

static void old_struct_init_writes_only_its_bytes(void) {
    guarded g;
    memset(&g, 0xA5, sizeof g);
    CHECK_OK(ims_wait_options_init(&g.w, sizeof g.w));
    CHECK(guard_is(&g, 0xA5));
    CHECK(g.w.struct_size == sizeof g.w);
    CHECK(g.w.transient_error_budget == 10);
    CHECK(g.w.timeout_ms == 3600000);
    CHECK(g.w.first_delay_ms == 10000);
    CHECK(g.w.interval_ms == 10000);
    CHECK(g.w.max_interval_ms == 60000);
}

static void old_struct_waits_with_the_missing_fields_at_their_defaults(void) {
    guarded g;
    ims_job *job = NULL;
    memset(&g, 0xA5, sizeof g);
    CHECK_OK(ims_wait_options_init(&g.w, sizeof g.w));
    g.w.first_delay_ms = 0;
    g.w.interval_ms = 100;
    g.w.max_interval_ms = 100;
    g.w.timeout_ms = 60000;
    /* All ones: a NaN as a double. Were backoff or jitter read from here, the wait would be
     * refused (IMS_ERR_VALIDATION); the library must take their defaults instead. */
    memset(g.guard, 0xFF, sizeof g.guard);
    char *job_id = create("c-abi-old");
    CHECK_OK(ims_wait_job(g_client, job_id, &g.w, NULL, NULL, &job));
    CHECK(job != NULL && ims_job_get_state(job) == IMS_JOB_SUCCESS);
    CHECK(guard_is(&g, 0xFF));
    ims_job_free(job);
    ims_string_free(job_id);
}

static void old_struct_fleet_options(void) {
    guarded g;
    ims_fleet_options *fo = NULL;
    memset(&g, 0xA5, sizeof g);
    CHECK_OK(ims_wait_options_init(&g.w, sizeof g.w));
    memset(g.guard, 0xFF, sizeof g.guard);
    CHECK_OK(ims_fleet_options_new("abi", "r1", &fo));
    CHECK_OK(ims_fleet_options_set_wait(fo, &g.w));
    ims_fleet_options_free(fo);
}

#else

/* A struct as a newer header would have it: this version's fields, then more. */
typedef struct {
    ims_wait_options current;
    uint64_t added_later;
    double added_later_too;
} wait_options_next;

typedef struct {
    wait_options_next w;
    unsigned char guard[64];
} guarded_next;

static void larger_struct_is_accepted_and_its_extra_bytes_ignored(void) {
    guarded_next g;
    ims_job *job = NULL;
    memset(&g, 0xFF, sizeof g);
    ims_wait_options *w = (ims_wait_options *)&g.w;
    CHECK_OK(ims_wait_options_init(w, sizeof g.w));
    CHECK(w->struct_size == sizeof g.w);
    CHECK(w->backoff == 1.5 && w->jitter == 0.1);
    /* Not written: the extra fields and what follows. */
    const unsigned char *extra = (const unsigned char *)&g.w.added_later;
    for (size_t i = 0; i < sizeof g.w - sizeof g.w.current; i++) {
        CHECK(extra[i] == 0xFF);
    }
    for (size_t i = 0; i < sizeof g.guard; i++) {
        CHECK(g.guard[i] == 0xFF);
    }
    w->first_delay_ms = 0;
    w->interval_ms = 100;
    w->max_interval_ms = 100;
    w->timeout_ms = 60000;
    char *job_id = create("c-abi-new");
    CHECK_OK(ims_wait_job(g_client, job_id, w, NULL, NULL, &job));
    CHECK(job != NULL && ims_job_get_state(job) == IMS_JOB_SUCCESS);
    ims_job_free(job);
    ims_string_free(job_id);
    ims_fleet_options *fo = NULL;
    CHECK_OK(ims_fleet_options_new("abi", "r1", &fo));
    CHECK_OK(ims_fleet_options_set_wait(fo, w));
    ims_fleet_options_free(fo);
}

static void size_below_the_minimum_is_refused(void) {
    for (size_t size = 0; size < sizeof(uint32_t); size++) {
        guarded g;
        memset(&g, 0x33, sizeof g);
        CHECK_RC(ims_wait_options_init(&g.w, size), IMS_ERR_VALIDATION);
        CHECK(contains(ims_last_error_message(), "struct_size"));
        const unsigned char *bytes = (const unsigned char *)&g;
        for (size_t i = 0; i < sizeof g; i++) {
            CHECK(bytes[i] == 0x33); /* nothing written */
        }
    }
    ims_wait_options w;
    ims_job *job = NULL;
    CHECK_OK(ims_wait_options_init(&w, sizeof w));
    w.struct_size = 3;
    CHECK_RC(ims_wait_job(g_client, "0123456789abcdef0123456789abcdef", &w, NULL, NULL, &job),
             IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "struct_size"));
    CHECK(job == NULL);
    ims_fleet_options *fo = NULL;
    CHECK_OK(ims_fleet_options_new("abi", "r1", &fo));
    CHECK_RC(ims_fleet_options_set_wait(fo, &w), IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "struct_size"));
    ims_fleet_options_free(fo);
}

static void exactly_struct_size_is_all_defaults(void) {
    guarded g;
    memset(&g, 0x77, sizeof g);
    CHECK_OK(ims_wait_options_init(&g.w, sizeof(uint32_t)));
    CHECK(g.w.struct_size == sizeof(uint32_t));
    const unsigned char *bytes = (const unsigned char *)&g;
    for (size_t i = sizeof(uint32_t); i < sizeof g; i++) {
        CHECK(bytes[i] == 0x77);
    }
}

#endif

int main(void) {
#ifdef IMS_TEST_OLD_HEADER
    g_program = "test_abi_old";
#else
    g_program = "test_abi";
#endif
    g_client = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    if (g_client == NULL) {
        fprintf(stdout, "FAIL %s: cannot make the client\n", g_program);
        return 1;
    }
#ifdef IMS_TEST_OLD_HEADER
    RUN(old_struct_init_writes_only_its_bytes);
    RUN(old_struct_waits_with_the_missing_fields_at_their_defaults);
    RUN(old_struct_fleet_options);
#else
    RUN(larger_struct_is_accepted_and_its_extra_bytes_ignored);
    RUN(size_below_the_minimum_is_refused);
    RUN(exactly_struct_size_is_all_defaults);
#endif
    ims_client_free(g_client);
    return finish();
}
