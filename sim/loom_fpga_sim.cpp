// SPDX-License-Identifier: Apache-2.0
// The Verilator harness of rtl/loom_p2_kernel.sv (sim/loom_fpga_sim.h). Each clock: drive the
// inputs, settle with the clock low, sample every valid/ready handshake, raise the clock, then
// apply what the handshakes did (memory reads and writes, register transfers). The memory model
// answers reads in order after a fixed latency; stalls are injected at random on read data,
// read requests and writes, always within the AXI rules (data once offered stays offered).
#include "loom_fpga_sim.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <random>
#include <string>

#include "Vloom_p2_kernel.h"
#include "loom_fpga_regs.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

namespace {

constexpr uint64_t kDefaultMem = 64ull << 20;
constexpr unsigned kDefaultLatency = 16;
constexpr uint64_t kRegTimeout = 1000;  // clocks an AXI4-Lite transfer may take

struct ReadReq {
    uint64_t ready_at;
    uint64_t addr;
    unsigned words;
};

}  // namespace

struct loom_fpga_sim {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vloom_p2_kernel> top;
#if VM_TRACE
    std::unique_ptr<VerilatedVcdC> vcd;
#endif
    uint8_t *mem = nullptr;
    uint64_t mem_bytes = 0;
    unsigned rd_latency = kDefaultLatency;
    double rd_stall = 0, wr_stall = 0, req_stall = 0;
    std::mt19937_64 rng;
    std::uniform_real_distribution<double> uni{0.0, 1.0};

    uint64_t cycle = 0;   // clocks since create (time of the trace)
    std::deque<ReadReq> reads;
    bool rsp_offered = false;  // read data on the port, not yet taken
    bool done_seen = false;
    // AXI4-Lite handshakes of the last clock.
    bool aw_fire = false, b_fire = false, ar_fire = false, r_fire = false;
    uint32_t rdata = 0;
    std::string err;
    bool mem_fault = false;

    loom_fpga_sim_counters c{};
    uint64_t run = 0;  // current run of consecutive permutation entries
    std::deque<uint64_t> in_flight;  // entry clocks of the permutations in the pipeline

    uint32_t *mon = nullptr;
    size_t mon_cap = 0;
    size_t *mon_count = nullptr;

    ~loom_fpga_sim()
    {
#if VM_TRACE
        if (vcd)
            vcd->close();
#endif
        if (top)
            top->final();
        std::free(mem);
    }

    int fail(const char *fmt, ...) __attribute__((format(printf, 2, 3)))
    {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        std::vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        err = buf;
        return -1;
    }

    bool in_range(uint64_t addr, uint64_t n) const { return addr <= mem_bytes && n <= mem_bytes - addr; }

    void eval_and_dump()
    {
        top->eval();
#if VM_TRACE
        if (vcd)
            vcd->dump(ctx->time());
#endif
    }

    // Drives the memory side's inputs for the coming clock (the stall decisions are made here).
    void drive_memory()
    {
        bool head_ready = !reads.empty() && reads.front().ready_at <= cycle;
        bool offer = rsp_offered || (head_ready && !(rd_stall > 0 && uni(rng) < rd_stall));
        if (head_ready && !offer)
            c.rd_stall_cycles++;
        rsp_offered = offer;
        top->mem_rd_rsp_valid_i = offer;
        for (int w = 0; w < 16; w++)
            top->mem_rd_rsp_data_i[w] = 0;
        if (offer) {
            const ReadReq &r = reads.front();
            if (in_range(r.addr, 4ull * r.words)) {
                for (unsigned w = 0; w < r.words; w++)
                    std::memcpy(&top->mem_rd_rsp_data_i[w], mem + r.addr + 4ull * w, 4);
            } else if (!mem_fault) {
                mem_fault = true;
                fail("the kernel read %u words at 0x%llx, outside the %llu-byte device memory", r.words,
                     (unsigned long long)r.addr, (unsigned long long)mem_bytes);
            }
        }
        top->mem_rd_req_ready_i = !(req_stall > 0 && uni(rng) < req_stall);
        top->mem_wr_ready_i = !(wr_stall > 0 && uni(rng) < wr_stall);
    }

    // One clock. The AXI4-Lite inputs are whatever the caller set.
    void tick()
    {
        drive_memory();
        top->clk_i = 0;
        ctx->timeInc(1);
        eval_and_dump();

        // Sample the handshakes before the edge.
        const bool req_fire = top->mem_rd_req_valid_o && top->mem_rd_req_ready_i;
        const bool rsp_fire = top->mem_rd_rsp_valid_i && top->mem_rd_rsp_ready_o;
        const bool wr_fire = top->mem_wr_valid_o && top->mem_wr_ready_i;
        if (top->mem_rd_req_valid_o && !top->mem_rd_req_ready_i)
            c.req_stall_cycles++;
        if (top->mem_wr_valid_o && !top->mem_wr_ready_i)
            c.wr_stall_cycles++;
        ReadReq req{cycle + rd_latency, top->mem_rd_req_addr_o, top->mem_rd_req_words_o};
        uint64_t wr_addr = top->mem_wr_addr_o;
        uint32_t wr_data[8];
        for (int w = 0; w < 8; w++)
            wr_data[w] = top->mem_wr_data_o[w];
        aw_fire = top->s_axil_awvalid_i && top->s_axil_awready_o;
        b_fire = top->s_axil_bvalid_o && top->s_axil_bready_i;
        ar_fire = top->s_axil_arvalid_i && top->s_axil_arready_o;
        r_fire = top->s_axil_rvalid_o && top->s_axil_rready_i;
        rdata = top->s_axil_rdata_o;
        observe();

        top->clk_i = 1;
        ctx->timeInc(1);
        eval_and_dump();
        cycle++;
        c.cycles++;

        if (req_fire) {
            reads.push_back(req);
            c.rd_requests++;
            c.rd_words += req.words;
        }
        if (rsp_fire) {
            reads.pop_front();
            rsp_offered = false;
        }
        if (wr_fire) {
            c.wr_digests++;
            if (in_range(wr_addr, 32))
                std::memcpy(mem + wr_addr, wr_data, 32);
            else if (!mem_fault) {
                mem_fault = true;
                fail("the kernel wrote 32 bytes at 0x%llx, outside the %llu-byte device memory",
                     (unsigned long long)wr_addr, (unsigned long long)mem_bytes);
            }
        }
    }

    // The observation ports, sampled before the edge.
    void observe()
    {
        if (top->dbg_busy_o)
            c.busy_cycles++;
        if (top->dbg_done_o) {
            done_seen = true;
            c.jobs_done++;
        }
        if (top->dbg_hazard_stall_o)
            c.hazard_stall_cycles++;
        if (top->dbg_credit_stall_o)
            c.credit_stall_cycles++;
        if (top->dbg_perm_in_o) {
            if (c.perms_in == 0)
                c.first_in_cycle = c.cycles;
            c.last_in_cycle = c.cycles;
            c.perms_in++;
            run++;
            if (run > c.longest_in_run)
                c.longest_in_run = run;
            in_flight.push_back(c.cycles);
        } else {
            run = 0;
        }
        if (top->dbg_perm_out_o) {
            if (!in_flight.empty()) {
                uint64_t lat = c.cycles - in_flight.front();
                in_flight.pop_front();
                if (c.latency_max == 0 || lat < c.latency_min)
                    c.latency_min = lat;
                if (lat > c.latency_max)
                    c.latency_max = lat;
            }
            if (mon && mon_count) {
                if (*mon_count < mon_cap)
                    for (int w = 0; w < 16; w++)
                        mon[16 * *mon_count + w] = top->dbg_perm_out_state_o[w];
                (*mon_count)++;
            }
            c.perms_out++;
        }
    }

    void idle_axil()
    {
        top->s_axil_awvalid_i = 0;
        top->s_axil_wvalid_i = 0;
        top->s_axil_bready_i = 0;
        top->s_axil_arvalid_i = 0;
        top->s_axil_rready_i = 0;
    }

    // A memory access out of range, or an RTL assertion ($error) that fired.
    int check_fault()
    {
        if (!mem_fault && ctx->gotError()) {
            mem_fault = true;
            fail("an assertion in the RTL failed at clock %llu (its message is on stderr)",
                 (unsigned long long)cycle);
        }
        return mem_fault ? -1 : 0;
    }
};

extern "C" {

void loom_fpga_sim_info_get(loom_fpga_sim_info *out)
{
    out->kernel = LOOM_FPGA_KERNEL_NAME;
    out->perm = LOOM_FPGA_PERM_NAME;
    out->perm_latency = LOOM_FPGA_PERM_LATENCY;
    out->context_slots = LOOM_FPGA_CONTEXT_SLOTS;
    out->target_mhz = LOOM_FPGA_TARGET_CLOCK_MHZ;
    out->trace_built = VM_TRACE ? 1 : 0;
}

int loom_fpga_sim_create(loom_fpga_sim **out, const loom_fpga_sim_opts *opts, char *err, size_t err_len)
{
    *out = nullptr;
    loom_fpga_sim_opts o{};
    if (opts)
        o = *opts;
    auto say = [&](const char *msg) {
        if (err && err_len)
            std::snprintf(err, err_len, "%s", msg);
        return -1;
    };
    if (o.rd_stall < 0 || o.rd_stall >= 1 || o.wr_stall < 0 || o.wr_stall >= 1 || o.req_stall < 0 ||
        o.req_stall >= 1)
        return say("stall chances must be in [0, 1)");
    const char *trace = o.trace_path ? o.trace_path : std::getenv("LOOM_SIM_TRACE");
    if (trace && !trace[0])
        trace = nullptr;
#if !VM_TRACE
    if (trace)
        return say("a VCD trace was asked for (LOOM_SIM_TRACE or trace_path), but this build of the simulator "
                   "has no trace support; reconfigure with -DLOOM_FPGA_SIM_TRACE=ON");
#endif
    loom_fpga_sim *s = new (std::nothrow) loom_fpga_sim;
    if (!s)
        return say("out of memory");
    s->mem_bytes = o.mem_bytes ? o.mem_bytes : kDefaultMem;
    s->mem = static_cast<uint8_t *>(std::calloc(1, s->mem_bytes));
    if (!s->mem) {
        delete s;
        return say("out of memory for the device memory model");
    }
    s->rd_latency = o.rd_latency ? o.rd_latency : kDefaultLatency;
    s->rd_stall = o.rd_stall, s->wr_stall = o.wr_stall, s->req_stall = o.req_stall;
    s->rng.seed(o.seed);
    s->ctx.reset(new VerilatedContext);
    s->ctx->fatalOnError(false);
#if VM_TRACE
    if (trace)
        s->ctx->traceEverOn(true);
#endif
    s->top.reset(new Vloom_p2_kernel{s->ctx.get(), "loom_p2_kernel"});
#if VM_TRACE
    if (trace) {
        s->vcd.reset(new VerilatedVcdC);
        s->top->trace(s->vcd.get(), 99);
        s->vcd->open(trace);
        if (!s->vcd->isOpen()) {
            delete s;
            return say("cannot open the VCD trace file named by LOOM_SIM_TRACE / trace_path");
        }
    }
#endif
    s->idle_axil();
    s->top->rst_ni = 1;
    s->top->clk_i = 0;
    s->top->eval();
    loom_fpga_sim_reset(s, 4);
    loom_fpga_sim_counters_clear(s);
    *out = s;
    return 0;
}

void loom_fpga_sim_destroy(loom_fpga_sim *sim) { delete sim; }

const char *loom_fpga_sim_error(const loom_fpga_sim *sim) { return sim ? sim->err.c_str() : "no simulation"; }

int loom_fpga_sim_set_stalls(loom_fpga_sim *sim, double rd_stall, double wr_stall, double req_stall, uint64_t seed)
{
    if (rd_stall < 0 || rd_stall >= 1 || wr_stall < 0 || wr_stall >= 1 || req_stall < 0 || req_stall >= 1)
        return sim->fail("stall chances must be in [0, 1); got %g, %g, %g", rd_stall, wr_stall, req_stall);
    sim->rd_stall = rd_stall, sim->wr_stall = wr_stall, sim->req_stall = req_stall;
    sim->rng.seed(seed);
    return 0;
}

uint64_t loom_fpga_sim_mem_size(const loom_fpga_sim *sim) { return sim->mem_bytes; }

int loom_fpga_sim_mem_write(loom_fpga_sim *sim, uint64_t addr, const void *data, size_t n)
{
    if (!sim->in_range(addr, n))
        return sim->fail("device memory write of %zu bytes at 0x%llx is outside the %llu-byte memory", n,
                         (unsigned long long)addr, (unsigned long long)sim->mem_bytes);
    std::memcpy(sim->mem + addr, data, n);
    return 0;
}

int loom_fpga_sim_mem_read(loom_fpga_sim *sim, uint64_t addr, void *data, size_t n)
{
    if (!sim->in_range(addr, n))
        return sim->fail("device memory read of %zu bytes at 0x%llx is outside the %llu-byte memory", n,
                         (unsigned long long)addr, (unsigned long long)sim->mem_bytes);
    std::memcpy(data, sim->mem + addr, n);
    return 0;
}

int loom_fpga_sim_reg_write(loom_fpga_sim *sim, uint32_t offset, uint32_t value)
{
    if (offset >= LOOM_FPGA_REG_SPACE_BYTES || offset % 4)
        return sim->fail("register offset 0x%x: expected a multiple of 4 below 0x%x", offset,
                         LOOM_FPGA_REG_SPACE_BYTES);
    Vloom_p2_kernel *t = sim->top.get();
    t->s_axil_awvalid_i = 1;
    t->s_axil_awaddr_i = offset;
    t->s_axil_wvalid_i = 1;
    t->s_axil_wdata_i = value;
    t->s_axil_wstrb_i = 0xf;
    t->s_axil_bready_i = 1;
    bool addr_done = false, resp_done = false;
    for (uint64_t i = 0; i < kRegTimeout && !resp_done; i++) {
        sim->tick();
        if (sim->aw_fire) {
            addr_done = true;
            t->s_axil_awvalid_i = 0;
            t->s_axil_wvalid_i = 0;
        }
        if (sim->b_fire && addr_done)
            resp_done = true;
    }
    sim->idle_axil();
    if (!resp_done)
        return sim->fail("register write 0x%x = 0x%x got no response in %llu clocks", offset, value,
                         (unsigned long long)kRegTimeout);
    return sim->check_fault();
}

int loom_fpga_sim_reg_read(loom_fpga_sim *sim, uint32_t offset, uint32_t *value)
{
    if (offset >= LOOM_FPGA_REG_SPACE_BYTES || offset % 4)
        return sim->fail("register offset 0x%x: expected a multiple of 4 below 0x%x", offset,
                         LOOM_FPGA_REG_SPACE_BYTES);
    Vloom_p2_kernel *t = sim->top.get();
    t->s_axil_arvalid_i = 1;
    t->s_axil_araddr_i = offset;
    t->s_axil_rready_i = 1;
    bool addr_done = false, data_done = false;
    for (uint64_t i = 0; i < kRegTimeout && !data_done; i++) {
        sim->tick();
        if (sim->ar_fire) {
            addr_done = true;
            t->s_axil_arvalid_i = 0;
        }
        if (sim->r_fire && addr_done) {
            *value = sim->rdata;
            data_done = true;
        }
    }
    sim->idle_axil();
    if (!data_done)
        return sim->fail("register read 0x%x got no data in %llu clocks", offset, (unsigned long long)kRegTimeout);
    return sim->check_fault();
}

int loom_fpga_sim_step(loom_fpga_sim *sim, uint64_t cycles)
{
    for (uint64_t i = 0; i < cycles && sim->check_fault() == 0; i++)
        sim->tick();
    return sim->check_fault();
}

int loom_fpga_sim_run_until_done(loom_fpga_sim *sim, uint64_t max_cycles, int *done, uint64_t *used)
{
    uint64_t i = 0;
    while (!sim->done_seen && i < max_cycles && sim->check_fault() == 0) {
        sim->tick();
        i++;
    }
    *done = sim->done_seen ? 1 : 0;
    sim->done_seen = false;
    if (used)
        *used = i;
    return sim->check_fault();
}

int loom_fpga_sim_interrupt(const loom_fpga_sim *sim) { return sim->top->interrupt_o ? 1 : 0; }

int loom_fpga_sim_reset(loom_fpga_sim *sim, unsigned cycles)
{
    if (cycles == 0)
        cycles = 1;
    sim->idle_axil();
    sim->reads.clear();
    sim->rsp_offered = false;
    sim->top->rst_ni = 0;
    sim->top->clk_i = 0;
    sim->eval_and_dump();
    for (unsigned i = 0; i < cycles; i++)
        sim->tick();
    sim->reads.clear();
    sim->rsp_offered = false;
    sim->top->rst_ni = 1;
    sim->eval_and_dump();
    sim->in_flight.clear();
    sim->run = 0;
    sim->done_seen = false;
    sim->mem_fault = false;
    return 0;
}

void loom_fpga_sim_counters_get(const loom_fpga_sim *sim, loom_fpga_sim_counters *out) { *out = sim->c; }

void loom_fpga_sim_counters_clear(loom_fpga_sim *sim)
{
    sim->c = loom_fpga_sim_counters{};
    sim->run = 0;
}

void loom_fpga_sim_monitor(loom_fpga_sim *sim, uint32_t *states, size_t cap, size_t *count)
{
    sim->mon = states;
    sim->mon_cap = states ? cap : 0;
    sim->mon_count = states ? count : nullptr;
    if (count)
        *count = 0;
}

}  // extern "C"
