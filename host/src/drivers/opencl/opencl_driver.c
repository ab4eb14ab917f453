/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenCL devices through the ICD loader: whatever vendor drivers /etc/OpenCL/vendors (or
 * $OCL_ICD_VENDORS) names — PoCL on the CPU in CI, GPUs, FPGA boards whose vendor ships an ICD.
 *
 * Devices are numbered cl0, cl1, ... over every platform in the loader's order. Opening one
 * creates a context and an in-order queue; the program (the .cl files of this folder, embedded
 * at build time, instantiated once per field) is built at the first operation, or loaded at open
 * when the config names a precompiled binary. Built programs are kept in an on-disk cache keyed
 * by platform, device, driver version, build options and a hash of the sources, because an
 * OpenCL C compile takes seconds (PoCL: LLVM) against milliseconds for loading a binary.
 *
 * Data stays canonical at every boundary and in device memory; only twiddles, scale factors and
 * the Poseidon2 state are in Montgomery form, as in the CPU reference. Large matrices go through
 * in column blocks (rectangular copies), so device memory bounds the block, not the job.
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <CL/cl_ext.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/opencl/opencl_internal.h"
#include "internal/poseidon2_ref.h"

#ifndef CL_PLATFORM_NOT_FOUND_KHR
#define CL_PLATFORM_NOT_FOUND_KHR -1001
#endif

/* The kernel sources, embedded by host/cmake/EmbedFile.cmake. */
extern const char loom_opencl_common_cl[], loom_opencl_field_cl[], loom_opencl_ntt_cl[], loom_opencl_poseidon2_cl[];
extern const size_t loom_opencl_common_cl_len, loom_opencl_field_cl_len, loom_opencl_ntt_cl_len,
    loom_opencl_poseidon2_cl_len;

#define CL_MAX_PLATFORMS 16
#define CL_MAX_DEVICES 64
#define BUILD_OPTIONS "-cl-std=CL1.2"
#define CACHE_MAGIC "LOOMCLB1"
#define MAX_PERMS 16
/* Host staging and device buffers of one block of work stay below this. */
#define BLOCK_BYTES ((size_t)256 << 20)
/* The most local memory one NTT work-group's tile takes. */
#define TILE_BYTES_MAX ((size_t)256 << 10)

/* ------------------------------------------------------------------ errors */

static const char *cl_err(cl_int e)
{
    switch (e) {
#define E(x)                                                                                                           \
    case x: return #x;
        E(CL_SUCCESS) E(CL_DEVICE_NOT_FOUND) E(CL_DEVICE_NOT_AVAILABLE) E(CL_COMPILER_NOT_AVAILABLE)
        E(CL_MEM_OBJECT_ALLOCATION_FAILURE) E(CL_OUT_OF_RESOURCES) E(CL_OUT_OF_HOST_MEMORY)
        E(CL_PROFILING_INFO_NOT_AVAILABLE) E(CL_MEM_COPY_OVERLAP) E(CL_BUILD_PROGRAM_FAILURE) E(CL_MAP_FAILURE)
        E(CL_MISALIGNED_SUB_BUFFER_OFFSET) E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        E(CL_COMPILE_PROGRAM_FAILURE) E(CL_LINKER_NOT_AVAILABLE) E(CL_LINK_PROGRAM_FAILURE)
        E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) E(CL_INVALID_VALUE) E(CL_INVALID_DEVICE_TYPE) E(CL_INVALID_PLATFORM)
        E(CL_INVALID_DEVICE) E(CL_INVALID_CONTEXT) E(CL_INVALID_QUEUE_PROPERTIES) E(CL_INVALID_COMMAND_QUEUE)
        E(CL_INVALID_HOST_PTR) E(CL_INVALID_MEM_OBJECT) E(CL_INVALID_BINARY) E(CL_INVALID_BUILD_OPTIONS)
        E(CL_INVALID_PROGRAM) E(CL_INVALID_PROGRAM_EXECUTABLE) E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION) E(CL_INVALID_KERNEL) E(CL_INVALID_ARG_INDEX) E(CL_INVALID_ARG_VALUE)
        E(CL_INVALID_ARG_SIZE) E(CL_INVALID_KERNEL_ARGS) E(CL_INVALID_WORK_DIMENSION)
        E(CL_INVALID_WORK_GROUP_SIZE) E(CL_INVALID_WORK_ITEM_SIZE) E(CL_INVALID_GLOBAL_OFFSET)
        E(CL_INVALID_EVENT_WAIT_LIST) E(CL_INVALID_EVENT) E(CL_INVALID_OPERATION) E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_GLOBAL_WORK_SIZE) E(CL_INVALID_PROPERTY) E(CL_PLATFORM_NOT_FOUND_KHR)
#undef E
    }
    return "unknown OpenCL error";
}

static loom_status status_of(cl_int e)
{
    return e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_HOST_MEMORY ? LOOM_ERR_NO_MEMORY
                                                                                : LOOM_ERR_DEVICE;
}

/* ------------------------------------------------------------------ discovery */

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
} cl_pair;

/* Every device of every platform, in the order that numbers them cl0, cl1, ... */
static cl_int enumerate(cl_pair *out, size_t max, size_t *n, cl_uint *n_platforms)
{
    cl_uint np = 0;
    *n = 0;
    *n_platforms = 0;
    cl_int e = clGetPlatformIDs(0, NULL, &np);
    if (e != CL_SUCCESS)
        return e;
    if (np == 0)
        return CL_PLATFORM_NOT_FOUND_KHR;
    cl_platform_id plats[CL_MAX_PLATFORMS];
    if (np > CL_MAX_PLATFORMS)
        np = CL_MAX_PLATFORMS;
    if ((e = clGetPlatformIDs(np, plats, NULL)) != CL_SUCCESS)
        return e;
    *n_platforms = np;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || nd == 0)
            continue; /* CL_DEVICE_NOT_FOUND: a platform without devices */
        cl_device_id devs[CL_MAX_DEVICES];
        if (nd > CL_MAX_DEVICES)
            nd = CL_MAX_DEVICES;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL) != CL_SUCCESS)
            continue;
        for (cl_uint d = 0; d < nd && *n < max; d++)
            out[(*n)++] = (cl_pair){plats[p], devs[d]};
    }
    return CL_SUCCESS;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
        s[--n] = '\0';
    size_t k = 0;
    while (s[k] == ' ')
        k++;
    memmove(s, s + k, n - k + 1);
}

/* A string property, truncated to len - 1 characters ("" if the query fails). */
static void dev_str(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    size_t need = 0;
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, 0, NULL, &need) != CL_SUCCESS || need == 0)
        return;
    char *tmp = malloc(need + 1);
    if (tmp && clGetDeviceInfo(d, what, need, tmp, NULL) == CL_SUCCESS) {
        tmp[need] = '\0';
        snprintf(buf, len, "%s", tmp);
        trim(buf);
    }
    free(tmp);
}

static void plat_str(cl_platform_id p, cl_platform_info what, char *buf, size_t len)
{
    size_t need = 0;
    buf[0] = '\0';
    if (clGetPlatformInfo(p, what, 0, NULL, &need) != CL_SUCCESS || need == 0)
        return;
    char *tmp = malloc(need + 1);
    if (tmp && clGetPlatformInfo(p, what, need, tmp, NULL) == CL_SUCCESS) {
        tmp[need] = '\0';
        snprintf(buf, len, "%s", tmp);
        trim(buf);
    }
    free(tmp);
}

static uint64_t dev_u64(cl_device_id d, cl_device_info what)
{
    cl_ulong v = 0;
    return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? (uint64_t)v : 0;
}

static unsigned dev_uint(cl_device_id d, cl_device_info what)
{
    cl_uint v = 0;
    return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? (unsigned)v : 0;
}

static size_t dev_size(cl_device_id d, cl_device_info what)
{
    size_t v = 0;
    return clGetDeviceInfo(d, what, sizeof v, &v, NULL) == CL_SUCCESS ? v : 0;
}

static void no_platform_reason(char *why, size_t why_len)
{
    const char *env = getenv("OCL_ICD_VENDORS");
    if (env && env[0])
        snprintf(why, why_len,
                 "no OpenCL platform: the ICD loader found no vendor driver in OCL_ICD_VENDORS=%s "
                 "(CL_PLATFORM_NOT_FOUND_KHR)",
                 env);
    else
        snprintf(why, why_len,
                 "no OpenCL platform: the ICD loader found no vendor driver in /etc/OpenCL/vendors "
                 "(CL_PLATFORM_NOT_FOUND_KHR); install one, e.g. pocl-opencl-icd");
}

static loom_status cl_discover(loom_device_info *out, size_t max, size_t *n, char *why, size_t why_len)
{
    *n = 0;
    cl_pair pairs[CL_MAX_DEVICES];
    size_t np = 0;
    cl_uint n_plat = 0;
    cl_int e = enumerate(pairs, CL_MAX_DEVICES, &np, &n_plat);
    if (e == CL_PLATFORM_NOT_FOUND_KHR) {
        no_platform_reason(why, why_len);
        return LOOM_OK;
    }
    if (e != CL_SUCCESS) {
        snprintf(why, why_len, "the OpenCL ICD loader could not list platforms: %s (%d)", cl_err(e), (int)e);
        return LOOM_OK;
    }
    if (np == 0) {
        snprintf(why, why_len, "%u OpenCL platform%s, but no devices", (unsigned)n_plat, n_plat == 1 ? "" : "s");
        return LOOM_OK;
    }
    size_t unavailable = 0;
    for (size_t i = 0; i < np && *n < max; i++) {
        cl_device_id d = pairs[i].device;
        cl_bool avail = CL_FALSE;
        if (clGetDeviceInfo(d, CL_DEVICE_AVAILABLE, sizeof avail, &avail, NULL) != CL_SUCCESS || !avail) {
            unavailable++; /* keeps its number: the ids of the others do not move */
            continue;
        }
        loom_device_info *di = &out[*n];
        memset(di, 0, sizeof *di);
        char dname[96], pname[64];
        dev_str(d, CL_DEVICE_NAME, dname, sizeof dname);
        plat_str(pairs[i].platform, CL_PLATFORM_NAME, pname, sizeof pname);
        snprintf(di->id, sizeof di->id, "cl%zu", i);
        di->kind = LOOM_DEVICE_OPENCL;
        snprintf(di->backend, sizeof di->backend, "opencl");
        snprintf(di->name, sizeof di->name, "%.80s (%.40s)", dname, pname);
        di->compute_units = dev_uint(d, CL_DEVICE_MAX_COMPUTE_UNITS);
        di->memory_bytes = dev_u64(d, CL_DEVICE_GLOBAL_MEM_SIZE);
        di->clock_mhz = dev_uint(d, CL_DEVICE_MAX_CLOCK_FREQUENCY);
        di->ordinal = (int)i;
        cl_device_type type = 0;
        clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
        if (type & CL_DEVICE_TYPE_CPU) {
            /* PoCL and the like run on the cores the CPU device already uses: only on request. */
            di->opt_in = 1;
            di->threads = di->compute_units;
        }
        (*n)++;
    }
    if (*n == 0)
        snprintf(why, why_len, "%zu OpenCL device%s, none available (CL_DEVICE_AVAILABLE is false)", unavailable,
                 unavailable == 1 ? "" : "s");
    return LOOM_OK;
}

/* ------------------------------------------------------------------ device state */

typedef struct {
    cl_kernel dif, dit, powers, scale, p2_rows;
} field_kernels;

typedef struct {
    unsigned log; /* the tables hold w^k, k < 2^(log - 1), for w of order 2^log; 0: none yet */
    cl_mem fwd, inv;
} twiddles;

typedef struct {
    cl_platform_id platform;
    cl_device_id device;
    cl_context ctx;
    cl_command_queue q;
    pthread_mutex_t lock;
    char desc[192]; /* "cl0 (pthread-haswell-AMD EPYC (Portable Computing Language))" */
    uint64_t global_mem, max_alloc;
    size_t local_mem, max_wg;
    int compiler;
    unsigned vl; /* lanes per work-item (the VL of the kernels) */

    cl_program prog;
    const char *origin;
    field_kernels fk[LOOM_FIELD_COUNT];
    cl_kernel source_id;
    size_t ntt_wg; /* the largest work-group the NTT kernels accept */

    twiddles tw[LOOM_FIELD_COUNT];
    cl_mem spow; /* s^j / n, j < n, for the last (field, shift, n) */
    size_t spow_cap;
    int spow_field;
    uint32_t spow_shift;
    unsigned spow_logn;
    cl_mem sq;   /* 32 words: the squarings the powers kernel multiplies with */
    cl_mem a, b; /* work buffers */
    size_t a_cap, b_cap;
    cl_mem rc[MAX_PERMS]; /* Poseidon2 constants per built-in instance */
    uint32_t *stage;      /* host staging for rows made of several views */
    size_t stage_cap;
} cl_impl;

static loom_status cl_fail(const cl_impl *im, cl_int e, const char *what)
{
    return loom_fail(status_of(e), "%s: %s failed: %s (%d)", im->desc, what, cl_err(e), (int)e);
}

#define CL_TRY(im, call, what)                                                                                         \
    do {                                                                                                               \
        cl_int cl_try_e_ = (call);                                                                                     \
        if (cl_try_e_ != CL_SUCCESS)                                                                                   \
            return cl_fail((im), cl_try_e_, (what));                                                                   \
    } while (0)

static void release_mem(cl_mem *m)
{
    if (*m)
        clReleaseMemObject(*m);
    *m = NULL;
}

static void release_program(cl_impl *im)
{
    for (int f = 0; f < LOOM_FIELD_COUNT; f++) {
        cl_kernel *k = (cl_kernel *)&im->fk[f];
        for (size_t i = 0; i < sizeof im->fk[f] / sizeof(cl_kernel); i++)
            if (k[i])
                clReleaseKernel(k[i]);
        memset(&im->fk[f], 0, sizeof im->fk[f]);
    }
    if (im->source_id)
        clReleaseKernel(im->source_id);
    im->source_id = NULL;
    if (im->prog)
        clReleaseProgram(im->prog);
    im->prog = NULL;
    im->origin = NULL;
}

static void cl_close(loom_device *dev)
{
    cl_impl *im = dev->impl;
    if (!im)
        return;
    if (im->q)
        clFinish(im->q);
    release_program(im);
    for (int f = 0; f < LOOM_FIELD_COUNT; f++)
        release_mem(&im->tw[f].fwd), release_mem(&im->tw[f].inv);
    release_mem(&im->spow);
    release_mem(&im->sq);
    release_mem(&im->a);
    release_mem(&im->b);
    for (int i = 0; i < MAX_PERMS; i++)
        release_mem(&im->rc[i]);
    if (im->q)
        clReleaseCommandQueue(im->q);
    if (im->ctx)
        clReleaseContext(im->ctx);
    pthread_mutex_destroy(&im->lock);
    free(im->stage);
    free(im);
    dev->impl = NULL;
}

/* ------------------------------------------------------------------ sources and the program cache */

typedef struct {
    const char *s[16];
    size_t len[16];
    cl_uint n;
    char defs[LOOM_FIELD_COUNT][512];
    char id_def[96], vl_def[32];
    uint64_t id;
} cl_source;

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}
#define FNV_START 0xcbf29ce484222325ull

/* The program text: common.cl, then field.cl, ntt.cl, poseidon2.cl once per field after that field's
 * constants, generated from the parameter tables (never typed twice). */
static loom_status source_assemble(cl_source *src, unsigned vl)
{
    memset(src, 0, sizeof *src);
    src->s[src->n] = src->id_def, src->len[src->n++] = 0; /* filled in below */
    snprintf(src->vl_def, sizeof src->vl_def, "#define VL %u\n", vl);
    src->s[src->n] = src->vl_def, src->len[src->n++] = strlen(src->vl_def);
    src->s[src->n] = loom_opencl_common_cl, src->len[src->n++] = loom_opencl_common_cl_len;
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        const loom_field *f = loom_field_get((loom_field_id)fi);
        const loom_poseidon2 *perm;
        LOOM_TRY(loom_poseidon2_get(&perm, f->id, LOOM_PERM_PLONKY3, 16));
        snprintf(src->defs[fi], sizeof src->defs[fi],
                 "#undef F_SUFFIX\n#undef F_P\n#undef F_MU\n#undef F_R2\n#undef F_SBOX_DEG\n#undef F_ROUNDS_P\n"
                 "#define F_SUFFIX %s\n#define F_P 0x%08xu\n#define F_MU 0x%08xu\n#define F_R2 0x%08xu\n"
                 "#define F_SBOX_DEG %u\n#define F_ROUNDS_P %u\n",
                 f->name, f->p, f->mu, f->r2_mod_p, f->sbox_degree, perm->rounds_p);
        src->s[src->n] = src->defs[fi], src->len[src->n++] = strlen(src->defs[fi]);
        src->s[src->n] = loom_opencl_field_cl, src->len[src->n++] = loom_opencl_field_cl_len;
        src->s[src->n] = loom_opencl_ntt_cl, src->len[src->n++] = loom_opencl_ntt_cl_len;
        src->s[src->n] = loom_opencl_poseidon2_cl, src->len[src->n++] = loom_opencl_poseidon2_cl_len;
    }
    uint64_t h = FNV_START;
    for (cl_uint i = 1; i < src->n; i++) {
        h = fnv1a(h, &src->len[i], sizeof src->len[i]);
        h = fnv1a(h, src->s[i], src->len[i]);
    }
    src->id = h;
    snprintf(src->id_def, sizeof src->id_def, "#define LOOM_CL_SOURCE_ID 0x%016llxul\n", (unsigned long long)h);
    src->len[0] = strlen(src->id_def);
    return LOOM_OK;
}

void loom_opencl_cache_dir(char *out, size_t len)
{
    const char *e;
    if ((e = getenv("LOOM_CACHE_DIR")) && e[0])
        snprintf(out, len, "%s/opencl", e);
    else if ((e = getenv("XDG_CACHE_HOME")) && e[0])
        snprintf(out, len, "%s/loom/opencl", e);
    else if ((e = getenv("HOME")) && e[0])
        snprintf(out, len, "%s/.cache/loom/opencl", e);
    else if (len)
        out[0] = '\0';
}

static int mkdir_p(const char *path)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* What a cached binary must have been built for, and where it lives. */
static void cache_key(const cl_impl *im, const cl_source *src, char *key, size_t key_len, char *path, size_t path_len)
{
    char pname[128], pver[128], dname[128], dvendor[128], dver[128], drv[128];
    plat_str(im->platform, CL_PLATFORM_NAME, pname, sizeof pname);
    plat_str(im->platform, CL_PLATFORM_VERSION, pver, sizeof pver);
    dev_str(im->device, CL_DEVICE_NAME, dname, sizeof dname);
    dev_str(im->device, CL_DEVICE_VENDOR, dvendor, sizeof dvendor);
    dev_str(im->device, CL_DEVICE_VERSION, dver, sizeof dver);
    dev_str(im->device, CL_DRIVER_VERSION, drv, sizeof drv);
    snprintf(key, key_len,
             "loom-opencl-cache 1\nplatform: %s | %s\ndevice: %s | %s | %s\ndriver: %s\noptions: %s\n"
             "source: %016llx\n",
             pname, pver, dname, dvendor, dver, drv, BUILD_OPTIONS, (unsigned long long)src->id);
    char dir[400];
    loom_opencl_cache_dir(dir, sizeof dir);
    if (!dir[0]) {
        path[0] = '\0';
        return;
    }
    snprintf(path, path_len, "%s/%016llx.bin", dir, (unsigned long long)fnv1a(FNV_START, key, strlen(key)));
}

static unsigned char *read_file(const char *path, size_t *len, int *err)
{
    FILE *fp = fopen(path, "rb");
    *err = 0;
    if (!fp) {
        *err = errno;
        return NULL;
    }
    unsigned char *buf = NULL;
    long sz = -1;
    if (fseek(fp, 0, SEEK_END) == 0 && (sz = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)sz + 1);
        if (buf && fread(buf, 1, (size_t)sz, fp) != (size_t)sz) {
            *err = ferror(fp) ? errno : EIO;
            free(buf);
            buf = NULL;
        }
    } else {
        *err = errno;
    }
    if (!buf && !*err)
        *err = ENOMEM;
    fclose(fp);
    *len = (size_t)sz;
    return buf;
}

/* Writes a file whole or not at all: a temporary in the same folder, renamed over `path`. */
static int write_file(const char *path, const void *a, size_t alen, const void *b, size_t blen)
{
    char tmp[600];
    static _Atomic unsigned serial;
    snprintf(tmp, sizeof tmp, "%s.%ld.%u.tmp", path, (long)getpid(), serial++);
    FILE *fp = fopen(tmp, "wb");
    if (!fp)
        return errno;
    int ok = fwrite(a, 1, alen, fp) == alen && (!blen || fwrite(b, 1, blen, fp) == blen);
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int err = errno ? errno : EIO;
        remove(tmp);
        return err;
    }
    return 0;
}

/* The device binary of a built program (malloc'd). */
static cl_int program_binary(const cl_impl *im, cl_program p, unsigned char **out, size_t *len)
{
    size_t sz = 0;
    cl_int e = clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof sz, &sz, NULL);
    if (e != CL_SUCCESS)
        return e;
    if (sz == 0)
        return CL_INVALID_PROGRAM_EXECUTABLE;
    unsigned char *bin = malloc(sz);
    if (!bin)
        return CL_OUT_OF_HOST_MEMORY;
    unsigned char *bins[1] = {bin};
    if ((e = clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL)) != CL_SUCCESS) {
        free(bin);
        return e;
    }
    (void)im;
    *out = bin;
    *len = sz;
    return CL_SUCCESS;
}

/*
 * Loom's binary container, used by the cache and by loom_opencl_write_binary: "LOOMCLB1", the key
 * length (u32), the key (what the binary was built for), the binary's length and FNV-1a checksum
 * (u64 each), the binary. OpenCL runtimes trust what clCreateProgramWithBinary is given (PoCL
 * crashes on a damaged one), so a damaged file must be caught here.
 */
static int write_container(const char *path, const char *key, const unsigned char *bin, size_t len)
{
    const uint32_t klen = (uint32_t)strlen(key);
    const uint64_t blen = len, sum = fnv1a(FNV_START, bin, len);
    const size_t hlen = 8 + 4 + klen + 16;
    unsigned char *hdr = malloc(hlen);
    if (!hdr)
        return ENOMEM;
    memcpy(hdr, CACHE_MAGIC, 8);
    memcpy(hdr + 8, &klen, 4);
    memcpy(hdr + 12, key, klen);
    memcpy(hdr + 12 + klen, &blen, 8);
    memcpy(hdr + 20 + klen, &sum, 8);
    int err = write_file(path, hdr, hlen, bin, len);
    free(hdr);
    return err;
}

typedef struct {
    const char *key; /* not NUL-terminated */
    size_t key_len;
    const unsigned char *bin;
    size_t len;
} container;

/* 1: a whole, intact container; 0: not a container (a vendor's raw binary); -1: a damaged one. */
static int parse_container(const unsigned char *file, size_t flen, container *c)
{
    if (flen < 8 || memcmp(file, CACHE_MAGIC, 8) != 0)
        return 0;
    uint32_t klen;
    uint64_t blen, sum;
    if (flen < 12)
        return -1;
    memcpy(&klen, file + 8, 4);
    if (flen < 28 + (size_t)klen)
        return -1;
    memcpy(&blen, file + 12 + klen, 8);
    memcpy(&sum, file + 20 + klen, 8);
    if (blen == 0 || blen != flen - (28 + (size_t)klen) || fnv1a(FNV_START, file + 28 + klen, blen) != sum)
        return -1;
    *c = (container){(const char *)file + 12, klen, file + 28 + klen, (size_t)blen};
    return 1;
}

/* The line of `key` starting with `tag` ("device: "), without the tag, into out. */
static void key_line(const char *key, size_t key_len, const char *tag, char *out, size_t len)
{
    out[0] = '\0';
    const size_t tl = strlen(tag);
    for (size_t i = 0; i + tl <= key_len; i++)
        if ((i == 0 || key[i - 1] == '\n') && memcmp(key + i, tag, tl) == 0) {
            size_t e = i + tl;
            while (e < key_len && key[e] != '\n')
                e++;
            snprintf(out, len, "%.*s", (int)(e - i - tl), key + i + tl);
            return;
        }
}

static void cache_store(const cl_impl *im, cl_program p, const char *key, const char *path)
{
    char dir[400];
    loom_opencl_cache_dir(dir, sizeof dir);
    if (!path[0] || mkdir_p(dir) != 0)
        return; /* no cache: the next process compiles again, nothing else is lost */
    unsigned char *bin;
    size_t len;
    if (program_binary(im, p, &bin, &len) != CL_SUCCESS)
        return;
    (void)write_container(path, key, bin, len);
    free(bin);
}

/* The first part of a build log, for a message. */
static void build_log(const cl_impl *im, cl_program p, char *out, size_t len)
{
    size_t need = 0;
    out[0] = '\0';
    if (clGetProgramBuildInfo(p, im->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &need) != CL_SUCCESS || need == 0)
        return;
    char *log = malloc(need + 1);
    if (log && clGetProgramBuildInfo(p, im->device, CL_PROGRAM_BUILD_LOG, need, log, NULL) == CL_SUCCESS) {
        log[need] = '\0';
        trim(log);
        snprintf(out, len, "%s", log);
        if (strlen(log) >= len && len > 17)
            memcpy(out + len - 17, " [log truncated]", 17);
    }
    free(log);
}

static loom_status build_source(cl_impl *im, cl_uint n, const char **s, const size_t *len, const char *options,
                                cl_program *out, const char *what)
{
    cl_int e;
    cl_program p = clCreateProgramWithSource(im->ctx, n, s, len, &e);
    if (e != CL_SUCCESS)
        return cl_fail(im, e, "clCreateProgramWithSource");
    e = clBuildProgram(p, 1, &im->device, options, NULL, NULL);
    if (e != CL_SUCCESS) {
        char log[720];
        build_log(im, p, log, sizeof log);
        clReleaseProgram(p);
        return loom_fail(LOOM_ERR_DEVICE, "%s: building %s failed: %s (%d); compiler log:\n%s", im->desc, what,
                         cl_err(e), (int)e, log[0] ? log : "(empty)");
    }
    *out = p;
    return LOOM_OK;
}

static cl_int build_binary(cl_impl *im, const unsigned char *bin, size_t len, cl_program *out)
{
    cl_int e, st = CL_SUCCESS;
    cl_program p = clCreateProgramWithBinary(im->ctx, 1, &im->device, &len, &bin, &st, &e);
    if (e == CL_SUCCESS && st != CL_SUCCESS)
        e = st;
    if (e != CL_SUCCESS) {
        if (p)
            clReleaseProgram(p);
        return e;
    }
    if ((e = clBuildProgram(p, 1, &im->device, BUILD_OPTIONS, NULL, NULL)) != CL_SUCCESS) {
        clReleaseProgram(p);
        return e;
    }
    *out = p;
    return CL_SUCCESS;
}

/* Creates every kernel of the program; on failure names the missing one in `missing`. */
static cl_int make_kernels(cl_impl *im, char *missing, size_t missing_len)
{
    static const char *const names[] = {"ntt_dif", "ntt_dit", "powers", "scale", "p2_rows"};
    cl_int e = CL_SUCCESS;
    for (int fi = 0; fi < LOOM_FIELD_COUNT && e == CL_SUCCESS; fi++) {
        cl_kernel *slots[] = {&im->fk[fi].dif, &im->fk[fi].dit, &im->fk[fi].powers, &im->fk[fi].scale,
                              &im->fk[fi].p2_rows};
        for (size_t k = 0; k < sizeof names / sizeof names[0] && e == CL_SUCCESS; k++) {
            snprintf(missing, missing_len, "%s_%s", names[k], loom_field_get((loom_field_id)fi)->name);
            *slots[k] = clCreateKernel(im->prog, missing, &e);
        }
    }
    if (e == CL_SUCCESS) {
        snprintf(missing, missing_len, "loom_source_id");
        im->source_id = clCreateKernel(im->prog, missing, &e);
    }
    if (e != CL_SUCCESS)
        return e;
    missing[0] = '\0';
    im->ntt_wg = im->max_wg;
    for (int fi = 0; fi < LOOM_FIELD_COUNT; fi++) {
        cl_kernel ks[2] = {im->fk[fi].dif, im->fk[fi].dit};
        for (int k = 0; k < 2; k++) {
            size_t wg = 0;
            if (clGetKernelWorkGroupInfo(ks[k], im->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL) ==
                    CL_SUCCESS &&
                wg && wg < im->ntt_wg)
                im->ntt_wg = wg;
        }
    }
    return CL_SUCCESS;
}

/* Runs the loom_source_id kernel: the id of the sources the loaded program was built from. */
static cl_int program_source_id(cl_impl *im, uint64_t *id)
{
    cl_int e = clSetKernelArg(im->source_id, 0, sizeof(cl_mem), &im->sq);
    size_t one = 1;
    if (e == CL_SUCCESS)
        e = clEnqueueNDRangeKernel(im->q, im->source_id, 1, NULL, &one, &one, 0, NULL, NULL);
    uint32_t w[2] = {0, 0};
    if (e == CL_SUCCESS)
        e = clEnqueueReadBuffer(im->q, im->sq, CL_TRUE, 0, sizeof w, w, 0, NULL, NULL);
    *id = (uint64_t)w[0] | (uint64_t)w[1] << 32;
    return e;
}

/* Loads a cached or user-supplied binary: 0 on success, else the OpenCL error, with the kernel
 * that was missing or a source-id mismatch described in `why`. */
static cl_int load_binary(cl_impl *im, const unsigned char *bin, size_t len, uint64_t want_id, char *why,
                          size_t why_len)
{
    char missing[96];
    why[0] = '\0';
    cl_int e = build_binary(im, bin, len, &im->prog);
    if (e != CL_SUCCESS) {
        snprintf(why, why_len, "the OpenCL runtime rejected it: %s (%d)", cl_err(e), (int)e);
        return e;
    }
    if ((e = make_kernels(im, missing, sizeof missing)) != CL_SUCCESS) {
        snprintf(why, why_len, "it has no kernel '%s' (%s)", missing, cl_err(e));
        release_program(im);
        return e;
    }
    uint64_t id = 0;
    if ((e = program_source_id(im, &id)) != CL_SUCCESS) {
        snprintf(why, why_len, "its loom_source_id kernel failed: %s (%d)", cl_err(e), (int)e);
        release_program(im);
        return e;
    }
    if (id != want_id) {
        snprintf(why, why_len, "it was built from other Loom kernel sources (id %016llx; this library's are %016llx)",
                 (unsigned long long)id, (unsigned long long)want_id);
        release_program(im);
        return CL_INVALID_BINARY;
    }
    return CL_SUCCESS;
}

/* The program: the cache if it holds a build for this device and these sources, else a compile. */
static loom_status ensure_program(cl_impl *im)
{
    if (im->prog)
        return LOOM_OK;
    cl_source src;
    LOOM_TRY(source_assemble(&src, im->vl));
    char key[1024], path[512], why[256];
    cache_key(im, &src, key, sizeof key, path, sizeof path);
    if (path[0]) {
        size_t flen = 0;
        int err;
        unsigned char *file = read_file(path, &flen, &err);
        container c;
        /* Anything wrong with the entry (truncated, damaged, another build's) means a rebuild. */
        if (file && parse_container(file, flen, &c) == 1 && c.key_len == strlen(key) &&
            memcmp(c.key, key, c.key_len) == 0 && load_binary(im, c.bin, c.len, src.id, why, sizeof why) == CL_SUCCESS)
            im->origin = "cache";
        free(file);
        if (im->prog)
            return LOOM_OK;
    }
    if (!im->compiler)
        return loom_fail(LOOM_ERR_UNSUPPORTED,
                         "%s: the device has no OpenCL C compiler (CL_DEVICE_COMPILER_AVAILABLE is false); name a "
                         "program binary built for it in the config ('binary: FILE')",
                         im->desc);
    LOOM_TRY(build_source(im, src.n, src.s, src.len, BUILD_OPTIONS, &im->prog, "Loom's OpenCL kernels"));
    char missing[96];
    cl_int e = make_kernels(im, missing, sizeof missing);
    if (e != CL_SUCCESS) {
        release_program(im);
        return loom_fail(LOOM_ERR_INTERNAL, "%s: the built program has no kernel '%s': %s", im->desc, missing,
                         cl_err(e));
    }
    im->origin = "source";
    cache_store(im, im->prog, key, path);
    return LOOM_OK;
}

/* Why a container's key (what its binary was built for) does not fit this device and library. */
static void key_mismatch(const container *c, const char *key, char *why, size_t len)
{
    static const char *const tags[] = {"platform: ", "device: ", "driver: "};
    for (int t = 0; t < 3; t++) {
        char theirs[160], ours[160];
        key_line(c->key, c->key_len, tags[t], theirs, sizeof theirs);
        key_line(key, strlen(key), tags[t], ours, sizeof ours);
        if (strcmp(theirs, ours) != 0) {
            snprintf(why, len, "it was built for %s '%s', this device has '%s'", t == 0 ? "platform" : t == 1 ? "device" : "driver",
                     theirs, ours);
            return;
        }
    }
    char theirs[64], ours[64];
    key_line(c->key, c->key_len, "source: ", theirs, sizeof theirs);
    key_line(key, strlen(key), "source: ", ours, sizeof ours);
    snprintf(why, len, "it was built from other Loom kernel sources or options (sources %s; this library's are %s)",
             theirs, ours);
}

/*
 * The program binary the config names (`binary:`), loaded at open so that a mismatch fails
 * early. Either Loom's container (loom_opencl_write_binary), checked against this device, or a
 * vendor's raw binary (an offline compiler's output), handed to the runtime as it is.
 */
static loom_status load_spec_binary(loom_device *dev)
{
    cl_impl *im = dev->impl;
    const char *path = dev->spec.binary;
    char where[48] = "";
    if (dev->spec.line)
        snprintf(where, sizeof where, "config line %u: ", dev->spec.line);
    size_t len = 0;
    int err;
    unsigned char *file = read_file(path, &len, &err);
    if (!file)
        return loom_fail(LOOM_ERR_IO, "%sprogram binary '%s' for %s: cannot read it: %s", where, path, im->desc,
                         strerror(err));
    cl_source src;
    loom_status s = source_assemble(&src, im->vl);
    if (s != LOOM_OK) {
        free(file);
        return s;
    }
    char key[1024], cpath[512], why[400] = "";
    cache_key(im, &src, key, sizeof key, cpath, sizeof cpath);
    container c = {NULL, 0, file, len};
    const int kind = parse_container(file, len, &c);
    cl_int e = CL_INVALID_BINARY;
    if (kind < 0)
        snprintf(why, sizeof why, "it is a damaged Loom binary (truncated, or its checksum does not match)");
    else if (kind == 1 && (c.key_len != strlen(key) || memcmp(c.key, key, c.key_len) != 0))
        key_mismatch(&c, key, why, sizeof why);
    else
        e = load_binary(im, c.bin, c.len, src.id, why, sizeof why);
    free(file);
    if (e != CL_SUCCESS)
        return loom_fail(LOOM_ERR_CONFIG,
                         "%sprogram binary '%s' does not match OpenCL device %s: %s; expected a binary built for "
                         "this device from this version of Loom's kernels (loom-opencl-bench --device %s "
                         "--write-binary FILE writes one)",
                         where, path, im->desc, why, dev->info.id);
    im->origin = "binary";
    return LOOM_OK;
}

/* ------------------------------------------------------------------ open */

/* Lanes per work-item: $LOOM_OPENCL_LANES if set, else the device's preferred int vector width
 * (8 for PoCL on AVX2, 1 on GPUs), as a power of two up to 16. */
static unsigned lanes_for(cl_device_id d)
{
    const char *env = getenv("LOOM_OPENCL_LANES");
    unsigned v = env && env[0] ? (unsigned)strtoul(env, NULL, 10) : dev_uint(d, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT);
    unsigned vl = 1;
    while (vl * 2 <= v && vl < 16)
        vl *= 2;
    return vl;
}

static loom_status cl_open(loom_device *dev)
{
    cl_impl *im = calloc(1, sizeof *im);
    if (!im)
        return loom_fail(LOOM_ERR_NO_MEMORY, "out of memory opening %s", dev->info.id);
    snprintf(im->desc, sizeof im->desc, "%s (%s)", dev->info.id, dev->info.name);
    pthread_mutex_init(&im->lock, NULL);
    dev->impl = im;

    cl_pair pairs[CL_MAX_DEVICES];
    size_t np = 0;
    cl_uint n_plat = 0;
    cl_int e = enumerate(pairs, CL_MAX_DEVICES, &np, &n_plat);
    if (e != CL_SUCCESS || dev->info.ordinal < 0 || (size_t)dev->info.ordinal >= np) {
        cl_close(dev);
        return loom_fail(LOOM_ERR_NOT_FOUND, "%s: OpenCL device %d is gone (%zu devices now: %s)", dev->info.id,
                         dev->info.ordinal, np, cl_err(e));
    }
    im->platform = pairs[dev->info.ordinal].platform;
    im->device = pairs[dev->info.ordinal].device;
    im->global_mem = dev_u64(im->device, CL_DEVICE_GLOBAL_MEM_SIZE);
    im->max_alloc = dev_u64(im->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE);
    im->local_mem = (size_t)dev_u64(im->device, CL_DEVICE_LOCAL_MEM_SIZE);
    im->max_wg = dev_size(im->device, CL_DEVICE_MAX_WORK_GROUP_SIZE);
    cl_bool comp = CL_FALSE;
    clGetDeviceInfo(im->device, CL_DEVICE_COMPILER_AVAILABLE, sizeof comp, &comp, NULL);
    im->compiler = comp == CL_TRUE;
    if (!im->max_wg)
        im->max_wg = 1;
    im->vl = lanes_for(im->device);

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)im->platform, 0};
    im->ctx = clCreateContext(props, 1, &im->device, NULL, NULL, &e);
    if (e == CL_SUCCESS)
        im->q = clCreateCommandQueue(im->ctx, im->device, 0, &e);
    if (e == CL_SUCCESS)
        im->sq = clCreateBuffer(im->ctx, CL_MEM_READ_WRITE, 32 * sizeof(uint32_t), NULL, &e);
    if (e != CL_SUCCESS) {
        loom_status s = cl_fail(im, e, "creating a context and queue");
        cl_close(dev);
        return s;
    }
    if (dev->spec.binary[0]) {
        loom_status s = load_spec_binary(dev);
        if (s != LOOM_OK) {
            cl_close(dev);
            return s;
        }
    }
    return LOOM_OK;
}

/* ------------------------------------------------------------------ buffers and tables */

static loom_status ensure_buf(cl_impl *im, cl_mem *m, size_t *cap, size_t bytes)
{
    if (*m && *cap >= bytes)
        return LOOM_OK;
    release_mem(m);
    *cap = 0;
    cl_int e;
    *m = clCreateBuffer(im->ctx, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &e);
    if (e != CL_SUCCESS) {
        *m = NULL;
        return loom_fail(status_of(e) == LOOM_ERR_DEVICE ? LOOM_ERR_NO_MEMORY : status_of(e),
                         "%s: cannot allocate %zu bytes of device memory: %s; the device has %llu bytes, at most "
                         "%llu in one buffer",
                         im->desc, bytes, cl_err(e), (unsigned long long)im->global_mem,
                         (unsigned long long)im->max_alloc);
    }
    *cap = bytes;
    return LOOM_OK;
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

static loom_status launch(cl_impl *im, cl_kernel k, cl_uint dims, const size_t *global, const size_t *local,
                          const char *what)
{
    CL_TRY(im, clEnqueueNDRangeKernel(im->q, k, dims, NULL, global, local, 0, NULL, NULL), what);
    return LOOM_OK;
}

#define ARG(im, k, i, v) CL_TRY(im, clSetKernelArg(k, i, sizeof(v), &(v)), "clSetKernelArg")

/* out[k] = start * base^k (Montgomery form), k < n, on the device. */
static loom_status run_powers(cl_impl *im, const loom_field *f, cl_mem out, size_t n, uint32_t start_m,
                              uint32_t base)
{
    uint32_t sq[32];
    cl_uint bits = 0;
    while (((size_t)1 << bits) < n)
        bits++;
    uint32_t b = base;
    for (cl_uint i = 0; i < bits; i++) {
        sq[i] = loom_field_to_monty(f, b);
        b = loom_field_mul(f, b, b);
    }
    if (bits)
        CL_TRY(im, clEnqueueWriteBuffer(im->q, im->sq, CL_TRUE, 0, bits * sizeof(uint32_t), sq, 0, NULL, NULL),
               "writing the squarings");
    cl_kernel k = im->fk[f->id].powers;
    cl_uint n32 = (cl_uint)n, st = start_m;
    ARG(im, k, 0, out);
    ARG(im, k, 1, n32);
    ARG(im, k, 2, st);
    ARG(im, k, 3, im->sq);
    ARG(im, k, 4, bits);
    size_t local = im->max_wg < 64 ? im->max_wg : 64, global = round_up(n, local);
    return launch(im, k, 1, &global, &local, "the powers kernel");
}

/* Twiddle tables good for every transform up to 2^log_n points. */
static loom_status ensure_twiddles(cl_impl *im, const loom_field *f, unsigned log_n)
{
    twiddles *t = &im->tw[f->id];
    if (t->log && t->log >= log_n)
        return LOOM_OK;
    unsigned want = log_n < 10 ? 10 : log_n;
    if (want > f->two_adicity)
        want = f->two_adicity;
    const size_t half = (size_t)1 << (want - 1);
    release_mem(&t->fwd);
    release_mem(&t->inv);
    t->log = 0;
    size_t c1 = 0, c2 = 0;
    LOOM_TRY(ensure_buf(im, &t->fwd, &c1, half * sizeof(uint32_t)));
    LOOM_TRY(ensure_buf(im, &t->inv, &c2, half * sizeof(uint32_t)));
    const uint32_t w = f->two_adic_generators[want];
    LOOM_TRY(run_powers(im, f, t->fwd, half, f->r_mod_p, w));
    LOOM_TRY(run_powers(im, f, t->inv, half, f->r_mod_p, loom_field_inv(f, w)));
    t->log = want;
    return LOOM_OK;
}

/* spow[j] = shift^j / n (Montgomery form), j < n = 2^logn. */
static loom_status ensure_spow(cl_impl *im, const loom_field *f, uint32_t shift, unsigned logn)
{
    if (im->spow && im->spow_field == (int)f->id && im->spow_shift == shift && im->spow_logn == logn)
        return LOOM_OK;
    const size_t n = (size_t)1 << logn;
    im->spow_field = -1;
    LOOM_TRY(ensure_buf(im, &im->spow, &im->spow_cap, n * sizeof(uint32_t)));
    LOOM_TRY(run_powers(im, f, im->spow, n, loom_field_to_monty(f, loom_field_inv(f, (uint32_t)(n % f->p))), shift));
    im->spow_field = (int)f->id, im->spow_shift = shift, im->spow_logn = logn;
    return LOOM_OK;
}

/* ------------------------------------------------------------------ NTT */

/* Work-group shape of the NTT kernels: xg work-items across (each VL columns) by ty along the
 * rows, and the most stages (lmax) whose tile of 2^lmax rows x xg * VL columns fits the
 * local-memory budget. One shape per device, so a runtime that compiles per work-group size
 * (PoCL) compiles each kernel once. */
typedef struct {
    size_t xg, ty;
    unsigned lmax;
} ntt_shape;

static ntt_shape shape_for(const cl_impl *im, size_t cols)
{
    ntt_shape s = {im->vl >= 16 ? 1 : 16 / im->vl, 16, 1};
    if (im->vl == 1 && cols < 8) /* few columns: all the work-items along the rows */
        s.xg = 1, s.ty = 64;
    while (s.xg * s.ty > im->ntt_wg && s.ty > 1)
        s.ty /= 2;
    while (s.xg * s.ty > im->ntt_wg && s.xg > 1)
        s.xg /= 2;
    /* Half the local memory: GPUs keep room for a second resident group; CPU runtimes (PoCL: 512
     * KiB) get tiles that stay in L2, and with them fewer passes (2^20 points: 2 instead of 3). */
    size_t budget = im->local_mem / 2;
    if (budget > TILE_BYTES_MAX)
        budget = TILE_BYTES_MAX;
    while (s.lmax < 16 && (sizeof(uint32_t) * im->vl * s.xg << (s.lmax + 1)) <= budget)
        s.lmax++;
    return s;
}

/* Work-items along a row of `cols` words (VL columns each), rounded up to the work-group. */
static size_t groups_x(const cl_impl *im, size_t cols, size_t xg) { return round_up((cols + im->vl - 1) / im->vl, xg); }

/* How the first pass of a transform reads its input (LOAD_* in ntt.cl); src NULL: plain. */
enum { LOAD_PLAIN, LOAD_BITREV, LOAD_LDE, LOAD_LDE_REV };
typedef struct {
    cl_uint mode;
    cl_mem src, spow;
    cl_uint bits, w;
} first_load;

/*
 * One transform of 2^logn points per column, batch x cols columns, in place on m: DIF (dit = 0;
 * natural in, bit-reversed out) or DIT (dit = 1; bit-reversed in, natural out), with the
 * twiddles `tw`. The first pass reads as `in` says.
 */
static loom_status run_ntt(cl_impl *im, const loom_field *f, cl_mem m, cl_mem tw, unsigned log_tw, unsigned logn,
                           size_t row_stride, size_t cols, size_t batch, size_t batch_stride, int dit,
                           const first_load *in)
{
    if (logn == 0 || cols == 0)
        return LOOM_OK;
    const ntt_shape sh = shape_for(im, cols);
    const unsigned passes = (logn + sh.lmax - 1) / sh.lmax;
    cl_kernel k = dit ? im->fk[f->id].dit : im->fk[f->id].dif;
    cl_uint K = dit ? 0 : logn;
    const cl_uint ltw = log_tw, rs = (cl_uint)row_stride, nc = (cl_uint)cols, ln = logn;
    const cl_ulong bs = batch_stride;
    for (unsigned p = 0; p < passes; p++) {
        const cl_uint L = logn / passes + (p < logn % passes);
        if (dit)
            K += L;
        const cl_uint mode = p == 0 && in ? in->mode : (cl_uint)LOAD_PLAIN;
        const cl_mem src = mode != LOAD_PLAIN ? in->src : m, spow = mode != LOAD_PLAIN && in->spow ? in->spow : m;
        const cl_uint bits = mode != LOAD_PLAIN ? in->bits : 0, w = mode != LOAD_PLAIN ? in->w : 0;
        ARG(im, k, 0, m);
        ARG(im, k, 1, tw);
        ARG(im, k, 2, ltw);
        ARG(im, k, 3, K);
        ARG(im, k, 4, L);
        ARG(im, k, 5, rs);
        ARG(im, k, 6, nc);
        ARG(im, k, 7, bs);
        CL_TRY(im, clSetKernelArg(k, 8, sizeof(uint32_t) * im->vl * sh.xg << L, NULL), "clSetKernelArg");
        ARG(im, k, 9, mode);
        ARG(im, k, 10, src);
        ARG(im, k, 11, spow);
        ARG(im, k, 12, ln);
        ARG(im, k, 13, bits);
        ARG(im, k, 14, w);
        const size_t local[3] = {sh.xg, sh.ty, 1};
        const size_t global[3] = {groups_x(im, cols, sh.xg), (((size_t)1 << logn) >> L) * sh.ty, batch};
        LOOM_TRY(launch(im, k, 3, global, local, dit ? "the DIT kernel" : "the DIF kernel"));
        if (!dit)
            K -= L;
    }
    return LOOM_OK;
}

/* Columns per block so that the block's buffers (words_per_col words each column, the largest
 * buffer big_per_col of them) fit the device. */
static loom_status block_cols(const cl_impl *im, size_t words_per_col, size_t big_per_col, size_t cols, size_t *wc)
{
    uint64_t budget = im->global_mem / 2;
    if (budget > BLOCK_BYTES * 4)
        budget = BLOCK_BYTES * 4;
    uint64_t w = budget / ((uint64_t)words_per_col * 4);
    uint64_t wa = im->max_alloc / ((uint64_t)big_per_col * 4);
    if (wa < w)
        w = wa;
    if (w == 0)
        return loom_fail(LOOM_ERR_SIZE,
                         "%s: one column needs %zu bytes of device memory, more than this device gives a job "
                         "(%llu bytes, at most %llu in one buffer)",
                         im->desc, words_per_col * 4, (unsigned long long)budget,
                         (unsigned long long)im->max_alloc);
    if (w >= cols)
        w = cols;
    else if (w >= 16)
        w &= ~(uint64_t)15;
    *wc = (size_t)w;
    return LOOM_OK;
}

/* Columns [c0, c0 + w) of a rows x cols host matrix to a rows x w device buffer, and back. */
static loom_status put_cols(cl_impl *im, cl_mem buf, const uint32_t *host, size_t rows, size_t cols, size_t c0,
                            size_t w)
{
    if (w == cols) {
        CL_TRY(im, clEnqueueWriteBuffer(im->q, buf, CL_TRUE, 0, rows * cols * 4, host, 0, NULL, NULL),
               "copying to the device");
        return LOOM_OK;
    }
    const size_t bo[3] = {0, 0, 0}, ho[3] = {c0 * 4, 0, 0}, region[3] = {w * 4, rows, 1};
    CL_TRY(im, clEnqueueWriteBufferRect(im->q, buf, CL_TRUE, bo, ho, region, w * 4, 0, cols * 4, 0, host, 0, NULL,
                                        NULL),
           "copying columns to the device");
    return LOOM_OK;
}

static loom_status get_cols(cl_impl *im, cl_mem buf, uint32_t *host, size_t rows, size_t cols, size_t c0, size_t w)
{
    if (w == cols) {
        CL_TRY(im, clEnqueueReadBuffer(im->q, buf, CL_TRUE, 0, rows * cols * 4, host, 0, NULL, NULL),
               "copying from the device");
        return LOOM_OK;
    }
    const size_t bo[3] = {0, 0, 0}, ho[3] = {c0 * 4, 0, 0}, region[3] = {w * 4, rows, 1};
    CL_TRY(im, clEnqueueReadBufferRect(im->q, buf, CL_TRUE, bo, ho, region, w * 4, 0, cols * 4, 0, host, 0, NULL,
                                       NULL),
           "copying columns from the device");
    return LOOM_OK;
}

static loom_status check_ntt_args(const cl_impl *im, const char *fn, const loom_field *f, const void *a,
                                  const void *b, size_t rows, size_t cols, unsigned added_bits, unsigned *logn)
{
    if (!f || (unsigned)f->id >= LOOM_FIELD_COUNT)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: %s: unknown field; expected a table from loom_field_get()",
                         im->desc, fn);
    if (!loom_is_pow2(rows))
        return loom_fail(LOOM_ERR_SIZE, "%s: %s: rows = %zu is not a power of two; expected rows = 2^k", im->desc, fn,
                         rows);
    const unsigned k = loom_log2_exact(rows);
    if (k + added_bits > f->two_adicity)
        return loom_fail(LOOM_ERR_SIZE, "%s: %s: 2^%u rows (2^%u added) exceed the two-adicity of %s; expected "
                         "log2(rows) + added_bits <= %u", im->desc, fn, k, added_bits, f->name, f->two_adicity);
    if (((rows << added_bits) >> added_bits) != rows || (cols && (rows << added_bits) > SIZE_MAX / 4 / cols))
        return loom_fail(LOOM_ERR_SIZE, "%s: %s: %zu x %zu overflows the address space", im->desc, fn,
                         rows << added_bits, cols);
    if (cols && (!a || !b))
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: %s: NULL matrix for %zu x %zu", im->desc, fn, rows, cols);
    *logn = k;
    return LOOM_OK;
}

static loom_status lde_locked(cl_impl *im, uint32_t *out, const loom_field *f, const uint32_t *in, size_t rows,
                              size_t cols, unsigned bits, uint32_t shift, int bit_reverse, unsigned logn)
{
    const size_t n = rows, N = rows << bits;
    const unsigned logN = logn + bits;
    LOOM_TRY(ensure_program(im));
    LOOM_TRY(ensure_twiddles(im, f, logN ? logN : 1));
    LOOM_TRY(ensure_spow(im, f, shift, logn));
    const twiddles *tw = &im->tw[f->id];
    size_t wc = 0;
    LOOM_TRY(block_cols(im, n + N, N, cols, &wc));
    LOOM_TRY(ensure_buf(im, &im->a, &im->a_cap, n * wc * 4));
    LOOM_TRY(ensure_buf(im, &im->b, &im->b_cap, N * wc * 4));
    for (size_t c0 = 0; c0 < cols; c0 += wc) {
        const size_t w = cols - c0 < wc ? cols - c0 : wc;
        LOOM_TRY(put_cols(im, im->a, in, n, cols, c0, w));
        /* a = n times the coefficients, in bit-reversed order */
        LOOM_TRY(run_ntt(im, f, im->a, tw->inv, tw->log, logn, w, w, 1, 0, 0, NULL));
        const first_load spread = {bit_reverse ? LOAD_LDE_REV : LOAD_LDE, im->a, im->spow, bits, (cl_uint)w};
        if (bit_reverse)
            LOOM_TRY(run_ntt(im, f, im->b, tw->fwd, tw->log, logn, w, w, (size_t)1 << bits, n * w, 0, &spread));
        else
            LOOM_TRY(run_ntt(im, f, im->b, tw->fwd, tw->log, logn, w << bits, w << bits, 1, 0, 1, &spread));
        LOOM_TRY(get_cols(im, im->b, out, N, cols, c0, w));
    }
    return LOOM_OK;
}

static loom_status cl_coset_lde(loom_device *dev, uint32_t *out, const loom_field *f, const uint32_t *in,
                                size_t rows, size_t cols, unsigned added_bits, uint32_t shift, int bit_reverse)
{
    cl_impl *im = dev->impl;
    unsigned logn = 0;
    LOOM_TRY(check_ntt_args(im, "coset LDE", f, out, in, rows, cols, added_bits, &logn));
    if (shift >= f->p)
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: coset shift %u is not canonical; expected shift < p = %u",
                         im->desc, shift, f->p);
    if (cols == 0)
        return LOOM_OK;
    if (rows == 1) { /* a constant polynomial: its value on every point (no transform to fold into) */
        for (size_t t = 0; t < ((size_t)1 << added_bits); t++)
            memmove(out + t * cols, in, cols * sizeof *out);
        return LOOM_OK;
    }
    pthread_mutex_lock(&im->lock);
    loom_status s = lde_locked(im, out, f, in, rows, cols, added_bits, shift, bit_reverse, logn);
    pthread_mutex_unlock(&im->lock);
    return s;
}

static loom_status dft_locked(cl_impl *im, const loom_field *f, uint32_t *m, size_t n, size_t cols, int inverse,
                              unsigned logn)
{
    LOOM_TRY(ensure_program(im));
    LOOM_TRY(ensure_twiddles(im, f, logn));
    const twiddles *tw = &im->tw[f->id];
    size_t wc = 0;
    LOOM_TRY(block_cols(im, 2 * n, n, cols, &wc));
    LOOM_TRY(ensure_buf(im, &im->a, &im->a_cap, n * wc * 4));
    LOOM_TRY(ensure_buf(im, &im->b, &im->b_cap, n * wc * 4));
    const uint32_t inv_n = loom_field_to_monty(f, loom_field_inv(f, (uint32_t)(n % f->p)));
    for (size_t c0 = 0; c0 < cols; c0 += wc) {
        const size_t w = cols - c0 < wc ? cols - c0 : wc;
        LOOM_TRY(put_cols(im, im->a, m, n, cols, c0, w));
        const first_load order = {LOAD_BITREV, im->a, NULL, 0, 0};
        LOOM_TRY(run_ntt(im, f, im->b, inverse ? tw->inv : tw->fwd, tw->log, logn, w, w, 1, 0, 1, &order));
        if (inverse) {
            cl_kernel k = im->fk[f->id].scale;
            const cl_ulong total = (cl_ulong)n * w;
            ARG(im, k, 0, im->b);
            ARG(im, k, 1, total);
            ARG(im, k, 2, inv_n);
            size_t l1 = im->max_wg < 64 ? im->max_wg : 64, g1 = round_up((n * w + im->vl - 1) / im->vl, l1);
            LOOM_TRY(launch(im, k, 1, &g1, &l1, "the scale kernel"));
        }
        LOOM_TRY(get_cols(im, im->b, m, n, cols, c0, w));
    }
    return LOOM_OK;
}

loom_status loom_opencl_dft(loom_device *dev, const loom_field *f, uint32_t *m, size_t rows, size_t cols, int inverse)
{
    cl_impl *im = dev->impl;
    unsigned logn = 0;
    LOOM_TRY(check_ntt_args(im, inverse ? "inverse DFT" : "DFT", f, m, m, rows, cols, 0, &logn));
    if (cols == 0 || rows == 1)
        return LOOM_OK;
    pthread_mutex_lock(&im->lock);
    loom_status s = dft_locked(im, f, m, rows, cols, inverse, logn);
    pthread_mutex_unlock(&im->lock);
    return s;
}

/* ------------------------------------------------------------------ Poseidon2 */

/* The device copy of a built-in instance's constants, and the kernel variant it needs. */
static loom_status perm_consts(cl_impl *im, const loom_poseidon2 *perm, cl_mem *out)
{
    size_t k = 0;
    while (k < loom_poseidon2_count() && loom_poseidon2_at(k) != perm)
        k++;
    const loom_poseidon2_monty *mc = loom_poseidon2_monty_consts(perm);
    const loom_poseidon2 *ref = NULL;
    if (perm && perm->width == 16 && (unsigned)perm->field < LOOM_FIELD_COUNT &&
        loom_poseidon2_get(&ref, perm->field, LOOM_PERM_PLONKY3, 16) != LOOM_OK)
        ref = NULL;
    if (!mc || k >= MAX_PERMS || !ref || perm->rounds_f != 8 || perm->rounds_p != ref->rounds_p)
        return loom_fail(LOOM_ERR_UNSUPPORTED,
                         "%s: Poseidon2 instance '%s' is not supported; the OpenCL kernels run the built-in width-16 "
                         "instances (8 external rounds, %u internal)",
                         im->desc, perm && perm->name ? perm->name : "(caller-built)", ref ? ref->rounds_p : 0);
    if (im->rc[k]) {
        *out = im->rc[k];
        return LOOM_OK;
    }
    /* The layout poseidon2.cl reads; the legacy layer's 2^-32 moves into the diagonal and the sum
     * factor (see there). */
    uint32_t words[145 + 32];
    const unsigned rp = perm->rounds_p;
    const loom_field *f = loom_field_get(perm->field);
    memcpy(words, mc->ext_initial, 64 * 4);
    memcpy(words + 64, mc->internal, rp * 4);
    memcpy(words + 64 + rp, mc->ext_final, 64 * 4);
    memcpy(words + 128 + rp, perm->legacy_internal ? perm->diag : mc->diag, 16 * 4);
    words[144 + rp] = perm->legacy_internal ? 1u : f->r_mod_p;
    cl_int e;
    im->rc[k] = clCreateBuffer(im->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, (145 + rp) * 4, words, &e);
    if (e != CL_SUCCESS) {
        im->rc[k] = NULL;
        return cl_fail(im, e, "uploading the Poseidon2 constants");
    }
    *out = im->rc[k];
    return LOOM_OK;
}

/* The sponge kernel over `count` rows of `cols` words absorbing `rate` words per permutation. */
static loom_status run_p2(cl_impl *im, const loom_poseidon2 *perm, cl_mem out, cl_mem in, cl_uint cols, cl_uint rate,
                          cl_uint count, cl_mem rc)
{
    cl_kernel k = im->fk[perm->field].p2_rows;
    ARG(im, k, 0, out);
    ARG(im, k, 1, in);
    ARG(im, k, 2, cols);
    ARG(im, k, 3, rate);
    ARG(im, k, 4, count);
    ARG(im, k, 5, rc);
    /* Small groups when each work-item is already VL permutations wide. */
    size_t local = im->vl > 1 ? 8 : 64;
    if (local > im->max_wg)
        local = im->max_wg;
    const size_t global = round_up((count + im->vl - 1) / im->vl, local);
    return launch(im, k, 1, &global, &local, "the Poseidon2 kernel");
}

static loom_status hash_locked(cl_impl *im, loom_digest *out, const loom_poseidon2 *perm,
                               const loom_matrix_view *views, size_t n_views, size_t row0, size_t count, size_t width)
{
    LOOM_TRY(ensure_program(im));
    cl_mem rc;
    LOOM_TRY(perm_consts(im, perm, &rc));
    size_t block = BLOCK_BYTES / (width * 4);
    if (block == 0)
        block = 1;
    if (block > ((size_t)1 << 30))
        block = (size_t)1 << 30;
    for (size_t r0 = 0; r0 < count; r0 += block) {
        const size_t cnt = count - r0 < block ? count - r0 : block;
        const uint32_t *src;
        if (n_views == 1) {
            src = views[0].data + (row0 + r0) * width;
        } else {
            if (im->stage_cap < cnt * width) {
                uint32_t *ns = realloc(im->stage, cnt * width * 4);
                if (!ns)
                    return loom_fail(LOOM_ERR_NO_MEMORY, "%s: out of host memory staging %zu rows", im->desc, cnt);
                im->stage = ns, im->stage_cap = cnt * width;
            }
            uint32_t *dst = im->stage;
            for (size_t r = 0; r < cnt; r++)
                for (size_t v = 0; v < n_views; v++) {
                    memcpy(dst, views[v].data + (row0 + r0 + r) * views[v].cols, views[v].cols * 4);
                    dst += views[v].cols;
                }
            src = im->stage;
        }
        LOOM_TRY(ensure_buf(im, &im->a, &im->a_cap, cnt * width * 4));
        LOOM_TRY(ensure_buf(im, &im->b, &im->b_cap, cnt * sizeof(loom_digest)));
        CL_TRY(im, clEnqueueWriteBuffer(im->q, im->a, CL_TRUE, 0, cnt * width * 4, src, 0, NULL, NULL),
               "copying rows to the device");
        LOOM_TRY(run_p2(im, perm, im->b, im->a, (cl_uint)width, LOOM_SPONGE_RATE, (cl_uint)cnt, rc));
        CL_TRY(im, clEnqueueReadBuffer(im->q, im->b, CL_TRUE, 0, cnt * sizeof(loom_digest), out + r0, 0, NULL, NULL),
               "copying digests from the device");
    }
    return LOOM_OK;
}

static loom_status cl_hash_rows(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm,
                                const loom_matrix_view *views, size_t n_views, size_t row0, size_t count)
{
    cl_impl *im = dev->impl;
    if (!perm || (n_views && !views) || (count && !out))
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: hash_rows: NULL argument", im->desc);
    size_t width = 0;
    for (size_t v = 0; v < n_views; v++) {
        if (views[v].cols && (!views[v].data || views[v].rows < row0 + count))
            return loom_fail(LOOM_ERR_INVALID_ARG,
                             "%s: hash_rows: view %zu has %zu rows; expected at least %zu (rows %zu..%zu)", im->desc,
                             v, views[v].rows, row0 + count, row0, row0 + count - 1);
        width += views[v].cols;
    }
    if (count == 0)
        return LOOM_OK;
    if (width == 0) { /* nothing absorbed: no permutation, the all-zero digest */
        memset(out, 0, count * sizeof *out);
        return LOOM_OK;
    }
    if (width > UINT32_MAX / 8)
        return loom_fail(LOOM_ERR_SIZE, "%s: rows of %zu elements are too wide", im->desc, width);
    size_t nz = 0, only = 0;
    for (size_t v = 0; v < n_views; v++)
        if (views[v].cols)
            nz++, only = v;
    pthread_mutex_lock(&im->lock);
    loom_status s = nz == 1 ? hash_locked(im, out, perm, &views[only], 1, row0, count, width)
                            : hash_locked(im, out, perm, views, n_views, row0, count, width);
    pthread_mutex_unlock(&im->lock);
    return s;
}

static loom_status compress_locked(cl_impl *im, loom_digest *out, const loom_poseidon2 *perm, const loom_digest *in,
                                   size_t n_out)
{
    LOOM_TRY(ensure_program(im));
    cl_mem rc;
    LOOM_TRY(perm_consts(im, perm, &rc));
    const size_t block = BLOCK_BYTES / (3 * sizeof(loom_digest));
    for (size_t i0 = 0; i0 < n_out; i0 += block) {
        const size_t cnt = n_out - i0 < block ? n_out - i0 : block;
        LOOM_TRY(ensure_buf(im, &im->a, &im->a_cap, 2 * cnt * sizeof(loom_digest)));
        LOOM_TRY(ensure_buf(im, &im->b, &im->b_cap, cnt * sizeof(loom_digest)));
        CL_TRY(im, clEnqueueWriteBuffer(im->q, im->a, CL_TRUE, 0, 2 * cnt * sizeof(loom_digest), in + 2 * i0, 0, NULL,
                                        NULL),
               "copying digests to the device");
        LOOM_TRY(run_p2(im, perm, im->b, im->a, 16, 16, (cl_uint)cnt, rc));
        CL_TRY(im, clEnqueueReadBuffer(im->q, im->b, CL_TRUE, 0, cnt * sizeof(loom_digest), out + i0, 0, NULL, NULL),
               "copying digests from the device");
    }
    return LOOM_OK;
}

static loom_status cl_compress(loom_device *dev, loom_digest *out, const loom_poseidon2 *perm, const loom_digest *in,
                               size_t n_out)
{
    cl_impl *im = dev->impl;
    if (!perm || (n_out && (!out || !in)))
        return loom_fail(LOOM_ERR_INVALID_ARG, "%s: compress: NULL argument", im->desc);
    if (n_out == 0)
        return LOOM_OK;
    pthread_mutex_lock(&im->lock);
    loom_status s = compress_locked(im, out, perm, in, n_out);
    pthread_mutex_unlock(&im->lock);
    return s;
}

/* ------------------------------------------------------------------ tools */

loom_status loom_opencl_prepare(loom_device *dev)
{
    cl_impl *im = dev->impl;
    pthread_mutex_lock(&im->lock);
    loom_status s = ensure_program(im);
    pthread_mutex_unlock(&im->lock);
    return s;
}

const char *loom_opencl_program_origin(const loom_device *dev)
{
    const cl_impl *im = dev->impl;
    return im && im->origin ? im->origin : "none";
}

loom_status loom_opencl_build_check(loom_device *dev, const char *source, const char *options)
{
    cl_impl *im = dev->impl;
    cl_program p = NULL;
    size_t len = strlen(source);
    pthread_mutex_lock(&im->lock);
    loom_status s = build_source(im, 1, &source, &len, options ? options : "", &p, "the given OpenCL source");
    pthread_mutex_unlock(&im->lock);
    if (p)
        clReleaseProgram(p);
    return s;
}

loom_status loom_opencl_write_binary(loom_device *dev, const char *path)
{
    cl_impl *im = dev->impl;
    LOOM_TRY(loom_opencl_prepare(dev));
    cl_source src;
    LOOM_TRY(source_assemble(&src, im->vl));
    char key[1024], cpath[512];
    cache_key(im, &src, key, sizeof key, cpath, sizeof cpath);
    unsigned char *bin = NULL;
    size_t len = 0;
    pthread_mutex_lock(&im->lock);
    cl_int e = program_binary(im, im->prog, &bin, &len);
    pthread_mutex_unlock(&im->lock);
    if (e != CL_SUCCESS)
        return cl_fail(im, e, "reading the program binary");
    int err = write_container(path, key, bin, len);
    free(bin);
    if (err)
        return loom_fail(LOOM_ERR_IO, "cannot write program binary '%s': %s", path, strerror(err));
    return LOOM_OK;
}

static const loom_device_ops cl_ops = {
    .coset_lde = cl_coset_lde,
    .hash_rows = cl_hash_rows,
    .compress = cl_compress,
};

const loom_driver loom_driver_opencl = {
    .name = "opencl",
    .kind = LOOM_DEVICE_OPENCL,
    .discover = cl_discover,
    .open = cl_open,
    .close = cl_close,
    .ops = &cl_ops,
};
