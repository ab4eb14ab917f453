/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the RTL's constant package (loom_p2_consts_pkg.sv) from libloom's own tables, so the
 * round constants of the hardware are the ones the host reference uses and are never typed
 * twice. Usage: gen_rtl_consts OUT.sv [INSTANCE]   (INSTANCE defaults to babybear-plonky3-16)
 *
 * What the RTL needs that the table holds in another form:
 *   - round constants in Montgomery form (the datapath works on x * 2^32 mod p);
 *   - R^2 mod p, to bring canonical inputs into Montgomery form;
 *   - each internal-diagonal entry V[i] as a shift-and-add recipe: a sign and either a small
 *     integer m (V = +-m) or a power n (V = +-2^-n). The recipe is checked against the table
 *     here, and an entry with no such recipe is an error (the RTL has no general multiplier
 *     for the diagonal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loom/field.h"
#include "loom/poseidon2.h"

#define MAX_SMALL_INT 4

typedef struct {
    int neg;    /* V = -mag... */
    int is_inv; /* 1: mag is n, V = +-2^-n; 0: mag is m, V = +-m */
    unsigned mag;
} diag_recipe;

static int recipe_for(const loom_field *f, uint32_t v, diag_recipe *out)
{
    for (int neg = 0; neg < 2; neg++) {
        for (unsigned m = 1; m <= MAX_SMALL_INT; m++) {
            uint32_t c = neg ? loom_field_neg(f, m) : m;
            if (c == v) {
                *out = (diag_recipe){neg, 0, m};
                return 0;
            }
        }
        uint32_t inv2 = loom_field_inv(f, 2), pw = 1;
        for (unsigned n = 1; n <= f->two_adicity; n++) {
            pw = loom_field_mul(f, pw, inv2);
            uint32_t c = neg ? loom_field_neg(f, pw) : pw;
            if (c == v) {
                *out = (diag_recipe){neg, 1, n};
                return 0;
            }
        }
    }
    return -1;
}

static uint32_t recipe_value(const loom_field *f, const diag_recipe *r)
{
    uint32_t v = r->is_inv ? loom_field_inv(f, loom_field_pow(f, 2, r->mag)) : r->mag;
    return r->neg ? loom_field_neg(f, v) : v;
}

/* A packed vector of n 32-bit words, element i at bits [32*i +: 32]: the last element first. */
static void emit_words(FILE *o, const char *name, const loom_field *f, const uint32_t *canon, unsigned n)
{
    fprintf(o, "  // %s, Montgomery form (x * 2^32 mod p); element i at bits [32*i +: 32].\n", name);
    fprintf(o, "  localparam logic [%u*32-1:0] %s = {", n, name);
    for (unsigned k = 0; k < n; k++) {
        unsigned i = n - 1 - k;
        fprintf(o, "%s32'h%08x", k % 6 == 0 ? "\n    " : " ", loom_field_to_monty(f, canon[i]));
        if (k + 1 < n)
            fputc(',', o);
    }
    fprintf(o, "\n  };\n");
}

static int same_contents(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s OUT.sv [INSTANCE]\n", argv[0]);
        return 2;
    }
    const char *name = argc == 3 ? argv[2] : "babybear-plonky3-16";
    const loom_poseidon2 *perm = NULL;
    if (loom_poseidon2_by_name(&perm, name) != LOOM_OK) {
        fprintf(stderr, "gen_rtl_consts: %s\n", loom_last_error());
        return 1;
    }
    const loom_field *f = loom_field_get(perm->field);
    if (perm->width != 16 || perm->legacy_internal || perm->sbox_degree != 7) {
        fprintf(stderr,
                "gen_rtl_consts: %s has width %u, S-box degree %u%s; the RTL pipeline implements width 16, "
                "degree 7 and the current (non-legacy) internal layer\n",
                name, perm->width, perm->sbox_degree, perm->legacy_internal ? ", legacy internal layer" : "");
        return 1;
    }
    unsigned k = f->two_adicity;
    uint32_t r = (f->p - 1) >> k;
    if (((uint64_t)r << k) + 1 != f->p || (uint32_t)(f->p * f->mu) != 1u) {
        fprintf(stderr, "gen_rtl_consts: field %s is not of the form r * 2^k + 1 with mu = p^-1 mod 2^32\n", f->name);
        return 1;
    }
    diag_recipe rec[LOOM_POSEIDON2_MAX_WIDTH];
    for (unsigned i = 0; i < perm->width; i++) {
        if (recipe_for(f, perm->diag[i], &rec[i]) != 0 || recipe_value(f, &rec[i]) != perm->diag[i]) {
            fprintf(stderr,
                    "gen_rtl_consts: %s: internal diagonal entry %u = %u is neither +-m (m <= %d) nor +-2^-n; the "
                    "RTL multiplies by the diagonal with shifts and adds only\n",
                    name, i, perm->diag[i], MAX_SMALL_INT);
            return 1;
        }
    }
    if (rec[0].is_inv || !rec[0].neg || rec[0].mag != 2) {
        fprintf(stderr, "gen_rtl_consts: %s: V[0] = %u; the RTL's internal round expects V[0] = -2\n", name,
                perm->diag[0]);
        return 1;
    }

    const char *out_path = argv[1];
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    FILE *o = fopen(tmp, "w");
    if (!o) {
        perror(tmp);
        return 1;
    }
    const unsigned w = perm->width, half = perm->rounds_f / 2;
    fprintf(o, "// SPDX-License-Identifier: Apache-2.0\n");
    fprintf(o, "// Generated by host/tools/gen_rtl_consts.c from libloom's table for %s: do not edit.\n", name);
    fprintf(o, "package loom_p2_consts_pkg;\n");
    fprintf(o, "  // Field %s: p = %u * 2^%u + 1.\n", f->name, r, k);
    fprintf(o, "  localparam logic [31:0] FieldP = 32'h%08x;\n", f->p);
    fprintf(o, "  localparam logic [31:0] FieldR = 32'd%u;\n", r);
    fprintf(o, "  localparam int unsigned FieldK = %u;\n", k);
    fprintf(o, "  localparam logic [31:0] MontyMu = 32'h%08x;\n", f->mu);
    fprintf(o, "  localparam logic [31:0] MontyR2 = 32'h%08x;  // 2^64 mod p\n", f->r2_mod_p);
    fprintf(o, "  localparam int unsigned Width = %u;\n", w);
    fprintf(o, "  localparam int unsigned RoundsF = %u;\n", perm->rounds_f);
    fprintf(o, "  localparam int unsigned RoundsP = %u;\n", perm->rounds_p);
    fprintf(o, "  localparam int unsigned SboxDegree = %u;\n", perm->sbox_degree);
    emit_words(o, "RcExtInitial", f, perm->rc_ext_initial, half * w);
    emit_words(o, "RcInternal", f, perm->rc_internal, perm->rounds_p);
    emit_words(o, "RcExtFinal", f, perm->rc_ext_final, half * w);
    fprintf(o, "  // Internal diagonal V[i] = (DiagNeg[i] ? -1 : 1) * (DiagIsInv[i] ? 2^-DiagMag[i] : DiagMag[i]).\n");
    fprintf(o, "  localparam logic [%u-1:0] DiagNeg = %u'b", w, w);
    for (unsigned i = w; i-- > 0;)
        fputc(rec[i].neg ? '1' : '0', o);
    fprintf(o, ";\n  localparam logic [%u-1:0] DiagIsInv = %u'b", w, w);
    for (unsigned i = w; i-- > 0;)
        fputc(rec[i].is_inv ? '1' : '0', o);
    fprintf(o, ";\n  localparam logic [%u*8-1:0] DiagMag = {", w);
    for (unsigned i = w; i-- > 0;)
        fprintf(o, "8'd%u%s", rec[i].mag, i ? ", " : "");
    fprintf(o, "};\nendpackage\n");
    if (fclose(o) != 0) {
        perror(tmp);
        return 1;
    }
    /* Leave an unchanged file alone, so that a rebuilt libloom does not rebuild the RTL model. */
    if (same_contents(tmp, out_path))
        return remove(tmp) == 0 ? 0 : 1;
    if (rename(tmp, out_path) != 0) {
        perror(out_path);
        return 1;
    }
    return 0;
}
