#include "hw/common/packet.hpp"

namespace nic::hw {

const char* to_string(Bypass b) {
  switch (b) {
    case Bypass::None: return "none";
    case Bypass::NotTcp: return "not_tcp";
    case Bypass::BadChecksum: return "bad_checksum";
    case Bypass::FlowMiss: return "flow_miss";
    case Bypass::OutOfSeq: return "out_of_seq";
    case Bypass::Searching: return "searching";
  }
  return "?";
}

void PacketCtx::reset() {
  Bytes f = std::move(frame);
  std::vector<Segment> segs = std::move(plan.segs);
  std::vector<PduInfo> headers = std::move(plan.headers);
  *this = PacketCtx{};
  f.clear();
  segs.clear();
  headers.clear();
  frame = std::move(f);
  plan.segs = std::move(segs);
  plan.headers = std::move(headers);
}

}  // namespace nic::hw
