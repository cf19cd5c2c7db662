// Cycle model of the RTL CRC32C beat pipeline (hw/crc/rtl/crc32c_pipe.sv): the same ports,
// latency, forwarding and register behaviour, computed with proto/crc32c. It is the reference
// the Verilated RTL is checked against cycle by cycle (tests/rtl/crc_equiv.cpp).
//
// A beat is up to `bytes` (<= 64) bytes; the bytes whose keep bit is set are folded in lane
// order, any mask allowed. `first` starts a PDU from crc32c::kInit. With `last`, `match` says
// whether the finished CRC equals `digest` (the DDGST as read little-endian from the wire).
// `tag` (cut to tag_bits like the RTL port) names the running register the beat extends.
// Results appear exactly `latency` edges after the beat; the output registers load only with a
// valid beat, so state and tag hold between beats, and match is false unless valid. Everything
// is zero after construction (the RTL's reset).
//
// The running state comes late: `fold_state` belongs to the beat given latency - 1 edges
// earlier (the one in the last stage), and is what the register's store holds, the store being
// written with every valid output. When the output before the edge is valid with the same tag,
// that result is taken instead (forwarding: the store does not have it yet), so one register
// may take a beat every cycle.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nic::hw {

struct CrcPipeIn {
  bool valid = false;
  const uint8_t* data = nullptr;  // `bytes` bytes, lane i = data[i]; read only when valid
  uint64_t keep = 0;              // bit i: lane i belongs to the PDU
  bool first = false;
  bool last = false;
  uint32_t digest = 0;
  uint32_t tag = 0;
  uint32_t fold_state = 0;        // for the beat given latency - 1 edges earlier (see above)
};

struct CrcPipeOut {
  bool valid = false;
  uint32_t state = 0;
  bool match = false;
  uint32_t tag = 0;
  bool operator==(const CrcPipeOut& o) const {
    return valid == o.valid && state == o.state && match == o.match && tag == o.tag;
  }
  bool operator!=(const CrcPipeOut& o) const { return !(*this == o); }
};

class Crc32cPipeModel {
 public:
  // Throws std::invalid_argument unless 1 <= bytes <= 64, latency >= 1, 1 <= tag_bits <= 32.
  Crc32cPipeModel(unsigned bytes, unsigned latency, unsigned tag_bits = 8);

  // One rising clock edge: `in` is what the input ports held before it; returns the output
  // ports after it. A beat given to call k comes out of call k + latency - 1, and call
  // k + latency - 1 takes its fold_state.
  CrcPipeOut tick(const CrcPipeIn& in);
  const CrcPipeOut& out() const { return out_; }

  unsigned bytes() const { return bytes_; }
  unsigned latency() const { return latency_; }

 private:
  struct Beat {  // a beat in flight: its enabled bytes, packed
    bool valid = false;
    uint8_t bytes[64];
    size_t n = 0;
    bool first = false, last = false;
    uint32_t digest = 0, tag = 0;
  };
  void take(const CrcPipeIn& in, Beat& b) const;

  unsigned bytes_, latency_;
  uint64_t lane_mask_;
  uint32_t tag_mask_;
  std::vector<Beat> line_;  // the beats of the last `latency` edges, the next slot at pos_
  size_t pos_ = 0;
  struct {
    uint32_t state = 0, digest = 0, tag = 0;
    bool last = false;
  } out_reg_;
  CrcPipeOut out_;
};

}  // namespace nic::hw
