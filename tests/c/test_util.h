/*
 * A tiny test harness for the C programs of tests/c/: each case is a function run by RUN(),
 * which prints "PASS <program>: <case>" or "FAIL <program>: <case>" (after the failed checks
 * with file and line). A program exits 1 when any case failed. tests/c/run.sh counts the lines.
 *
 * The emulator set-up comes from the environment (set by tests/c/run.sh):
 *   IMS_TEST_ENDPOINT       base URL of an emulator whose jobs succeed
 *   IMS_TEST_FAIL_ENDPOINT  base URL of an emulator whose jobs all fail (--fail-rate 1.0)
 *   IMS_TEST_SLOW_ENDPOINT  base URL of an emulator whose jobs take two minutes
 *   IMS_TEST_MEDIUM_ENDPOINT base URL of an emulator whose jobs take six seconds
 *   IMS_TEST_FLEET_ENDPOINT  base URL of an emulator for fleets (jobs of a second, a quota of
 *                            1000 images)
 *   IMS_TEST_AK, IMS_TEST_SK, IMS_TEST_PROJECT_ID   what both emulators accept
 */
#ifndef IMS_TEST_UTIL_H
#define IMS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ims.h"

static const char *g_program = "test";
static int g_case_ok = 1;
static int g_passed = 0;
static int g_failed = 0;

/* A check inside a case: on failure prints where and why (with the last error), marks the case
 * failed, and goes on. */
#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            g_case_ok = 0;                                                                        \
            fprintf(stdout, "    check failed at %s:%d: %s\n      last error: [%s] %s\n",        \
                    __FILE__, __LINE__, #cond, ims_result_str(ims_last_error_kind()),        \
                    ims_last_error_message());                                                    \
        }                                                                                         \
    } while (0)

/* A check that a call returned `expected`. */
#define CHECK_RC(call, expected)                                                                  \
    do {                                                                                          \
        ims_result rc_ = (call);                                                                  \
        if (rc_ != (expected)) {                                                                  \
            g_case_ok = 0;                                                                        \
            fprintf(stdout, "    %s:%d: %s returned %s, expected %s\n      last error: %s\n",    \
                    __FILE__, __LINE__, #call, ims_result_str(rc_),                               \
                    ims_result_str((ims_result)(expected)), ims_last_error_message());                   \
        }                                                                                         \
    } while (0)

#define CHECK_OK(call) CHECK_RC(call, IMS_OK)

/* Whether `s` is not NULL and holds `needle`. */
static inline int contains(const char *s, const char *needle) {
    return s != NULL && needle != NULL && strstr(s, needle) != NULL;
}

/* Whether both are NULL, or both hold the same text. */
static inline int same(const char *a, const char *b) {
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

#define RUN(fn)                                                                                   \
    do {                                                                                          \
        g_case_ok = 1;                                                                            \
        fn();                                                                                     \
        if (g_case_ok) {                                                                          \
            g_passed++;                                                                           \
            fprintf(stdout, "PASS %s: %s\n", g_program, #fn);                                     \
        } else {                                                                                  \
            g_failed++;                                                                           \
            fprintf(stdout, "FAIL %s: %s\n", g_program, #fn);                                     \
        }                                                                                         \
        fflush(stdout);                                                                           \
    } while (0)

/* The program's exit code. */
static inline int finish(void) {
    fprintf(stdout, "%s: %d cases passed, %d failed\n", g_program, g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

/* A required environment variable (exits when missing). */
static inline const char *env(const char *name) {
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stdout, "FAIL %s: environment variable %s is not set (run tests/c/run.sh)\n",
                g_program, name);
        exit(2);
    }
    return v;
}

/* Options for the emulator at `endpoint` with the test credentials (or `sk` when not NULL). */
static inline ims_client_options *test_options(const char *endpoint, const char *sk) {
    ims_client_options *o = NULL;
    if (ims_client_options_new(&o) != IMS_OK ||
        ims_client_options_set_endpoint(o, endpoint) != IMS_OK ||
        ims_client_options_set_project_id(o, env("IMS_TEST_PROJECT_ID")) != IMS_OK ||
        ims_client_options_set_credentials(o, env("IMS_TEST_AK"), sk ? sk : env("IMS_TEST_SK"),
                                           NULL) != IMS_OK) {
        fprintf(stdout, "    cannot make options: %s\n", ims_last_error_message());
        ims_client_options_free(o);
        return NULL;
    }
    return o;
}

/* A client for the emulator at `endpoint` (NULL on failure, with a message). */
static inline ims_client *test_client(const char *endpoint, const char *sk) {
    ims_client_options *o = test_options(endpoint, sk);
    ims_client *c = NULL;
    if (o == NULL) {
        return NULL;
    }
    if (ims_client_new(o, &c) != IMS_OK) {
        fprintf(stdout, "    cannot make client: %s\n", ims_last_error_message());
        c = NULL;
    }
    ims_client_options_free(o);
    return c;
}

#ifndef IMS_TEST_OLD_HEADER /* test_abi_old's header has no backoff nor jitter */
/* Fast wait options: no first delay, a fixed short interval, no jitter. */
static inline ims_wait_options fast_wait(uint64_t interval_ms, uint64_t timeout_ms) {
    ims_wait_options w;
    memset(&w, 0, sizeof w);
    if (ims_wait_options_init(&w, sizeof w) != IMS_OK) {
        fprintf(stdout, "    ims_wait_options_init failed\n");
    }
    w.first_delay_ms = 0;
    w.interval_ms = interval_ms;
    w.max_interval_ms = interval_ms;
    w.backoff = 1.0;
    w.jitter = 0.0;
    w.timeout_ms = timeout_ms;
    return w;
}
#endif

/* A UUID-shaped id that differs per `n` and per process (for backup ids used once). */
static inline void make_uuid(char out[37], unsigned n) {
    static unsigned pid_part = 0;
    if (pid_part == 0) {
        pid_part = (unsigned)((uintptr_t)&pid_part ^ (uintptr_t)time(NULL)) & 0xffffffu;
    }
    snprintf(out, 37, "%08x-4c06-4b17-8d3c-%06x%06x", n, pid_part & 0xffffffu, n & 0xffffffu);
}

#endif /* IMS_TEST_UTIL_H */
