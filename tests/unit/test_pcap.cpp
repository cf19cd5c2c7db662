// pcap/pcapng reading through libpcap and nanosecond pcap writing. Input files are built
// byte by byte here from the pcap (draft-ietf-opsawg-pcap) and pcapng
// (draft-ietf-opsawg-pcapng) layouts, so the reader is checked against the formats rather
// than against our own writer.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tb/pcap/pcap_io.hpp"

using namespace nic;
using nic::pcap::Packet;
using nic::pcap::PcapError;
using nic::pcap::Reader;
using nic::pcap::Writer;

namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "nicsim_pcap_XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream o(path, std::ios::binary | std::ios::trunc);
  o.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  REQUIRE(o.good());
}

Bytes read_file(const std::string& path) {
  std::ifstream i(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(i), std::istreambuf_iterator<char>());
}

void put16(Bytes& b, uint16_t v, bool be = false) {
  b.resize(b.size() + 2);
  be ? st_be16(&b[b.size() - 2], v) : st_le16(&b[b.size() - 2], v);
}
void put32(Bytes& b, uint32_t v, bool be = false) {
  b.resize(b.size() + 4);
  be ? st_be32(&b[b.size() - 4], v) : st_le32(&b[b.size() - 4], v);
}

constexpr uint32_t kUsecMagic = 0xa1b2c3d4, kNsecMagic = 0xa1b23c4d;
constexpr uint32_t kLinkEthernet = 1, kLinkRaw = 101;

Bytes pcap_header(uint32_t magic, uint32_t snaplen, uint32_t linktype, bool be = false) {
  Bytes b;
  put32(b, magic, be);
  put16(b, 2, be);
  put16(b, 4, be);
  put32(b, 0, be);  // thiszone
  put32(b, 0, be);  // sigfigs
  put32(b, snaplen, be);
  put32(b, linktype, be);
  return b;
}

void pcap_record(Bytes& f, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t len,
                 const Bytes& data, bool be = false) {
  put32(f, sec, be);
  put32(f, frac, be);
  put32(f, caplen, be);
  put32(f, len, be);
  f.insert(f.end(), data.begin(), data.end());
}

// pcapng block: type, total length, body padded to 32 bits, total length again.
void ng_block(Bytes& f, uint32_t type, Bytes body) {
  body.resize((body.size() + 3) & ~size_t(3), 0);
  const uint32_t total = uint32_t(12 + body.size());
  put32(f, type);
  put32(f, total);
  f.insert(f.end(), body.begin(), body.end());
  put32(f, total);
}

void ng_shb(Bytes& f) {
  Bytes b;
  put32(b, 0x1a2b3c4d);
  put16(b, 1);
  put16(b, 0);
  put32(b, 0xffffffff);  // section length unknown (64-bit -1)
  put32(b, 0xffffffff);
  ng_block(f, 0x0a0d0d0a, b);
}

// tsresol < 0: no if_tsresol option (microseconds by default).
void ng_idb(Bytes& f, uint16_t linktype, uint32_t snaplen, int tsresol) {
  Bytes b;
  put16(b, linktype);
  put16(b, 0);
  put32(b, snaplen);
  if (tsresol >= 0) {
    put16(b, 9);  // if_tsresol
    put16(b, 1);
    b.insert(b.end(), {uint8_t(tsresol), 0, 0, 0});
    put32(b, 0);  // opt_endofopt
  }
  ng_block(f, 1, b);
}

void ng_epb(Bytes& f, uint64_t ts, uint32_t caplen, uint32_t len, const Bytes& data) {
  Bytes b;
  put32(b, 0);  // interface 0
  put32(b, uint32_t(ts >> 32));
  put32(b, uint32_t(ts));
  put32(b, caplen);
  put32(b, len);
  b.insert(b.end(), data.begin(), data.end());
  ng_block(f, 6, b);
}

void ng_isb(Bytes& f) {  // Interface Statistics Block, as capture tools append at the end
  Bytes b;
  put32(b, 0);
  put32(b, 0);
  put32(b, 0);
  ng_block(f, 5, b);
}

Bytes frame(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
  return b;
}

std::vector<Packet> read_all(const std::string& path) {
  Reader r(path);
  std::vector<Packet> out;
  Packet p;
  while (r.next(p)) out.push_back(p);
  return out;
}

std::string error_of(const std::string& path) {
  try {
    read_all(path);
  } catch (const PcapError& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Small two-record pcapng: SHB, IDB (ns), EPB, EPB.
Bytes small_pcapng(std::vector<size_t>* record_ends = nullptr) {
  Bytes f;
  ng_shb(f);
  ng_idb(f, 1, 65535, 9);
  ng_epb(f, 1'700'000'000'123'456'789ull, 61, 61, frame(61, 1));
  if (record_ends) record_ends->push_back(f.size());
  ng_epb(f, 1'700'000'000'123'456'790ull, 60, 1514, frame(60, 2));
  if (record_ends) record_ends->push_back(f.size());
  return f;
}

}  // namespace

TEST_CASE("Writer output reads back with exact ns timestamps, data and lengths", "[pcap]") {
  TempDir d;
  const std::string path = d.file("rt.pcap");
  const std::vector<uint64_t> ts = {0, 1, 999'999'999, 1'700'000'000'123'456'789ull,
                                    (uint64_t(UINT32_MAX) * 1'000'000'000ull) + 999'999'999};
  {
    Writer w(path, 128);
    for (size_t i = 0; i < ts.size(); ++i) w.write(ts[i], frame(60 + i * 30, uint8_t(i)));
    CHECK(w.count() == ts.size());
    w.close();
    w.close();  // idempotent
  }
  const Bytes raw = read_file(path);
  REQUIRE(raw.size() >= 24);
  CHECK((ld_le32(raw.data()) == kNsecMagic || ld_be32(raw.data()) == kNsecMagic));

  Reader r(path);
  CHECK(r.path() == path);
  CHECK(r.nanosecond_file());
  CHECK(r.snaplen() == 128);
  Packet p;
  for (size_t i = 0; i < ts.size(); ++i) {
    REQUIRE(r.next(p));
    const Bytes full = frame(60 + i * 30, uint8_t(i));
    CHECK(p.index == i + 1);
    CHECK(p.ts_ns == ts[i]);
    CHECK(p.orig_len == full.size());
    // Frames longer than the snap length are stored cut, with the wire length kept.
    CHECK(p.data == Bytes(full.begin(), full.begin() + long(std::min<size_t>(full.size(), 128))));
  }
  CHECK_FALSE(r.next(p));
  CHECK_FALSE(r.next(p));  // stays at end
}

TEST_CASE("Writer with no records gives a valid empty capture", "[pcap]") {
  TempDir d;
  const std::string path = d.file("empty_capture.pcap");
  Writer(path).close();
  CHECK(read_file(path).size() == 24);
  Reader r(path);
  CHECK(r.snaplen() == 262144);
  Packet p;
  CHECK_FALSE(r.next(p));
}

TEST_CASE("microsecond pcap in either byte order is read with ns timestamps", "[pcap]") {
  TempDir d;
  for (bool be : {false, true}) {
    const std::string path = d.file(be ? "usec_be.pcap" : "usec_le.pcap");
    Bytes f = pcap_header(kUsecMagic, 65535, kLinkEthernet, be);
    pcap_record(f, 1000, 123456, 60, 60, frame(60, 3), be);
    pcap_record(f, 4000000000u, 999999, 64, 1500, frame(64, 4), be);  // seconds past 2^31
    write_file(path, f);
    CAPTURE(be);
    Reader r(path);
    CHECK_FALSE(r.nanosecond_file());
    CHECK(r.snaplen() == 65535);
    Packet p;
    REQUIRE(r.next(p));
    CHECK(p.ts_ns == 1000'123'456'000ull);
    CHECK(p.data == frame(60, 3));
    CHECK(p.orig_len == 60);
    REQUIRE(r.next(p));
    CHECK(p.ts_ns == 4'000'000'000'999'999'000ull);
    CHECK(p.orig_len == 1500);
    CHECK(p.data == frame(64, 4));
    CHECK(p.index == 2);
    CHECK_FALSE(r.next(p));
  }
}

TEST_CASE("hand-built nanosecond pcap in big-endian order", "[pcap]") {
  TempDir d;
  const std::string path = d.file("nsec_be.pcap");
  Bytes f = pcap_header(kNsecMagic, 2000, kLinkEthernet, true);
  pcap_record(f, 7, 999'999'999, 60, 60, frame(60, 9), true);
  write_file(path, f);
  Reader r(path);
  CHECK(r.nanosecond_file());
  Packet p;
  REQUIRE(r.next(p));
  CHECK(p.ts_ns == 7'999'999'999ull);
  CHECK(p.data == frame(60, 9));
}

TEST_CASE("hand-built pcapng files", "[pcap]") {
  TempDir d;
  SECTION("nanosecond interface, trailing statistics block") {
    Bytes f = small_pcapng();
    ng_isb(f);
    const std::string path = d.file("ns.pcapng");
    write_file(path, f);
    Reader r(path);
    CHECK(r.nanosecond_file());
    CHECK(r.snaplen() == 65535);
    Packet p;
    REQUIRE(r.next(p));
    CHECK(p.index == 1);
    CHECK(p.ts_ns == 1'700'000'000'123'456'789ull);
    CHECK(p.data == frame(61, 1));
    CHECK(p.orig_len == 61);
    REQUIRE(r.next(p));
    CHECK(p.index == 2);
    CHECK(p.ts_ns == 1'700'000'000'123'456'790ull);
    CHECK(p.data == frame(60, 2));
    CHECK(p.orig_len == 1514);
    CHECK_FALSE(r.next(p));
  }
  SECTION("default microsecond resolution is scaled to ns") {
    Bytes f;
    ng_shb(f);
    ng_idb(f, 1, 0, -1);  // snaplen 0 = unlimited
    ng_epb(f, 1'700'000'000'123'456ull, 60, 60, frame(60, 5));
    const std::string path = d.file("us.pcapng");
    write_file(path, f);
    Reader r(path);
    CHECK_FALSE(r.nanosecond_file());
    Packet p;
    REQUIRE(r.next(p));
    CHECK(p.ts_ns == 1'700'000'000'123'456'000ull);
    CHECK(p.data == frame(60, 5));
  }
  SECTION("explicit millisecond resolution") {
    Bytes f;
    ng_shb(f);
    ng_idb(f, 1, 65535, 3);
    ng_epb(f, 1'700'000'000'123ull, 60, 60, frame(60, 6));
    const std::string path = d.file("ms.pcapng");
    write_file(path, f);
    Reader r(path);
    CHECK_FALSE(r.nanosecond_file());
    Packet p;
    REQUIRE(r.next(p));
    CHECK(p.ts_ns == 1'700'000'000'123'000'000ull);
  }
}

TEST_CASE("tshark-converted pcapng matches the pcap it came from", "[pcap]") {
  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    WARN("tshark not installed; covered by the hand-built pcapng tests");
    return;
  }
  TempDir d;
  const std::string in = d.file("in.pcap"), out = d.file("out.pcapng");
  {
    Writer w(in);
    w.write(1'600'000'000'000'000'001ull, frame(60, 1));
    w.write(1'600'000'000'500'000'000ull, frame(1514, 2));
    w.close();
  }
  const std::string cmd = "tshark -r '" + in + "' -F pcapng -w '" + out + "' >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto a = read_all(in), b = read_all(out);
  CHECK(Reader(out).nanosecond_file());
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(a[i].ts_ns == b[i].ts_ns);
    CHECK(a[i].data == b[i].data);
    CHECK(a[i].orig_len == b[i].orig_len);
  }
}

TEST_CASE("link types other than Ethernet are rejected", "[pcap]") {
  TempDir d;
  const std::string p1 = d.file("raw.pcap"), p2 = d.file("raw.pcapng");
  Bytes f = pcap_header(kUsecMagic, 65535, kLinkRaw);
  pcap_record(f, 1, 0, 40, 40, frame(40, 0));
  write_file(p1, f);
  Bytes g;
  ng_shb(g);
  ng_idb(g, uint16_t(kLinkRaw), 65535, 9);
  write_file(p2, g);
  for (const std::string& path : {p1, p2}) {
    try {
      Reader r(path);
      FAIL("accepted " << path);
    } catch (const PcapError& e) {
      const std::string msg = e.what();
      CHECK(starts_with(msg, path + ": "));
      // libpcap maps LINKTYPE_RAW (101) to its DLT value, so only the verdict is fixed.
      CHECK(msg.find("is not Ethernet") != std::string::npos);
    }
  }
}

TEST_CASE("every truncation point reads cleanly to a record boundary or throws", "[pcap]") {
  TempDir d;
  const std::string full = d.file("full.pcap");
  std::vector<size_t> ends = {24};
  {
    Writer w(full, 1000);
    for (size_t i = 0; i < 3; ++i) {
      w.write(i * 1000, frame(60 + i * 5, uint8_t(i)));
      ends.push_back(ends.back() + 16 + 60 + i * 5);
    }
    w.close();
  }
  std::vector<size_t> ng_ends;
  const Bytes ng = small_pcapng(&ng_ends);
  ng_ends.insert(ng_ends.begin(), ng_ends.front() - (12 + 20 + 64));  // after the IDB

  struct Case {
    Bytes bytes;
    std::vector<size_t> ends;  // file offsets where a record (or the header) ends
  };
  for (const Case& c : {Case{read_file(full), ends}, Case{ng, ng_ends}}) {
    for (size_t cut = 0; cut <= c.bytes.size(); ++cut) {
      const std::string path = d.file("cut");
      write_file(path, Bytes(c.bytes.begin(), c.bytes.begin() + long(cut)));
      CAPTURE(cut);
      size_t n = 0;
      bool threw = false;
      std::string msg;
      try {
        Reader r(path);
        Packet p;
        while (r.next(p)) {
          ++n;
          CHECK(p.index == n);
        }
      } catch (const PcapError& e) {
        threw = true;
        msg = e.what();
      }
      const auto at = std::find(c.ends.begin(), c.ends.end(), cut);
      if (at != c.ends.end()) {
        CHECK_FALSE(threw);
        CHECK(n == size_t(at - c.ends.begin()));
      } else {
        CHECK(threw);
        CHECK(starts_with(msg, path + ": "));
        // Cuts after the file header name the record that was cut.
        if (cut > c.ends.front()) {
          const size_t rec = size_t(std::upper_bound(c.ends.begin(), c.ends.end(), cut) - c.ends.begin());
          CHECK(msg.find(": record " + std::to_string(rec) + ": truncated") != std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("truncation messages say where the file ends", "[pcap]") {
  TempDir d;
  const std::string path = d.file("trace.pcap");
  Bytes f = pcap_header(kNsecMagic, 65535, kLinkEthernet);
  pcap_record(f, 1, 0, 60, 60, frame(60, 0));
  const size_t one = f.size();
  pcap_record(f, 2, 0, 60, 60, frame(60, 1));
  write_file(path, Bytes(f.begin(), f.end() - 10));
  CHECK(starts_with(error_of(path), path + ": record 2: truncated (file ends inside the packet data)"));
  write_file(path, Bytes(f.begin(), f.begin() + long(one + 7)));
  CHECK(starts_with(error_of(path), path + ": record 2: truncated (file ends inside the record header)"));
}

// Runs f() with standard input a pipe holding `bytes` (small enough for the pipe buffer), so
// nothing can be seeked or read twice.
template <class F>
void with_stdin_pipe(const Bytes& bytes, F&& f) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  REQUIRE(write(fds[1], bytes.data(), bytes.size()) == ssize_t(bytes.size()));
  close(fds[1]);
  const int saved = dup(0);
  dup2(fds[0], 0);
  close(fds[0]);
  f();
  dup2(saved, 0);
  close(saved);
}

TEST_CASE("standard input (\"-\") reads as its file would, pcap and pcapng", "[pcap]") {
  TempDir d;
  Bytes ng = small_pcapng();
  ng_isb(ng);
  Bytes classic = pcap_header(kNsecMagic, 65535, kLinkEthernet, true);
  pcap_record(classic, 7, 999'999'999, 60, 60, frame(60, 9), true);
  pcap_record(classic, 8, 5, 70, 1500, frame(70, 8), true);
  for (const Bytes* f : {&ng, &classic}) {
    const std::string path = d.file("in.cap");
    write_file(path, *f);
    const std::vector<Packet> want = read_all(path);
    REQUIRE(want.size() == 2);
    with_stdin_pipe(*f, [&] {
      Reader r("-");
      CHECK(r.path() == "stdin");
      CHECK(r.nanosecond_file() == Reader(path).nanosecond_file());
      Packet p;
      for (const Packet& w : want) {
        REQUIRE(r.next(p));
        CHECK(p.index == w.index);
        CHECK(p.ts_ns == w.ts_ns);
        CHECK(p.orig_len == w.orig_len);
        CHECK(p.data == w.data);
      }
      CHECK_FALSE(r.next(p));
    });
  }
  // Cut inside the second record: the same message as for a file, naming stdin.
  with_stdin_pipe(Bytes(classic.begin(), classic.end() - 10), [&] {
    Reader r("-");
    Packet p;
    REQUIRE(r.next(p));
    CHECK_THROWS_WITH(r.next(p), Catch::StartsWith("stdin: record 2: truncated (file ends inside the packet data)"));
  });
  with_stdin_pipe(Bytes{}, [] { CHECK_THROWS_WITH(Reader("-"), Catch::Contains("stdin: empty")); });
}

TEST_CASE("a captured length beyond the snap length is an error", "[pcap]") {
  TempDir d;
  SECTION("pcap, slightly over (libpcap would silently cut it)") {
    const std::string path = d.file("over.pcap");
    Bytes f = pcap_header(kNsecMagic, 64, kLinkEthernet);
    pcap_record(f, 1, 0, 60, 60, frame(60, 0));
    pcap_record(f, 2, 0, 80, 80, frame(80, 1));
    pcap_record(f, 3, 0, 60, 60, frame(60, 2));
    write_file(path, f);
    Reader r(path);
    Packet p;
    REQUIRE(r.next(p));
    try {
      r.next(p);
      FAIL("record 2 accepted");
    } catch (const PcapError& e) {
      CHECK(std::string(e.what()) == path + ": record 2: captured length 80 exceeds snap length 64");
    }
  }
  SECTION("pcap, beyond libpcap's own maximum") {
    const std::string path = d.file("huge.pcap");
    Bytes f = pcap_header(kNsecMagic, 65535, kLinkEthernet);
    pcap_record(f, 1, 0, 0x7fffffff, 0x7fffffff, frame(100, 0));
    write_file(path, f);
    CHECK(starts_with(error_of(path), path + ": record 1: "));
  }
  SECTION("pcapng") {
    const std::string path = d.file("over.pcapng");
    Bytes f;
    ng_shb(f);
    ng_idb(f, 1, 64, 9);
    ng_epb(f, 1, 80, 80, frame(80, 1));
    write_file(path, f);
    const std::string msg = error_of(path);
    CHECK(starts_with(msg, path + ": record 1: "));
    CHECK(msg.find("80") != std::string::npos);
  }
}

TEST_CASE("garbage, empty and missing files", "[pcap]") {
  TempDir d;
  SECTION("text") {
    const std::string path = d.file("notes.txt");
    const std::string text = "this is not a capture file, just some text\n";
    write_file(path, Bytes(text.begin(), text.end()));
    const std::string msg = error_of(path);
    CHECK(starts_with(msg, path + ": "));
  }
  SECTION("random bytes") {
    const std::string path = d.file("random.bin");
    Bytes b(4096);
    uint32_t x = 12345;
    for (auto& c : b) c = uint8_t((x = x * 1103515245 + 12345) >> 16);
    write_file(path, b);
    CHECK(starts_with(error_of(path), path + ": "));
  }
  SECTION("garbage record header after a good record") {
    const std::string path = d.file("bad_record.pcap");
    Bytes f = pcap_header(kUsecMagic, 65535, kLinkEthernet);
    pcap_record(f, 1, 0, 60, 60, frame(60, 0));
    pcap_record(f, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, frame(60, 0));
    write_file(path, f);
    CHECK(starts_with(error_of(path), path + ": record 2: "));
  }
  SECTION("captured length larger than the original length") {
    const std::string path = d.file("cap_gt_len.pcap");
    Bytes f = pcap_header(kNsecMagic, 65535, kLinkEthernet);
    pcap_record(f, 1, 0, 60, 50, frame(60, 0));
    write_file(path, f);
    CHECK(error_of(path) == path + ": record 1: captured length 60 exceeds original length 50");
  }
  SECTION("pcapng block with a bad length") {
    const std::string path = d.file("bad_block.pcapng");
    Bytes f = small_pcapng();
    Bytes g = f;
    st_le32(&g[g.size() - 4], 0x12345678);  // trailing length disagrees with the leading one
    write_file(path, g);
    CHECK(starts_with(error_of(path), path + ": record 2: "));
    st_le32(&f[f.size() - 60 - 32 + 4], 13);  // leading length not a multiple of 4
    write_file(path, f);
    CHECK(starts_with(error_of(path), path + ": "));
  }
  SECTION("patched (Kuznetzov) pcap, whose record headers libpcap sizes differently") {
    const std::string path = d.file("kuznetzov.pcap");
    write_file(path, pcap_header(0xa1b2cd34, 65535, kLinkEthernet));
    CHECK(error_of(path) == path + ": modified (Kuznetzov) pcap format is not supported");
  }
  SECTION("empty file") {
    const std::string path = d.file("empty.pcap");
    write_file(path, {});
    CHECK(starts_with(error_of(path), path + ": empty file"));
  }
  SECTION("only part of the file header") {
    const std::string path = d.file("short.pcap");
    const Bytes h = pcap_header(kNsecMagic, 65535, kLinkEthernet);
    write_file(path, Bytes(h.begin(), h.begin() + 10));
    CHECK(starts_with(error_of(path), path + ": "));
  }
  SECTION("missing file") {
    const std::string path = d.file("does_not_exist.pcap");
    CHECK(error_of(path) == path + ": cannot open: No such file or directory");
  }
  SECTION("a directory") {
    CHECK(starts_with(error_of(d.file("")), d.file("")));
  }
}

TEST_CASE("Writer reports errors instead of losing data", "[pcap]") {
  TempDir d;
  SECTION("unwritable path") {
    const std::string path = d.file("no/such/dir/out.pcap");
    try {
      Writer w(path);
      FAIL("created " << path);
    } catch (const PcapError& e) {
      CHECK(starts_with(e.what(), path + ": cannot create: "));
    }
  }
  SECTION("device full") {
    if (access("/dev/full", W_OK) != 0) return;
    Writer w("/dev/full");
    w.write(1, frame(60, 0));  // buffered
    CHECK_THROWS_AS(w.close(), PcapError);
    CHECK_NOTHROW(w.close());  // already closed
  }
  SECTION("write after close, out-of-range timestamp, bad snap length") {
    const std::string path = d.file("w.pcap");
    Writer w(path);
    CHECK_THROWS_AS(w.write(uint64_t(UINT32_MAX) * 1'000'000'000ull + 1'000'000'000ull, frame(60, 0)),
                    PcapError);
    w.close();
    CHECK_THROWS_AS(w.write(0, frame(60, 0)), PcapError);
    CHECK_THROWS_AS(Writer(path, 0), PcapError);
    CHECK_THROWS_AS(Writer(path, 262145), PcapError);
  }
  SECTION("destructor flushes without close()") {
    const std::string path = d.file("dtor.pcap");
    { Writer(path).write(5, frame(70, 1)); }
    const auto pk = read_all(path);
    REQUIRE(pk.size() == 1);
    CHECK(pk[0].ts_ns == 5);
    CHECK(pk[0].data == frame(70, 1));
  }
}
