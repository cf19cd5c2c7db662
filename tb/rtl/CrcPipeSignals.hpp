// The CRC32C pipeline's pins as sc_signals, for a SystemC bench around a Verilated module of
// `Bytes` lanes (Vcrc32c_pipe...) or anything with the same ports: binding, driving one cycle's
// inputs from a CrcPipeIn, reading the outputs back as a CrcPipeOut, tracing. Shared by the
// equivalence testbench and the benchmark; declare it inside a module so that the signals take
// its name.
#pragma once
#include <systemc>

#include <cstring>
#include <string>
#include <type_traits>

#include "hw/crc/crc32c_pipe_model.hpp"

namespace nic::tb {

template <unsigned Bytes>
struct CrcPipeSignals {
  // Verilator's --sc port types: sc_bv above 64 bits, else uint64_t above 32 bits, else uint32_t.
  static_assert(Bytes > 8 && Bytes <= 64 && Bytes % 4 == 0, "in_data must be an sc_bv of whole words");
  static constexpr unsigned kBytes = Bytes;
  using Data = sc_dt::sc_bv<kBytes * 8>;
  using Keep = std::conditional_t<(kBytes > 32), uint64_t, uint32_t>;

  sc_core::sc_signal<bool> rst_n{"rst_n"}, in_valid{"in_valid"}, in_first{"in_first"},
      in_last{"in_last"}, out_valid{"out_valid"}, out_match{"out_match"};
  sc_core::sc_signal<uint32_t> in_digest{"in_digest"}, in_tag{"in_tag"}, fold_state{"fold_state"},
      out_state{"out_state"}, out_tag{"out_tag"};
  sc_core::sc_signal<Keep> in_keep{"in_keep"};
  sc_core::sc_signal<Data> in_data{"in_data"};

  template <class Pipe>
  void bind(Pipe& p, sc_core::sc_clock& clk) {
    p.clk(clk);
    p.rst_n(rst_n);
    p.in_valid(in_valid);
    p.in_data(in_data);
    p.in_keep(in_keep);
    p.in_first(in_first);
    p.in_last(in_last);
    p.in_digest(in_digest);
    p.in_tag(in_tag);
    p.fold_state(fold_state);
    p.out_valid(out_valid);
    p.out_state(out_state);
    p.out_match(out_match);
    p.out_tag(out_tag);
  }

  void drive(const hw::CrcPipeIn& in) {
    in_valid.write(in.valid);
    in_keep.write(Keep(in.keep));
    in_first.write(in.first);
    in_last.write(in.last);
    in_digest.write(in.digest);
    in_tag.write(in.tag);
    fold_state.write(in.fold_state);
    Data bv;
    for (unsigned w = 0; w < kBytes / 4; ++w) {  // lane i is bits [8i+7:8i]
      uint32_t x;
      std::memcpy(&x, in.data + 4 * w, 4);
      bv.set_word(int(w), x);
    }
    in_data.write(bv);
  }

  hw::CrcPipeOut outputs() const {
    return {out_valid.read(), out_state.read(), out_match.read(), out_tag.read()};
  }

  void trace(sc_core::sc_trace_file* tf, const std::string& prefix) const {
    sc_trace(tf, rst_n, prefix + "rst_n");
    sc_trace(tf, in_valid, prefix + "in_valid");
    sc_trace(tf, in_data, prefix + "in_data");
    sc_trace(tf, in_keep, prefix + "in_keep");
    sc_trace(tf, in_first, prefix + "in_first");
    sc_trace(tf, in_last, prefix + "in_last");
    sc_trace(tf, in_digest, prefix + "in_digest");
    sc_trace(tf, in_tag, prefix + "in_tag");
    sc_trace(tf, fold_state, prefix + "fold_state");
    sc_trace(tf, out_valid, prefix + "out_valid");
    sc_trace(tf, out_state, prefix + "out_state");
    sc_trace(tf, out_match, prefix + "out_match");
    sc_trace(tf, out_tag, prefix + "out_tag");
  }
};

}  // namespace nic::tb
