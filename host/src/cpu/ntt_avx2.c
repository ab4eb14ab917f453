/* SPDX-License-Identifier: Apache-2.0 */
/* The NTT row loops for the avx2 level (CMake gives this file only that level's flags). */
#define NTT_ROWS_TABLE loom_ntt_rows_avx2
#define NTT_ROWS_NAME "avx2"
#include "cpu/ntt_template.h"
