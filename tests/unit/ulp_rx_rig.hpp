// Test rig shared by the host receive-path tests (NVMe/TCP, iSCSI): read buffers in plain
// memory, a target->host stream that remembers where each PDU's data lies, and a host that
// feeds the stream through TcpReceiver into a PduRx<Proto> in packets, optionally with the NIC
// placing data runs and marking packets CRC-ok.
#pragma once
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "host_driver/ulp_rx/pdu_rx.hpp"
#include "host_driver/ulp_rx/tcp_receiver.hpp"

namespace nic::testing {

// Read buffers in plain memory; counts what the driver writes and reads.
struct FakeBuffers : host::BufferIo {
  std::map<uint32_t, Bytes> buf;
  uint64_t written = 0;
  uint64_t reads = 0;
  void write(uint32_t tag, uint32_t off, ByteView d) override {
    Bytes& b = buf.at(tag);
    REQUIRE(uint64_t(off) + d.size <= b.size());
    std::copy(d.begin(), d.end(), b.begin() + off);
    written += d.size;
  }
  void read(uint32_t tag, uint32_t off, uint8_t* out, size_t n) override {
    const Bytes& b = buf.at(tag);
    REQUIRE(uint64_t(off) + n <= b.size());
    std::copy(b.begin() + off, b.begin() + off + long(n), out);
    ++reads;
  }
};

// Where one PDU of a stream lies.
struct PduAt {
  uint64_t start = 0;
  uint32_t plen = 0;
  bool data = false;
  uint64_t data_off = 0;  // stream offset of the first data byte
  uint32_t data_len = 0;
  uint32_t tag = 0;
  uint32_t buf_off = 0;
};

struct PduStream {
  Bytes bytes;
  std::vector<PduAt> pdus;
  // Appends `pdu`; `at` says where its data goes (start and plen are filled here).
  void push(const Bytes& pdu, PduAt at) {
    at.start = bytes.size();
    at.plen = uint32_t(pdu.size());
    if (at.data) at.data_off += at.start;
    pdus.push_back(at);
    bytes.insert(bytes.end(), pdu.begin(), pdu.end());
  }
};

inline Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

template <class Rx>
struct RxHost {
  FakeBuffers io;
  std::map<uint32_t, uint64_t> buffer_id;  // tag -> the buffer registered for it
  std::map<uint32_t, host::CmdResult> done;
  std::vector<uint32_t> order;  // completion order
  std::vector<uint32_t> confirms;
  Rx rx;
  host::TcpReceiver tcp;
  uint32_t isn;

  RxHost(const typename Rx::Conn& cp, uint32_t isn_)
      : rx(
            cp, io, isn_,
            [this](const host::CmdResult& r) {
              REQUIRE(done.count(r.tag) == 0);
              done[r.tag] = r;
              order.push_back(r.tag);
            },
            [this](uint32_t s) { confirms.push_back(s); }),
        tcp([this](uint32_t s, ByteView d, const host::RangeAttrs& a) { rx.on_data(s, d, a); }),
        isn(isn_) {
    tcp.init(isn_);
  }
  void add(uint32_t tag, uint32_t len, uint64_t buffer = 0) {
    io.buf[tag] = Bytes(len, 0xEE);  // poison: a byte nobody wrote shows up
    buffer_id[tag] = buffer;
    REQUIRE(rx.add_command(tag, len, buffer));
  }
  // Stream bytes [off, off + len) as one packet. With `place`, the NIC places the first data
  // run of a registered read in it (ConnectX-7 places at most one per packet); `wrong` makes
  // it place a corrupted first byte. The payload handed to TCP is rebuilt from the buffer for
  // placed bytes, as the driver does.
  void packet(const PduStream& s, uint64_t off, uint32_t len, bool place, bool crc_ok,
              bool wrong = false, bool trust = true) {
    Bytes payload(s.bytes.begin() + long(off), s.bytes.begin() + long(off + len));
    abi::PlacedRun run;
    size_t nruns = 0;
    for (const PduAt& p : s.pdus) {
      if (!place || !p.data || !io.buf.count(p.tag)) continue;
      const uint64_t lo = std::max(off, p.data_off),
                     hi = std::min(off + len, p.data_off + p.data_len);
      if (lo >= hi) continue;
      run = {uint16_t(lo - off), uint16_t(hi - lo), p.tag, uint32_t(p.buf_off + (lo - p.data_off))};
      if (wrong) payload[run.payload_off] ^= 0x5A;
      Bytes& b = io.buf[p.tag];
      std::copy(payload.begin() + run.payload_off, payload.begin() + run.payload_off + run.len,
                b.begin() + run.buf_off);
      nruns = 1;
      break;
    }
    host::RangeAttrs attrs;
    REQUIRE(host::attrs_from_runs(len, &run, nruns, crc_ok, attrs));
    for (host::RangeAttr& a : attrs)
      if (a.placed) a.buffer = buffer_id[a.tag];
    tcp.on_segment(isn + uint32_t(off), payload, attrs, trust);
  }
  // The whole stream in packets of `mss` bytes.
  void send_all(const PduStream& s, uint32_t mss, bool place, bool crc_ok) {
    for (uint64_t off = 0; off < s.bytes.size(); off += mss)
      packet(s, off, uint32_t(std::min<uint64_t>(mss, s.bytes.size() - off)), place, crc_ok);
  }
};

}  // namespace nic::testing
