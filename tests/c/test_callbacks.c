/*
 * What a C program does around the library: a progress callback that calls the client it waits
 * on, one that takes a lock another thread holds across its own call, one that sleeps while
 * another thread's call must go on, and fork(): the child's calls must never use the parent's
 * pooled connections. A watchdog thread ends the program with a FAIL line if a case hangs.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

static const char *INSTANCE = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
static const char *VAULT = "de9fcf45-11b2-432c-8562-5c5428574600";

/* ---- the watchdog: a case that runs longer than its limit is a hang ---- */

static pthread_mutex_t g_watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_watch_cond = PTHREAD_COND_INITIALIZER;
static const char *g_watched = NULL;
static int g_watch_seconds = 0;

static void *watchdog(void *arg) {
    (void)arg;
    pthread_mutex_lock(&g_watch_lock);
    for (;;) {
        while (g_watched == NULL) {
            pthread_cond_wait(&g_watch_cond, &g_watch_lock);
        }
        const char *watched = g_watched;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += g_watch_seconds;
        while (g_watched == watched) {
            if (pthread_cond_timedwait(&g_watch_cond, &g_watch_lock, &until) != 0 &&
                g_watched == watched) {
                fprintf(stdout, "FAIL %s: %s still running after %d s (a deadlock)\n", g_program,
                        watched, g_watch_seconds);
                fflush(stdout);
                _exit(1);
            }
        }
    }
    return NULL;
}

static void watch(const char *what, int seconds) {
    pthread_mutex_lock(&g_watch_lock);
    g_watched = what;
    g_watch_seconds = seconds;
    pthread_cond_broadcast(&g_watch_cond);
    pthread_mutex_unlock(&g_watch_lock);
}

static void unwatch(void) { watch(NULL, 0); }

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *create(ims_client *c, const char *name) {
    ims_request *req = NULL;
    char *job_id = NULL;
    if (ims_request_new_ecs(name, INSTANCE, VAULT, &req) != IMS_OK) {
        return NULL;
    }
    if (ims_create_whole_image(c, req, &job_id) != IMS_OK) {
        job_id = NULL;
    }
    ims_request_free(req);
    return job_id;
}

/* Whether a query of `job_id` on `c` succeeds and answers that very job. */
static int query_ok(ims_client *c, const char *job_id) {
    ims_job *job = NULL;
    if (ims_job_status(c, job_id, &job) != IMS_OK) {
        return 0;
    }
    int ok = same(ims_job_get_id(job), job_id);
    ims_job_free(job);
    return ok;
}

/* ---- 1: a callback calls the client it waits on ---- */

struct reentrant {
    ims_client *client;
    const char *other;
    int calls;
    int ok;
};

static int reentrant_cb(const ims_progress *p, void *user_data) {
    struct reentrant *r = (struct reentrant *)user_data;
    (void)p;
    r->calls++;
    r->ok += query_ok(r->client, r->other);
    return 0;
}

static void callback_calls_the_client_it_waits_on(void) {
    ims_client *c = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    CHECK(c != NULL);
    char *job = create(c, "c-reentrant");
    char *other = create(c, "c-reentrant-other");
    CHECK(job != NULL && other != NULL);
    struct reentrant r = {c, other, 0, 0};
    ims_wait_options w = fast_wait(50, 30000);
    ims_job *done = NULL;
    watch("callback_calls_the_client_it_waits_on", 60);
    CHECK_OK(ims_wait_job(c, job, &w, reentrant_cb, &r, &done));
    unwatch();
    CHECK(r.calls > 0);
    CHECK(r.ok == r.calls);
    ims_job_free(done);
    ims_string_free(job);
    ims_string_free(other);
    ims_client_free(c);
}

/* ---- 2: a callback takes a lock that another thread holds across its own call ---- */

struct locked {
    ims_client *client;
    const char *other;
    pthread_mutex_t lock;
    pthread_mutex_t gate;
    pthread_cond_t cond;
    int go;
    int holding;
    int first;
    int b_ok;
};

static void *thread_b(void *arg) {
    struct locked *s = (struct locked *)arg;
    pthread_mutex_lock(&s->gate);
    while (!s->go) {
        pthread_cond_wait(&s->cond, &s->gate);
    }
    pthread_mutex_unlock(&s->gate);
    pthread_mutex_lock(&s->lock);
    pthread_mutex_lock(&s->gate);
    s->holding = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->gate);
    /* Thread B holds the lock across its own call. */
    s->b_ok = query_ok(s->client, s->other);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int locking_cb(const ims_progress *p, void *user_data) {
    struct locked *s = (struct locked *)user_data;
    (void)p;
    if (s->first) {
        s->first = 0;
        pthread_mutex_lock(&s->gate);
        s->go = 1;
        pthread_cond_broadcast(&s->cond);
        while (!s->holding) {
            pthread_cond_wait(&s->cond, &s->gate);
        }
        pthread_mutex_unlock(&s->gate);
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
        /* Thread A waits for B, whose call is out. */
        pthread_mutex_lock(&s->lock);
        pthread_mutex_unlock(&s->lock);
    }
    return 0;
}

static void callback_waiting_on_another_threads_call_finishes(void) {
    ims_client *c = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    CHECK(c != NULL);
    char *job = create(c, "c-locked");
    char *other = create(c, "c-locked-other");
    CHECK(job != NULL && other != NULL);
    struct locked s;
    memset(&s, 0, sizeof s);
    s.client = c;
    s.other = other;
    s.first = 1;
    pthread_mutex_init(&s.lock, NULL);
    pthread_mutex_init(&s.gate, NULL);
    pthread_cond_init(&s.cond, NULL);
    pthread_t b;
    CHECK(pthread_create(&b, NULL, thread_b, &s) == 0);
    ims_wait_options w = fast_wait(50, 30000);
    ims_job *done = NULL;
    watch("callback_waiting_on_another_threads_call_finishes", 60);
    CHECK_OK(ims_wait_job(c, job, &w, locking_cb, &s, &done));
    pthread_join(b, NULL);
    unwatch();
    CHECK(s.b_ok);
    ims_job_free(done);
    pthread_mutex_destroy(&s.lock);
    pthread_mutex_destroy(&s.gate);
    pthread_cond_destroy(&s.cond);
    ims_string_free(job);
    ims_string_free(other);
    ims_client_free(c);
}

/* ---- 3: a slow callback does not hold up another thread's call ---- */

struct slow {
    ims_client *client;
    const char *other;
    pthread_barrier_t barrier;
    int first;
    double b_seconds;
    int b_ok;
};

static void *thread_timed(void *arg) {
    struct slow *s = (struct slow *)arg;
    pthread_barrier_wait(&s->barrier);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    double t = now_s();
    s->b_ok = query_ok(s->client, s->other);
    s->b_seconds = now_s() - t;
    return NULL;
}

static int sleeping_cb(const ims_progress *p, void *user_data) {
    struct slow *s = (struct slow *)user_data;
    (void)p;
    if (s->first) {
        s->first = 0;
        pthread_barrier_wait(&s->barrier);
        struct timespec pause = {1, 500 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

static void slow_callback_does_not_hold_up_another_thread(void) {
    ims_client *c = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    CHECK(c != NULL);
    char *job = create(c, "c-slow");
    char *other = create(c, "c-slow-other");
    CHECK(job != NULL && other != NULL);
    struct slow s;
    memset(&s, 0, sizeof s);
    s.client = c;
    s.other = other;
    s.first = 1;
    pthread_barrier_init(&s.barrier, NULL, 2);
    pthread_t b;
    CHECK(pthread_create(&b, NULL, thread_timed, &s) == 0);
    ims_wait_options w = fast_wait(50, 30000);
    ims_job *done = NULL;
    watch("slow_callback_does_not_hold_up_another_thread", 60);
    CHECK_OK(ims_wait_job(c, job, &w, sleeping_cb, &s, &done));
    pthread_join(b, NULL);
    unwatch();
    CHECK(s.b_ok);
    if (s.b_seconds >= 1.0) {
        fprintf(stdout, "    thread B's call took %.3f s while the callback slept 1.5 s\n",
                s.b_seconds);
    }
    CHECK(s.b_seconds < 1.0);
    ims_job_free(done);
    pthread_barrier_destroy(&s.barrier);
    ims_string_free(job);
    ims_string_free(other);
    ims_client_free(c);
}

/* ---- 4: fork(): parent and child query at once, each on its own connections ---- */

#define FORK_ROUNDS 40

static int query_rounds(ims_client *c, const char *job_id) {
    int ok = 0;
    for (int i = 0; i < FORK_ROUNDS; i++) {
        ok += query_ok(c, job_id);
    }
    return ok;
}

static void fork_child_never_uses_the_parents_connections(void) {
    ims_client *c = test_client(env("IMS_TEST_ENDPOINT"), NULL);
    CHECK(c != NULL);
    char *parent_job = create(c, "c-fork-parent");
    char *child_job = create(c, "c-fork-child");
    CHECK(parent_job != NULL && child_job != NULL);
    /* The parent's pool holds a connection now. */
    CHECK(query_ok(c, parent_job));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: its own queries, at the same time as the parent's; killed if it hangs. */
        alarm(60);
        int ok = query_rounds(c, child_job);
        _exit(ok == FORK_ROUNDS ? 0 : 10 + (ok % 100));
    }
    CHECK(pid > 0);
    watch("fork_child_never_uses_the_parents_connections", 90);
    int parent_ok = query_rounds(c, parent_job);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    unwatch();
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fprintf(stdout, "    child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(parent_ok == FORK_ROUNDS);
    /* The parent goes on as before. */
    CHECK(query_ok(c, parent_job));
    ims_string_free(parent_job);
    ims_string_free(child_job);
    ims_client_free(c);
}

int main(void) {
    g_program = "test_callbacks";
    pthread_t dog;
    if (pthread_create(&dog, NULL, watchdog, NULL) != 0) {
        fprintf(stdout, "FAIL %s: cannot start the watchdog\n", g_program);
        return 1;
    }
    pthread_detach(dog);
    RUN(callback_calls_the_client_it_waits_on);
    RUN(callback_waiting_on_another_threads_call_finishes);
    RUN(slow_callback_does_not_hold_up_another_thread);
    RUN(fork_child_never_uses_the_parents_connections);
    return finish();
}
