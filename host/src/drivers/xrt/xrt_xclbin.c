/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xclbin validation before XRT sees the file. XRT's own errors for a wrong file come late (after
 * the device is opened) and say little; these name the file and what is wrong with it. The layout
 * is XRT's <xclbin.h>: the axlf header, a table of section headers, then the sections.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <xclbin.h>

#include "drivers/xrt/xrt_internal.h"

const char *loom_xrt_xclbin_mode_name(unsigned mode)
{
    switch (mode) {
    case XCLBIN_FLAT: return "hw";
    case XCLBIN_PR: return "hw (partial reconfiguration)";
    case XCLBIN_TANDEM_STAGE2: return "hw (tandem stage 2)";
    case XCLBIN_TANDEM_STAGE2_WITH_PR: return "hw (tandem stage 2 with PR)";
    case XCLBIN_HW_EMU: return "hw_emu";
    case XCLBIN_SW_EMU: return "sw_emu";
    case XCLBIN_HW_EMU_PR: return "hw_emu (PR)";
    }
    return "unknown";
}

static loom_status read_at(FILE *f, const char *path, uint64_t off, void *buf, size_t len)
{
    if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fread(buf, 1, len, f) != len)
        return loom_fail(LOOM_ERR_IO, "xclbin '%s': cannot read %zu bytes at offset %llu: %s", path, len,
                         (unsigned long long)off, ferror(f) ? strerror(errno) : "unexpected end of file");
    return LOOM_OK;
}

/* The first bytes of a file that is not an xclbin, printable, for the message. */
static void printable(char *out, size_t out_len, const unsigned char *in, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < out_len; i++)
        o += (size_t)snprintf(out + o, out_len - o, in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"' ? "%c" : "\\x%02x",
                              in[i]);
    out[o] = '\0';
}

/* Whether the ", "-separated list holds `name`. */
static int list_has(const char *list, const char *name)
{
    const size_t nl = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        const size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == nl && memcmp(p, name, nl) == 0)
            return 1;
        if (!e)
            break;
        p = e + 2;
    }
    return 0;
}

static loom_status check_open(loom_xclbin_info *info, FILE *f, const char *path, const char *kernel)
{
    if (fseeko(f, 0, SEEK_END) != 0)
        return loom_fail(LOOM_ERR_IO, "xclbin '%s': cannot seek: %s", path, strerror(errno));
    const off_t size = ftello(f);
    const size_t head_len = offsetof(struct axlf, m_sections);
    struct axlf head;
    if (size < 0 || (uint64_t)size < head_len) {
        unsigned char start[8] = {0};
        size_t got = 0;
        if (size > 0 && fseeko(f, 0, SEEK_SET) == 0)
            got = fread(start, 1, sizeof start, f);
        char shown[48];
        printable(shown, sizeof shown, start, got);
        return loom_fail(LOOM_ERR_FORMAT,
                         "'%s' is not an xclbin: %lld bytes (starting \"%s\"), shorter than the %zu-byte axlf "
                         "header; expected a file made by v++ --link",
                         path, (long long)size, shown, head_len);
    }
    LOOM_TRY(read_at(f, path, 0, &head, head_len));
    if (memcmp(head.m_magic, "xclbin2", 8) != 0) {
        char shown[48];
        printable(shown, sizeof shown, (const unsigned char *)head.m_magic, sizeof head.m_magic);
        return loom_fail(LOOM_ERR_FORMAT, "'%s' is not an xclbin: it starts with \"%s\", expected the magic "
                         "\"xclbin2\" (a file made by v++ --link)", path, shown);
    }
    const struct axlf_header *h = &head.m_header;
    if (h->m_length > (uint64_t)size)
        return loom_fail(LOOM_ERR_FORMAT, "xclbin '%s' is truncated: its header says %llu bytes, the file has %lld",
                         path, (unsigned long long)h->m_length, (long long)size);
    if (h->m_numSections == 0 || h->m_numSections > XCLBIN_MAX_NUM_SECTION)
        return loom_fail(LOOM_ERR_FORMAT, "xclbin '%s': %u sections; expected 1 to %u", path, h->m_numSections,
                         XCLBIN_MAX_NUM_SECTION);
    const uint64_t table_end = head_len + (uint64_t)h->m_numSections * sizeof(struct axlf_section_header);
    if (table_end > h->m_length)
        return loom_fail(LOOM_ERR_FORMAT, "xclbin '%s': its %u section headers end at byte %llu, past its length %llu",
                         path, h->m_numSections, (unsigned long long)table_end, (unsigned long long)h->m_length);

    memcpy(info->platform, h->m_platformVBNV, sizeof h->m_platformVBNV);
    info->platform[sizeof info->platform - 1] = '\0';
    info->mode = h->m_mode;

    struct axlf_section_header ip = {0}, clk = {0};
    int have_ip = 0, have_clk = 0;
    for (uint32_t i = 0; i < h->m_numSections; i++) {
        struct axlf_section_header sh;
        LOOM_TRY(read_at(f, path, head_len + (uint64_t)i * sizeof sh, &sh, sizeof sh));
        if (sh.m_sectionOffset > h->m_length || sh.m_sectionSize > h->m_length - sh.m_sectionOffset)
            return loom_fail(LOOM_ERR_FORMAT,
                             "xclbin '%s': section %u (kind %u, '%.16s') spans bytes %llu + %llu, outside the "
                             "file's %llu bytes",
                             path, i, sh.m_sectionKind, sh.m_sectionName, (unsigned long long)sh.m_sectionOffset,
                             (unsigned long long)sh.m_sectionSize, (unsigned long long)h->m_length);
        if (sh.m_sectionKind == IP_LAYOUT && !have_ip)
            ip = sh, have_ip = 1;
        if (sh.m_sectionKind == CLOCK_FREQ_TOPOLOGY && !have_clk)
            clk = sh, have_clk = 1;
    }
    if (!have_ip)
        return loom_fail(LOOM_ERR_NOT_FOUND, "xclbin '%s' has no IP_LAYOUT section, so no kernels; expected kernel "
                         "'%s' (build it from hls/ or rtl/, docs/fpga-hls-xrt.md)", path, kernel);

    int32_t count = 0;
    const size_t entry0 = offsetof(struct ip_layout, m_ip_data);
    if (ip.m_sectionSize < entry0)
        return loom_fail(LOOM_ERR_FORMAT, "xclbin '%s': IP_LAYOUT section of %llu bytes is too short", path,
                         (unsigned long long)ip.m_sectionSize);
    LOOM_TRY(read_at(f, path, ip.m_sectionOffset, &count, sizeof count));
    if (count < 0 || (uint64_t)count > (ip.m_sectionSize - entry0) / sizeof(struct ip_data))
        return loom_fail(LOOM_ERR_FORMAT, "xclbin '%s': IP_LAYOUT says %d entries, its %llu bytes hold at most %llu",
                         path, count, (unsigned long long)ip.m_sectionSize,
                         (unsigned long long)((ip.m_sectionSize - entry0) / sizeof(struct ip_data)));
    info->kernels[0] = '\0';
    for (int32_t i = 0; i < count; i++) {
        struct ip_data d;
        LOOM_TRY(read_at(f, path, ip.m_sectionOffset + entry0 + (uint64_t)i * sizeof d, &d, sizeof d));
        if (d.m_type != IP_KERNEL)
            continue;
        /* "kernel:instance" */
        char name[sizeof d.m_name + 1];
        memcpy(name, d.m_name, sizeof d.m_name);
        name[sizeof d.m_name] = '\0';
        char *colon = strchr(name, ':');
        if (colon)
            *colon = '\0';
        if (strcmp(name, kernel) == 0)
            info->compute_units++;
        size_t used = strlen(info->kernels), nl = strlen(name);
        if (!list_has(info->kernels, name) && used + nl + 3 < sizeof info->kernels)
            snprintf(info->kernels + used, sizeof info->kernels - used, "%s%s", used ? ", " : "", name);
    }
    if (info->compute_units == 0)
        return loom_fail(LOOM_ERR_NOT_FOUND, "xclbin '%s' has no kernel '%s'; its kernels: %s (build the Loom "
                         "kernel from hls/ or rtl/, docs/fpga-hls-xrt.md)",
                         path, kernel, info->kernels[0] ? info->kernels : "none");

    if (have_clk && clk.m_sectionSize >= offsetof(struct clock_freq_topology, m_clock_freq)) {
        int16_t n = 0;
        LOOM_TRY(read_at(f, path, clk.m_sectionOffset, &n, sizeof n));
        const size_t c0 = offsetof(struct clock_freq_topology, m_clock_freq);
        for (int16_t i = 0; i < n && c0 + (uint64_t)(i + 1) * sizeof(struct clock_freq) <= clk.m_sectionSize; i++) {
            struct clock_freq c;
            LOOM_TRY(read_at(f, path, clk.m_sectionOffset + c0 + (uint64_t)i * sizeof c, &c, sizeof c));
            if (c.m_type == CT_KERNEL && !info->kernel_mhz)
                info->kernel_mhz = c.m_freq_Mhz;
        }
    }
    return LOOM_OK;
}

loom_status loom_xrt_xclbin_check(loom_xclbin_info *info, const char *path, const char *kernel)
{
    memset(info, 0, sizeof *info);
    FILE *f = fopen(path, "rb");
    if (!f)
        return loom_fail(LOOM_ERR_IO, "cannot open xclbin '%s': %s", path, strerror(errno));
    loom_status s = check_open(info, f, path, kernel);
    fclose(f);
    return s;
}
