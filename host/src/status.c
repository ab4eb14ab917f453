/* SPDX-License-Identifier: Apache-2.0 */
#include "internal/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *loom_status_str(loom_status s)
{
    switch (s) {
#define LOOM_STATUS_STR_(name, code, text) case name: return text;
        LOOM_STATUS_LIST(LOOM_STATUS_STR_)
#undef LOOM_STATUS_STR_
    }
    return "unknown status";
}

const char *loom_status_name(loom_status s)
{
    switch (s) {
#define LOOM_STATUS_NAME_(name, code, text) case name: return #name;
        LOOM_STATUS_LIST(LOOM_STATUS_NAME_)
#undef LOOM_STATUS_NAME_
    }
    return "LOOM_UNKNOWN";
}

static _Thread_local char last_error[1024];

const char *loom_last_error(void) { return last_error; }

void loom_clear_error(void) { last_error[0] = '\0'; }

loom_status loom_fail(loom_status s, const char *fmt, ...)
{
    /* Formatted aside first: callers may pass loom_last_error() itself to add context to it. */
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return s;
}
