/*
 * 8 POSIX threads share one ims_client: each creates images, queries and waits for its jobs,
 * and provokes errors of its own, checking that its thread-local last error is its own.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>

#include "test_util.h"

#define THREADS 8
#define ROUNDS 3

struct worker {
    int index;
    ims_client *client;
    pthread_barrier_t *barrier;
    int failures;
    int created;
    int succeeded;
};

#define TCHECK(w, cond)                                                                           \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            (w)->failures++;                                                                      \
            fprintf(stdout, "    thread %d: check failed at %s:%d: %s\n      last error: %s\n",   \
                    (w)->index, __FILE__, __LINE__, #cond, ims_last_error_message());             \
        }                                                                                         \
    } while (0)

static void *work(void *arg) {
    struct worker *w = (struct worker *)arg;
    char name[64];
    char unknown[33];
    char backup[37];
    pthread_barrier_wait(w->barrier);
    for (int round = 0; round < ROUNDS; round++) {
        ims_request *req = NULL;
        char *job_id = NULL;
        ims_job *job = NULL;
        snprintf(name, sizeof name, "c-thread-%d-%d", w->index, round);
        TCHECK(w, ims_request_new_ecs(name, "877a2cda-ba63-4e1e-b95f-e67e48b6129a",
                                      "de9fcf45-11b2-432c-8562-5c5428574600", &req) == IMS_OK);
        TCHECK(w, ims_create_whole_image(w->client, req, &job_id) == IMS_OK);
        ims_request_free(req);
        if (job_id == NULL) {
            continue;
        }
        w->created++;

        /* An error of this thread's own: an unknown job id that names the thread. */
        snprintf(unknown, sizeof unknown, "%030d%02d", 0, w->index * 10 + round);
        TCHECK(w, ims_job_status(w->client, unknown, &job) == IMS_ERR_API);
        const char *message = ims_last_error_message();
        const char *request_id = ims_last_error_request_id();
        TCHECK(w, contains(message, unknown));
        sched_yield();
        /* Other threads ran calls meanwhile: this thread's last error is unchanged. */
        TCHECK(w, ims_last_error_message() == message);
        TCHECK(w, ims_last_error_request_id() == request_id);
        TCHECK(w, ims_last_error_status() == 404);
        TCHECK(w, contains(ims_last_error_message(), unknown));

        /* A backup used twice: IMG.0029 for this thread's backup only. */
        make_uuid(backup, (unsigned)(100 + w->index * 10 + round));
        TCHECK(w, ims_request_new_backup(name, backup, &req) == IMS_OK);
        char *first = NULL;
        char *second = NULL;
        TCHECK(w, ims_create_whole_image(w->client, req, &first) == IMS_OK);
        TCHECK(w, ims_create_whole_image(w->client, req, &second) == IMS_ERR_API);
        TCHECK(w, same(ims_last_error_code(), "IMG.0029"));
        TCHECK(w, contains(ims_last_error_message(), backup));
        TCHECK(w, second == NULL);
        ims_string_free(first);
        ims_request_free(req);

        TCHECK(w, ims_job_status(w->client, job_id, &job) == IMS_OK);
        TCHECK(w, same(ims_job_get_id(job), job_id));
        ims_job_free(job);
        job = NULL;

        ims_wait_options opts = fast_wait(100, 60000);
        TCHECK(w, ims_wait_job(w->client, job_id, &opts, NULL, NULL, &job) == IMS_OK);
        if (job != NULL && ims_job_get_state(job) == IMS_JOB_SUCCESS &&
            ims_job_get_image_id(job) != NULL) {
            w->succeeded++;
        }
        TCHECK(w, ims_last_error_kind() == IMS_OK);
        ims_job_free(job);
        ims_string_free(job_id);
    }
    return NULL;
}

static ims_client *g_client = NULL;
static struct worker g_workers[THREADS];

static void eight_threads_share_one_client(void) {
    pthread_t threads[THREADS];
    pthread_barrier_t barrier;
    int started = 0;
    CHECK(pthread_barrier_init(&barrier, NULL, THREADS) == 0);
    for (int i = 0; i < THREADS; i++) {
        g_workers[i].index = i;
        g_workers[i].client = g_client;
        g_workers[i].barrier = &barrier;
        g_workers[i].failures = 0;
        g_workers[i].created = 0;
        g_workers[i].succeeded = 0;
        if (pthread_create(&threads[i], NULL, work, &g_workers[i]) == 0) {
            started++;
        }
    }
    CHECK(started == THREADS);
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&barrier);
}

/* One result line per worker thread. */
static void report_workers(void) {
    for (int i = 0; i < THREADS; i++) {
        struct worker *w = &g_workers[i];
        int ok = w->failures == 0 && w->created == ROUNDS && w->succeeded == ROUNDS;
        fprintf(stdout, "%s test_threads: thread_%d (%d created, %d waited to SUCCESS, %d failed "
                "checks)\n", ok ? "PASS" : "FAIL", i, w->created, w->succeeded, w->failures);
        if (ok) {
            g_passed++;
        } else {
            g_failed++;
        }
    }
}

static void main_thread_error_is_its_own(void) {
    /* The main thread's last error was not touched by the workers. */
    ims_job *job = NULL;
    CHECK_RC(ims_job_status(g_client, "main thread id", &job), IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "main thread id"));
}

int main(void) {
    char warm_up[37];
    g_program = "test_threads";
    make_uuid(warm_up, 0); /* initializes its per-process part before the threads start */
    g_client = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    if (g_client == NULL) {
        fprintf(stdout, "FAIL test_threads: cannot make the shared client\n");
        return 1;
    }
    RUN(eight_threads_share_one_client);
    report_workers();
    RUN(main_thread_error_is_its_own);
    ims_client_free(g_client);
    return finish();
}
