#include "hw/crc/crc32c_pipe_model.hpp"

#include <stdexcept>
#include <cstring>

#include "proto/crc32c.hpp"

namespace nic::hw {

Crc32cPipeModel::Crc32cPipeModel(unsigned bytes, unsigned latency, unsigned tag_bits)
    : bytes_(bytes),
      latency_(latency),
      lane_mask_(bytes >= 64 ? ~uint64_t(0) : (uint64_t(1) << bytes) - 1),
      tag_mask_(tag_bits >= 32 ? ~uint32_t(0) : (uint32_t(1) << tag_bits) - 1),
      line_(latency ? latency : 1) {
  if (bytes < 1 || bytes > 64 || latency < 1 || tag_bits < 1 || tag_bits > 32)
    throw std::invalid_argument("Crc32cPipeModel: need 1 <= bytes <= 64, latency >= 1, 1 <= tag_bits <= 32");
}

void Crc32cPipeModel::take(const CrcPipeIn& in, Beat& b) const {
  b.valid = in.valid;
  if (!in.valid) return;
  const uint64_t keep = in.keep & lane_mask_;
  if ((keep & (keep + 1)) == 0) {  // lanes 0..n-1: one run
    b.n = size_t(__builtin_popcountll(keep));
    std::memcpy(b.bytes, in.data, b.n);
  } else {
    b.n = 0;
    for (unsigned i = 0; i < bytes_; ++i)
      if (keep >> i & 1) b.bytes[b.n++] = in.data[i];
  }
  b.first = in.first;
  b.last = in.last;
  b.digest = in.digest;
  b.tag = in.tag & tag_mask_;
}

CrcPipeOut Crc32cPipeModel::tick(const CrcPipeIn& in) {
  // The beat arriving takes the slot of the one that left latency edges ago; the oldest beat
  // in the line (the arriving one at latency 1) is in the last stage.
  take(in, line_[pos_]);
  if (++pos_ == line_.size()) pos_ = 0;
  const Beat& b = line_[pos_];
  if (b.valid) {
    const bool forward = out_.valid && out_reg_.tag == b.tag;
    const uint32_t state = b.first ? crc32c::kInit : forward ? out_reg_.state : in.fold_state;
    out_reg_ = {crc32c::update(state, b.bytes, b.n), b.digest, b.tag, b.last};
  }
  out_.valid = b.valid;
  out_.state = out_reg_.state;
  out_.tag = out_reg_.tag;
  out_.match = out_.valid && out_reg_.last && crc32c::finish(out_reg_.state) == out_reg_.digest;
  return out_;
}

}  // namespace nic::hw
