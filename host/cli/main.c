/* SPDX-License-Identifier: Apache-2.0 */
/* loom - the command-line front end of the Loom SDK. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} commands[] = {
    {"devices", cmd_devices, "list the devices Loom sees (CPU, GPUs, FPGAs, OpenCL)"},
    {"commit", cmd_commit, "coset LDE + bit-reversal + Merkle commitment (Plonky3 TwoAdicFriPcs::commit)"},
    {"ntt", cmd_ntt, "forward / inverse / coset DFT or coset LDE of a matrix file"},
    {"hash", cmd_hash, "Poseidon2 leaf hash of every row of a matrix file"},
    {"bench", cmd_bench, "benchmark the main operations (table or --json)"},
    {"calibrate", cmd_calibrate, "measure every device on every stage: the scheduler's performance model"},
    {"config", cmd_config, "check a configuration file, or print the built-in default"},
};

static void usage(FILE *to)
{
    fprintf(to, "Usage: loom <command> [options]     (loom <command> --help for details)\n\n"
                "Loom runs the heavy parts of a STARK prover (NTT / LDE, Poseidon2, Merkle commitment)\n"
                "on the devices of this machine, bit-identical to Plonky3.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nGlobal options:\n  --help     show this help\n  --version  print the version\n"
                "\nEnvironment:\n  LOOM_CONFIG  configuration file used when --config is not given\n"
                "  LOOM_THREADS CPU worker threads; LOOM_SIMD the SIMD level (scalar, avx2, avx512, neon)\n"
                "  LOOM_INJECT_FAULT=<device>:<n>[+|:slow],...  make a device fail (or be late on) its n-th chunk\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("loom %s\n", loom_version_string());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "loom: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
