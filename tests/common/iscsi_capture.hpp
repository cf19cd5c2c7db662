// The iSCSI lab's captures (traces/iscsi/, made by tests/real/iscsi_lab.sh) as the tests of the
// engine and of the whole NIC read them: one connection's two directions reassembled in TCP
// order, the login decoded and negotiated with the wire-format library, the initiator's READs,
// the manifest's reads and the LUN pattern (the 8-byte word at LUN byte 8k holds k,
// big-endian). Nothing here uses the model.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "proto/iscsi.hpp"
#include "proto/iscsi_login.hpp"
#include "proto/net.hpp"
#include "tb/pcap/pcap_io.hpp"

namespace nic::iscsi_capture {

constexpr uint16_t kPort = 3260;

// One direction of the capture's connection, reassembled in TCP order, with the ends of the
// in-order packets as a NIC would see them arrive, and its frames after the SYN as captured.
struct Direction {
  bool syn_seen = false;
  uint32_t isn = 0;
  Bytes stream;
  std::vector<uint32_t> cuts;                   // stream offsets where arrivals end
  std::map<uint32_t, Bytes> early;              // out-of-order bytes by stream offset
  std::vector<Bytes> frames;

  void add(uint32_t seq, ByteView payload) {
    if (!payload.size) return;
    const uint32_t off = seq - isn - 1;
    early.emplace(off, Bytes(payload.data, payload.data + payload.size));
    // Take every held segment that now reaches the end (duplicates add nothing).
    for (auto it = early.begin(); it != early.end() && it->first <= stream.size();) {
      const uint32_t end = it->first + uint32_t(it->second.size());
      if (end > stream.size())
        stream.insert(stream.end(), it->second.end() - (end - stream.size()), it->second.end());
      it = early.erase(it);
      if (cuts.empty() || cuts.back() != stream.size()) cuts.push_back(uint32_t(stream.size()));
    }
  }
};

struct Capture {
  Direction to_target, to_initiator;
};

inline Capture read_capture(const std::string& path) {
  Capture c;
  pcap::Reader r(path);
  pcap::Packet p;
  std::set<std::pair<uint16_t, uint16_t>> conns;
  while (r.next(p)) {
    net::ParsedFrame f;
    if (net::parse_frame(ByteView(p.data), f, false) != net::ParseError::None) continue;
    const bool from_target = f.tuple.sport == kPort;
    if (!from_target && f.tuple.dport != kPort) continue;
    conns.insert(from_target ? std::pair{f.tuple.dport, f.tuple.sport}
                             : std::pair{f.tuple.sport, f.tuple.dport});
    Direction& d = from_target ? c.to_initiator : c.to_target;
    if (f.tcp_flags & 0x02) {  // SYN
      d.syn_seen = true;
      d.isn = f.seq;
      continue;
    }
    if (!d.syn_seen) continue;
    d.add(f.seq, ByteView(p.data).sub(f.payload_offset, f.payload_len));
    d.frames.push_back(p.data);
  }
  REQUIRE(conns.size() == 1);  // the lab's captures hold one connection
  REQUIRE(c.to_target.syn_seen);
  REQUIRE(c.to_initiator.syn_seen);
  REQUIRE(c.to_initiator.early.empty());  // every hole was filled
  return c;
}

// Login text of one direction, and where its full-feature phase starts.
struct LoginSide {
  iscsi::TextKeys keys;
  uint64_t ff_start = 0;                     // stream offset
  std::map<uint32_t, iscsi::ReadCdb> reads;  // by ITT (the initiator's side)
  uint32_t block_size = 512;
  uint64_t ff_pdus = 0;                      // PDUs of full-feature phase
  uint64_t data_in_bytes = 0;                // data of its Data-In PDUs (the target's side)
  uint64_t data_in_with_data = 0;            // Data-In PDUs with data
  uint64_t ff_with_data = 0;                 // full-feature PDUs with data, Data-In or not
  uint64_t pad_bytes = 0;                    // pads of full-feature PDUs (digest-covered)
};

// With `login_only`, stops at the end of login: the full-feature digests are not known yet.
inline LoginSide decode_side(const Bytes& stream, const iscsi::ConnParams& ff, bool login_only) {
  LoginSide s;
  iscsi::StreamDecoder dec(ff);
  dec.feed(ByteView(stream));
  iscsi::Pdu pdu;
  iscsi::PduError err;
  iscsi::TextAssembler text;
  while (!(login_only && s.ff_start) && dec.next(pdu, err)) {
    REQUIRE(err == iscsi::PduError::None);
    s.ff_pdus += s.ff_start > 0;
    if (s.ff_start > 0 && !pdu.data.empty()) {
      ++s.ff_with_data;
      s.pad_bytes += (4 - pdu.data.size() % 4) % 4;
    }
    if (auto* rq = std::get_if<iscsi::LoginReq>(&pdu.body)) {
      if (text.add(ByteView(pdu.data), rq->cont)) REQUIRE(text.parse(s.keys) == iscsi::TextError::None);
      if (rq->transit && rq->nsg == iscsi::kFullFeaturePhase) s.ff_start = dec.consumed();
    } else if (auto* rs = std::get_if<iscsi::LoginResp>(&pdu.body)) {
      if (text.add(ByteView(pdu.data), rs->cont)) REQUIRE(text.parse(s.keys) == iscsi::TextError::None);
      if (rs->enters_full_feature()) s.ff_start = dec.consumed();
    } else if (auto* cmd = std::get_if<iscsi::ScsiCommand>(&pdu.body)) {
      iscsi::ReadCdb rd;
      if (cmd->read && iscsi::parse_read(cmd->cdb, rd)) {
        REQUIRE(cmd->expected_length == rd.blocks * s.block_size);
        s.reads[cmd->itt] = rd;
      }
    } else if (std::holds_alternative<iscsi::DataIn>(pdu.body)) {
      s.data_in_bytes += pdu.data.size();
      s.data_in_with_data += !pdu.data.empty();
    }
  }
  return s;
}

// Both directions decoded with what the login negotiated.
struct Session {
  iscsi::ConnParams from_target;  // digests and the initiator's MaxRecvDataSegmentLength
  LoginSide ini, tgt;
};

inline Session decode_session(const Capture& c) {
  // Login: the keys each side sent settle the target's direction.
  const LoginSide ini0 = decode_side(c.to_target.stream, {}, true);
  const LoginSide tgt0 = decode_side(c.to_initiator.stream, {}, true);
  const iscsi::NegotiationResult n = iscsi::negotiate(ini0.keys, tgt0.keys);
  REQUIRE(n.error == iscsi::NegotiationError::None);
  Session s;
  s.from_target = n.params.from_target();
  s.ini = decode_side(c.to_target.stream, n.params.from_initiator(), false);
  s.tgt = decode_side(c.to_initiator.stream, s.from_target, false);
  REQUIRE(s.tgt.ff_start > 0);
  return s;
}

// The reads the lab says it issued: the manifest's lines "read LBA BLOCKS".
inline std::multiset<std::pair<uint64_t, uint32_t>> manifest_reads(std::filesystem::path pcap) {
  std::multiset<std::pair<uint64_t, uint32_t>> issued;
  std::ifstream manifest(pcap.replace_extension(".manifest.txt"));
  for (std::string line; std::getline(manifest, line);) {
    std::istringstream w(line);
    std::string key;
    uint64_t lba = 0;
    uint32_t blocks = 0;
    if (w >> key >> lba >> blocks && key == "read") issued.insert({lba, blocks});
  }
  return issued;
}

inline std::multiset<std::pair<uint64_t, uint32_t>> reads_seen(const LoginSide& ini) {
  std::multiset<std::pair<uint64_t, uint32_t>> seen;
  for (const auto& [itt, rd] : ini.reads) seen.insert({rd.lba, rd.blocks});
  return seen;
}

inline std::filesystem::path trace_dir() {
  return std::filesystem::path(NICSIM_SOURCE_DIR) / "traces" / "iscsi";
}

// The lab's LUN content at byte `at`.
inline uint8_t lun_byte(uint64_t at) {
  const uint64_t word = at / 8;
  return uint8_t(word >> (8 * (7 - at % 8)));
}

// Bytes of `got` that differ from the LUN content of the read starting at LUN byte `from`.
inline size_t lun_mismatches(const Bytes& got, uint64_t from) {
  size_t wrong = 0;
  for (size_t i = 0; i < got.size(); ++i) wrong += got[i] != lun_byte(from + i);
  return wrong;
}

}  // namespace nic::iscsi_capture
