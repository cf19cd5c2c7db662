#include "hw/crc/crc32c_pipe_model.hpp"

#include <stdexcept>
#include <utility>

#include "proto/crc32c.hpp"

namespace nic::hw {

Crc32cPipeModel::Crc32cPipeModel(unsigned bytes, unsigned latency, unsigned tag_bits)
    : bytes_(bytes),
      latency_(latency),
      lane_mask_(bytes >= 64 ? ~uint64_t(0) : (uint64_t(1) << bytes) - 1),
      tag_mask_(tag_bits >= 32 ? ~uint32_t(0) : (uint32_t(1) << tag_bits) - 1),
      line_(latency ? latency - 1 : 0) {
  if (bytes < 1 || bytes > 64 || latency < 1 || tag_bits < 1 || tag_bits > 32)
    throw std::invalid_argument("Crc32cPipeModel: need 1 <= bytes <= 64, latency >= 1, 1 <= tag_bits <= 32");
}

Crc32cPipeModel::Result Crc32cPipeModel::fold(const CrcPipeIn& in) const {
  Result r;
  r.valid = in.valid;
  if (!in.valid) return r;
  r.state = in.first ? crc32c::kInit : in.state;
  const uint64_t keep = in.keep & lane_mask_;
  if ((keep & (keep + 1)) == 0) {  // lanes 0..n-1: one run
    r.state = crc32c::update(r.state, in.data, size_t(__builtin_popcountll(keep)));
  } else {
    uint8_t packed[64];
    size_t n = 0;
    for (unsigned i = 0; i < bytes_; ++i)
      if (keep >> i & 1) packed[n++] = in.data[i];
    r.state = crc32c::update(r.state, packed, n);
  }
  r.last = in.last;
  r.digest = in.digest;
  r.tag = in.tag & tag_mask_;
  return r;
}

CrcPipeOut Crc32cPipeModel::tick(const CrcPipeIn& in) {
  Result arriving = fold(in);
  if (!line_.empty()) {  // rotate the delay line: the oldest beat reaches the output register
    std::swap(arriving, line_[pos_]);
    pos_ = (pos_ + 1) % line_.size();
  }
  out_.valid = arriving.valid;
  if (arriving.valid) out_reg_ = arriving;
  out_.state = out_reg_.state;
  out_.tag = out_reg_.tag;
  out_.match = out_.valid && out_reg_.last && crc32c::finish(out_reg_.state) == out_reg_.digest;
  return out_;
}

}  // namespace nic::hw
