/* SPDX-License-Identifier: Apache-2.0 */
/* The NTT row loops for the scalar level (CMake gives this file only that level's flags). */
#define NTT_ROWS_TABLE loom_ntt_rows_scalar
#define NTT_ROWS_NAME "scalar"
#include "cpu/ntt_template.h"
