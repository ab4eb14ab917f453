/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Reads --input/--rows/--cols, checked against the field. */
static int read_input(const cli_args *a, const loom_field *f, uint32_t **data, uint64_t *rows, uint64_t *cols)
{
    int rc;
    if (!cli_get(a, "input"))
        return cli_usage_error(a->command, "--input FILE is required");
    if (!cli_get(a, "output"))
        return cli_usage_error(a->command, "--output FILE is required");
    if ((rc = cli_u64(a, "rows", rows, 1, 1ull << 40)) || (rc = cli_u64(a, "cols", cols, 1, 1u << 20)))
        return rc;
    loom_status s = loom_matrix_read_file(f, data, cli_get(a, "input"), *rows, *cols);
    return s == LOOM_OK ? 0 : cli_fail(a->command, s);
}

static const cli_option ntt_opts[] = {
    {"input", 1, "FILE", "matrix file: raw little-endian u32, canonical, row-major, N x W"},
    {"rows", 1, "N", "rows (a power of two; each column is one polynomial)"},
    {"cols", 1, "W", "columns"},
    {"output", 1, "FILE", "result file (same format; written atomically)"},
    {"inverse", 0, NULL, "inverse DFT (evaluations -> coefficients)"},
    {"coset-shift", 1, "S", "coset DFT with shift S (canonical, non-zero); with --log-blowup, the LDE shift"},
    {"log-blowup", 1, "B", "coset LDE to N * 2^B rows (shift: --coset-shift, default 1)"},
    {"bit-reverse", 0, NULL, "bit-reverse the rows of the result"},
    {"field", 1, "NAME", "babybear | koalabear (default: config, else babybear)"},
    {"config", 1, "FILE", "configuration (default: $LOOM_CONFIG, else built-in)"},
};

int cmd_ntt(int argc, char **argv)
{
    cli_args a = {.command = "ntt",
                  .usage = "  loom ntt --input FILE --rows N --cols W --output FILE [--inverse] [--coset-shift S]\n"
                           "           [--log-blowup B] [--bit-reverse] [--field NAME]",
                  .about = "Transforms every column of a matrix with Plonky3's conventions (natural order, positive "
                           "exponent):\nDFT, inverse DFT, coset DFT / inverse with --coset-shift, or coset LDE with "
                           "--log-blowup\n(idft, zero-pad, coset DFT).",
                  .options = ntt_opts,
                  .n_options = sizeof ntt_opts / sizeof ntt_opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    if (cli_flag(&a, "inverse") && cli_get(&a, "log-blowup"))
        return cli_usage_error("ntt", "--inverse and --log-blowup cannot be combined");
    cli_job job;
    if ((rc = cli_job_resolve(&job, &a)))
        return rc;
    const loom_field *f = job.field;
    uint64_t shift = 1, rows, cols, blowup = 0;
    uint32_t *in = NULL, *out = NULL;
    int lde = cli_get(&a, "log-blowup") != NULL;
    if ((cli_get(&a, "coset-shift") && (rc = cli_u64(&a, "coset-shift", &shift, 1, f->p - 1))) ||
        (lde && (rc = cli_u64(&a, "log-blowup", &blowup, 0, 8))))
        goto out;
    if ((rc = read_input(&a, f, &in, &rows, &cols)))
        goto out;
    if (!loom_is_pow2_u64(rows)) {
        rc = cli_usage_error("ntt", "--rows %llu is not a power of two", (unsigned long long)rows);
        goto out;
    }
    loom_status s;
    uint64_t out_rows = rows << blowup;
    if (lde) {
        if (loom_log2_u64(rows) + blowup > f->two_adicity) {
            rc = cli_usage_error("ntt", "2^%u rows with --log-blowup %llu exceeds %s's two-adicity (2^%u)",
                                 loom_log2_u64(rows), (unsigned long long)blowup, f->name, f->two_adicity);
            goto out;
        }
        if (!(out = malloc(out_rows * cols * sizeof *out))) {
            rc = cli_usage_error("ntt", "out of memory for %llu x %llu", (unsigned long long)out_rows,
                                 (unsigned long long)cols);
            goto out;
        }
        s = loom_coset_lde_batch(f, out, in, rows, cols, (unsigned)blowup, (uint32_t)shift);
    } else {
        out = in;
        in = NULL;
        if (cli_flag(&a, "inverse"))
            s = shift == 1 ? loom_idft_batch(f, out, rows, cols) : loom_coset_idft_batch(f, out, rows, cols, (uint32_t)shift);
        else
            s = shift == 1 ? loom_dft_batch(f, out, rows, cols) : loom_coset_dft_batch(f, out, rows, cols, (uint32_t)shift);
    }
    if (s == LOOM_OK && cli_flag(&a, "bit-reverse"))
        s = loom_bit_reverse_rows(out, out_rows, cols);
    if (s == LOOM_OK)
        s = loom_matrix_write_file(cli_get(&a, "output"), out, out_rows * cols);
    if (s != LOOM_OK)
        rc = cli_fail("ntt", s);
out:
    free(in);
    free(out);
    cli_job_free(&job);
    return rc;
}

static const cli_option hash_opts[] = {
    {"input", 1, "FILE", "matrix file: raw little-endian u32, canonical, row-major, N x W"},
    {"rows", 1, "N", "rows"},
    {"cols", 1, "W", "columns"},
    {"output", 1, "FILE", "N digests of 8 u32, little-endian (written atomically)"},
    {"field", 1, "NAME", "babybear | koalabear (default: config, else babybear)"},
    {"perm", 1, "NAME", "plonky3 | sp1 (default: config, else plonky3)"},
    {"config", 1, "FILE", "configuration (default: $LOOM_CONFIG, else built-in)"},
};

int cmd_hash(int argc, char **argv)
{
    cli_args a = {.command = "hash",
                  .usage = "  loom hash --input FILE --rows N --cols W --output FILE [--field NAME] [--perm NAME]",
                  .about = "Hashes every row with Plonky3's PaddingFreeSponge<Poseidon2, 16, 8, 8> (rate 8, "
                           "overwrite mode,\nno padding): the Merkle leaf digests of a single matrix.",
                  .options = hash_opts,
                  .n_options = sizeof hash_opts / sizeof hash_opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    cli_job job;
    if ((rc = cli_job_resolve(&job, &a)))
        return rc;
    uint64_t rows, cols;
    uint32_t *in = NULL;
    loom_digest *out = NULL;
    const loom_poseidon2 *perm;
    loom_status s = loom_poseidon2_get(&perm, job.field->id, job.perm, 16);
    if (s != LOOM_OK) {
        rc = cli_fail("hash", s);
        goto out;
    }
    if ((rc = read_input(&a, job.field, &in, &rows, &cols)))
        goto out;
    if (!(out = malloc(rows * sizeof *out))) {
        rc = cli_usage_error("hash", "out of memory for %llu digests", (unsigned long long)rows);
        goto out;
    }
    for (uint64_t r = 0; r < rows; r += 4096) {
        uint64_t k = rows - r < 4096 ? rows - r : 4096;
        loom_poseidon2_hash_rows(perm, out + r, in + r * cols, k, cols, cols);
        cli_progress("hash: rows", r + k, rows);
    }
    cli_progress_end();
    s = loom_matrix_write_file(cli_get(&a, "output"), (const uint32_t *)out, rows * LOOM_DIGEST_WORDS);
    if (s != LOOM_OK)
        rc = cli_fail("hash", s);
out:
    free(in);
    free(out);
    cli_job_free(&job);
    return rc;
}
