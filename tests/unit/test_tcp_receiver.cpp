#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "host_driver/ulp_rx/tcp_receiver.hpp"
#include "segment_schedule.hpp"

using namespace nic;
using namespace nic::host;
using nic::testing::Arrival;

namespace {

// Collects what the receiver delivers, checking it arrives in order.
struct Sink {
  uint32_t next_seq = 0;
  Bytes data;
  std::vector<RangeAttr> attrs;  // one per delivered range, as delivered
  void operator()(uint32_t seq, ByteView d, const RangeAttrs& a) {
    REQUIRE(seq == next_seq);
    size_t n = 0;
    for (const RangeAttr& r : a) n += r.len;
    REQUIRE(n == d.size);
    REQUIRE(!d.empty());
    data.insert(data.end(), d.begin(), d.end());
    attrs.insert(attrs.end(), a.begin(), a.end());
    next_seq = seq + uint32_t(d.size);
  }
};

RangeAttrs plain(size_t n, bool crc_ok = false) {
  return {RangeAttr{uint32_t(n), false, crc_ok, 0, 0}};
}

}  // namespace

TEST_CASE("tcprx: in-order segments are delivered straight through", "[tcprx]") {
  Sink sink;
  TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); });
  sink.next_seq = 1000;
  rx.init(1000);
  const Bytes a{1, 2, 3}, b{4, 5};
  rx.on_segment(1000, a, plain(3, true));
  rx.on_segment(1003, b, plain(2));
  REQUIRE(sink.data == Bytes{1, 2, 3, 4, 5});
  REQUIRE(sink.attrs.size() == 2);
  REQUIRE(sink.attrs[0].crc_ok);
  REQUIRE(!sink.attrs[1].crc_ok);
  REQUIRE(rx.rcv_nxt() == 1005);
  REQUIRE(rx.ooo_pieces() == 0);
  REQUIRE(rx.stats().bytes_delivered == 5);
  REQUIRE(rx.stats().ooo_segments == 0);
}

TEST_CASE("tcprx: a hole is filled later, first arrival wins on overlap", "[tcprx]") {
  Sink sink;
  TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); });
  rx.init(0);
  // Queued first: bytes 4..7 carrying 'B'. The retransmission 0..9 carries 'A' everywhere;
  // only its bytes 0..3 and 8..9 are new.
  rx.on_segment(4, Bytes(4, 'B'), plain(4));
  REQUIRE(sink.data.empty());
  REQUIRE(rx.ooo_pieces() == 1);
  REQUIRE(rx.stats().ooo_segments == 1);
  rx.on_segment(0, Bytes(10, 'A'), plain(10, true));
  REQUIRE(sink.data == Bytes{'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'A', 'A'});
  REQUIRE(rx.ooo_pieces() == 0);
  REQUIRE(rx.ooo_bytes() == 0);
  // Bytes 8..9 followed the queued piece straight out, never queued themselves.
  REQUIRE(rx.stats().ooo_high_water == 4 + TcpReceiver::kPieceOverhead);
  // The attributes follow the bytes: crc_ok only where the retransmission's bytes were taken.
  REQUIRE(sink.attrs.size() == 3);
  REQUIRE((sink.attrs[0].len == 4 && sink.attrs[0].crc_ok));
  REQUIRE((sink.attrs[1].len == 4 && !sink.attrs[1].crc_ok));
  REQUIRE((sink.attrs[2].len == 2 && sink.attrs[2].crc_ok));
  REQUIRE(rx.stats().duplicate_bytes == 4);
  REQUIRE(rx.stats().duplicate_segments == 0);
  // Entirely old: a duplicate segment.
  rx.on_segment(2, Bytes(5, 'C'), plain(5));
  REQUIRE(rx.stats().duplicate_segments == 1);
  REQUIRE(sink.data.size() == 10);
}

TEST_CASE("tcprx: placed ranges keep pointing at their buffer bytes when cut", "[tcprx]") {
  Sink sink;
  TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); });
  rx.init(0);
  rx.on_segment(0, Bytes(3, 0), plain(3));
  // Payload 0..9 at seq 0: [0,2) kept, [2,9) placed at buffer offset 100, [9,10) kept.
  const RangeAttrs attrs{{2, false, true, 0, 0}, {7, true, true, 5, 100}, {1, false, true, 0, 0}};
  rx.on_segment(0, Bytes(10, 1), attrs);
  REQUIRE(sink.attrs.size() == 3);  // [0,3) old ones, then [3,9) placed, [9,10)
  const RangeAttr& p = sink.attrs[1];
  REQUIRE((p.placed && p.len == 6 && p.tag == 5 && p.buf_off == 101));
  REQUIRE(!sink.attrs[2].placed);
}

TEST_CASE("tcprx: trust_crc false masks the packet's CRC-ok marks", "[tcprx]") {
  Sink sink;
  TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); });
  rx.init(0);
  rx.on_segment(4, Bytes(4, 0), plain(4, true), false);  // queued, masked
  rx.on_segment(0, Bytes(4, 0), plain(4, true), false);  // direct, masked
  rx.on_segment(8, Bytes(4, 0), plain(4, true));
  REQUIRE(sink.attrs.size() == 3);
  REQUIRE(!sink.attrs[0].crc_ok);
  REQUIRE(!sink.attrs[1].crc_ok);
  REQUIRE(sink.attrs[2].crc_ok);
}

TEST_CASE("tcprx: window and out-of-order budget bound the queue", "[tcprx]") {
  Sink sink;
  TcpRxConfig cfg;
  cfg.window = 1000;
  cfg.max_ooo_bytes = 2 * (100 + TcpReceiver::kPieceOverhead);
  TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); }, cfg);
  rx.init(0);
  rx.on_segment(950, Bytes(100, 0), plain(100));  // half beyond the window
  REQUIRE(rx.stats().dropped_bytes == 50);
  rx.on_segment(100, Bytes(100, 0), plain(100));
  rx.on_segment(300, Bytes(100, 0), plain(100));  // over budget: dropped
  REQUIRE(rx.stats().dropped_bytes == 150);
  REQUIRE(rx.ooo_bytes() <= cfg.max_ooo_bytes);
  REQUIRE(rx.stats().ooo_high_water <= cfg.max_ooo_bytes);
  rx.on_segment(1200, Bytes(10, 0), plain(10));  // wholly beyond the window
  REQUIRE(rx.stats().dropped_bytes == 160);
  rx.on_segment(0, Bytes(100, 0), plain(100));
  REQUIRE(sink.data.size() == 200);
  REQUIRE(rx.ooo_bytes() == 50 + TcpReceiver::kPieceOverhead);
}

TEST_CASE("attrs_from_runs: runs tile the payload, nonsense is refused", "[tcprx]") {
  RangeAttrs out;
  abi::PlacedRun runs[2];
  runs[0] = {30, 10, 7, 4000};
  runs[1] = {5, 10, 7, 100};
  REQUIRE(attrs_from_runs(50, runs, 2, true, out));
  REQUIRE(out.size() == 5);
  const uint32_t lens[] = {5, 10, 15, 10, 10};
  const bool placed[] = {false, true, false, true, false};
  for (size_t i = 0; i < 5; ++i) {
    REQUIRE(out[i].len == lens[i]);
    REQUIRE(out[i].placed == placed[i]);
    REQUIRE(out[i].crc_ok);
  }
  REQUIRE((out[1].buf_off == 100 && out[3].buf_off == 4000 && out[3].tag == 7));

  runs[1] = {35, 10, 7, 100};  // overlaps the other run
  REQUIRE(!attrs_from_runs(50, runs, 2, true, out));
  REQUIRE((out.size() == 1 && out[0].len == 50 && !out[0].placed));
  runs[1] = {45, 10, 7, 100};  // past the payload
  REQUIRE(!attrs_from_runs(50, runs, 2, false, out));
  REQUIRE(attrs_from_runs(50, runs, 0, false, out));
  REQUIRE((out.size() == 1 && out[0].len == 50));
}

// Random loss, duplication, reordering and overlapping retransmissions, across the sequence
// wrap. Every arrival carries bytes of its own (stream byte + arrival number) and tags its
// range with its number, so the test sees which arrival each delivered byte came from: it
// must be the first arrival that carried the byte.
TEST_CASE("tcprx: random arrivals deliver the stream, first arrival wins, across the wrap",
          "[tcprx]") {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    const uint64_t len = 20000 + rng() % 200000;
    const uint32_t isn = seed % 2 ? uint32_t(0) - uint32_t(len / 2) : uint32_t(rng());
    Bytes stream(len);
    for (auto& b : stream) b = uint8_t(rng());
    nic::testing::ScheduleKnobs knobs;
    knobs.max_seg = 200 + uint32_t(rng() % 2800);  // arrival numbers fit the 16-bit tag
    knobs.loss = 0.1;
    knobs.dup = 0.1;
    knobs.reorder = 0.2;
    const std::vector<Arrival> sched = nic::testing::make_schedule(len, rng, knobs);

    std::vector<uint32_t> first(len, UINT32_MAX);  // reference: first arrival per byte
    Sink sink;
    sink.next_seq = isn;
    TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); });
    rx.init(isn);
    for (uint32_t k = 0; k < sched.size(); ++k) {
      const Arrival& ar = sched[k];
      Bytes payload(stream.begin() + long(ar.off), stream.begin() + long(ar.off + ar.len));
      for (auto& b : payload) b = uint8_t(b + k);
      // One range tagged with the arrival number (tag) and its stream offset (buf_off).
      const RangeAttrs attrs{{ar.len, true, k % 2 == 0, uint16_t(k), uint32_t(ar.off)}};
      for (uint64_t i = ar.off; i < ar.off + ar.len; ++i)
        if (first[i] == UINT32_MAX) first[i] = k;
      rx.on_segment(isn + uint32_t(ar.off), payload, attrs);
      REQUIRE(rx.ooo_bytes() <= TcpRxConfig{}.max_ooo_bytes);
    }
    REQUIRE(sink.data.size() == len);
    REQUIRE(rx.rcv_nxt() == isn + uint32_t(len));
    REQUIRE(rx.ooo_pieces() == 0);
    uint64_t at = 0;
    for (const RangeAttr& a : sink.attrs) {
      REQUIRE(a.buf_off == at);  // cut ranges still name their first byte
      REQUIRE(a.crc_ok == (a.tag % 2 == 0));
      for (uint64_t i = at; i < at + a.len; ++i) {
        REQUIRE(first[i] == a.tag);
        REQUIRE(sink.data[i] == uint8_t(stream[i] + a.tag));
      }
      at += a.len;
    }
    const TcpRxStats& st = rx.stats();
    REQUIRE(st.bytes_delivered == len);
    REQUIRE(st.bytes_received == st.bytes_delivered + st.duplicate_bytes + st.dropped_bytes);
    REQUIRE(st.dropped_bytes == 0);
  }
}

TEST_CASE("tcprx: segments far behind or ahead are judged modulo 2^32", "[tcprx]") {
  Sink sink;
  sink.next_seq = 0xFFFFFFF0u;
  TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); });
  rx.init(0xFFFFFFF0u);
  rx.on_segment(0x00000010u, Bytes(8, 2), plain(8));    // 32 bytes ahead, after the wrap
  rx.on_segment(0xFFFFFFF0u, Bytes(32, 1), plain(32));  // fills up to it
  REQUIRE(sink.data.size() == 40);
  REQUIRE(rx.rcv_nxt() == 0x18u);
  rx.on_segment(0xFFFFFFF8u, Bytes(8, 3), plain(8));  // before the wrap: old
  REQUIRE(rx.stats().duplicate_segments == 1);
  REQUIRE(sink.data.size() == 40);
}

TEST_CASE("tcprx: SACK blocks come most recently grown first", "[tcprx]") {
  Sink sink;
  TcpReceiver rx([&](uint32_t s, ByteView d, const RangeAttrs& a) { sink(s, d, a); });
  sink.next_seq = 1000;
  rx.init(1000);
  const Bytes b(100, 0x5a);
  using Blocks = std::vector<std::pair<uint32_t, uint32_t>>;
  Blocks out;
  rx.sack_blocks(4, out);
  CHECK(out.empty());
  rx.on_segment(2000, b, plain(100));
  rx.on_segment(3000, b, plain(100));
  rx.on_segment(4000, b, plain(100));
  rx.sack_blocks(4, out);
  CHECK(out == Blocks{{4000, 4100}, {3000, 3100}, {2000, 2100}});
  // The oldest block grows: it is the most recent now, and the others keep their order.
  rx.on_segment(2100, b, plain(100));
  rx.sack_blocks(4, out);
  CHECK(out == Blocks{{2000, 2200}, {4000, 4100}, {3000, 3100}});
  rx.sack_blocks(2, out);
  CHECK(out == Blocks{{2000, 2200}, {4000, 4100}});
  // A piece between two blocks joins them into one, as recent as that piece.
  rx.on_segment(3100, b, plain(100));
  rx.on_segment(3200, Bytes(800, 1), plain(800));
  rx.sack_blocks(4, out);
  CHECK(out == Blocks{{3000, 4100}, {2000, 2200}});
  // rcv_nxt reaches the first block: it is delivered and no longer reported.
  rx.on_segment(1000, Bytes(1000, 2), plain(1000));
  rx.sack_blocks(4, out);
  CHECK(out == Blocks{{3000, 4100}});
  CHECK(rx.rcv_nxt() == 2200);
}
