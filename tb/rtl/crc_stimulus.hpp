// Random beats for the CRC32C beat pipeline (hw/crc/rtl/crc32c_pipe.sv and its C++ model), and
// a scoreboard that checks what comes out against proto/crc32c on its own.
//
// Several flows take turns, each sending PDUs of 1..max_pdu_beats beats. A beat's valid bytes
// are random: all of them, a prefix of random width, a window, a sparse mask, or none. The
// first beat of a PDU carries a random in_state (the pipe must start from 0xFFFFFFFF); the
// last carries the right digest, or one with a bit flipped. A flow sends its next beat only
// once the running state of its previous one came out (the per-flow feedback), so flows
// interleave; whole cycles stay idle at random, alone or in bursts (back-pressure: the pipe
// has no ready), and idle cycles drive garbage on every other input. Header-only: the
// equivalence testbench and the benchmark share it.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hw/crc/crc32c_pipe_model.hpp"
#include "proto/crc32c.hpp"
#include "tb/gen/rng.hpp"

namespace nic::tb {

struct CrcStimulusParams {
  unsigned bytes = 64;    // beat width of the pipe (<= 64)
  unsigned latency = 2;   // cycles from a beat to its result
  unsigned flows = 4;     // interleaved flows, tagged 0..flows-1 (<= 256: 8-bit tag)
  unsigned max_pdu_beats = 8;
  double idle = 0.15;     // chance a cycle starts idling; a tenth of those start a burst (< 24)
  uint64_t seed = 1;
};

class CrcStimulus {
 public:
  explicit CrcStimulus(const CrcStimulusParams& p) : p_(p), rng_(p.seed), flows_(p.flows) {}

  // The inputs for the next cycle; `data` stays valid until the following call.
  const hw::CrcPipeIn& next() {
    ++cycles_;
    fill_random();
    if (idle_burst_) {
      --idle_burst_;
      return in_;
    }
    const uint64_t r = rng_.below(1000);
    if (r < uint64_t(p_.idle * 900)) return in_;  // a single idle cycle
    if (r < uint64_t(p_.idle * 1000)) {            // an idle burst
      idle_burst_ = unsigned(rng_.below(24));
      return in_;
    }
    unsigned ready[256], n = 0;
    for (unsigned f = 0; f < p_.flows; ++f)
      if (!flows_[f].busy) ready[n++] = f;
    if (!n) return in_;
    const unsigned f = ready[rng_.below(n)];
    Flow& fl = flows_[f];
    in_.valid = true;
    in_.tag = f;
    in_.first = fl.beats_left == 0;
    if (in_.first) {
      fl.beats_left = 1 + unsigned(rng_.below(p_.max_pdu_beats));
      fl.ref = crc32c::kInit;
    } else {
      in_.state = fl.state;
    }
    in_.keep = random_keep();
    for (unsigned i = 0; i < p_.bytes; ++i)
      if (in_.keep >> i & 1) fl.ref = crc32c::update(fl.ref, data_ + i, 1);
    in_.last = --fl.beats_left == 0;
    fl.want_match = in_.last && rng_.below(8) != 0;
    if (in_.last)
      in_.digest = crc32c::finish(fl.ref) ^ (fl.want_match ? 0 : 1u << rng_.below(32));
    fl.busy = true;
    fl.issued = cycles_;
    return in_;
  }

  // The pipe's outputs after the edge that took next()'s inputs (call it once per next()).
  // Returns what is wrong with them, or an empty string.
  std::string retire(const hw::CrcPipeOut& out) {
    if (!out.valid) return out.match ? "out_match without out_valid" : "";
    if (out.tag >= p_.flows || !flows_[out.tag].busy)
      return "a result for flow " + std::to_string(out.tag) + ", which has no beat in flight";
    Flow& fl = flows_[out.tag];
    if (cycles_ - fl.issued != p_.latency - 1)
      return "flow " + std::to_string(out.tag) + "'s result came after " +
             std::to_string(cycles_ - fl.issued + 1) + " cycles";
    if (out.state != fl.ref) return "flow " + std::to_string(out.tag) + ": state differs from proto/crc32c";
    if (out.match != fl.want_match) return "flow " + std::to_string(out.tag) + ": wrong digest verdict";
    fl.state = out.state;
    fl.busy = false;
    ++beats_;
    pdus_ += fl.beats_left == 0;
    return "";
  }

  uint64_t cycles() const { return cycles_; }
  uint64_t beats() const { return beats_; }  // results retired
  uint64_t pdus() const { return pdus_; }

 private:
  struct Flow {
    bool busy = false;        // a beat in the pipe
    unsigned beats_left = 0;  // of the current PDU; 0: the next beat starts one
    uint32_t state = 0;       // running register, as the pipe returned it
    uint32_t ref = 0;         // the same, computed here
    bool want_match = false;
    uint64_t issued = 0;
  };

  void fill_random() {
    for (unsigned w = 0; w < 8; ++w) {
      const uint64_t x = rng_.next();
      std::memcpy(data_ + 8 * w, &x, 8);
    }
    const uint64_t x = rng_.next(), y = rng_.next();
    in_ = {};
    in_.data = data_;
    in_.state = uint32_t(x);
    in_.digest = uint32_t(x >> 32);
    in_.keep = y;
    in_.tag = uint32_t(y >> 56);
    in_.first = y & 1;
    in_.last = y >> 1 & 1;
  }

  uint64_t random_keep() {
    const unsigned b = p_.bytes;
    const auto ones = [](unsigned n) { return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1; };
    switch (rng_.below(20)) {
      case 0: return 0;
      case 1: case 2: return rng_.next() & ones(b);  // sparse
      case 3: case 4: case 5: {                       // a window [lo, hi)
        const unsigned lo = unsigned(rng_.below(b)), hi = lo + 1 + unsigned(rng_.below(b - lo));
        return ones(hi) & ~ones(lo);
      }
      case 6: case 7: case 8: case 9: case 10: case 11: return ones(1 + unsigned(rng_.below(b)));
      default: return ones(b);
    }
  }

  CrcStimulusParams p_;
  gen::Rng rng_;
  std::vector<Flow> flows_;
  uint8_t data_[64];
  hw::CrcPipeIn in_;
  unsigned idle_burst_ = 0;
  uint64_t cycles_ = 0, beats_ = 0, pdus_ = 0;
};

}  // namespace nic::tb
