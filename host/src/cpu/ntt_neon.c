/* SPDX-License-Identifier: Apache-2.0 */
/* The NTT row loops for the neon level (CMake gives this file only that level's flags). */
#define NTT_ROWS_TABLE loom_ntt_rows_neon
#define NTT_ROWS_NAME "neon"
#include "cpu/ntt_template.h"
