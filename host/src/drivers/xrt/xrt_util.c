/* SPDX-License-Identifier: Apache-2.0 */
/* The XRT driver's host-side helpers: XILINX_XRT set-up, launch arguments, row packing. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/xrt/xrt_internal.h"

#define CORE_LIB "libxrt_core.so.2"

/* snprintf for messages that may be cut short (paths can be long; the message stays readable). */
static void say(char *buf, size_t len, const char *fmt, ...) LOOM_PRINTF(3, 4);
static void say(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* mkdir that accepts an existing folder only if it is a real folder of ours, closed to others. */
static int private_dir(const char *path, char *why, size_t why_len)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        say(why, why_len, "cannot create '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 022)) {
        say(why, why_len, "'%s' exists but is not a folder owned by this user and closed to others; "
                 "remove it or set XILINX_XRT", path);
        return -1;
    }
    return 0;
}

static int link_core(const char *dir, const char *core, char *why, size_t why_len)
{
    char link[PATH_MAX], tmp[PATH_MAX], cur[PATH_MAX];
    if (snprintf(link, sizeof link, "%s/lib/%s", dir, CORE_LIB) >= (int)sizeof link ||
        snprintf(tmp, sizeof tmp, "%s/lib/.%s.%ld", dir, CORE_LIB, (long)getpid()) >= (int)sizeof tmp) {
        say(why, why_len, "folder name '%s' is too long", dir);
        return -1;
    }
    ssize_t n = readlink(link, cur, sizeof cur - 1);
    if (n >= 0) {
        cur[n] = '\0';
        if (strcmp(cur, core) == 0)
            return 0;
    }
    /* A new link under a temporary name, renamed over the old one: never a moment without it. */
    unlink(tmp);
    if (symlink(core, tmp) != 0 || rename(tmp, link) != 0) {
        say(why, why_len, "cannot link '%s' to '%s': %s", link, core, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static struct {
    pthread_once_t once;
    const char *coreutil_dir;
    loom_status status;
    char why[512];
} env = {PTHREAD_ONCE_INIT, NULL, LOOM_OK, ""};

static void env_prepare_once(void)
{
    char path[PATH_MAX];
    const char *set = getenv("XILINX_XRT");
    if (set && set[0]) {
        snprintf(path, sizeof path, "%s/lib/%s", set, CORE_LIB);
        if (!is_file(path)) {
            env.status = LOOM_ERR_UNSUPPORTED;
            say(env.why, sizeof env.why, "XILINX_XRT=%s has no lib/%s; unset it to let Loom use the system's "
                     "XRT, or point it at an XRT installation", set, CORE_LIB);
        }
        return;
    }
    char core[PATH_MAX];
    if (!env.coreutil_dir || snprintf(core, sizeof core, "%s/%s", env.coreutil_dir, CORE_LIB) >= (int)sizeof core ||
        !is_file(core)) {
        env.status = LOOM_ERR_UNSUPPORTED;
        say(env.why, sizeof env.why, "XRT's %s was not found beside libxrt_coreutil (in '%s'); install "
                 "libxrt1 or set XILINX_XRT", CORE_LIB, env.coreutil_dir ? env.coreutil_dir : "?");
        return;
    }
    const char *runtime = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");
    struct stat st;
    if (runtime && runtime[0] == '/' && stat(runtime, &st) == 0 && S_ISDIR(st.st_mode) && access(runtime, W_OK) == 0)
        snprintf(path, sizeof path, "%s/loom-xrt", runtime);
    else
        snprintf(path, sizeof path, "%s/loom-xrt-%ld", tmp && tmp[0] == '/' ? tmp : "/tmp", (long)getuid());
    char lib[PATH_MAX + 8];
    snprintf(lib, sizeof lib, "%s/lib", path);
    if (private_dir(path, env.why, sizeof env.why) != 0 || private_dir(lib, env.why, sizeof env.why) != 0 ||
        link_core(path, core, env.why, sizeof env.why) != 0) {
        env.status = LOOM_ERR_IO;
        return;
    }
    if (setenv("XILINX_XRT", path, 1) != 0) {
        env.status = LOOM_ERR_IO;
        say(env.why, sizeof env.why, "cannot set XILINX_XRT: %s", strerror(errno));
    }
}

loom_status loom_xrt_env_prepare(const char *coreutil_dir, char *why, size_t why_len)
{
    env.coreutil_dir = coreutil_dir;
    pthread_once(&env.once, env_prepare_once);
    if (env.status != LOOM_OK) {
        say(why, why_len, "%s", env.why);
        return loom_fail(env.status, "XRT: %s", env.why);
    }
    return LOOM_OK;
}

/* Bytes of n units of `unit` bytes rounded up to 64, or 0 on overflow. */
static size_t words_bytes(size_t n, size_t unit)
{
    if (n > (SIZE_MAX - 63) / unit)
        return 0;
    return (n * unit + 63) / 64 * 64;
}

loom_status loom_xrt_args_hash(loom_xrt_args *a, size_t n_rows, size_t row_len)
{
    if (row_len == 0 || row_len > UINT32_MAX)
        return loom_fail(LOOM_ERR_SIZE, "FPGA kernel: rows of %zu elements; expected 1 to %u", row_len, UINT32_MAX);
    if (n_rows > UINT32_MAX)
        return loom_fail(LOOM_ERR_SIZE, "FPGA kernel: %zu rows in one launch; expected at most %u", n_rows,
                         UINT32_MAX);
    const size_t row_bytes = row_len * sizeof(uint32_t);
    a->n_rows = (uint32_t)n_rows;
    a->row_len = (uint32_t)row_len;
    a->mode = LOOM_XRT_MODE_HASH;
    a->src_bytes = words_bytes(n_rows, row_bytes);
    a->dst_bytes = words_bytes(n_rows, 32);
    if (n_rows && (!a->src_bytes || !a->dst_bytes))
        return loom_fail(LOOM_ERR_SIZE, "FPGA kernel: %zu rows x %zu elements overflow a buffer size", n_rows, row_len);
    return LOOM_OK;
}

loom_status loom_xrt_args_compress(loom_xrt_args *a, size_t n_pairs)
{
    if (n_pairs > UINT32_MAX)
        return loom_fail(LOOM_ERR_SIZE, "FPGA kernel: %zu digest pairs in one launch; expected at most %u", n_pairs,
                         UINT32_MAX);
    a->n_rows = (uint32_t)n_pairs;
    a->row_len = 0;
    a->mode = LOOM_XRT_MODE_COMPRESS;
    a->src_bytes = words_bytes(n_pairs, 64);
    a->dst_bytes = words_bytes(n_pairs, 32);
    if (n_pairs && (!a->src_bytes || !a->dst_bytes))
        return loom_fail(LOOM_ERR_SIZE, "FPGA kernel: %zu digest pairs overflow a buffer size", n_pairs);
    return LOOM_OK;
}

size_t loom_xrt_chunk_rows(size_t row_bytes, size_t budget_bytes, size_t lanes)
{
    size_t rows = row_bytes ? budget_bytes / row_bytes : budget_bytes;
    if (rows == 0)
        rows = 1;
    if (rows > UINT32_MAX)
        rows = UINT32_MAX;
    if (lanes && rows > lanes)
        rows -= rows % lanes;
    return rows;
}

void loom_xrt_pack_rows(uint32_t *dst, const loom_matrix_view *views, size_t n_views, size_t row0, size_t count)
{
    for (size_t r = row0; r < row0 + count; r++)
        for (size_t v = 0; v < n_views; v++) {
            const size_t cols = views[v].cols;
            memcpy(dst, views[v].data + r * cols, cols * sizeof *dst);
            dst += cols;
        }
}

unsigned loom_xrt_timeout_ms(uint64_t perms)
{
    /* 10 s of slack plus 1 ms per 10^4 permutations: 30x below the kernel's 3e8 per second. */
    const uint64_t ms = 10000 + perms / 10000;
    return ms > UINT_MAX ? UINT_MAX : (unsigned)ms;
}
