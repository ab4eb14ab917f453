// SPDX-License-Identifier: Apache-2.0
// XRT's native C++ API behind C functions that never throw (xrt_shim.h).
#include "drivers/xrt/xrt_shim.h"

#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>

#include <experimental/xrt_system.h>
#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

struct loom_xrt_dev {
    xrt::device device;
    xrt::uuid uuid;
    xrt::kernel kernel;
};

struct loom_xrt_buf {
    xrt::bo bo;
    void *map = nullptr;
    size_t bytes = 0;
};

struct loom_xrt_run {
    xrt::run run;
};

namespace {

void set_err(char *err, size_t len, const char *what, const char *msg)
{
    if (err && len)
        std::snprintf(err, len, "%s: %s", what, msg && msg[0] ? msg : "unknown XRT error");
}

// Runs f, turning any exception into LOOM_XRT_ERR (or LOOM_XRT_NO_MEMORY) with its message.
template <typename F> int guarded(const char *what, char *err, size_t len, F &&f) noexcept
{
    try {
        return f();
    } catch (const std::bad_alloc &) {
        set_err(err, len, what, "out of memory");
        return LOOM_XRT_NO_MEMORY;
    } catch (const std::exception &e) {
        set_err(err, len, what, e.what());
        return LOOM_XRT_ERR;
    } catch (...) {
        set_err(err, len, what, "non-standard C++ exception");
        return LOOM_XRT_ERR;
    }
}

}  // namespace

extern "C" {

const char *loom_xrt_coreutil_dir(void)
{
    static char dir[4096];
    if (!dir[0]) {
        Dl_info info;
        // Any function of libxrt_coreutil gives its file name.
        if (dladdr(reinterpret_cast<void *>(&xrtDeviceOpen), &info) && info.dli_fname) {
            std::snprintf(dir, sizeof dir, "%s", info.dli_fname);
            char *slash = std::strrchr(dir, '/');
            if (slash)
                *slash = '\0';
            else
                dir[0] = '\0';
        }
    }
    return dir;
}

int loom_xrt_count(unsigned *n, char *err, size_t err_len)
{
    *n = 0;
    int rc = guarded("xrt::system::enumerate_devices()", err, err_len, [&] {
        *n = (unsigned)xrt::system::enumerate_devices();
        return LOOM_XRT_OK;
    });
    if (rc == LOOM_XRT_OK && *n == 0) {
        // Say why: XRT's own message for opening the first card.
        rc = guarded("xrt::device(0)", err, err_len, [&] {
            xrt::device d(0u);
            *n = 1;  // enumeration and opening disagree: trust the open
            return LOOM_XRT_OK;
        });
        return rc == LOOM_XRT_OK ? LOOM_XRT_OK : LOOM_XRT_ERR;
    }
    return rc;
}

int loom_xrt_card_info(unsigned index, loom_xrt_card *out, char *err, size_t err_len)
{
    std::memset(out, 0, sizeof *out);
    return guarded("xrt::device", err, err_len, [&] {
        xrt::device d(index);
        std::snprintf(out->name, sizeof out->name, "%s", d.get_info<xrt::info::device::name>().c_str());
        std::snprintf(out->bdf, sizeof out->bdf, "%s", d.get_info<xrt::info::device::bdf>().c_str());
        out->clock_mhz = (unsigned)d.get_info<xrt::info::device::max_clock_frequency_mhz>();
        return LOOM_XRT_OK;
    });
}

int loom_xrt_open(loom_xrt_dev **out, const char *bdf, unsigned index, const char *xclbin, const char *kernel,
                  char *err, size_t err_len)
{
    *out = nullptr;
    std::unique_ptr<loom_xrt_dev> d;
    int rc = guarded("opening the card", err, err_len, [&] {
        d.reset(new loom_xrt_dev);
        d->device = bdf && bdf[0] ? xrt::device(std::string(bdf)) : xrt::device(index);
        return LOOM_XRT_OK;
    });
    if (rc == LOOM_XRT_OK)
        rc = guarded("loading the xclbin", err, err_len, [&] {
            d->uuid = d->device.load_xclbin(std::string(xclbin));
            return LOOM_XRT_OK;
        });
    if (rc == LOOM_XRT_OK)
        rc = guarded("opening the kernel", err, err_len, [&] {
            d->kernel = xrt::kernel(d->device, d->uuid, std::string(kernel));
            return LOOM_XRT_OK;
        });
    if (rc == LOOM_XRT_OK)
        *out = d.release();
    else
        guarded("closing", nullptr, 0, [&] {
            d.reset();
            return LOOM_XRT_OK;
        });
    return rc;
}

void loom_xrt_close(loom_xrt_dev *d)
{
    guarded("closing", nullptr, 0, [&] {
        delete d;
        return LOOM_XRT_OK;
    });
}

int loom_xrt_buf_alloc(loom_xrt_dev *d, loom_xrt_buf **out, size_t bytes, int arg, char *err, size_t err_len)
{
    *out = nullptr;
    int rc = guarded("allocating a device buffer", err, err_len, [&] {
        std::unique_ptr<loom_xrt_buf> b(new loom_xrt_buf);
        b->bo = xrt::bo(d->device, bytes, d->kernel.group_id(arg));
        b->map = b->bo.map<void *>();
        b->bytes = bytes;
        *out = b.release();
        return LOOM_XRT_OK;
    });
    // XRT reports an allocation it cannot satisfy as a plain error; say which size failed.
    if (rc != LOOM_XRT_OK && err && err_len) {
        const size_t used = std::strlen(err);
        std::snprintf(err + used, err_len - used, " (%zu bytes for argument %d)", bytes, arg);
    }
    return rc;
}

void *loom_xrt_buf_map(loom_xrt_buf *b) { return b->map; }

size_t loom_xrt_buf_size(const loom_xrt_buf *b) { return b->bytes; }

int loom_xrt_buf_sync(loom_xrt_buf *b, int to_device, size_t bytes, char *err, size_t err_len)
{
    return guarded(to_device ? "copying to the card" : "copying from the card", err, err_len, [&] {
        b->bo.sync(to_device ? XCL_BO_SYNC_BO_TO_DEVICE : XCL_BO_SYNC_BO_FROM_DEVICE, bytes, 0);
        return LOOM_XRT_OK;
    });
}

void loom_xrt_buf_free(loom_xrt_buf *b)
{
    guarded("freeing a device buffer", nullptr, 0, [&] {
        delete b;
        return LOOM_XRT_OK;
    });
}

int loom_xrt_run_start(loom_xrt_dev *d, loom_xrt_run **out, loom_xrt_buf *src, loom_xrt_buf *dst, uint32_t n_rows,
                       uint32_t row_len, uint32_t mode, char *err, size_t err_len)
{
    *out = nullptr;
    return guarded("starting the kernel", err, err_len, [&] {
        std::unique_ptr<loom_xrt_run> r(new loom_xrt_run{xrt::run(d->kernel)});
        r->run.set_arg(0, src->bo);
        r->run.set_arg(1, dst->bo);
        r->run.set_arg(2, n_rows);
        r->run.set_arg(3, row_len);
        r->run.set_arg(4, mode);
        r->run.start();
        *out = r.release();
        return LOOM_XRT_OK;
    });
}

int loom_xrt_run_finish(loom_xrt_run *r, unsigned timeout_ms, char *err, size_t err_len)
{
    std::unique_ptr<loom_xrt_run> own(r);
    int rc = guarded("waiting for the kernel", err, err_len, [&] {
        const ert_cmd_state st = r->run.wait(std::chrono::milliseconds(timeout_ms));
        if (st == ERT_CMD_STATE_COMPLETED)
            return LOOM_XRT_OK;
        if (st == ERT_CMD_STATE_TIMEOUT || st == ERT_CMD_STATE_NEW || st == ERT_CMD_STATE_QUEUED ||
            st == ERT_CMD_STATE_RUNNING || st == ERT_CMD_STATE_SUBMITTED) {
            r->run.abort();
            if (err && err_len)
                std::snprintf(err, err_len, "the kernel did not finish within %u ms (command state %d); aborted",
                              timeout_ms, (int)st);
            return LOOM_XRT_TIMEOUT;
        }
        if (err && err_len)
            std::snprintf(err, err_len, "the kernel ended in command state %d (5 error, 6 abort, 9 no response)",
                          (int)st);
        return LOOM_XRT_ERR;
    });
    guarded("releasing a run", nullptr, 0, [&] {
        own.reset();
        return LOOM_XRT_OK;
    });
    return rc;
}

}  // extern "C"
