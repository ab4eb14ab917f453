/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "cli.h"

static const cli_option opts[] = {
    {"quiet", 0, NULL, "print nothing on success"},
};

int cmd_config(int argc, char **argv)
{
    cli_args a = {.command = "config",
                  .usage = "  loom config check FILE [--quiet]\n  loom config default",
                  .about = "'check' parses FILE against the configuration schema (docs/config.md) and reports the "
                           "first error\nwith its line and column (exit code 2). 'default' prints the built-in "
                           "default configuration.",
                  .options = opts,
                  .n_options = sizeof opts / sizeof opts[0]};
    if (argc < 1) {
        cli_help(&a, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        cli_help(&a, stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[0], "default") == 0) {
        if (argc > 1)
            return cli_usage_error("config", "'config default' takes no arguments");
        fputs(loom_config_default_text(), stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[0], "check") != 0)
        return cli_usage_error("config", "unknown subcommand '%s'; expected 'check' or 'default'", argv[0]);
    if (argc < 2 || strncmp(argv[1], "--", 2) == 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0)) {
            cli_help(&a, stdout);
            return EXIT_OK;
        }
        return cli_usage_error("config", "'config check' needs a FILE");
    }
    const char *path = argv[1];
    int rc = cli_parse(&a, argc - 2, argv + 2);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    loom_config *cfg;
    loom_status s = loom_config_load(&cfg, path);
    if (s != LOOM_OK)
        return cli_fail("config", s);
    /* A configuration is only good if its devices are there, too. */
    loom_ctx *ctx;
    s = loom_ctx_create(&ctx, cfg);
    if (s != LOOM_OK) {
        loom_config_free(cfg);
        return cli_fail("config", s);
    }
    if (!cli_flag(&a, "quiet")) {
        printf("%s: OK (schema version %d; ", path, cfg->version);
        if (cfg->devices_auto)
            printf("devices: auto");
        else
            printf("%zu device%s listed", cfg->n_devices, cfg->n_devices == 1 ? "" : "s");
        printf("; %zu present:", loom_ctx_device_count(ctx));
        for (size_t i = 0; i < loom_ctx_device_count(ctx); i++)
            printf(" %s", loom_ctx_device(ctx, i)->id);
        printf(")\n");
    }
    loom_ctx_destroy(ctx);
    loom_config_free(cfg);
    return EXIT_OK;
}
