// SPDX-License-Identifier: Apache-2.0
// hls::stream: Vitis HLS's own where it exists (synthesis, or C simulation with the Vitis include
// folder on the path), otherwise a plain FIFO with the same read/write/empty interface so the
// kernel compiles and runs with g++ alone. Like Vitis C simulation, the fallback runs the dataflow
// processes one after the other with unbounded FIFOs; unlike it, a read from an empty stream and
// a stream destroyed while holding data are counted (loom_hls_stream_errors()): either one would be
// a deadlock or a lost item in hardware, and the test bench fails on them.
#ifndef LOOM_HLS_STREAM_H
#define LOOM_HLS_STREAM_H

#if defined(__SYNTHESIS__) || (defined(__has_include) && __has_include(<hls_stream.h>))
#include <hls_stream.h>
#define LOOM_HLS_VITIS_STREAM 1
inline unsigned long loom_hls_stream_errors() { return 0; }
#else
#include <cstdio>
#include <deque>
#include <string>

inline unsigned long &loom_hls_stream_error_count()
{
    static unsigned long n;
    return n;
}
inline unsigned long loom_hls_stream_errors() { return loom_hls_stream_error_count(); }

namespace hls {

template <typename T> class stream {
  public:
    stream() : name_("stream") {}
    explicit stream(const char *name) : name_(name) {}
    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;
    ~stream()
    {
        if (!q_.empty()) {
            std::fprintf(stderr, "hls::stream '%s' destroyed with %zu unread items\n", name_.c_str(), q_.size());
            loom_hls_stream_error_count()++;
        }
    }
    void write(const T &v) { q_.push_back(v); }
    T read()
    {
        if (q_.empty()) {
            std::fprintf(stderr, "hls::stream '%s' read while empty\n", name_.c_str());
            loom_hls_stream_error_count()++;
            return T();
        }
        T v = q_.front();
        q_.pop_front();
        return v;
    }
    bool empty() const { return q_.empty(); }
    bool full() const { return false; }
    size_t size() const { return q_.size(); }

  private:
    std::deque<T> q_;
    std::string name_;
};

}  // namespace hls
#endif

#endif
