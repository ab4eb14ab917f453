/* SPDX-License-Identifier: Apache-2.0 */
#include "internal/driver.h"

/* Every driver compiled into this build. The CPU is always first and always present. */
const loom_driver *const loom_drivers[] = {
    &loom_driver_cpu,
#ifdef LOOM_HAVE_CUDA_DRIVER
    &loom_driver_cuda,
#endif
#ifdef LOOM_HAVE_XRT_DRIVER
    &loom_driver_xrt,
#endif
#ifdef LOOM_HAVE_OPENCL_DRIVER
    &loom_driver_opencl,
#endif
#ifdef LOOM_HAVE_FPGA_SIM_DRIVER
    &loom_driver_fpga_sim,
#endif
};
const size_t loom_driver_count = sizeof loom_drivers / sizeof loom_drivers[0];
