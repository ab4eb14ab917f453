/* SPDX-License-Identifier: Apache-2.0 */
/* The NTT row loops for the avx512 level (CMake gives this file only that level's flags). */
#define NTT_ROWS_TABLE loom_ntt_rows_avx512
#define NTT_ROWS_NAME "avx512"
#include "cpu/ntt_template.h"
