// Lock-step equivalence of the CRC32C beat pipeline's RTL and its C++ cycle model: the RTL
// Verilated with --sc runs on an sc_clock; at every falling edge this bench reads its outputs,
// compares them with what Crc32cPipeModel produced for the same edge, has the scoreboard check
// them against proto/crc32c, then drives the next random beat (tb/rtl/crc_stimulus.hpp: one
// flow's beats back to back, flows interleaved, bursts, idle cycles) into both. On the first
// difference it prints the cycle, the inputs of the beats in flight and both outputs, keeps
// running a few cycles, writes a VCD of the cycles around it and exits 1.
//
// Built once per geometry (tests/CMakeLists.txt): CRC_EQUIV_BYTES and CRC_EQUIV_LATENCY name
// it, CRC_EQUIV_DUT and CRC_EQUIV_HEADER the Verilated class built with them.
//
//   crc_equiv [--beats N] [--seed S] [--flows F] [--idle P] [--mismatch-vcd FILE]
//             [--vcd FILE] [--rtl-vcd FILE] [--inject-fault CYCLE]
//
// --vcd traces the whole run through SystemC: the bench's signals and the RTL's public
// registers in one file. --rtl-vcd adds Verilator's own dump of every RTL net (a separate
// file). --inject-fault flips a bit of the model's output at CYCLE, to see a mismatch caught.
#include <CLI/CLI.hpp>
#include <systemc>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include CRC_EQUIV_HEADER
#include "hw/common/RtlTrace.hpp"
#include "hw/crc/crc32c_pipe_model.hpp"
#include "tb/rtl/CrcPipeSignals.hpp"
#include "tb/rtl/crc_stimulus.hpp"
#include "verilated_vcd_sc.h"

namespace {

using namespace sc_core;
using nic::hw::CrcPipeIn;
using nic::hw::CrcPipeOut;

constexpr unsigned kBytes = CRC_EQUIV_BYTES;
constexpr unsigned kLatency = CRC_EQUIV_LATENCY;
constexpr unsigned kTagBits = 8;
constexpr double kPeriodNs = 4.0;  // 250 MHz, as the NIC's core clock
constexpr uint64_t kResetCycles = 2;  // rst_n rises at this falling edge

struct Options {
  uint64_t beats = 1000000;
  uint64_t seed = 1;
  unsigned flows = 4;
  double idle = 0.15;
  std::string mismatch_vcd = "crc_mismatch.vcd";
  std::string vcd, rtl_vcd;
  int64_t inject_fault = -1;
};

// One cycle as seen at its falling edge: the outputs then, and the inputs driven from then on.
struct Sample {
  CrcPipeIn in;
  uint8_t data[kBytes] = {};
  CrcPipeOut rtl, model;
};

class Bench : public sc_module {
 public:
  SC_HAS_PROCESS(Bench);
  Bench(sc_module_name n, const Options& o)
      : sc_module(n),
        opt_(o),
        clk_("clk", sc_time(kPeriodNs, SC_NS)),
        dut_("dut"),
        model_(kBytes, kLatency, kTagBits),
        stim_({kBytes, kLatency, o.flows, 8, o.idle, o.seed}),
        ring_(64) {
    pins_.bind(dut_, clk_);
    SC_METHOD(falling_edge);
    sensitive << clk_.negedge_event();
    dont_initialize();
  }

  int status() const { return status_; }
  uint64_t cycles() const { return cycle_; }
  const nic::tb::CrcStimulus& stimulus() const { return stim_; }

  void trace(sc_trace_file* tf) const override {
    const std::string b = std::string(name()) + ".";
    sc_trace(tf, clk_, b + "clk");
    pins_.trace(tf, b);
    nic::hw::trace_rtl_public(tf, dut_);
  }

  // Verilator's own VCD of every RTL net; needs Verilated::traceEverOn(true) before the model
  // was built, and an elaborated design.
  void start_of_simulation() override {
    if (opt_.rtl_vcd.empty()) return;
    rtl_vcd_ = std::make_unique<VerilatedVcdSc>();
    dut_.trace(rtl_vcd_.get(), 99);
    rtl_vcd_->open(opt_.rtl_vcd.c_str());
  }
  void end_of_simulation() override {
    if (rtl_vcd_) rtl_vcd_->close();
  }

 private:
  void falling_edge() {
    Sample& s = ring_[++cycle_ % ring_.size()];
    s = {};
    if (ticked_) {  // the outputs now are those the model gave for the edge just passed
      s.rtl = pins_.outputs();
      s.model = expected_;
      if (int64_t(cycle_) == opt_.inject_fault) s.model.state ^= 1;
      if (!stop_at_) {
        if (s.rtl != s.model) {
          report_mismatch();
        } else if (const std::string err = stim_.retire(s.rtl); !err.empty()) {
          std::fprintf(stderr, "cycle %llu: RTL and model agree but are wrong: %s\n",
                       (unsigned long long)cycle_, err.c_str());
          status_ = 1;
          sc_stop();
          return;
        }
      }
    }
    if (stop_at_ ? cycle_ == stop_at_ : stim_.beats() >= opt_.beats) {
      if (stop_at_) write_window_vcd();
      sc_stop();
      return;
    }
    // Reset holds for the first rising edges; the first beat goes with its release.
    pins_.rst_n.write(cycle_ >= kResetCycles);
    if (cycle_ < kResetCycles) return;
    s.in = stim_.next();
    std::memcpy(s.data, s.in.data, kBytes);
    s.in.data = s.data;
    pins_.drive(s.in);
    expected_ = model_.tick(s.in);
    ticked_ = true;
  }

  static std::string out_text(const CrcPipeOut& o) {
    char b[96];
    std::snprintf(b, sizeof b, "valid %d state %08x match %d tag %u", o.valid, o.state, o.match, o.tag);
    return b;
  }

  void report_mismatch() {
    const Sample& s = ring_[cycle_ % ring_.size()];
    std::fprintf(stderr, "MISMATCH at cycle %llu (%llu beats checked)\n  rtl   %s\n  model %s\n",
                 (unsigned long long)cycle_, (unsigned long long)stim_.beats(),
                 out_text(s.rtl).c_str(), out_text(s.model).c_str());
    std::fprintf(stderr, "  inputs driven in the cycles before (the beat now out is the first):\n");
    for (uint64_t c = cycle_ > kLatency ? cycle_ - kLatency : 0; c < cycle_; ++c) {
      const CrcPipeIn& in = ring_[c % ring_.size()].in;
      std::fprintf(stderr, "  cycle %llu: valid %d keep %016llx first %d last %d digest %08x tag %u fold_state %08x data",
                   (unsigned long long)c, in.valid, (unsigned long long)in.keep, in.first, in.last,
                   in.digest, in.tag, in.fold_state);
      for (unsigned i = 0; i < kBytes; ++i) std::fprintf(stderr, "%s%02x", i % 16 ? "" : " ", in.data ? in.data[i] : 0);
      std::fprintf(stderr, "\n");
    }
    status_ = 1;
    mismatch_ = cycle_;
    stop_at_ = cycle_ + ring_.size() / 4;  // a quarter of the window after, the rest before
  }

  // The window of cycles around the mismatch, written by hand: tracing every cycle of a
  // million-beat run to keep only a few would cost more than the run.
  void write_window_vcd() const {
    std::ofstream f(opt_.mismatch_vcd);
    const uint64_t first = stop_at_ + 1 > ring_.size() ? stop_at_ + 1 - ring_.size() : 1;
    struct Var {
      const char* scope;
      const char* name;
      int width;
      uint64_t (*get)(const Sample&);
    };
    static const Var vars[] = {
        {"in", "valid", 1, [](const Sample& s) -> uint64_t { return s.in.valid; }},
        {"in", "keep", int(kBytes), [](const Sample& s) -> uint64_t { return s.in.keep; }},
        {"in", "first", 1, [](const Sample& s) -> uint64_t { return s.in.first; }},
        {"in", "last", 1, [](const Sample& s) -> uint64_t { return s.in.last; }},
        {"in", "digest", 32, [](const Sample& s) -> uint64_t { return s.in.digest; }},
        {"in", "tag", int(kTagBits), [](const Sample& s) -> uint64_t { return s.in.tag; }},
        {"in", "fold_state", 32, [](const Sample& s) -> uint64_t { return s.in.fold_state; }},
        {"rtl", "out_valid", 1, [](const Sample& s) -> uint64_t { return s.rtl.valid; }},
        {"rtl", "out_state", 32, [](const Sample& s) -> uint64_t { return s.rtl.state; }},
        {"rtl", "out_match", 1, [](const Sample& s) -> uint64_t { return s.rtl.match; }},
        {"rtl", "out_tag", int(kTagBits), [](const Sample& s) -> uint64_t { return s.rtl.tag; }},
        {"model", "out_valid", 1, [](const Sample& s) -> uint64_t { return s.model.valid; }},
        {"model", "out_state", 32, [](const Sample& s) -> uint64_t { return s.model.state; }},
        {"model", "out_match", 1, [](const Sample& s) -> uint64_t { return s.model.match; }},
        {"model", "out_tag", int(kTagBits), [](const Sample& s) -> uint64_t { return s.model.tag; }},
    };
    const auto id = [](size_t i) { return std::string(1, char('!' + i)); };
    const size_t n = sizeof vars / sizeof vars[0];
    const size_t clk = n, data = n + 1, bad = n + 2;
    f << "$comment crc_equiv: cycles " << first << ".." << stop_at_ << ", mismatch at " << mismatch_
      << "; values sampled at each falling edge $end\n$timescale 1ps $end\n$scope module crc_equiv $end\n"
      << "$var wire 1 " << id(clk) << " clk $end\n$var wire 1 " << id(bad) << " mismatch $end\n";
    const char* scope = "";
    for (size_t i = 0; i < n; ++i) {
      if (std::string(scope) != vars[i].scope) {
        if (*scope) f << "$upscope $end\n";
        scope = vars[i].scope;
        f << "$scope module " << scope << " $end\n";
        if (scope == std::string("in")) f << "$var wire " << kBytes * 8 << " " << id(data) << " data $end\n";
      }
      f << "$var wire " << vars[i].width << " " << id(i) << " " << vars[i].name << " $end\n";
    }
    f << "$upscope $end\n$upscope $end\n$enddefinitions $end\n";
    const auto bits = [](uint64_t v, int w) {
      std::string b;
      for (int k = w - 1; k >= 0; --k) b += char('0' + (v >> k & 1));
      return b;
    };
    const uint64_t period = uint64_t(kPeriodNs * 1000);
    for (uint64_t c = first; c <= stop_at_; ++c) {
      const Sample& s = ring_[c % ring_.size()];
      f << "#" << c * period + period / 2 << "\n0" << id(clk) << "\n" << (s.rtl != s.model ? '1' : '0')
        << id(bad) << "\n";
      for (size_t i = 0; i < n; ++i) f << "b" << bits(vars[i].get(s), vars[i].width) << " " << id(i) << "\n";
      f << "b";
      for (int i = int(kBytes) - 1; i >= 0; --i) f << bits(s.data[i], 8);
      f << " " << id(data) << "\n#" << (c + 1) * period << "\n1" << id(clk) << "\n";
    }
    std::fprintf(stderr, "  wrote %s (cycles %llu..%llu)\n", opt_.mismatch_vcd.c_str(),
                 (unsigned long long)first, (unsigned long long)stop_at_);
  }

  const Options opt_;
  sc_clock clk_;
  nic::tb::CrcPipeSignals<kBytes> pins_;
  CRC_EQUIV_DUT dut_;
  nic::hw::Crc32cPipeModel model_;
  nic::tb::CrcStimulus stim_;
  CrcPipeOut expected_;
  std::vector<Sample> ring_;
  uint64_t cycle_ = 0, mismatch_ = 0, stop_at_ = 0;
  bool ticked_ = false;
  int status_ = 0;
  std::unique_ptr<VerilatedVcdSc> rtl_vcd_;
};

}  // namespace

int sc_main(int argc, char** argv) {
  Options o;
  CLI::App app{"Lock-step equivalence of the CRC32C pipeline: Verilated RTL vs C++ model"};
  app.add_option("--beats", o.beats, "beats to check")->capture_default_str();
  app.add_option("--seed", o.seed, "random seed")->capture_default_str();
  app.add_option("--flows", o.flows, "interleaved flows")->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--idle", o.idle, "chance a cycle starts idling")->check(CLI::Range(0.0, 0.9))->capture_default_str();
  app.add_option("--mismatch-vcd", o.mismatch_vcd, "VCD of the cycles around a mismatch")->capture_default_str();
  app.add_option("--vcd", o.vcd, "trace the whole run (signals and RTL registers) into this VCD");
  app.add_option("--rtl-vcd", o.rtl_vcd, "Verilator's own VCD of every RTL net");
  app.add_option("--inject-fault", o.inject_fault, "flip a bit of the model's output at this cycle");
  CLI11_PARSE(app, argc, argv);

  Verilated::traceEverOn(!o.rtl_vcd.empty());
  Bench bench("bench", o);
  sc_trace_file* tf = nullptr;
  if (!o.vcd.empty()) {
    std::string base = o.vcd;
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
    tf = sc_create_vcd_trace_file(base.c_str());
    tf->set_time_unit(1, SC_PS);
    bench.trace(tf);
  }
  sc_start();
  if (tf) sc_close_vcd_trace_file(tf);
  const auto& st = bench.stimulus();
  std::printf("crc_equiv %uB/%u cycles: %s after %llu cycles: %llu beats (%llu right after one of the "
              "same flow, %llu after another flow's), %llu PDUs (seed %llu, %u flows)\n",
              kBytes, kLatency, bench.status() ? "FAILED" : "equivalent",
              (unsigned long long)bench.cycles(), (unsigned long long)st.beats(),
              (unsigned long long)st.same_flow_back_to_back(),
              (unsigned long long)st.other_flow_back_to_back(), (unsigned long long)st.pdus(),
              (unsigned long long)o.seed, o.flows);
  // Forwarding is only tested if one flow's beats do follow each other (and, with several
  // flows, interleave with no gap).
  const uint64_t enough = st.beats() / 20;
  if (!bench.status() && st.beats() >= 1000 &&
      (st.same_flow_back_to_back() < enough || (o.flows > 1 && st.other_flow_back_to_back() < enough))) {
    std::fprintf(stderr, "crc_equiv: too few back-to-back beats to test forwarding (under 5 %% of beats)\n");
    return 1;
  }
  return bench.status();
}
