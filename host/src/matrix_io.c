/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal/common.h"
#include "loom/matrix.h"

static int host_is_little_endian(void)
{
    const uint32_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static uint32_t bswap32(uint32_t x)
{
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

loom_status loom_matrix_read_file(const loom_field *f, uint32_t **out, const char *path, size_t rows, size_t cols)
{
    if (rows == 0 || cols == 0)
        return loom_fail(LOOM_ERR_SIZE, "input '%s': rows and cols must be at least 1 (got %zu x %zu)", path, rows,
                         cols);
    if (rows > SIZE_MAX / 4 / cols)
        return loom_fail(LOOM_ERR_SIZE, "input '%s': %zu x %zu elements do not fit in memory", path, rows, cols);
    const size_t n = rows * cols, want = n * 4;

    FILE *fp = fopen(path, "rb");
    if (!fp)
        return loom_fail(LOOM_ERR_IO, "cannot open input '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return loom_fail(LOOM_ERR_IO, "input '%s' is not a regular file", path);
    }
    if ((uint64_t)st.st_size != (uint64_t)want) {
        fclose(fp);
        return loom_fail(LOOM_ERR_SIZE,
                         "input '%s' is %lld bytes; expected rows*cols*4 = %zu*%zu*4 = %zu bytes "
                         "(raw little-endian u32, row-major)",
                         path, (long long)st.st_size, rows, cols, want);
    }
    uint32_t *buf = malloc(want);
    if (!buf) {
        fclose(fp);
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory reading '%s' (%zu bytes)", path, want);
    }
    size_t got = fread(buf, 1, want, fp);
    int err = ferror(fp);
    fclose(fp);
    if (got != want) {
        free(buf);
        return loom_fail(LOOM_ERR_IO, "input '%s': read %zu of %zu bytes%s%s", path, got, want,
                         err ? ": " : "", err ? strerror(errno) : "");
    }
    if (!host_is_little_endian())
        for (size_t i = 0; i < n; i++)
            buf[i] = bswap32(buf[i]);
    for (size_t i = 0; i < n; i++) {
        if (buf[i] >= f->p) {
            loom_status s = loom_fail(LOOM_ERR_NOT_CANONICAL,
                                      "input '%s': value %u at row %zu, column %zu is >= p = %u (%s); "
                                      "values must be canonical (0 <= v < p)",
                                      path, buf[i], i / cols, i % cols, f->p, f->name);
            free(buf);
            return s;
        }
    }
    *out = buf;
    return LOOM_OK;
}

loom_status loom_matrix_write_file(const char *path, const uint32_t *data, size_t n)
{
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory");
    snprintf(tmp, len + 16, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        loom_status s = loom_fail(LOOM_ERR_IO, "cannot create output '%s': %s", path, strerror(errno));
        free(tmp);
        return s;
    }
    FILE *fp = fdopen(fd, "wb");
    int ok = fp != NULL;
    if (ok) {
        if (host_is_little_endian()) {
            ok = fwrite(data, 4, n, fp) == n;
        } else {
            for (size_t i = 0; ok && i < n; i++) {
                uint32_t v = bswap32(data[i]);
                ok = fwrite(&v, 4, 1, fp) == 1;
            }
        }
        ok = (fclose(fp) == 0) && ok;
    } else {
        close(fd);
    }
    int saved = errno;
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        free(tmp);
        return loom_fail(LOOM_ERR_IO, "cannot write output '%s': %s", path, strerror(saved));
    }
    free(tmp);
    return LOOM_OK;
}
