/*
 * Tests of the fixbook C API: every function, every error path, one engine shared by
 * 8 threads, and 16 threads querying while another reloads good and broken pack sets.
 * Plain C99 that also compiles as C++ (the header must be C++-clean).
 *
 * Run by bindings/c/run-tests.sh, natively, under valgrind, with sanitizers and linked
 * statically. Environment:
 *   FIXBOOK_TEST_ITERATIONS      queries per thread in the thread test (default 1000)
 *   FIXBOOK_TEST_RELOADS         reloads while those threads query (default 2)
 *   FIXBOOK_TEST_RELOAD_CYCLES   reloads, alternately broken and good, while 16 other
 *                                threads query (default 100)
 *   FIXBOOK_TEST_RELOAD_QUERIES  queries per thread then (default 0: until the reloads end)
 *   FIXBOOK_TEST_RELOAD_PAUSE_MS pause after each of those queries (default 10 ms)
 *   FIXBOOK_TEST_DEADLINE        seconds those 17 threads have to finish (default 600)
 *   FIXBOOK_TEST_VERSION         the expected fixbook_version() (optional)
 * The test sets FIXBOOK_PACK_PATH and XDG_DATA_HOME itself, to folders it creates.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp, setenv, nftw */
#endif
#include "fixbook.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------- */
/* A tiny test harness                                                                        */
/* ---------------------------------------------------------------------------------------- */

static int g_passed = 0;
static int g_failed = 0;

static void check_at(int ok, const char *what, int line) {
    if (ok) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "FAIL test_fixbook.c:%d: %s\n", line, what);
    }
}
#define CHECK(cond) check_at((cond) ? 1 : 0, #cond, __LINE__)

static int contains(const char *haystack, const char *needle) {
    return haystack != NULL && needle != NULL && strstr(haystack, needle) != NULL;
}

/* Checks that `*err` holds an error with `code` whose message contains `needle` (when not
 * NULL), then frees it and clears the slot. */
static void expect_error_at(FixbookError **err, int code, const char *needle, int line) {
    char what[512];
    const char *msg = fixbook_error_message(*err);
    int ok = *err != NULL && fixbook_error_code(*err) == code && msg != NULL && msg[0] != '\0' &&
             (needle == NULL || contains(msg, needle));
    snprintf(what, sizeof what, "expected error %d containing \"%s\", got %d: %.300s", code,
             needle ? needle : "", fixbook_error_code(*err), msg ? msg : "(null)");
    check_at(ok, what, line);
    fixbook_error_free(*err);
    *err = NULL;
}
#define EXPECT_ERROR(err, code, needle) expect_error_at(&(err), (code), (needle), __LINE__)

/* Prints an unexpected error (if any) and frees it. */
static void no_error_at(FixbookError **err, int line) {
    char what[512];
    snprintf(what, sizeof what, "unexpected error %d: %.400s", fixbook_error_code(*err),
             fixbook_error_message(*err));
    check_at(*err == NULL, what, line);
    fixbook_error_free(*err);
    *err = NULL;
}
#define NO_ERROR(err) no_error_at(&(err), __LINE__)

/* The id of the best match, copied into `out` ("" when there is no match). */
static const char *top_id(const char *json, char *out, size_t size) {
    const char *key = "\"matches\":[{\"id\":\"";
    const char *p = json ? strstr(json, key) : NULL;
    size_t n = 0;
    out[0] = '\0';
    if (p == NULL) {
        return out;
    }
    p += strlen(key);
    while (p[n] != '\0' && p[n] != '"' && n + 1 < size) {
        n++;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one test section and prints how long it took. */
static void section(const char *name, void (*test)(void)) {
    double start = now();
    int failed = g_failed;
    test();
    printf("%-28s %s %6.2f s\n", name, g_failed == failed ? "ok  " : "FAIL", now() - start);
    fflush(stdout);
}

/* ---------------------------------------------------------------------------------------- */
/* Files                                                                                      */
/* ---------------------------------------------------------------------------------------- */

static char g_tmp[256];

static void path_in_tmp(char *out, size_t size, const char *rel) {
    snprintf(out, size, "%s/%s", g_tmp, rel);
}

static void make_dir(const char *rel) {
    char path[512];
    path_in_tmp(path, sizeof path, rel);
    if (mkdir(path, 0700) != 0) {
        perror(path);
        exit(2);
    }
}

static void write_file(const char *rel, const char *text) {
    char path[512];
    FILE *f;
    path_in_tmp(path, sizeof path, rel);
    f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path) {
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *const GOOD_PACK =
    "format = 1\n"
    "id = \"ctest\"\n"
    "name = \"C test pack\"\n"
    "version = \"1.0.0\"\n"
    "description = \"A pack written by the C binding's tests.\"\n"
    "\n"
    "[facts.\"disk.full\"]\n"
    "type = \"bool\"\n"
    "question = \"Is the disk full?\"\n"
    "\n"
    "[facts.\"disk.kind\"]\n"
    "type = \"enum\"\n"
    "values = [\"local\", \"network\"]\n"
    "question = \"Is the disk local or a network share?\"\n"
    "\n"
    "[[entries]]\n"
    "id = \"write-failed\"\n"
    "title = \"Writing a file fails with no space left on device\"\n"
    "summary = \"The file system refused a write.\"\n"
    "keywords = [\"disk full\", \"write failed\"]\n"
    "signatures = [{ id = \"enospc\", pattern = '(?i)no space left on device' }]\n"
    "\n"
    "  [[entries.causes]]\n"
    "  id = \"disk-full\"\n"
    "  title = \"The disk is full\"\n"
    "  check = 'fact(\"disk.full\")'\n"
    "  remedy = [\"Free some space on the disk.\"]\n"
    "\n"
    "  [[entries.causes]]\n"
    "  id = \"quota\"\n"
    "  title = \"A network share quota is reached\"\n"
    "  check = 'fact(\"disk.kind\") == \"network\"'\n"
    "  remedy = [\"Ask for a larger quota.\"]\n";

/* A TOML syntax error on line 3 (an unterminated string). */
static const char *const BROKEN_PACK =
    "format = 1\n"
    "id = \"broken\"\n"
    "name = \"Broken\n"
    "version = \"1.0.0\"\n";

static const char *const SESSION_TEXT = "Session token not found or invalid";
static const char *const SESSION_ID = "aws-iam-identity-center/session-token-invalid";

/* ---------------------------------------------------------------------------------------- */
/* Tests                                                                                      */
/* ---------------------------------------------------------------------------------------- */

static void test_version(void) {
    const char *v = fixbook_version();
    const char *want = getenv("FIXBOOK_TEST_VERSION");
    CHECK(v != NULL);
    CHECK(v != NULL && v[0] >= '0' && v[0] <= '9' && strchr(v, '.') != NULL);
    if (want != NULL && want[0] != '\0') {
        CHECK(v != NULL && strcmp(v, want) == 0);
    }
    CHECK(fixbook_version() == v); /* static */
}

static void test_null_arguments(void) {
    FixbookError *err = NULL;
    const char *dirs_with_null[2] = {NULL, NULL};
    FixbookEngine *engine;

    /* freeing NULL is a no-op; NULL errors read as "no error" */
    fixbook_engine_free(NULL);
    fixbook_string_free(NULL);
    fixbook_error_free(NULL);
    CHECK(fixbook_error_code(NULL) == FIXBOOK_OK);
    CHECK(fixbook_error_message(NULL) != NULL && fixbook_error_message(NULL)[0] == '\0');

    CHECK(fixbook_engine_new(NULL, 1, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "pack_dirs");
    dirs_with_null[0] = "/tmp";
    CHECK(fixbook_engine_new(dirs_with_null, 2, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "pack_dirs[1]");
    CHECK(fixbook_engine_new(NULL, 1, NULL) == NULL); /* no error slot: still no crash */

    CHECK(fixbook_engine_reload(NULL, &err) == FIXBOOK_ERR_NULL_ARGUMENT);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "engine");
    CHECK(fixbook_engine_reload(NULL, NULL) == FIXBOOK_ERR_NULL_ARGUMENT);

    CHECK(fixbook_engine_packs_json(NULL, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "engine");
    CHECK(fixbook_engine_skipped_json(NULL, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "engine");
    CHECK(fixbook_search_json(NULL, "x", 5, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "engine");
    CHECK(fixbook_diagnose_json(NULL, "{}", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "engine");

    engine = fixbook_engine_new(NULL, 0, &err); /* an engine with no packs */
    NO_ERROR(err);
    CHECK(engine != NULL);
    CHECK(fixbook_search_json(engine, NULL, 5, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "text");
    CHECK(fixbook_search_json(engine, NULL, 5, NULL) == NULL);
    CHECK(fixbook_diagnose_json(engine, NULL, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_NULL_ARGUMENT, "request_json");
    CHECK(fixbook_diagnose_json(engine, NULL, NULL) == NULL);
    fixbook_engine_free(engine);
}

static void test_empty_engine(void) {
    int sentinel = 0;
    FixbookError *err = (FixbookError *)(void *)&sentinel; /* success must clear the slot */
    FixbookEngine *engine = fixbook_engine_new(NULL, 0, &err);
    char *json;
    CHECK(engine != NULL);
    CHECK(err == NULL);

    err = (FixbookError *)(void *)&sentinel;
    json = fixbook_search_json(engine, "anything at all", 5, &err);
    CHECK(err == NULL);
    CHECK(json != NULL && strcmp(json, "{\"matches\":[],\"questions\":[]}") == 0);
    fixbook_string_free(json);

    json = fixbook_engine_packs_json(engine, &err);
    NO_ERROR(err);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    fixbook_string_free(json);

    json = fixbook_engine_skipped_json(engine, NULL);
    CHECK(json != NULL && strcmp(json, "[]") == 0);
    fixbook_string_free(json);

    CHECK(fixbook_engine_reload(engine, &err) == FIXBOOK_OK);
    NO_ERROR(err);
    fixbook_engine_free(engine);
}

static FixbookEngine *open_one(const char *rel, FixbookError **err) {
    char path[512];
    const char *dirs[1];
    path_in_tmp(path, sizeof path, rel);
    dirs[0] = path;
    return fixbook_engine_new(dirs, 1, err);
}

static void test_search_and_diagnose(void) {
    FixbookError *err = NULL;
    FixbookEngine *engine = open_one("good", &err);
    char id[256];
    char *json;
    char *big;
    size_t i, big_size = 256 * 1024;
    const char *filler = "lorem ipsum dolor sit amet ";

    NO_ERROR(err);
    CHECK(engine != NULL);
    if (engine == NULL) {
        return;
    }

    json = fixbook_engine_packs_json(engine, &err);
    NO_ERROR(err);
    CHECK(contains(json, "\"id\":\"ctest\"") && contains(json, "\"entries\":1"));
    fixbook_string_free(json);

    /* search */
    json = fixbook_search_json(engine, "cp: write error: No space left on device", 5, &err);
    NO_ERROR(err);
    CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
    CHECK(contains(json, "\"confidence\":") && contains(json, "\"remedy\":[") &&
          contains(json, "\"questions\":["));
    CHECK(contains(json, "\"verdict\":\"unknown\"")); /* no facts: causes undecided */
    fixbook_string_free(json);

    /* limit 0 means the default */
    json = fixbook_search_json(engine, "No space left on device", 0, NULL);
    CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
    fixbook_string_free(json);

    /* nothing relevant: no guess */
    json = fixbook_search_json(engine, "the weather is lovely today", 5, &err);
    NO_ERROR(err);
    CHECK(contains(json, "\"matches\":[]"));
    fixbook_string_free(json);

    /* hostile query syntax is just text */
    json = fixbook_search_json(engine, "error: \"(x AND -y) [z]\" ::: \\ NOT {} * ? ~ ^ write", 5,
                               &err);
    NO_ERROR(err);
    CHECK(json != NULL && contains(json, "\"matches\":["));
    fixbook_string_free(json);

    /* invalid UTF-8 in search text: replaced, noted, still answered */
    json = fixbook_search_json(engine, "No space left \xff\xfe on device \xc3 write failed", 5,
                               &err);
    NO_ERROR(err);
    CHECK(json != NULL && contains(json, "not valid UTF-8"));
    CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
    fixbook_string_free(json);

    /* a large paste */
    big = (char *)malloc(big_size + 64);
    CHECK(big != NULL);
    if (big != NULL) {
        size_t len = strlen(filler);
        for (i = 0; i + len < big_size; i += len) {
            memcpy(big + i, filler, len);
        }
        strcpy(big + i, "No space left on device");
        json = fixbook_search_json(engine, big, 3, &err);
        NO_ERROR(err);
        CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
        fixbook_string_free(json);
        free(big);
    }

    /* diagnose: facts decide causes */
    json = fixbook_diagnose_json(
        engine, "{\"text\": \"No space left on device\", \"facts\": {\"disk.full\": true}}", &err);
    NO_ERROR(err);
    CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
    CHECK(contains(json, "\"id\":\"disk-full\",\"title\":\"The disk is full\",\"verdict\":\"confirmed\""));
    fixbook_string_free(json);

    json = fixbook_diagnose_json(engine,
                                 "{\"text\": \"No space left on device\", \"facts\": "
                                 "{\"disk.full\": \"false\", \"disk.kind\": \"network\"}, "
                                 "\"limit\": 1, \"packs\": [\"ctest\"], \"trace\": true}",
                                 &err);
    NO_ERROR(err);
    CHECK(contains(json, "\"verdict\":\"confirmed\"") && contains(json, "\"verdict\":\"ruled_out\""));
    CHECK(contains(json, "\"trace\":{"));
    fixbook_string_free(json);

    json = fixbook_diagnose_json(engine, "{}", &err); /* every field is optional */
    NO_ERROR(err);
    CHECK(contains(json, "\"matches\":[]"));
    fixbook_string_free(json);

    /* diagnose: error paths */
    CHECK(fixbook_diagnose_json(engine, "{\"text\": \"x\", \"facts\": {\"disk.kind\": \"floppy\"}}",
                                &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_FACT, "disk.kind");
    CHECK(fixbook_diagnose_json(engine, "{\"text\": \"x\", \"facts\": {\"disk.full\": 42}}", &err) ==
          NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_FACT, "disk.full");
    CHECK(fixbook_diagnose_json(engine, "{\"text\": \"No space", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_INVALID_REQUEST, "line 1");
    CHECK(fixbook_diagnose_json(engine, "", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_INVALID_REQUEST, NULL);
    CHECK(fixbook_diagnose_json(engine, "[1, 2]", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_INVALID_REQUEST, NULL);
    CHECK(fixbook_diagnose_json(engine, "{\"txt\": \"typo\"}", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_INVALID_REQUEST, "txt");
    CHECK(fixbook_diagnose_json(engine, "{\"text\": \"x\", \"limit\": \"ten\"}", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_INVALID_REQUEST, "column");
    CHECK(fixbook_diagnose_json(engine, "{\"text\": \"x\"} trailing", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_INVALID_REQUEST, NULL);
    CHECK(fixbook_diagnose_json(engine, "{\"text\": \"bad \xff byte\"}", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_INVALID_UTF8, "UTF-8");
    CHECK(fixbook_diagnose_json(engine, "{not json", NULL) == NULL); /* no error slot */

    /* the error owns its message: it stays valid across other calls until freed */
    CHECK(fixbook_diagnose_json(engine, "{\"nope\": 1}", &err) == NULL);
    {
        const char *msg = fixbook_error_message(err);
        char *other = fixbook_search_json(engine, "No space left on device", 1, NULL);
        CHECK(fixbook_error_message(err) == msg && contains(msg, "nope"));
        fixbook_string_free(other);
    }
    fixbook_error_free(err);
    err = NULL;

    fixbook_engine_free(engine);
}

static void test_broken_and_missing_packs(void) {
    FixbookError *err = NULL;
    char good[512], broken[512];
    const char *both[2];
    const char *missing[1] = {"/nonexistent/fixbook-c-test/packs"};

    CHECK(open_one("broken", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_PACK, "pack.toml:3:");
    CHECK(open_one("broken", NULL) == NULL);

    /* loading is strict: one broken pack fails the call */
    path_in_tmp(good, sizeof good, "good");
    path_in_tmp(broken, sizeof broken, "broken");
    both[0] = good;
    both[1] = broken;
    CHECK(fixbook_engine_new(both, 2, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_PACK, "TOML syntax");

    CHECK(fixbook_engine_new(missing, 1, &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_IO, "/nonexistent/fixbook-c-test/packs");

    /* a folder with no pack in it is an error too (a pack's pack.toml may be missing): a
       pack error naming the folder, as the engine decides (Error::kind() maps to codes) */
    CHECK(open_one("empty", &err) == NULL);
    EXPECT_ERROR(err, FIXBOOK_ERR_PACK, "no pack here");
}

static void test_reload(void) {
    FixbookError *err = NULL;
    FixbookEngine *engine;
    char id[256];
    char *json;
    char *edited;
    const char *from = "title = \"Writing a file fails";
    const char *pos;

    make_dir("reload");
    write_file("reload/pack.toml", GOOD_PACK);
    engine = open_one("reload", &err);
    NO_ERROR(err);
    CHECK(engine != NULL);
    if (engine == NULL) {
        return;
    }
    CHECK(fixbook_engine_reload(engine, &err) == FIXBOOK_OK);
    NO_ERROR(err);

    /* a broken edit: reload fails, the old packs stay */
    write_file("reload/pack.toml", BROKEN_PACK);
    CHECK(fixbook_engine_reload(engine, &err) == FIXBOOK_ERR_PACK);
    EXPECT_ERROR(err, FIXBOOK_ERR_PACK, "pack.toml:3:");
    CHECK(fixbook_engine_reload(engine, NULL) == FIXBOOK_ERR_PACK);
    json = fixbook_search_json(engine, "No space left on device", 5, &err);
    NO_ERROR(err);
    CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
    fixbook_string_free(json);

    /* a good edit: reload picks it up */
    edited = (char *)malloc(strlen(GOOD_PACK) + 16);
    pos = strstr(GOOD_PACK, from);
    CHECK(edited != NULL && pos != NULL);
    if (edited != NULL && pos != NULL) {
        size_t head = (size_t)(pos - GOOD_PACK) + strlen("title = \"");
        memcpy(edited, GOOD_PACK, head);
        strcpy(edited + head, "Edited: ");
        strcat(edited, GOOD_PACK + head);
        write_file("reload/pack.toml", edited);
        CHECK(fixbook_engine_reload(engine, &err) == FIXBOOK_OK);
        NO_ERROR(err);
        json = fixbook_search_json(engine, "No space left on device", 5, &err);
        NO_ERROR(err);
        CHECK(contains(json, "\"title\":\"Edited: Writing a file fails"));
        fixbook_string_free(json);
    }
    free(edited);

    /* the folder is gone: reload fails with an I/O error, the packs stay */
    {
        char path[512];
        path_in_tmp(path, sizeof path, "reload");
        remove_tree(path);
    }
    CHECK(fixbook_engine_reload(engine, &err) == FIXBOOK_ERR_IO);
    EXPECT_ERROR(err, FIXBOOK_ERR_IO, "reload");
    json = fixbook_search_json(engine, "No space left on device", 5, NULL);
    CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
    fixbook_string_free(json);

    fixbook_engine_free(engine);
}

/* The engine with the default packs, shared by the last tests. */
static FixbookEngine *g_default = NULL;

static void test_open_default(void) {
    FixbookError *err = NULL;
    g_default = fixbook_engine_new_default(&err);
    NO_ERROR(err);
    CHECK(g_default != NULL);
}

static void test_default_engine(void) {
    FixbookEngine *engine = g_default;
    FixbookError *err = NULL;
    char id[256];
    char *json;

    /* the embedded packs */
    json = fixbook_search_json(engine, SESSION_TEXT, 5, &err);
    NO_ERROR(err);
    CHECK(strcmp(top_id(json, id, sizeof id), SESSION_ID) == 0);
    fixbook_string_free(json);

    /* plus the pack path: the good pack is loaded, the broken one skipped and reported */
    json = fixbook_search_json(engine, "No space left on device", 5, &err);
    NO_ERROR(err);
    CHECK(strcmp(top_id(json, id, sizeof id), "ctest/write-failed") == 0);
    fixbook_string_free(json);

    json = fixbook_engine_packs_json(engine, &err);
    NO_ERROR(err);
    CHECK(contains(json, "\"id\":\"aws-iam-identity-center\"") && contains(json, "\"id\":\"ctest\""));
    fixbook_string_free(json);

    json = fixbook_engine_skipped_json(engine, &err);
    NO_ERROR(err);
    CHECK(contains(json, "broken/pack.toml") && contains(json, "\"line\":3"));
    fixbook_string_free(json);

    /* the README's example: facts decide causes */
    json = fixbook_diagnose_json(engine,
                                 "{\"text\": \"An unexpected error has occurred after signing in "
                                 "with Okta\", \"facts\": {\"saml.nameid_format\": \"persistent\"}}",
                                 &err);
    NO_ERROR(err);
    CHECK(contains(json, "\"verdict\":\"confirmed\""));
    fixbook_string_free(json);
}

/* ---------------------------------------------------------------------------------------- */
/* Threads: one engine, 8 threads, answers equal to the single-threaded ones                  */
/* ---------------------------------------------------------------------------------------- */

enum { N_THREADS = 8, N_QUERIES = 6 };

static const char *const THREAD_QUERIES[N_QUERIES] = {
    "Session token not found or invalid",
    "An unexpected error has occurred",
    "cp: write error: No space left on device",
    "the weather is lovely today",
    /* diagnose requests start with '{' */
    "{\"text\": \"No space left on device\", \"facts\": {\"disk.full\": true}}",
    "{\"text\": \"An unexpected error has occurred after signing in with Okta\", "
    "\"facts\": {\"saml.nameid_format\": \"persistent\"}, \"limit\": 3}",
};

typedef struct {
    FixbookEngine *engine;
    char *expected[N_QUERIES];
    long iterations;
    int index;
    long mismatches;
    long errors;
} ThreadArgs;

static char *ask(FixbookEngine *engine, const char *query, FixbookError **err) {
    if (query[0] == '{') {
        return fixbook_diagnose_json(engine, query, err);
    }
    return fixbook_search_json(engine, query, 5, err);
}

static void *query_thread(void *p) {
    ThreadArgs *a = (ThreadArgs *)p;
    long i;
    for (i = 0; i < a->iterations; i++) {
        int q = (int)((i + a->index) % N_QUERIES);
        FixbookError *err = NULL;
        char *json = ask(a->engine, THREAD_QUERIES[q], &err);
        if (json == NULL || err != NULL) {
            a->errors++;
        } else if (strcmp(json, a->expected[q]) != 0) {
            a->mismatches++;
        }
        fixbook_string_free(json);
        fixbook_error_free(err);
    }
    return NULL;
}

typedef struct {
    FixbookEngine *engine;
    int reloads;
    int failures;
} ReloadArgs;

static void *reload_thread(void *p) {
    ReloadArgs *a = (ReloadArgs *)p;
    int i;
    for (i = 0; i < a->reloads; i++) {
        if (fixbook_engine_reload(a->engine, NULL) != FIXBOOK_OK) {
            a->failures++;
        }
    }
    return NULL;
}

static void test_threads(void) {
    FixbookEngine *engine = g_default;
    const char *env = getenv("FIXBOOK_TEST_ITERATIONS");
    const char *reloads = getenv("FIXBOOK_TEST_RELOADS");
    long iterations = env != NULL ? atol(env) : 1000;
    ThreadArgs args[N_THREADS];
    ReloadArgs reloader;
    pthread_t threads[N_THREADS], reload;
    char *expected[N_QUERIES];
    int t, q, started = 0, reload_started;
    long mismatches = 0, errors = 0;

    if (iterations <= 0) {
        iterations = 1000;
    }
    for (q = 0; q < N_QUERIES; q++) {
        FixbookError *err = NULL;
        expected[q] = ask(engine, THREAD_QUERIES[q], &err);
        NO_ERROR(err);
        CHECK(expected[q] != NULL);
        if (expected[q] == NULL) {
            return;
        }
    }
    /* a reload in the middle of the queries swaps in an equal pack set */
    reloader.engine = engine;
    reloader.reloads = reloads != NULL ? atoi(reloads) : 2;
    reloader.failures = 0;
    reload_started = pthread_create(&reload, NULL, reload_thread, &reloader) == 0;
    CHECK(reload_started);
    for (t = 0; t < N_THREADS; t++) {
        args[t].engine = engine;
        for (q = 0; q < N_QUERIES; q++) {
            args[t].expected[q] = expected[q];
        }
        args[t].iterations = iterations;
        args[t].index = t;
        args[t].mismatches = 0;
        args[t].errors = 0;
        if (pthread_create(&threads[t], NULL, query_thread, &args[t]) != 0) {
            break;
        }
        started++;
    }
    CHECK(started == N_THREADS);
    for (t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
        mismatches += args[t].mismatches;
        errors += args[t].errors;
    }
    if (reload_started) {
        pthread_join(reload, NULL);
    }
    printf("threads: %d x %ld queries and %d reloads: %ld errors, %ld answers differing from "
           "the single-threaded ones, %d failed reloads\n",
           started, iterations, reloader.reloads, errors, mismatches, reloader.failures);
    CHECK(errors == 0);
    CHECK(mismatches == 0);
    CHECK(reloader.failures == 0);
    for (q = 0; q < N_QUERIES; q++) {
        fixbook_string_free(expected[q]);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Reloads under load: 16 threads query while another thread reloads, alternating broken and */
/* good pack sets, and the good ones alternate between two sets that answer differently.     */
/* Every answer must be one of the two sets' answers as a whole; a broken reload must fail   */
/* with its error and keep the set; nothing may hang, crash or fail.                          */
/* ---------------------------------------------------------------------------------------- */

enum { N_READERS = 16, N_SETS = 2, N_PROBES = 2, N_BREAKAGES = 5 };

static const char *const PROBES[N_PROBES] = {
    "consistency probe failed",
    "{\"text\": \"consistency probe failed\", "
    "\"facts\": {\"one.flag\": true, \"two.flag\": true}}",
};

/* Writes pack `name` ("one" or "two") of good set `set` (0: set A, version 1.0.0, checks
 * `fact(..)`; 1: set B, version 2.0.0, checks `!fact(..)`), with a manifest `format`, a
 * signature `pattern` and the fact the check reads (`name` when NULL). */
static void write_probe(const char *name, int set, int format, const char *pattern,
                        const char *check_fact) {
    char rel[64], text[2048];
    snprintf(rel, sizeof rel, "load/%s/pack.toml", name);
    snprintf(text, sizeof text,
             "format = %d\n"
             "id = \"probe-%s\"\n"
             "name = \"Probe %s\"\n"
             "version = \"%s\"\n"
             "\n"
             "[facts.\"%s.flag\"]\n"
             "type = \"bool\"\n"
             "question = \"Is the %s flag set?\"\n"
             "\n"
             "[[entries]]\n"
             "id = \"probe\"\n"
             "title = \"Consistency probe %s, set %s\"\n"
             "signatures = [{ id = \"probe\", pattern = '%s' }]\n"
             "\n"
             "  [[entries.causes]]\n"
             "  id = \"flag\"\n"
             "  title = \"The flag decides\"\n"
             "  check = '%sfact(\"%s.flag\")'\n",
             format, name, name, set == 0 ? "1.0.0" : "2.0.0", name, name, name,
             set == 0 ? "A" : "B", pattern, set == 0 ? "" : "!",
             check_fact != NULL ? check_fact : name);
    write_file(rel, text);
}

static void write_good_set(int set) {
    write_probe("one", set, 1, "consistency probe", NULL);
    write_probe("two", set, 1, "consistency probe", NULL);
}

/* Breaks the current good set `set` in one of N_BREAKAGES ways; returns the error code the
 * reload must fail with. */
static int break_set(int set, int how) {
    char path[512];
    switch (how) {
    case 0: /* a TOML syntax error */
        write_file("load/one/pack.toml", BROKEN_PACK);
        return FIXBOOK_ERR_PACK;
    case 1: /* a regex that does not compile */
        write_probe("two", set, 1, "(unclosed", NULL);
        return FIXBOOK_ERR_PACK;
    case 2: /* pack.toml gone (deleted, or an editor's save half done) */
        path_in_tmp(path, sizeof path, "load/one/pack.toml");
        if (remove(path) != 0) {
            perror(path);
            exit(2);
        }
        return FIXBOOK_ERR_PACK;
    case 3: /* a check reading a fact the pack does not declare */
        write_probe("two", set, 1, "consistency probe", "nope");
        return FIXBOOK_ERR_PACK;
    default: /* a pack format this engine does not read */
        write_probe("one", set, 99, "consistency probe", NULL);
        return FIXBOOK_ERR_PACK;
    }
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t done;
    int stop;     /* the reloads are over: readers finish */
    int finished; /* threads that have finished */
} Shared;

static int stopped(Shared *s) {
    int stop;
    pthread_mutex_lock(&s->lock);
    stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void finish(Shared *s, int stop) {
    pthread_mutex_lock(&s->lock);
    if (stop) {
        s->stop = 1;
    }
    s->finished++;
    pthread_cond_signal(&s->done);
    pthread_mutex_unlock(&s->lock);
}

static void pause_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

typedef struct {
    FixbookEngine *engine;
    Shared *shared;
    char *(*expected)[N_PROBES]; /* [N_SETS][N_PROBES] */
    long max_queries;            /* 0: until the reloads are over */
    long pause_ms;               /* between two queries */
    int index;
    long answers[N_SETS];
    long mixed;
    long errors;
    long internal;
} Reader;

static void *reader_thread(void *p) {
    Reader *a = (Reader *)p;
    long i = 0;
    do {
        int q = (int)((i + a->index) % N_PROBES);
        FixbookError *err = NULL;
        char *json = ask(a->engine, PROBES[q], &err);
        if (json == NULL || err != NULL) {
            a->errors++;
            if (fixbook_error_code(err) == FIXBOOK_ERR_INTERNAL) {
                a->internal++;
            }
        } else if (strcmp(json, a->expected[0][q]) == 0) {
            a->answers[0]++;
        } else if (strcmp(json, a->expected[1][q]) == 0) {
            a->answers[1]++;
        } else if (a->mixed++ == 0) {
            fprintf(stderr, "reader %d: an answer from neither set: %.600s\n", a->index, json);
        }
        fixbook_string_free(json);
        fixbook_error_free(err);
        i++;
        pause_ms(a->pause_ms); /* leave the reloading thread its share of the cores */
    } while ((a->max_queries == 0 || i < a->max_queries) && !stopped(a->shared));
    finish(a->shared, 0);
    return NULL;
}

typedef struct {
    FixbookEngine *engine;
    Shared *shared;
    char *(*expected)[N_PROBES];
    int cycles;
    int current; /* the good set loaded now */
    int good_ok, good_failed;
    int broken_refused, broken_accepted, wrong_code;
    int kept, not_kept;
} Reloader;

static void *reloader_thread(void *p) {
    Reloader *r = (Reloader *)p;
    int i;
    for (i = 0; i < r->cycles; i++) {
        FixbookError *err = NULL;
        int rc;
        if (i % 2 == 0) {
            int want = break_set(r->current, (i / 2) % N_BREAKAGES);
            char *json;
            rc = fixbook_engine_reload(r->engine, &err);
            if (rc == FIXBOOK_OK) {
                r->broken_accepted++;
                fprintf(stderr, "reload %d: breakage %d was accepted\n", i, (i / 2) % N_BREAKAGES);
            } else {
                r->broken_refused++;
                if (rc != want || fixbook_error_code(err) != want) {
                    r->wrong_code++;
                    fprintf(stderr, "reload %d: expected error %d, got %d: %.300s\n", i, want, rc,
                            fixbook_error_message(err));
                }
            }
            fixbook_error_free(err);
            /* the set loaded before the broken reload still answers */
            json = fixbook_search_json(r->engine, PROBES[0], 5, NULL);
            if (json != NULL && strcmp(json, r->expected[r->current][0]) == 0) {
                r->kept++;
            } else {
                r->not_kept++;
            }
            fixbook_string_free(json);
            write_good_set(r->current);
        } else {
            r->current = 1 - r->current;
            write_good_set(r->current);
            rc = fixbook_engine_reload(r->engine, &err);
            if (rc == FIXBOOK_OK) {
                r->good_ok++;
            } else {
                r->good_failed++;
                fprintf(stderr, "reload %d: a good set failed: %.300s\n", i,
                        fixbook_error_message(err));
            }
            fixbook_error_free(err);
        }
    }
    finish(r->shared, 1);
    return NULL;
}

static long env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    long n = v != NULL ? atol(v) : -1;
    return n >= 0 && v != NULL && v[0] != '\0' ? n : fallback;
}

static void test_reload_under_load(void) {
    int cycles = (int)env_long("FIXBOOK_TEST_RELOAD_CYCLES", 100);
    long max_queries = env_long("FIXBOOK_TEST_RELOAD_QUERIES", 0);
    long pause = env_long("FIXBOOK_TEST_RELOAD_PAUSE_MS", 10);
    long deadline_s = env_long("FIXBOOK_TEST_DEADLINE", 600);
    char one[512], two[512];
    const char *dirs[2];
    char *expected[N_SETS][N_PROBES];
    FixbookError *err = NULL;
    FixbookEngine *engine;
    Shared shared;
    Reader readers[N_READERS];
    Reloader reloader;
    pthread_t reader_ids[N_READERS], reloader_id;
    int started = 0, reloader_started, set, q, t, timed_out = 0;
    long answers[N_SETS] = {0, 0}, mixed = 0, errors = 0, internal = 0;
    struct timespec deadline;

    make_dir("load");
    make_dir("load/one");
    make_dir("load/two");
    path_in_tmp(one, sizeof one, "load/one");
    path_in_tmp(two, sizeof two, "load/two");
    dirs[0] = one;
    dirs[1] = two;

    /* the answers of each good set, from the same engine */
    write_good_set(0);
    engine = fixbook_engine_new(dirs, 2, &err);
    NO_ERROR(err);
    CHECK(engine != NULL);
    if (engine == NULL) {
        return;
    }
    for (set = 0; set < N_SETS; set++) {
        if (set > 0) {
            write_good_set(set);
            CHECK(fixbook_engine_reload(engine, &err) == FIXBOOK_OK);
            NO_ERROR(err);
        }
        for (q = 0; q < N_PROBES; q++) {
            expected[set][q] = ask(engine, PROBES[q], &err);
            NO_ERROR(err);
            CHECK(expected[set][q] != NULL);
            if (expected[set][q] == NULL) {
                exit(1);
            }
        }
    }
    /* the sets differ in every answer, and in every pack of it */
    for (q = 0; q < N_PROBES; q++) {
        CHECK(strcmp(expected[0][q], expected[1][q]) != 0);
    }
    CHECK(contains(expected[0][0], "Consistency probe one, set A") &&
          contains(expected[0][0], "Consistency probe two, set A") &&
          !contains(expected[0][0], "set B"));
    CHECK(contains(expected[1][0], "Consistency probe one, set B") &&
          contains(expected[1][0], "Consistency probe two, set B") &&
          !contains(expected[1][0], "set A"));
    CHECK(contains(expected[0][1], "\"verdict\":\"confirmed\"") &&
          !contains(expected[0][1], "\"verdict\":\"ruled_out\""));
    CHECK(contains(expected[1][1], "\"verdict\":\"ruled_out\"") &&
          !contains(expected[1][1], "\"verdict\":\"confirmed\""));
    write_good_set(0);
    CHECK(fixbook_engine_reload(engine, &err) == FIXBOOK_OK);
    NO_ERROR(err);

    pthread_mutex_init(&shared.lock, NULL);
    pthread_cond_init(&shared.done, NULL);
    shared.stop = 0;
    shared.finished = 0;
    memset(&reloader, 0, sizeof reloader);
    reloader.engine = engine;
    reloader.shared = &shared;
    reloader.expected = expected;
    reloader.cycles = cycles;
    reloader.current = 0;
    for (t = 0; t < N_READERS; t++) {
        memset(&readers[t], 0, sizeof readers[t]);
        readers[t].engine = engine;
        readers[t].shared = &shared;
        readers[t].expected = expected;
        readers[t].max_queries = max_queries;
        readers[t].pause_ms = pause;
        readers[t].index = t;
        if (pthread_create(&reader_ids[t], NULL, reader_thread, &readers[t]) != 0) {
            break;
        }
        started++;
    }
    CHECK(started == N_READERS);
    reloader_started = pthread_create(&reloader_id, NULL, reloader_thread, &reloader) == 0;
    CHECK(reloader_started);
    if (!reloader_started) {
        finish(&shared, 1); /* the readers stop */
    }

    /* no deadlock: every thread finishes before the deadline */
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)deadline_s;
    pthread_mutex_lock(&shared.lock);
    while (shared.finished < started + 1 && !timed_out) {
        timed_out = pthread_cond_timedwait(&shared.done, &shared.lock, &deadline) != 0 &&
                    shared.finished < started + 1;
    }
    pthread_mutex_unlock(&shared.lock);
    if (timed_out) {
        fprintf(stderr,
                "FAIL test_fixbook.c: reload under load: only %d of %d threads finished within "
                "%ld s (a deadlock?)\n",
                shared.finished, started + 1, deadline_s);
        fflush(stdout);
        fflush(stderr);
        _exit(1);
    }
    for (t = 0; t < started; t++) {
        pthread_join(reader_ids[t], NULL);
        for (set = 0; set < N_SETS; set++) {
            answers[set] += readers[t].answers[set];
        }
        mixed += readers[t].mixed;
        errors += readers[t].errors;
        internal += readers[t].internal;
    }
    if (reloader_started) {
        pthread_join(reloader_id, NULL);
    }
    printf("reload under load: %d readers, %ld answers (set A %ld, set B %ld), %ld from neither, "
           "%ld errors (%ld internal); %d reloads: %d good ok, %d good failed, %d broken refused "
           "(%d with an unexpected code), %d broken accepted; after a broken reload the set "
           "answered %d times, another %d times\n",
           started, answers[0] + answers[1] + mixed + errors, answers[0], answers[1], mixed,
           errors, internal, cycles, reloader.good_ok, reloader.good_failed,
           reloader.broken_refused, reloader.wrong_code, reloader.broken_accepted, reloader.kept,
           reloader.not_kept);
    CHECK(mixed == 0);
    CHECK(errors == 0);
    CHECK(internal == 0);
    CHECK(answers[0] + answers[1] >= N_READERS);
    CHECK(reloader.good_ok == cycles / 2 && reloader.good_failed == 0);
    CHECK(reloader.broken_refused == (cycles + 1) / 2 && reloader.broken_accepted == 0);
    CHECK(reloader.wrong_code == 0);
    CHECK(reloader.kept == (cycles + 1) / 2 && reloader.not_kept == 0);
    if (max_queries == 0 && cycles >= 20) {
        /* queries ran all along the reloads: both sets answered */
        CHECK(answers[0] > 0 && answers[1] > 0);
    }
    pthread_cond_destroy(&shared.done);
    pthread_mutex_destroy(&shared.lock);
    for (set = 0; set < N_SETS; set++) {
        for (q = 0; q < N_PROBES; q++) {
            fixbook_string_free(expected[set][q]);
        }
    }
    fixbook_engine_free(engine);
}

int main(void) {
    char pack_path[1200], xdg[600], good[512], broken[512];

    snprintf(g_tmp, sizeof g_tmp, "%s/fixbook-c-test-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(g_tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    make_dir("good");
    write_file("good/pack.toml", GOOD_PACK);
    make_dir("broken");
    write_file("broken/pack.toml", BROKEN_PACK);
    make_dir("empty");
    path_in_tmp(good, sizeof good, "good");
    path_in_tmp(broken, sizeof broken, "broken");
    snprintf(pack_path, sizeof pack_path, "%s:%s", good, broken);
    path_in_tmp(xdg, sizeof xdg, "xdg-data");
    setenv("FIXBOOK_PACK_PATH", pack_path, 1);
    setenv("XDG_DATA_HOME", xdg, 1);

    section("version", test_version);
    section("null arguments", test_null_arguments);
    section("engine with no packs", test_empty_engine);
    section("search and diagnose", test_search_and_diagnose);
    section("broken and missing packs", test_broken_and_missing_packs);
    section("reload", test_reload);
    section("open the default engine", test_open_default);
    if (g_default != NULL) {
        section("default engine", test_default_engine);
        section("threads", test_threads);
    }
    section("reload under load", test_reload_under_load);
    fixbook_engine_free(g_default);

    remove_tree(g_tmp);
    if (g_failed == 0) {
        printf("test_fixbook: all %d checks passed\n", g_passed);
    } else {
        printf("test_fixbook: %d of %d checks FAILED\n", g_failed, g_passed + g_failed);
    }
    return g_failed == 0 ? 0 : 1;
}
