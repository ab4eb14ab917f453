/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the HLS kernel's constant header (loom_p2_consts.h) from libloom's public Poseidon2
 * table, so the round constants exist in one place only (host/src/params_data.c, itself
 * generated from shared/kat/). Run at build time:
 *
 *     loom_hls_gen_consts babybear-plonky3-16 build/hls/loom_p2_consts.h
 *
 * Constants are written in Montgomery form (x * 2^32 mod p), the form the kernel computes in.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "loom/field.h"
#include "loom/poseidon2.h"

static void array(FILE *f, const char *name, const loom_field *fld, const uint32_t *v, unsigned rows,
                  unsigned cols)
{
    if (rows == 1)
        fprintf(f, "constexpr uint32_t %s[%u] = {", name, cols);
    else
        fprintf(f, "constexpr uint32_t %s[%u][%u] = {\n", name, rows, cols);
    for (unsigned r = 0; r < rows; r++) {
        if (rows > 1)
            fprintf(f, "    {");
        for (unsigned c = 0; c < cols; c++)
            fprintf(f, "%s0x%08xu%s", c % 6 == 0 ? (rows > 1 ? "\n        " : "\n    ") : " ",
                    loom_field_to_monty(fld, v[r * cols + c]), c + 1 < cols ? "," : "");
        if (rows > 1)
            fprintf(f, "},\n");
    }
    fprintf(f, "%s};\n", rows > 1 ? "" : "\n");
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s INSTANCE OUT.h   (INSTANCE: a width-16 Poseidon2 instance, "
                        "e.g. babybear-plonky3-16)\n", argv[0]);
        return 2;
    }
    const loom_poseidon2 *p = NULL;
    if (loom_poseidon2_by_name(&p, argv[1]) != LOOM_OK) {
        fprintf(stderr, "%s: %s\n", argv[0], loom_last_error());
        return 2;
    }
    if (p->width != 16) {
        fprintf(stderr, "%s: instance '%s' has width %u; the HLS kernel is the width-16 sponge (rate 8)\n",
                argv[0], p->name, p->width);
        return 2;
    }
    const loom_field *fld = loom_field_get(p->field);
    FILE *f = fopen(argv[2], "w");
    if (!f) {
        fprintf(stderr, "%s: cannot create '%s': %s\n", argv[0], argv[2], strerror(errno));
        return 1;
    }
    const unsigned half = p->rounds_f / 2;
    fprintf(f, "// SPDX-License-Identifier: Apache-2.0\n"
               "// Generated at build time by hls/gen_consts.c from libloom's Poseidon2 table (%s).\n"
               "// Do not edit: change host/tools/gen_params.py / shared/kat instead.\n"
               "#ifndef LOOM_P2_CONSTS_H\n#define LOOM_P2_CONSTS_H\n\n#include <cstdint>\n\n"
               "#define LOOM_P2_INSTANCE \"%s\"\n\nnamespace loom_p2c {\n\n",
            p->name, p->name);
    fprintf(f, "constexpr uint32_t P = 0x%08xu;   // %s\n", fld->p, fld->name);
    fprintf(f, "constexpr uint32_t MU = 0x%08xu;  // p^-1 mod 2^32\n", fld->mu);
    fprintf(f, "constexpr uint32_t R2 = 0x%08xu;  // 2^64 mod p: monty_mul(x, R2) is x in Montgomery form\n",
            fld->r2_mod_p);
    fprintf(f, "constexpr unsigned WIDTH = %u;\nconstexpr unsigned HALF_F = %u;   // external rounds before "
               "and after the internal ones\nconstexpr unsigned ROUNDS_P = %u;\nconstexpr unsigned SBOX_DEGREE = "
               "%u;\nconstexpr bool LEGACY_INTERNAL = %s;  // internal layer scaled by 2^-32 (SP1)\n\n"
               "// Montgomery form.\n",
            p->width, half, p->rounds_p, p->sbox_degree, p->legacy_internal ? "true" : "false");
    array(f, "EXT_INITIAL", fld, p->rc_ext_initial, half, p->width);
    array(f, "INTERNAL", fld, p->rc_internal, 1, p->rounds_p);
    array(f, "EXT_FINAL", fld, p->rc_ext_final, half, p->width);
    array(f, "DIAG", fld, p->diag, 1, p->width);
    fprintf(f, "\n}  // namespace loom_p2c\n\n#endif\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write '%s': %s\n", argv[0], argv[2], strerror(errno));
        remove(argv[2]);
        return 1;
    }
    return 0;
}
