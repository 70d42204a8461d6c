/* calllog_rules: the pure rules of the call log — outcome flag lists, the quality-check
 * sample size, the shapes of a service sheet's measurements. No store, no sockets. */
#include "calllog.h"
#include "hf_wire.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compares a word of a flag list with a flag name, taking '-' and '_' as the same. */
static bool s_word_is(const char *word, size_t len, const char *name)
{
    if (strlen(name) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = word[i] == '-' ? '_' : (char)tolower((unsigned char)word[i]);
        if (c != name[i])
            return false;
    }
    return true;
}

int calllog_flags_parse(const char *list, Huifang__V1__OutcomeFlags *f, char *bad, size_t badlen)
{
    huifang__v1__outcome_flags__init(f);
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        size_t len = (size_t)(end - p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        protobuf_c_boolean *slot = NULL;
        if (s_word_is(p, len, "human_answered"))
            slot = &f->human_answered;
        else if (s_word_is(p, len, "contacted"))
            slot = &f->contacted;
        else if (s_word_is(p, len, "sale"))
            slot = &f->sale;
        else if (s_word_is(p, len, "do_not_call"))
            slot = &f->do_not_call;
        else if (s_word_is(p, len, "unworkable"))
            slot = &f->unworkable;
        else if (s_word_is(p, len, "callback"))
            slot = &f->callback;
        else if (s_word_is(p, len, "completed"))
            slot = &f->completed;
        if (slot == NULL) {
            snprintf(bad, badlen, "%.*s", (int)len, p);
            return -1;
        }
        *slot = 1;
        p = end;
    }
    return 0;
}

const char *calllog_flags_check(const Huifang__V1__OutcomeFlags *f)
{
    /* "contacted" means a conversation happened, which needs someone who answered; a sale
     * needs a conversation; a callback is an appointment, so the step is not finished; an
     * unworkable number was never answered by the customer */
    if (f->contacted && !f->human_answered)
        return "contacted needs human-answered";
    if (f->sale && !f->contacted)
        return "sale needs contacted";
    if (f->callback && !f->human_answered)
        return "callback needs human-answered (someone asked to be called back)";
    if (f->callback && f->completed)
        return "callback and completed exclude each other (a callback leaves the step open)";
    if (f->unworkable && f->human_answered)
        return "unworkable (a wrong or dead number) excludes human-answered";
    return NULL;
}

int calllog_sample_size(int calls, int percent)
{
    if (calls <= 0 || percent <= 0)
        return 0;
    if (percent >= 100)
        return calls;
    return (calls * percent + 99) / 100;
}

/* Reads a whole number of 2..3 digits at *p; -1 when there is none. */
static int s_small_number(const char **p)
{
    const char *s = *p;
    int v = 0, n = 0;
    while (isdigit((unsigned char)s[n]) && n < 4)
        v = v * 10 + (s[n++] - '0');
    if (n < 2 || n > 3)
        return -1;
    *p = s + n;
    return v;
}

bool calllog_bp_valid(const char *bp)
{
    if (bp == NULL)
        return false;
    const char *p = bp;
    int sys = s_small_number(&p);
    if (sys < 0 || *p++ != '/')
        return false;
    int dia = s_small_number(&p);
    return dia >= 0 && *p == '\0' && dia >= 40 && dia < sys && sys <= 300;
}

bool calllog_code_valid(const char *s)
{
    return hf_code_valid(s, s ? strlen(s) : 0);
}

bool calllog_text_ok(const char *s, size_t max)
{
    if (s == NULL)
        return true;
    size_t n = strlen(s);
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n')
            return false;
    }
    return true;
}
