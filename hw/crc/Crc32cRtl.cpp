#include "hw/crc/Crc32cRtl.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "Vcrc32c_pipe_cpp.h"
#include "hw/common/RtlTrace.hpp"
#include "proto/crc32c.hpp"

namespace nic::hw {

static_assert(Crc32cRtl::kBytes <= 64, "in_keep is one 64-bit word");

namespace {
std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "%08x", v);
  return b;
}
}  // namespace

Crc32cRtl::Crc32cRtl(sc_core::sc_module_name name, ClockDomain& clk)
    : sc_module(name),
      clk_(clk),
      ctx_(std::make_unique<VerilatedContext>()),
      rtl_(std::make_unique<Vcrc32c_pipe_cpp>(ctx_.get(), this->name())),
      stages_(kLatency) {
  rtl_->rst_n = 0;
  clock();
  rtl_->rst_n = 1;
  clk.attach(*this);
}

Crc32cRtl::~Crc32cRtl() { rtl_->final(); }

void Crc32cRtl::clock() {
  rtl_->clk = 0;
  rtl_->eval();
  rtl_->clk = 1;
  rtl_->eval();
}

uint32_t Crc32cRtl::update(uint32_t reg, const uint8_t* p, size_t n) {
  const uint64_t now = clk_.cycle();
  if (issue_cycle_ != now) {
    issue_cycle_ = now;
    issued_now_ = 0;
  }
  uint32_t result = reg;
  while (n) {
    const uint32_t k = uint32_t(std::min<size_t>(n, kBytes));
    const uint32_t next = crc32c::update(result, p, k);
    Beat* last = queue_.empty() ? nullptr : &queue_.back();
    if (last && last->issued == now && last->result == result && last->n + k <= kBytes) {
      std::memcpy(last->bytes + last->n, p, k);  // the same register again this cycle: one beat
      last->n += k;
      last->result = next;
    } else {
      Beat& b = queue_.emplace_back();
      b.issued = now;
      b.due = std::max(now, due_next_);
      due_next_ = b.due + 1;
      // The stage grants the j-th register of a cycle j extra cycles: a beat later than that
      // means the model's timing and the RTL's disagree.
      if (b.due > now + issued_now_++)
        throw std::runtime_error("crc.impl=rtl: cycle " + std::to_string(now) +
                                 ": the CRC stage took more register updates than it was charged "
                                 "cycles for (docs/rtl-cosim.md)");
      b.state = result;
      b.result = next;
      b.n = k;
      std::memcpy(b.bytes, p, k);
    }
    result = next;
    p += k;
    n -= k;
  }
  return result;
}

void Crc32cRtl::tick() {
  const uint64_t now = clk_.cycle();
  while (next_edge_ < now) {
    // Drained and nothing due: the skipped cycles' edges would change nothing.
    if (queue_.empty() && !in_flight_ && !rtl_->out_valid) {
      next_edge_ = now;
      break;
    }
    edge(next_edge_++);
  }
  // The stage holds the clock until the last result is out; keep going until it is.
  if (!queue_.empty() || in_flight_) clk_.request_next();
}

void Crc32cRtl::edge(uint64_t cycle) {
  Vcrc32c_pipe_cpp& m = *rtl_;
  Stage& in = stages_[cycle % kLatency];
  in = {};
  m.in_valid = 0;
  if (!queue_.empty() && queue_.front().due == cycle) {
    const Beat& b = queue_.front();
    // The beat just ahead produced this beat's register: the context does not hold it yet.
    const bool forward = beats_ && prev_cycle_ + 1 == cycle && prev_result_ == b.state;
    const uint32_t tag = forward ? prev_tag_ : (prev_tag_ + 1) & 0xFF;
    in = {true, forward ? prev_state_ : b.state, b.result, tag};
    m.in_valid = 1;
    m.in_first = b.state == crc32c::kInit;
    m.in_last = 0;
    m.in_digest = 0;
    m.in_tag = uint8_t(tag);
    m.in_keep = b.n >= 64 ? ~uint64_t(0) : (uint64_t(1) << b.n) - 1;
    // Lane i is bits [8i+7:8i]: on a little-endian host, byte i of the word array.
    std::memcpy(m.in_data.data(), b.bytes, b.n);
    prev_cycle_ = cycle;
    prev_state_ = b.state;
    prev_result_ = b.result;
    prev_tag_ = tag;
    forwarded_ += forward;
    ++beats_;
    ++in_flight_;
    queue_.pop_front();
  }
  const Stage& fold = stages_[(cycle + 1) % kLatency];  // entered kLatency - 1 cycles ago
  m.fold_state = fold.valid ? fold.port : 0;
  clock();
  if (!fold.valid) return;
  --in_flight_;
  if (!m.out_valid || m.out_tag != fold.tag || m.out_state != fold.result)
    throw std::runtime_error("crc.impl=rtl: cycle " + std::to_string(cycle + 1) + ": the RTL's register " +
                             hex(m.out_state) + " (valid " + std::to_string(m.out_valid) + ", tag " +
                             std::to_string(m.out_tag) + ") differs from the engine's " + hex(fold.result) +
                             " (tag " + std::to_string(fold.tag) + ")");
  ++checked_;
}

void Crc32cRtl::trace(sc_core::sc_trace_file* tf) const {
  const std::string base = std::string(name()) + ".";
  const Vcrc32c_pipe_cpp& m = *rtl_;
  sc_core::sc_trace(tf, m.in_valid, base + "in_valid", 1);
  sc_core::sc_trace(tf, m.in_keep, base + "in_keep", int(kBytes));
  sc_core::sc_trace(tf, m.in_first, base + "in_first", 1);
  sc_core::sc_trace(tf, m.in_tag, base + "in_tag", 8);
  sc_core::sc_trace(tf, m.fold_state, base + "fold_state", 32);
  sc_core::sc_trace(tf, m.out_valid, base + "out_valid", 1);
  sc_core::sc_trace(tf, m.out_state, base + "out_state", 32);
  sc_core::sc_trace(tf, m.out_tag, base + "out_tag", 8);
  sc_core::sc_trace(tf, beats_, base + "beats");
  trace_rtl_public(tf, m);
}

}  // namespace nic::hw
