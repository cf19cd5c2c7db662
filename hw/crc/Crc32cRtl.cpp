#include "hw/crc/Crc32cRtl.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "Vcrc32c_pipe_cpp.h"
#include "hw/common/RtlTrace.hpp"

namespace nic::hw {

static_assert(Crc32cRtl::kBytes <= 64, "in_keep is one 64-bit word");

Crc32cRtl::Crc32cRtl(sc_core::sc_module_name name)
    : sc_module(name),
      ctx_(std::make_unique<VerilatedContext>()),
      rtl_(std::make_unique<Vcrc32c_pipe_cpp>(ctx_.get(), this->name())) {
  rtl_->rst_n = 0;
  edge();
  rtl_->rst_n = 1;
}

Crc32cRtl::~Crc32cRtl() { rtl_->final(); }

void Crc32cRtl::edge() {
  rtl_->clk = 0;
  rtl_->eval();
  rtl_->clk = 1;
  rtl_->eval();
}

uint32_t Crc32cRtl::update(uint32_t reg, const uint8_t* p, size_t n) {
  Vcrc32c_pipe_cpp& m = *rtl_;
  while (n) {
    const size_t k = std::min<size_t>(n, kBytes);
    m.in_valid = 1;
    m.in_first = 0;
    m.in_last = 0;
    m.in_state = reg;
    m.in_keep = k == 64 ? ~uint64_t(0) : (uint64_t(1) << k) - 1;
    // Lane i is bits [8i+7:8i]: on a little-endian host, byte i of the word array.
    std::memcpy(m.in_data.data(), p, k);
    edge();
    m.in_valid = 0;
    for (uint32_t c = 1; c < kLatency; ++c) edge();
    assert(m.out_valid);
    reg = m.out_state;
    p += k;
    n -= k;
    ++beats_;
  }
  return reg;
}

void Crc32cRtl::trace(sc_core::sc_trace_file* tf) const {
  const std::string base = std::string(name()) + ".";
  const Vcrc32c_pipe_cpp& m = *rtl_;
  // in_valid and out_valid are always 0 and 1 there: the last beat has just come out.
  sc_core::sc_trace(tf, m.in_state, base + "in_state", 32);
  sc_core::sc_trace(tf, m.in_keep, base + "in_keep", int(kBytes));
  sc_core::sc_trace(tf, m.out_state, base + "out_state", 32);
  sc_core::sc_trace(tf, beats_, base + "beats");
  trace_rtl_public(tf, m);
}

}  // namespace nic::hw
