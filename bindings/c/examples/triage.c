/*
 * triage: paste an error, get the known problem behind it.
 *
 *     triage Session token not found or invalid
 *     journalctl -u myservice | tail -50 | triage
 *
 * Opens an engine with the default packs (the embedded ones plus FIXBOOK_PACK_PATH), searches
 * the text given as arguments (or read from standard input) and prints the best match: its
 * id, title, confidence, the first remedy step and the first question to ask next.
 *
 * The answer is JSON; this example reads the few fields it prints with a tiny JSON walker
 * (a real program would use its JSON library). Exit status: 0 a match, 1 no match, 2 error.
 *
 * Build: cc triage.c $(pkg-config --cflags --libs fixbook) -o triage
 */
#include "fixbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------- */
/* A tiny JSON walker: enough to pick fields out of fixbook's answer                          */
/* ---------------------------------------------------------------------------------------- */

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
        p++;
    }
    return p;
}

/* `p` at a '"': returns the position after the closing quote. */
static const char *skip_string(const char *p) {
    for (p++; *p != '\0' && *p != '"'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
        }
    }
    return *p == '"' ? p + 1 : p;
}

/* Returns the position after the value at `p` (string, object, array, number, literal). */
static const char *skip_value(const char *p) {
    int depth = 0;
    p = skip_ws(p);
    if (*p == '"') {
        return skip_string(p);
    }
    if (*p != '{' && *p != '[') {
        while (*p != '\0' && *p != ',' && *p != '}' && *p != ']') {
            p++;
        }
        return p;
    }
    while (*p != '\0') {
        if (*p == '"') {
            p = skip_string(p);
            continue;
        }
        if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            if (--depth == 0) {
                return p + 1;
            }
        }
        p++;
    }
    return p;
}

/* `obj` at a '{': returns the value of member `key`, or NULL. */
static const char *member(const char *obj, const char *key) {
    size_t len = strlen(key);
    const char *p;
    if (obj == NULL || *(obj = skip_ws(obj)) != '{') {
        return NULL;
    }
    p = skip_ws(obj + 1);
    while (*p == '"') {
        const char *name = p + 1;
        const char *value;
        p = skip_string(p);
        value = skip_ws(skip_ws(p) + 1); /* past the ':' */
        if ((size_t)(p - 1 - name) == len && strncmp(name, key, len) == 0) {
            return value;
        }
        p = skip_ws(skip_value(value));
        if (*p != ',') {
            break;
        }
        p = skip_ws(p + 1);
    }
    return NULL;
}

/* `arr` at a '[': returns its first element, or NULL when empty. */
static const char *first(const char *arr) {
    const char *p;
    if (arr == NULL || *(arr = skip_ws(arr)) != '[') {
        return NULL;
    }
    p = skip_ws(arr + 1);
    return *p == ']' ? NULL : p;
}

/* Prints the JSON string at `p` without its quotes and escapes. */
static void print_string(const char *p) {
    if (p == NULL || *p != '"') {
        fputs("-", stdout);
        return;
    }
    for (p++; *p != '\0' && *p != '"'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
            switch (*p) {
            case 'n': putchar('\n'); break;
            case 't': putchar('\t'); break;
            case 'u': putchar('?'); p += 4; break; /* control characters only */
            default: putchar(*p); break;
            }
        } else {
            putchar(*p);
        }
    }
}

/* Prints the number at `p`. */
static void print_number(const char *p) {
    const char *end = p != NULL ? skip_value(p) : NULL;
    if (p == NULL) {
        fputs("-", stdout);
        return;
    }
    fwrite(p, 1, (size_t)(end - p), stdout);
}

/* ---------------------------------------------------------------------------------------- */
/* Input                                                                                      */
/* ---------------------------------------------------------------------------------------- */

/* The arguments joined by spaces, or all of standard input. Caller frees. */
static char *read_text(int argc, char **argv) {
    size_t len = 0, cap = 4096;
    char *buf = (char *)malloc(cap);
    int i;
    if (buf == NULL) {
        return NULL;
    }
    if (argc > 1) {
        buf[0] = '\0';
        for (i = 1; i < argc; i++) {
            size_t n = strlen(argv[i]);
            while (len + n + 2 > cap) {
                char *bigger = (char *)realloc(buf, cap *= 2);
                if (bigger == NULL) {
                    free(buf);
                    return NULL;
                }
                buf = bigger;
            }
            if (i > 1) {
                buf[len++] = ' ';
            }
            memcpy(buf + len, argv[i], n + 1);
            len += n;
        }
        return buf;
    }
    for (;;) {
        size_t n = fread(buf + len, 1, cap - len - 1, stdin);
        len += n;
        if (n == 0) {
            break;
        }
        if (len + 1 == cap) {
            char *bigger = (char *)realloc(buf, cap *= 2);
            if (bigger == NULL) {
                free(buf);
                return NULL;
            }
            buf = bigger;
        }
    }
    buf[len] = '\0';
    return buf;
}

int main(int argc, char **argv) {
    FixbookError *err = NULL;
    FixbookEngine *engine;
    char *text, *answer;
    const char *top, *question;
    int status;

    text = read_text(argc, argv);
    if (text == NULL) {
        fputs("triage: out of memory\n", stderr);
        return 2;
    }

    /* 1. Open the engine once; it is safe to share between threads. */
    engine = fixbook_engine_new_default(&err);
    if (engine == NULL) {
        fprintf(stderr, "triage: cannot load packs (error %d): %s\n", fixbook_error_code(err),
                fixbook_error_message(err));
        fixbook_error_free(err);
        free(text);
        return 2;
    }

    /* 2. Search: the answer is a JSON string we own. */
    answer = fixbook_search_json(engine, text, 3, &err);
    if (answer == NULL) {
        fprintf(stderr, "triage: search failed (error %d): %s\n", fixbook_error_code(err),
                fixbook_error_message(err));
        fixbook_error_free(err);
        fixbook_engine_free(engine);
        free(text);
        return 2;
    }

    /* 3. Print the best match: matches[0]. */
    top = first(member(answer, "matches"));
    if (top == NULL) {
        puts("No known problem matches this text.");
        status = 1;
    } else {
        print_string(member(top, "id"));
        fputs("\n  ", stdout);
        print_string(member(top, "title"));
        fputs("\n  confidence: ", stdout);
        print_number(member(top, "confidence"));
        fputs("\n  first step: ", stdout);
        print_string(first(member(top, "remedy")));
        question = first(member(top, "questions"));
        if (question == NULL) {
            question = first(member(answer, "questions"));
        }
        if (question != NULL) {
            fputs("\n  ask next:   ", stdout);
            print_string(member(question, "text"));
        }
        putchar('\n');
        status = 0;
    }

    /* 4. Everything the library returned is freed with its own function. */
    fixbook_string_free(answer);
    fixbook_engine_free(engine);
    free(text);
    return status;
}
