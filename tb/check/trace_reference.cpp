#include "tb/check/trace_reference.hpp"

#include <algorithm>

#include <unordered_map>

#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"
#include "tb/common/sha256.hpp"
#include "tb/pcap/pcap_io.hpp"

namespace nic::check {

std::string ReferenceCommand::sha256() const { return tb::sha256_hex(data); }

const ReferenceCommand* TraceReference::find(const std::string& flow, uint32_t order) const {
  auto it = index_.find({flow, order});
  return it == index_.end() ? nullptr : &commands[it->second];
}

namespace {

// One direction of a TCP connection, reassembled the way a receiver would: the first copy of
// each byte wins, segments with bad checksums are dropped, sequence numbers are unwrapped.
class Direction {
 public:
  void add(uint32_t seq, uint8_t flags, ByteView payload) {
    if (flags & net::tcpflag::SYN) {
      last_seq_ = seq + 1;
      last_off_ = 0;
      anchored_ = true;
      return;
    }
    if (payload.empty()) return;
    if (!anchored_) {  // capture started mid-connection: the first byte seen anchors it
      last_seq_ = seq;
      anchored_ = true;
    }
    // Unwrap relative to the previous segment: reordering stays far below 2^31 bytes.
    const int64_t off = last_off_ + int32_t(seq - last_seq_);
    last_seq_ = seq;
    last_off_ = off;
    if (off >= 0) segs_.emplace(off, Bytes(payload.begin(), payload.end()));
  }
  // The longest in-order prefix, first arrival winning for every byte.
  Bytes stream() const {
    Bytes out;
    for (const auto& [off, bytes] : segs_) {
      const uint64_t end = uint64_t(off) + bytes.size();
      if (uint64_t(off) > out.size()) break;  // hole
      if (end <= out.size()) continue;
      out.insert(out.end(), bytes.begin() + (out.size() - uint64_t(off)), bytes.end());
    }
    return out;
  }

 private:
  bool anchored_ = false;
  uint32_t last_seq_ = 0;
  int64_t last_off_ = 0;  // stream offset of last_seq_
  std::multimap<int64_t, Bytes> segs_;  // multimap keeps arrival order for equal offsets
};

struct Connection {
  net::FiveTuple host_to_ctrl;
  Direction h2c, c2h;
};

// Decodes the first PDU of a direction (an IC PDU, never digested) and returns it.
bool first_pdu(const Bytes& s, nvme::Pdu& out) {
  return s.size() >= nvme::kIcPduLen &&
         nvme::decode_pdu(ByteView(s).sub(0, nvme::kIcPduLen), nvme::ConnParams{}, out) ==
             nvme::PduError::None;
}

void decode_connection(const Connection& c, TraceReference& ref,
                       std::vector<ReferenceCommand>& out) {
  const std::string flow = net::endpoint_str(c.host_to_ctrl.src, c.host_to_ctrl.sport);
  const Bytes h2c = c.h2c.stream(), c2h = c.c2h.stream();
  nvme::Pdu icreq, icresp;
  if (!first_pdu(h2c, icreq) || icreq.ch.type != nvme::PduType::ICReq) return;
  if (!first_pdu(c2h, icresp) || icresp.ch.type != nvme::PduType::ICResp) return;
  ++ref.connections;
  nvme::ConnParams cp;
  const auto& resp = std::get<nvme::IcResp>(icresp.body);
  cp.hdgst = resp.dgst & 1;
  cp.ddgst = resp.dgst & 2;
  cp.hpda = std::get<nvme::IcReq>(icreq.body).hpda;
  cp.cpda = resp.cpda;

  // Host->controller: the read commands, in wire order.
  const size_t first = out.size();
  std::unordered_map<uint16_t, std::vector<size_t>> by_cid;  // CID -> commands, oldest first
  nvme::StreamDecoder hd(cp);
  hd.feed(ByteView(h2c).sub(nvme::kIcPduLen));
  nvme::Pdu pdu;
  nvme::PduError err;
  uint32_t order = 0;
  while (hd.next(pdu, err)) {
    if (err != nvme::PduError::None && err != nvme::PduError::BadDataDigest) break;
    if (pdu.ch.type != nvme::PduType::CapsuleCmd) continue;
    nvme::ReadCmd rc;
    if (!nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdu.body), rc)) continue;
    ReferenceCommand cmd;
    cmd.flow = flow;
    cmd.cid = rc.cid;
    cmd.order = order++;
    cmd.length = rc.length;
    cmd.data.assign(rc.length, 0);
    cmd.got.assign(rc.length, 0);
    by_cid[rc.cid].push_back(out.size());
    out.push_back(std::move(cmd));
  }

  // Controller->host: data and completions. A CID names the oldest of its commands that has
  // not completed (CIDs are reused only after completion).
  auto current = [&](uint16_t cid) -> ReferenceCommand* {
    auto it = by_cid.find(cid);
    if (it == by_cid.end()) return nullptr;
    for (size_t i : it->second)
      if (!out[i].completed) return &out[i];
    return nullptr;
  };
  nvme::StreamDecoder cd(cp);
  cd.feed(ByteView(c2h).sub(nvme::kIcPduLen));
  while (cd.next(pdu, err)) {
    const bool digest_bad = err == nvme::PduError::BadDataDigest;
    if (err != nvme::PduError::None && !digest_bad) {
      for (size_t i = first; i < out.size(); ++i)
        if (!out[i].completed) out[i].problem = std::string("framing: ") + nvme::to_string(err);
      break;
    }
    if (pdu.ch.type == nvme::PduType::C2HData) {
      const auto& h = std::get<nvme::DataHdr>(pdu.body);
      ReferenceCommand* cmd = current(h.cccid);
      if (!cmd) continue;
      if (uint64_t(h.datao) + pdu.data.size() > cmd->length) {
        cmd->problem = "C2HData past the command's length";
        continue;
      }
      std::copy(pdu.data.begin(), pdu.data.end(), cmd->data.begin() + h.datao);
      cmd->bytes_received += pdu.data.size();
      const auto from = cmd->got.begin() + h.datao, to = from + long(pdu.data.size());
      cmd->bytes_covered += uint64_t(std::count(from, to, uint8_t(0)));
      std::fill(from, to, uint8_t(1));
      cmd->digest_error |= digest_bad;
      if (pdu.ch.flags & nvme::pduflag::SUCCESS) cmd->completed = true;
    } else if (pdu.ch.type == nvme::PduType::CapsuleResp) {
      const auto& cqe = std::get<nvme::Cqe>(pdu.body);
      if (ReferenceCommand* cmd = current(cqe.cid)) {
        cmd->completed = true;
        cmd->status = uint16_t(cqe.status >> 1);
      }
    } else if (pdu.ch.type == nvme::PduType::C2HTermReq) {
      for (size_t i = first; i < out.size(); ++i)
        if (!out[i].completed) out[i].problem = "controller terminated the connection";
      break;
    }
  }
}

}  // namespace

TraceReference decode_trace(const std::string& path, uint16_t nvme_port) {
  TraceReference ref;
  std::map<net::FiveTuple, Connection> conns;  // keyed by the host->controller tuple
  pcap::Reader reader(path);
  pcap::Packet pkt;
  net::ParsedFrame pf;
  while (reader.next(pkt)) {
    ++ref.packets;
    if (net::parse_frame(pkt.data, pf) != net::ParseError::None) {
      ++ref.other_packets;
      continue;
    }
    const bool c2h = pf.tuple.sport == nvme_port;
    const bool h2c = pf.tuple.dport == nvme_port;
    if (!c2h && !h2c) {
      ++ref.other_packets;
      continue;
    }
    if (!pf.tcp_checksum_ok || !pf.ip_checksum_ok) {
      ++ref.bad_checksum_packets;
      continue;
    }
    Connection& c = conns[c2h ? pf.tuple.reversed() : pf.tuple];
    c.host_to_ctrl = c2h ? pf.tuple.reversed() : pf.tuple;
    const ByteView payload = ByteView(pkt.data).sub(pf.payload_offset, pf.payload_len);
    (c2h ? c.c2h : c.h2c).add(pf.seq, pf.tcp_flags, payload);
    ++(c2h ? ref.c2h_packets : ref.h2c_packets);
  }
  for (const auto& [key, c] : conns) decode_connection(c, ref, ref.commands);
  for (size_t i = 0; i < ref.commands.size(); ++i)
    ref.index_[{ref.commands[i].flow, ref.commands[i].order}] = i;
  return ref;
}

}  // namespace nic::check
