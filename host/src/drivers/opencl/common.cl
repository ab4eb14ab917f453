/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Field-independent helpers of Loom's OpenCL kernels. The program is this file, then field.cl,
 * ntt.cl and poseidon2.cl once per field, each time after a block of #defines that the driver
 * generates from the field and Poseidon2 tables (F_SUFFIX, F_P, F_MU, F_R2, F_SBOX_DEG,
 * F_ROUNDS_P): OpenCL C has no templates, so token pasting gives every function and kernel its
 * field's name (ntt_dif_babybear, p2_rows_koalabear, ...).
 *
 * VL (defined by the driver: the device's preferred int vector width, 1 on GPUs, 8 on an AVX2
 * CPU) is how many lanes each work-item carries in OpenCL vector types: columns in the NTT, rows
 * in Poseidon2. CPU runtimes such as PoCL vectorise large kernel bodies poorly across work-items
 * on their own (a scalar Poseidon2 kernel ran at a sixth of the scalar C reference), while
 * explicit vectors map straight onto SIMD registers.
 */
#define LOOM_CAT_(a, b) a##_##b
#define LOOM_CAT(a, b) LOOM_CAT_(a, b)
#define FN(name) LOOM_CAT(name, F_SUFFIX)

#if VL == 1
typedef uint vt;
typedef ulong vtw;
#define WIDEN(x) ((ulong)(x))
#define NARROW(x) ((uint)(x))
#define VLOAD(p) (*(p))
#define VSTORE(v, p) (*(p) = (v))
#elif VL == 2
typedef uint2 vt;
typedef ulong2 vtw;
#define WIDEN(x) convert_ulong2(x)
#define NARROW(x) convert_uint2(x)
#define VLOAD(p) vload2(0, p)
#define VSTORE(v, p) vstore2(v, 0, p)
#elif VL == 4
typedef uint4 vt;
typedef ulong4 vtw;
#define WIDEN(x) convert_ulong4(x)
#define NARROW(x) convert_uint4(x)
#define VLOAD(p) vload4(0, p)
#define VSTORE(v, p) vstore4(v, 0, p)
#elif VL == 8
typedef uint8 vt;
typedef ulong8 vtw;
#define WIDEN(x) convert_ulong8(x)
#define NARROW(x) convert_uint8(x)
#define VLOAD(p) vload8(0, p)
#define VSTORE(v, p) vstore8(v, 0, p)
#elif VL == 16
typedef uint16 vt;
typedef ulong16 vtw;
#define WIDEN(x) convert_ulong16(x)
#define NARROW(x) convert_uint16(x)
#define VLOAD(p) vload16(0, p)
#define VSTORE(v, p) vstore16(v, 0, p)
#else
#error "VL must be 1, 2, 4, 8 or 16"
#endif

/* The first n < VL lanes from p (the rest 0), and back. */
static inline vt vload_part(global const uint *p, uint n)
{
    uint tmp[VL];
    for (uint l = 0; l < VL; l++)
        tmp[l] = l < n ? p[l] : 0u;
    return VLOAD(tmp);
}

static inline void vstore_part(vt v, global uint *p, uint n)
{
    uint tmp[VL];
    VSTORE(v, tmp);
    for (uint l = 0; l < n; l++)
        p[l] = tmp[l];
}

/* Lanes c .. c + VL - 1 of a row of `cols` words (lanes past the row read 0, write nothing). */
static inline vt vload_row(global const uint *row, uint c, uint cols)
{
    return c + VL <= cols ? VLOAD(row + c) : vload_part(row + c, c < cols ? cols - c : 0u);
}

static inline void vstore_row(vt v, global uint *row, uint c, uint cols)
{
    if (c + VL <= cols)
        VSTORE(v, row + c);
    else if (c < cols)
        vstore_part(v, row + c, cols - c);
}

/* The low `bits` bits of i, reversed (bits <= 32). */
static inline uint loom_bitrev(uint i, uint bits)
{
    i = ((i >> 1) & 0x55555555u) | ((i & 0x55555555u) << 1);
    i = ((i >> 2) & 0x33333333u) | ((i & 0x33333333u) << 2);
    i = ((i >> 4) & 0x0f0f0f0fu) | ((i & 0x0f0f0f0fu) << 4);
    i = ((i >> 8) & 0x00ff00ffu) | ((i & 0x00ff00ffu) << 8);
    i = (i >> 16) | (i << 16);
    return bits ? i >> (32 - bits) : 0u;
}

/* Identifies the sources a binary was built from (LOOM_CL_SOURCE_ID is defined by the driver). */
kernel void loom_source_id(global uint *out)
{
    out[0] = (uint)(LOOM_CL_SOURCE_ID & 0xffffffffu);
    out[1] = (uint)(LOOM_CL_SOURCE_ID >> 32);
}
