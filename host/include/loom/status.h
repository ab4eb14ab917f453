/* SPDX-License-Identifier: Apache-2.0 */
/* loom/status.h - the one status type every fallible Loom call returns. */
#ifndef LOOM_STATUS_H
#define LOOM_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LOOM_MUST_USE __attribute__((warn_unused_result))
#define LOOM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LOOM_MUST_USE
#define LOOM_PRINTF(f, a)
#endif

/* One X-macro list gives the enum and loom_status_str(). Codes are stable: new ones go last. */
#define LOOM_STATUS_LIST(X)                                                        \
    X(LOOM_OK, 0, "ok")                                                            \
    X(LOOM_ERR_INVALID_ARG, 1, "invalid argument")                                 \
    X(LOOM_ERR_NOT_CANONICAL, 2, "value is not a canonical field element (>= p)")  \
    X(LOOM_ERR_SIZE, 3, "size is not supported")                                   \
    X(LOOM_ERR_NO_MEMORY, 4, "out of memory")                                      \
    X(LOOM_ERR_IO, 5, "input/output error")                                        \
    X(LOOM_ERR_FORMAT, 6, "malformed input")                                       \
    X(LOOM_ERR_CONFIG, 7, "configuration error")                                   \
    X(LOOM_ERR_NOT_FOUND, 8, "not found")                                          \
    X(LOOM_ERR_UNSUPPORTED, 9, "not supported by this build or device")            \
    X(LOOM_ERR_VERIFY, 10, "verification failed")                                  \
    X(LOOM_ERR_DEVICE, 11, "device error")                                         \
    X(LOOM_ERR_INTERNAL, 12, "internal error")

typedef enum {
#define LOOM_STATUS_ENUM_(name, code, text) name = code,
    LOOM_STATUS_LIST(LOOM_STATUS_ENUM_)
#undef LOOM_STATUS_ENUM_
} loom_status;

/* A short, static, human-readable description of `s` ("unknown status" for a value not in the list). */
const char *loom_status_str(loom_status s);

/* The symbolic name of `s` ("LOOM_ERR_SIZE"), or "LOOM_UNKNOWN". */
const char *loom_status_name(loom_status s);

/*
 * The message of the last error raised on this thread: what was wrong and what was expected
 * ("input 'x.bin': 48 bytes, expected rows*cols*4 = 64"). Empty string if none. Each fallible
 * call that fails sets it; successful calls leave it untouched.
 */
const char *loom_last_error(void);

/* Clears this thread's last error message. */
void loom_clear_error(void);

#ifdef __cplusplus
}
#endif
#endif /* LOOM_STATUS_H */
