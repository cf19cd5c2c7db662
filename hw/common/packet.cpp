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
    case Bypass::CtxMiss: return "ctx_miss";
  }
  return "?";
}

const char* to_string(Region r) {
  switch (r) {
    case Region::Header: return "Header";
    case Region::HeaderDigest: return "HeaderDigest";
    case Region::Pad: return "Pad";
    case Region::Data: return "Data";
    case Region::DataDigest: return "DataDigest";
    case Region::Unframed: return "Unframed";
  }
  return "?";
}

void PacketCtx::reset() {
  Bytes f = std::move(frame);
  PacketPlan kept = std::move(plan);
  *this = PacketCtx{};
  f.clear();
  kept.clear();
  frame = std::move(f);
  plan = std::move(kept);
}

}  // namespace nic::hw
