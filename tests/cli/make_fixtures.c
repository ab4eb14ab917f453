/* SPDX-License-Identifier: Apache-2.0 */
/* Writes the matrix files the CLI tests read: make_fixtures DIR */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int write(const char *dir, const char *name, const uint32_t *v, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(v, 4, n, fp) != n || fclose(fp) != 0) {
        fprintf(stderr, "make_fixtures: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_fixtures DIR\n");
        return 2;
    }
    uint32_t e[12], m8[64], r[320];
    for (uint32_t i = 0; i < 12; i++)
        e[i] = i + 1; /* E[r][c] = 3r + c + 1 */
    for (uint32_t i = 0; i < 64; i++)
        m8[i] = i;    /* M8[r][c] = 8r + c */
    uint64_t s = 12345;
    for (size_t i = 0; i < 320; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        r[i] = (uint32_t)(s >> 33) % 0x78000001u; /* canonical for both fields */
    }
    int bad = write(argv[1], "e4x3.bin", e, 12) | write(argv[1], "m8.bin", m8, 64) |
              write(argv[1], "rand_64x5.bin", r, 320) | write(argv[1], "short.bin", e, 11);
    e[5] = 0x78000001u; /* row 1, column 2 = p (BabyBear) */
    bad |= write(argv[1], "bad_value.bin", e, 12);
    return bad;
}
