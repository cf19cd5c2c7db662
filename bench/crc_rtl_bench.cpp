// Simulation speed of the CRC32C beat pipeline alone, one implementation per process (SystemC
// elaborates once): the C++ cycle model and the Verilated RTL, each called directly from C++
// and each as a clocked SystemC module with the same pins. All replay the same recorded random
// beats (tb/rtl/crc_stimulus.hpp, run once against the model so that every flow's running state
// is fed back), so the output checksum must come out the same for every implementation.
//
//   crc_rtl_bench --impl model|rtl-cpp|model-sc|rtl-sc [--cycles N] [--seed S]
//
// bench/crc-rtl runs all four and prints them side by side.
#include <CLI/CLI.hpp>
#include <systemc>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "Vcrc32c_pipe.h"
#include "Vcrc32c_pipe_cpp.h"
#include "hw/crc/crc32c_pipe_model.hpp"
#include "tb/rtl/CrcPipeSignals.hpp"
#include "tb/rtl/crc_stimulus.hpp"

namespace {

using namespace sc_core;
using nic::hw::CrcPipeIn;
using nic::hw::CrcPipeOut;

constexpr unsigned kBytes = NICRTL_CRC_BYTES;
using Pins = nic::tb::CrcPipeSignals<kBytes>;
constexpr unsigned kLatency = NICRTL_CRC_LATENCY;
constexpr unsigned kTagBits = 8;
constexpr size_t kRecorded = 1 << 16;  // cycles of stimulus, replayed in a loop

struct Beat {
  CrcPipeIn in;
  uint8_t data[kBytes];
};

std::vector<Beat> record(uint64_t seed) {
  std::vector<Beat> beats(kRecorded);
  nic::tb::CrcStimulus stim({kBytes, kLatency, 4, 8, 0.15, seed});
  nic::hw::Crc32cPipeModel model(kBytes, kLatency, kTagBits);
  for (Beat& b : beats) {
    b.in = stim.next();
    std::memcpy(b.data, b.in.data, kBytes);
    b.in.data = b.data;
    stim.retire(model.tick(b.in));
  }
  return beats;
}

// Folds every cycle's outputs into one number that any equivalent implementation reproduces.
struct Checksum {
  uint64_t h = 0;
  void add(const CrcPipeOut& o) {
    h = (h ^ (uint64_t(o.state) << 10 | o.tag << 2 | uint64_t(o.match) << 1 | o.valid)) * 0x100000001B3ull;
  }
};

struct Result {
  uint64_t cycles = 0;
  double seconds = 0;
  uint64_t checksum = 0;
};

template <class F>
Result timed(uint64_t cycles, F&& run) {
  const auto t0 = std::chrono::steady_clock::now();
  Result r;
  r.checksum = run();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cycles = cycles;
  return r;
}

Result run_model(const std::vector<Beat>& beats, uint64_t cycles) {
  nic::hw::Crc32cPipeModel model(kBytes, kLatency, kTagBits);
  return timed(cycles, [&] {
    Checksum sum;
    for (uint64_t c = 0; c < cycles; ++c) {
      sum.add(model.tick(beats[c % kRecorded].in));
    }
    return sum.h;
  });
}

Result run_rtl_cpp(const std::vector<Beat>& beats, uint64_t cycles) {
  VerilatedContext ctx;
  Vcrc32c_pipe_cpp m(&ctx, "bench");
  const auto edge = [&m] {
    m.clk = 0;
    m.eval();
    m.clk = 1;
    m.eval();
  };
  m.rst_n = 0;
  edge();
  m.rst_n = 1;
  return timed(cycles, [&] {
    Checksum sum;
    for (uint64_t c = 0; c < cycles; ++c) {
      const CrcPipeIn& in = beats[c % kRecorded].in;
      m.in_valid = in.valid;
      m.fold_state = in.fold_state;
      m.in_keep = in.keep;
      m.in_first = in.first;
      m.in_last = in.last;
      m.in_digest = in.digest;
      m.in_tag = in.tag;
      std::memcpy(m.in_data.data(), in.data, kBytes);
      edge();
      sum.add({bool(m.out_valid), m.out_state, bool(m.out_match), m.out_tag});
    }
    return sum.h;
  });
}

// The C++ model behind the same pins as the Verilated SystemC module.
struct ModelPipe : sc_module {
  sc_in<bool> clk, rst_n, in_valid, in_first, in_last;
  sc_in<uint32_t> in_digest, in_tag, fold_state;
  sc_in<Pins::Keep> in_keep;
  sc_in<Pins::Data> in_data;
  sc_out<bool> out_valid, out_match;
  sc_out<uint32_t> out_state, out_tag;

  SC_HAS_PROCESS(ModelPipe);
  explicit ModelPipe(sc_module_name n) : sc_module(n), model_(kBytes, kLatency, kTagBits) {
    SC_METHOD(rising_edge);
    sensitive << clk.pos();
    dont_initialize();
  }

 private:
  void rising_edge() {
    if (!rst_n.read()) return;  // the model starts in the reset state
    CrcPipeIn in;
    uint8_t data[kBytes];
    const Pins::Data& bv = in_data.read();
    for (unsigned w = 0; w < kBytes / 4; ++w) {
      const uint32_t x = bv.get_word(int(w));
      std::memcpy(data + 4 * w, &x, 4);
    }
    in.valid = in_valid.read();
    in.data = data;
    in.keep = in_keep.read();
    in.first = in_first.read();
    in.last = in_last.read();
    in.digest = in_digest.read();
    in.tag = in_tag.read();
    in.fold_state = fold_state.read();
    const CrcPipeOut o = model_.tick(in);
    out_valid.write(o.valid);
    out_state.write(o.state);
    out_match.write(o.match);
    out_tag.write(o.tag);
  }
  nic::hw::Crc32cPipeModel model_;
};

// An sc_clock, the pipe's signals, and a driver that replays the recorded beats at each
// falling edge and folds the outputs into the checksum.
template <class Pipe>
struct ScBench : sc_module {
  SC_HAS_PROCESS(ScBench);
  ScBench(sc_module_name n, const std::vector<Beat>& beats, uint64_t cycles)
      : sc_module(n), beats_(beats), cycles_(cycles), clk_("clk", sc_time(4, SC_NS)), pipe_("pipe") {
    pins_.bind(pipe_, clk_);
    SC_METHOD(falling_edge);
    sensitive << clk_.negedge_event();
    dont_initialize();
  }
  uint64_t checksum() const { return sum_.h; }

 private:
  void falling_edge() {
    if (c_ > 0) sum_.add(pins_.outputs());
    if (c_ == cycles_) {
      sc_stop();
      return;
    }
    pins_.rst_n.write(true);  // low for the rising edge at time 0 only
    pins_.drive(beats_[c_++ % kRecorded].in);
  }

  const std::vector<Beat>& beats_;
  const uint64_t cycles_;
  uint64_t c_ = 0;
  Checksum sum_;
  sc_clock clk_;
  Pins pins_;
  Pipe pipe_;
};

template <class Pipe>
Result run_sc(const std::vector<Beat>& beats, uint64_t cycles) {
  ScBench<Pipe> bench("bench", beats, cycles);
  return timed(cycles, [&] {
    sc_start();
    return bench.checksum();
  });
}

}  // namespace

int sc_main(int argc, char** argv) {
  std::string impl;
  uint64_t cycles = 2000000, seed = 1;
  CLI::App app{"Simulated cycles per second of the CRC32C pipeline alone"};
  app.add_option("--impl", impl, "implementation")
      ->required()
      ->check(CLI::IsMember({"model", "rtl-cpp", "model-sc", "rtl-sc"}));
  app.add_option("--cycles", cycles, "clock cycles to simulate")->capture_default_str();
  app.add_option("--seed", seed, "stimulus seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::vector<Beat> beats = record(seed);
  const Result r = impl == "model"      ? run_model(beats, cycles)
                   : impl == "rtl-cpp"  ? run_rtl_cpp(beats, cycles)
                   : impl == "model-sc" ? run_sc<ModelPipe>(beats, cycles)
                                        : run_sc<Vcrc32c_pipe>(beats, cycles);
  std::printf("%-9s %10llu cycles %8.3f s %12.0f cycles/s  checksum %016llx\n", impl.c_str(),
              (unsigned long long)r.cycles, r.seconds, double(r.cycles) / r.seconds,
              (unsigned long long)r.checksum);
  return 0;
}
