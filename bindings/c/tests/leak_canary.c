/*
 * Leaks an engine, an answer and an error on purpose. run-tests.sh runs it under valgrind
 * with the same options and suppressions as the real tests and expects the leaks to be
 * reported: proof that the suppressions (tests/valgrind.supp) hide nothing of ours.
 */
#include "fixbook.h"

#include <stdio.h>

static FixbookEngine *leak_engine(void) {
    return fixbook_engine_new(NULL, 0, NULL);
}

static char *leak_answer(FixbookEngine *engine) {
    return fixbook_search_json(engine, "No space left on device", 3, NULL);
}

static FixbookError *leak_error(FixbookEngine *engine) {
    FixbookError *err = NULL;
    fixbook_diagnose_json(engine, "{ not json", &err);
    return err;
}

int main(void) {
    FixbookEngine *engine = leak_engine();
    int ok = engine != NULL && leak_answer(engine) != NULL && leak_error(engine) != NULL;
    engine = NULL; /* the last pointer to it is gone */
    puts(ok ? "leak_canary: leaked an engine, an answer and an error"
            : "leak_canary: a call failed");
    return ok ? 0 : 3;
}
