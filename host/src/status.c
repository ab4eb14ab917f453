/* SPDX-License-Identifier: Apache-2.0 */
#include "internal/common.h"

#include <stdarg.h>
#include <stdio.h>

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
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}
