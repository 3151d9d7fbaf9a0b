/*
 * Fleet imaging through C against the emulator (IMS_TEST_FLEET_ENDPOINT: jobs of a second, an
 * image quota large enough for every run of this program): a five-item fleet succeeds and its
 * report's getters agree with its JSON; a rerun finds every item done; the callback sees the
 * events and calls the client back; a callback returning non-zero stops the run and a rerun
 * finishes it without creating again; a bad manifest is refused with its line numbers and
 * nothing sent; a journal held by a running fleet is refused to a second thread; a dry run sends
 * nothing; the journal's status reads while nothing holds it; the image calls (quota, list,
 * delete). A watchdog ends the program with a FAIL line if a case hangs.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

static ims_client *g_client = NULL;
static char g_dir[256];
static char g_stem[64];
static char g_manifest[400];
static char g_journal[400];
static char g_keys[5][32];

/* ---- the watchdog ---- */

static volatile int g_watch_deadline = 0;

static void *watchdog(void *arg) {
    (void)arg;
    for (;;) {
        sleep(1);
        if (g_watch_deadline > 0 && time(NULL) > g_watch_deadline) {
            fprintf(stdout, "FAIL %s: a case still runs after its limit (a hang)\n", g_program);
            fflush(stdout);
            _exit(1);
        }
    }
    return NULL;
}

static void watch(int seconds) { g_watch_deadline = (int)time(NULL) + seconds; }

/* ---- helpers ---- */

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return 0;
    }
    fputs(text, f);
    return fclose(f) == 0;
}

/* A manifest of `n` ECS items (keys g_keys[0..n-1]) at `path`. */
static int write_manifest(const char *path, int n, const char *tag) {
    char text[4096];
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < n; i++) {
        char instance[37];
        make_uuid(instance, (unsigned)(1000 + i));
        snprintf(g_keys[i], sizeof g_keys[i], "%s-%d", tag, i);
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 "{\"key\": \"%s\", \"name\": \"fleet-%s-%d\", \"instance_id\": "
                                 "\"%s\", \"vault_id\": \"de9fcf45-11b2-432c-8562-5c5428574600\"}\n",
                                 g_keys[i], tag, i, instance);
    }
    return write_file(path, text);
}

static uint64_t images_used(void) {
    uint64_t used = 0, quota = 0;
    if (ims_image_quota(g_client, &used, &quota) != IMS_OK) {
        fprintf(stdout, "    ims_image_quota: %s\n", ims_last_error_message());
        return UINT64_MAX;
    }
    return used;
}

/* Options of run `run` of the fleet (NULL: the manifest's stem), polling fast. */
static ims_fleet_options *fleet_options(const char *fleet, const char *run) {
    ims_fleet_options *o = NULL;
    ims_wait_options w = fast_wait(200, 120000);
    if (ims_fleet_options_new(fleet, run, &o) != IMS_OK ||
        ims_fleet_options_set_parallel(o, 5) != IMS_OK ||
        ims_fleet_options_set_wait(o, &w) != IMS_OK) {
        fprintf(stdout, "    cannot make fleet options: %s\n", ims_last_error_message());
        ims_fleet_options_free(o);
        return NULL;
    }
    return o;
}

/* What a callback saw. */
typedef struct {
    int events;
    int started;
    int submitted;
    int succeeded;
    int stopping;
    int progress;
    int json_ok;
    int quota_calls_ok;
    int stop_at_submitted; /* return non-zero on the first submitted item */
    int events_after_stop;
    ims_result locked_rc;  /* of the second run tried from another thread */
    char locked_message[512];
} seen;

static int on_event(const ims_fleet_event *ev, void *user_data) {
    seen *s = (seen *)user_data;
    s->events++;
    const char *json = ims_fleet_event_json(ev);
    if (json != NULL && json[0] == '{' && contains(json, "\"event\":")) {
        s->json_ok++;
    }
    if (s->stopping) {
        s->events_after_stop++;
    }
    switch (ims_fleet_event_kind(ev)) {
    case IMS_FLEET_EVENT_STARTED:
        s->started++;
        break;
    case IMS_FLEET_EVENT_PROGRESS:
        s->progress++;
        break;
    case IMS_FLEET_EVENT_STOPPING:
        s->stopping++;
        break;
    case IMS_FLEET_EVENT_ITEM:
        if (ims_fleet_event_key(ev) == NULL) {
            return 0;
        }
        if (ims_fleet_event_state(ev) == IMS_FLEET_STATE_SUBMITTED) {
            s->submitted++;
            /* The callback may call the library back, on the client that runs the fleet. */
            uint64_t used = 0, quota = 0;
            if (ims_image_quota(g_client, &used, &quota) == IMS_OK && quota >= used) {
                s->quota_calls_ok++;
            }
            if (ims_fleet_event_job_id(ev) == NULL) {
                s->json_ok = -1000;
            }
            if (s->stop_at_submitted) {
                return 1;
            }
        }
        if (ims_fleet_event_state(ev) == IMS_FLEET_STATE_SUCCEEDED) {
            s->succeeded++;
            if (ims_fleet_event_image_id(ev) == NULL) {
                s->json_ok = -1000;
            }
        }
        break;
    default:
        break;
    }
    return 0;
}

/* Whether the report's getters and its JSON agree on every item. */
static int report_agrees(const ims_fleet_report *r) {
    const char *json = ims_fleet_report_json(r);
    int ok = json != NULL;
    size_t n = ims_fleet_report_item_count(r);
    for (size_t i = 0; ok && i < n; i++) {
        char needle[256];
        snprintf(needle, sizeof needle, "\"key\":\"%s\"", ims_fleet_report_item_key(r, i));
        ok = ok && contains(json, needle);
        snprintf(needle, sizeof needle, "\"state\":\"%s\"",
                 ims_fleet_state_str(ims_fleet_report_item_state(r, i)));
        ok = ok && contains(json, needle);
        if (ims_fleet_report_item_image_id(r, i) != NULL) {
            snprintf(needle, sizeof needle, "\"image_id\":\"%s\"",
                     ims_fleet_report_item_image_id(r, i));
            ok = ok && contains(json, needle);
        }
        if (ims_fleet_report_item_job_id(r, i) != NULL) {
            snprintf(needle, sizeof needle, "\"job_id\":\"%s\"", ims_fleet_report_item_job_id(r, i));
            ok = ok && contains(json, needle);
        }
    }
    char outcome[64];
    snprintf(outcome, sizeof outcome, "\"outcome\":\"%s\"",
             ims_fleet_outcome_str(ims_fleet_report_outcome(r)));
    return ok && contains(json, outcome);
}

/* ---- cases ---- */

static char g_first_images[5][64];

static void five_items_succeed(void) {
    watch(300);
    seen s;
    memset(&s, 0, sizeof s);
    ims_fleet_options *o = fleet_options(NULL, "run-1");
    ims_fleet_report *r = NULL;
    uint64_t before = images_used();
    CHECK(o != NULL);
    CHECK_OK(ims_fleet_run(g_client, g_manifest, g_journal, o, on_event, &s, &r));
    CHECK(r != NULL);
    CHECK(ims_fleet_report_outcome(r) == IMS_FLEET_OUTCOME_SUCCEEDED);
    CHECK(!ims_fleet_report_stopped(r));
    CHECK(!ims_fleet_report_dry_run(r));
    CHECK(ims_fleet_report_item_count(r) == 5);
    for (size_t i = 0; i < 5; i++) {
        CHECK(same(ims_fleet_report_item_key(r, i), g_keys[i]));
        CHECK(ims_fleet_report_item_state(r, i) == IMS_FLEET_STATE_SUCCEEDED);
        CHECK(ims_fleet_report_item_line(r, i) == i + 1);
        CHECK(!ims_fleet_report_item_already_done(r, i));
        CHECK(ims_fleet_report_item_job_id(r, i) != NULL);
        CHECK(ims_fleet_report_item_image_id(r, i) != NULL);
        CHECK(ims_fleet_report_item_error_code(r, i) == NULL);
        if (ims_fleet_report_item_image_id(r, i) != NULL) {
            snprintf(g_first_images[i], sizeof g_first_images[i], "%s",
                     ims_fleet_report_item_image_id(r, i));
        }
    }
    /* Out of range: NULL and the documented defaults. */
    CHECK(ims_fleet_report_item_key(r, 5) == NULL);
    CHECK(ims_fleet_report_item_state(r, 5) == IMS_FLEET_STATE_NONE);
    CHECK(ims_fleet_report_item_line(r, 99) == 0);
    CHECK(report_agrees(r));
    CHECK(contains(ims_fleet_report_json(r), g_stem)); /* the fleet is the manifest's stem */
    CHECK(contains(ims_fleet_report_json(r), "\"run\":\"run-1\""));
    /* The callback saw the run start, every item submitted and succeeded, and called back. */
    CHECK(s.started == 1);
    CHECK(s.submitted == 5);
    CHECK(s.succeeded == 5);
    CHECK(s.quota_calls_ok == 5);
    CHECK(s.json_ok == s.events);
    CHECK(s.stopping == 0);
    CHECK(images_used() == before + 5);
    ims_fleet_report_free(r);
    ims_fleet_options_free(o);
}

static void rerun_finds_every_item_done(void) {
    watch(120);
    seen s;
    memset(&s, 0, sizeof s);
    ims_fleet_options *o = fleet_options(NULL, "run-1");
    ims_fleet_report *r = NULL;
    uint64_t before = images_used();
    CHECK_OK(ims_fleet_run(g_client, g_manifest, g_journal, o, on_event, &s, &r));
    CHECK(ims_fleet_report_outcome(r) == IMS_FLEET_OUTCOME_SUCCEEDED);
    CHECK(ims_fleet_report_item_count(r) == 5);
    for (size_t i = 0; i < 5; i++) {
        CHECK(ims_fleet_report_item_already_done(r, i));
        CHECK(ims_fleet_report_item_state(r, i) == IMS_FLEET_STATE_SUCCEEDED);
        CHECK(same(ims_fleet_report_item_image_id(r, i), g_first_images[i]));
    }
    CHECK(contains(ims_fleet_report_json(r), "\"already_done\":5"));
    CHECK(report_agrees(r));
    CHECK(s.submitted == 0);
    CHECK(images_used() == before);
    ims_fleet_report_free(r);
    ims_fleet_options_free(o);
}

static void a_callback_stops_the_run(void) {
    watch(300);
    seen s;
    memset(&s, 0, sizeof s);
    s.stop_at_submitted = 1;
    ims_fleet_options *o = fleet_options(NULL, "run-stop");
    ims_fleet_report *r = NULL;
    CHECK_OK(ims_fleet_options_set_parallel(o, 1));
    CHECK_OK(ims_fleet_run(g_client, g_manifest, g_journal, o, on_event, &s, &r));
    CHECK(ims_fleet_report_stopped(r));
    CHECK(ims_fleet_report_outcome(r) == IMS_FLEET_OUTCOME_INCOMPLETE);
    CHECK(s.submitted == 1);
    CHECK(s.stopping == 1);
    CHECK(s.succeeded == 0);
    size_t submitted = 0, finished = 0;
    char job[64] = "";
    for (size_t i = 0; i < ims_fleet_report_item_count(r); i++) {
        uint32_t st = ims_fleet_report_item_state(r, i);
        if (st == IMS_FLEET_STATE_SUBMITTED) {
            submitted++;
            snprintf(job, sizeof job, "%s", ims_fleet_report_item_job_id(r, i));
        }
        if (st == IMS_FLEET_STATE_SUCCEEDED || st == IMS_FLEET_STATE_FAILED) {
            finished++;
        }
    }
    CHECK(submitted == 1);
    CHECK(finished == 0);
    CHECK(contains(ims_fleet_report_json(r), "\"stopped\":true"));
    CHECK(report_agrees(r));
    ims_fleet_report_free(r);
    /* A rerun finishes it: the submitted item is waited for, not created again. */
    memset(&s, 0, sizeof s);
    uint64_t before = images_used();
    r = NULL;
    CHECK_OK(ims_fleet_options_set_parallel(o, 5));
    CHECK_OK(ims_fleet_run(g_client, g_manifest, g_journal, o, on_event, &s, &r));
    CHECK(ims_fleet_report_outcome(r) == IMS_FLEET_OUTCOME_SUCCEEDED);
    CHECK(!ims_fleet_report_stopped(r));
    CHECK(s.submitted == 4);
    CHECK(images_used() == before + 4);
    int job_kept = 0;
    for (size_t i = 0; i < ims_fleet_report_item_count(r); i++) {
        job_kept += same(ims_fleet_report_item_job_id(r, i), job);
    }
    CHECK(job_kept == 1);
    ims_fleet_report_free(r);
    ims_fleet_options_free(o);
}

static void a_bad_manifest_sends_nothing(void) {
    watch(60);
    char path[400];
    snprintf(path, sizeof path, "%s/bad.jsonl", g_dir);
    CHECK(write_file(path, "{\"key\": \"a\", \"name\": \"ok\", \"backup_id\": "
                           "\"b1\", \"whole_image_type\": \"CBR\"}\n"
                           "{not json\n"
                           "{\"name\": \"x\", \"colour\": \"red\", \"backup_id\": \"b2\", "
                           "\"whole_image_type\": \"CBR\"}\n"));
    ims_fleet_options *o = fleet_options("bad", "r");
    ims_fleet_report *sentinel = (ims_fleet_report *)&g_client;
    ims_fleet_report *r = sentinel;
    char journal[400];
    snprintf(journal, sizeof journal, "%s/bad.sqlite", g_dir);
    uint64_t before = images_used();
    CHECK_RC(ims_fleet_run(g_client, path, journal, o, on_event, NULL, &r), IMS_ERR_MANIFEST);
    CHECK(r == sentinel);
    CHECK(contains(ims_last_error_message(), "line 2"));
    CHECK(contains(ims_last_error_message(), "line 3"));
    CHECK(contains(ims_last_error_message(), "colour"));
    CHECK(!contains(ims_last_error_message(), "line 1:"));
    CHECK(same(ims_result_str(IMS_ERR_MANIFEST), "manifest"));
    /* A manifest that is not UTF-8 text, or cannot be read, is the same code. */
    CHECK(write_file(path, "{\"key\": \"\xff\xfe\", \"name\": \"x\"}\n"));
    CHECK_RC(ims_fleet_run(g_client, path, journal, o, NULL, NULL, &r), IMS_ERR_MANIFEST);
    CHECK(contains(ims_last_error_message(), "UTF-8"));
    snprintf(path, sizeof path, "%s/missing.jsonl", g_dir);
    CHECK_RC(ims_fleet_run(g_client, path, journal, o, NULL, NULL, &r), IMS_ERR_MANIFEST);
    CHECK(r == sentinel);
    CHECK(images_used() == before);
    ims_fleet_options_free(o);
}

static void *run_on_held_journal(void *arg) {
    seen *s = (seen *)arg;
    ims_fleet_options *o = fleet_options(NULL, "run-second");
    ims_fleet_report *r = NULL;
    s->locked_rc = ims_fleet_run(g_client, g_manifest, g_journal, o, NULL, NULL, &r);
    snprintf(s->locked_message, sizeof s->locked_message, "%s", ims_last_error_message());
    ims_fleet_report_free(r);
    ims_fleet_options_free(o);
    return NULL;
}

static int try_second_run(const ims_fleet_event *ev, void *user_data) {
    seen *s = (seen *)user_data;
    if (ims_fleet_event_kind(ev) == IMS_FLEET_EVENT_STARTED) {
        pthread_t t;
        if (pthread_create(&t, NULL, run_on_held_journal, s) == 0) {
            pthread_join(t, NULL);
        }
    }
    return 0;
}

static void a_held_journal_is_refused(void) {
    watch(120);
    seen s;
    memset(&s, 0, sizeof s);
    s.locked_rc = IMS_OK;
    /* A run with work to do: it holds the journal while its jobs run (the started event comes
     * while the first jobs are running; events of a run with nothing to do may come after it
     * has ended and released the journal). */
    ims_fleet_options *o = fleet_options(NULL, "run-held");
    ims_fleet_report *r = NULL;
    CHECK_OK(ims_fleet_run(g_client, g_manifest, g_journal, o, try_second_run, &s, &r));
    CHECK(s.locked_rc == IMS_ERR_JOURNAL_LOCKED);
    CHECK(contains(s.locked_message, g_journal));
    CHECK(contains(s.locked_message, "held by another"));
    CHECK(ims_fleet_report_outcome(r) == IMS_FLEET_OUTCOME_SUCCEEDED);
    ims_fleet_report_free(r);
    /* Released when the run ends: the same run goes through now. */
    r = NULL;
    CHECK_OK(ims_fleet_run(g_client, g_manifest, g_journal, o, NULL, NULL, &r));
    CHECK(ims_fleet_report_item_count(r) == 5);
    CHECK(ims_fleet_report_item_already_done(r, 0));
    ims_fleet_report_free(r);
    ims_fleet_options_free(o);
}

static void another_fleets_journal_is_refused(void) {
    ims_fleet_options *o = fleet_options("another-fleet", "run-1");
    ims_fleet_report *r = NULL;
    CHECK_RC(ims_fleet_run(g_client, g_manifest, g_journal, o, NULL, NULL, &r), IMS_ERR_JOURNAL);
    CHECK(contains(ims_last_error_message(), "another-fleet"));
    CHECK(r == NULL);
    /* A file that is not a journal. */
    char path[400];
    snprintf(path, sizeof path, "%s/not-a-journal.txt", g_dir);
    CHECK(write_file(path, "this is not a SQLite database, not even close to one.\n"));
    CHECK_RC(ims_fleet_run(g_client, g_manifest, path, o, NULL, NULL, &r), IMS_ERR_JOURNAL);
    CHECK(r == NULL);
    ims_fleet_options_free(o);
}

static void a_dry_run_sends_nothing(void) {
    watch(60);
    ims_fleet_options *o = fleet_options(NULL, "run-dry");
    ims_fleet_report *r = NULL;
    uint64_t before = images_used();
    CHECK_OK(ims_fleet_options_set_dry_run(o, true));
    CHECK_OK(ims_fleet_run(g_client, g_manifest, g_journal, o, NULL, NULL, &r));
    CHECK(ims_fleet_report_dry_run(r));
    CHECK(ims_fleet_report_item_count(r) == 5);
    CHECK(contains(ims_fleet_report_json(r), "\"action\":\"create\""));
    CHECK(images_used() == before);
    ims_fleet_report_free(r);
    ims_fleet_options_free(o);
}

static void the_status_reads_the_journal(void) {
    char *json = NULL;
    CHECK_OK(ims_fleet_status_json(g_journal, &json));
    CHECK(contains(json, g_stem));
    CHECK(contains(json, "\"run\":\"run-1\""));
    CHECK(contains(json, "\"run\":\"run-stop\""));
    CHECK(!contains(json, "\"run\":\"run-dry\"")); /* a dry run writes nothing */
    CHECK(contains(json, "\"state\":\"succeeded\""));
    CHECK(contains(json, g_keys[4]));
    ims_string_free(json);
    char path[400];
    char *sentinel = (char *)&g_client;
    json = sentinel;
    snprintf(path, sizeof path, "%s/never-made.sqlite", g_dir);
    CHECK_RC(ims_fleet_status_json(path, &json), IMS_ERR_JOURNAL);
    CHECK(json == sentinel);
}

static void image_calls(void) {
    watch(60);
    uint64_t used = 0, quota = 0;
    CHECK_OK(ims_image_quota(g_client, &used, &quota));
    CHECK(quota == 1000);
    CHECK(used >= 15 && used <= quota);
    char *json = NULL;
    CHECK_OK(ims_list_images(g_client, "{\"imagetype\": \"private\", \"whole_image\": true, "
                                       "\"page_size\": 2, \"sort_key\": \"created_at\"}",
                             &json));
    for (int i = 0; i < 5; i++) {
        CHECK(contains(json, g_first_images[i]));
    }
    CHECK(contains(json, "\"tags\":{"));
    ims_string_free(json);
    json = NULL;
    CHECK_OK(ims_list_images(g_client, NULL, &json));
    CHECK(contains(json, "{\"images\":["));
    ims_string_free(json);
    /* A bad query is refused before anything is sent. */
    char *sentinel = (char *)&g_client;
    json = sentinel;
    CHECK_RC(ims_list_images(g_client, "{\"colour\": 1, \"page_size\": 0}", &json),
             IMS_ERR_VALIDATION);
    CHECK(contains(ims_last_error_message(), "colour"));
    CHECK(contains(ims_last_error_message(), "page_size"));
    CHECK_RC(ims_list_images(g_client, "[]", &json), IMS_ERR_VALIDATION);
    CHECK(json == sentinel);
    /* Delete one of the fleet's images: it leaves the list of active images. */
    CHECK_OK(ims_delete_image(g_client, g_first_images[0], false));
    json = NULL;
    int gone = 0;
    for (int tries = 0; tries < 100 && !gone; tries++) {
        json = NULL;
        CHECK_OK(ims_list_images(g_client, "{\"status\": \"active\"}", &json));
        gone = json != NULL && !contains(json, g_first_images[0]);
        ims_string_free(json);
        if (!gone) {
            struct timespec t = {0, 100000000};
            nanosleep(&t, NULL);
        }
    }
    CHECK(gone);
    CHECK_RC(ims_delete_image(g_client, "no-such-image", false), IMS_ERR_API);
}

int main(void) {
    g_program = "test_fleet";
    pthread_t dog;
    if (pthread_create(&dog, NULL, watchdog, NULL) != 0) {
        fprintf(stdout, "FAIL test_fleet: cannot start the watchdog\n");
        return 1;
    }
    pthread_detach(dog);
    snprintf(g_dir, sizeof g_dir, "%s/ims-fleet-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(g_dir) == NULL) {
        fprintf(stdout, "FAIL test_fleet: mkdtemp\n");
        return 1;
    }
    /* The fleet's name is the manifest's stem: one per process, so that reruns under valgrind
     * against the same emulator start afresh. */
    snprintf(g_stem, sizeof g_stem, "cfleet-%ld-%ld", (long)getpid(), (long)time(NULL));
    snprintf(g_manifest, sizeof g_manifest, "%s/%s.jsonl", g_dir, g_stem);
    snprintf(g_journal, sizeof g_journal, "%s/journal.sqlite", g_dir);
    g_client = test_client(env("IMS_TEST_FLEET_ENDPOINT"), NULL);
    if (g_client == NULL || !write_manifest(g_manifest, 5, g_stem)) {
        fprintf(stdout, "FAIL test_fleet: set-up\n");
        return 1;
    }
    RUN(five_items_succeed);
    RUN(rerun_finds_every_item_done);
    RUN(a_callback_stops_the_run);
    RUN(a_bad_manifest_sends_nothing);
    RUN(a_held_journal_is_refused);
    RUN(another_fleets_journal_is_refused);
    RUN(a_dry_run_sends_nothing);
    RUN(the_status_reads_the_journal);
    RUN(image_calls);
    g_watch_deadline = 0;
    ims_client_free(g_client);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) {
        fprintf(stdout, "    could not remove %s\n", g_dir);
    }
    return finish();
}
