/* SPDX-License-Identifier: Apache-2.0 */
/* The generated parameter tables (params_data.c, from host/tools/gen_params.py). */
#ifndef LOOM_INTERNAL_PARAMS_H
#define LOOM_INTERNAL_PARAMS_H

#include "internal/common.h"
#include "loom/field.h"
#include "loom/poseidon2.h"

#define LOOM_POSEIDON2_SET_COUNT 6

LOOM_HIDDEN extern const loom_field loom_field_tables[LOOM_FIELD_COUNT];
LOOM_HIDDEN extern const loom_poseidon2 loom_poseidon2_tables[LOOM_POSEIDON2_SET_COUNT];

#endif
