#include "tb/pcap/pcap_io.hpp"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>

namespace nic::pcap {

namespace {

constexpr uint32_t kMagicNsec = 0xa1b23c4d;
constexpr uint32_t kMagicKuznetzov = 0xa1b2cd34;  // patched format with 24-byte record headers
constexpr uint32_t kPcapngShb = 0x0a0d0d0a;
constexpr uint32_t kPcapngByteOrder = 0x1a2b3c4d;
constexpr long kPcapRecordHeaderLen = 16;
constexpr uint32_t kMaxSnaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN

// Bytes at a given offset of the input, before libpcap takes it over.
using PeekAt = std::function<bool(long off, uint8_t* buf, size_t n)>;

bool read_at(FILE* f, long off, uint8_t* buf, size_t n) {
  return std::fseek(f, off, SEEK_SET) == 0 && std::fread(buf, 1, n, f) == n;
}

// Standard input cannot seek, so what is looked at before libpcap opens it is kept in `head`
// and served again ahead of the rest: a stdio stream over (head, then fd 0).
class StdinReplay {
 public:
  // Reads up to off + n bytes into the head; false if the input ends first.
  bool peek(long off, uint8_t* buf, size_t n) {
    const size_t want = size_t(off) + n;
    while (head_.size() < want) {
      uint8_t chunk[4096];
      const ssize_t got = ::read(0, chunk, std::min(sizeof chunk, want - head_.size()));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      head_.insert(head_.end(), chunk, chunk + got);
    }
    std::memcpy(buf, head_.data() + off, n);
    return true;
  }
  size_t peeked() const { return head_.size(); }
  // The stream owns `s` from here on (deleted when it is closed); nullptr on failure.
  static FILE* open(std::unique_ptr<StdinReplay> s) {
    cookie_io_functions_t io{};
    io.read = [](void* c, char* buf, size_t n) -> ssize_t {
      auto* s = static_cast<StdinReplay*>(c);
      ssize_t got;
      if (s->pos_ < s->head_.size()) {
        got = ssize_t(std::min(n, s->head_.size() - s->pos_));
        std::memcpy(buf, s->head_.data() + s->pos_, size_t(got));
        s->pos_ += size_t(got);
      } else {
        do got = ::read(0, buf, n);
        while (got < 0 && errno == EINTR);
        if (got < 0) return -1;
      }
      s->offset_ += got;
      return got;
    };
    // Only "where am I" (ftell), which the record checks in Reader::next use.
    io.seek = [](void* c, off64_t* off, int whence) -> int {
      if (whence != SEEK_CUR || *off != 0) {
        errno = ESPIPE;
        return -1;
      }
      *off = static_cast<StdinReplay*>(c)->offset_;
      return 0;
    };
    io.close = [](void* c) -> int {
      delete static_cast<StdinReplay*>(c);
      return 0;
    };
    FILE* f = fopencookie(s.get(), "rb", io);
    if (f) s.release();
    return f;
  }

 private:
  Bytes head_;
  size_t pos_ = 0;     // next head byte to serve
  off64_t offset_ = 0;  // bytes served so far
};

// libpcap always converts to the precision we ask for and does not say what the file holds,
// so look at the first Interface Description Block's if_tsresol option ourselves.
// Default (no option) is microseconds. Anything odd is left for libpcap to reject.
bool pcapng_first_if_is_nano(const PeekAt& read_at) {
  uint8_t h[12];
  if (!read_at(0, h, sizeof h)) return false;
  const bool le = ld_le32(h + 8) == kPcapngByteOrder;
  auto u32 = [le](const uint8_t* p) { return le ? ld_le32(p) : ld_be32(p); };
  auto u16 = [le](const uint8_t* p) { return le ? ld_le16(p) : ld_be16(p); };
  long off = 0;
  uint32_t len = u32(h + 4);
  for (int blocks = 0; blocks < 64; ++blocks) {  // libpcap skips unknown blocks before the IDB
    if (len < 12 || len % 4) return false;
    off += len;
    if (!read_at(off, h, 8)) return false;
    const uint32_t type = u32(h);
    len = u32(h + 4);
    if (type != 1) continue;
    if (len < 20 || len > (1u << 20)) return false;
    Bytes idb(len);
    if (!read_at(off, idb.data(), len)) return false;
    for (size_t o = 16; o + 4 <= len - 4;) {
      const uint16_t code = u16(&idb[o]), olen = u16(&idb[o + 2]);
      if (code == 0) break;  // opt_endofopt
      if (code == 9 && olen == 1) return idb[o + 4] == 9;  // if_tsresol: 10^-9 s
      o += 4 + ((olen + 3u) & ~3u);
    }
    return false;
  }
  return false;
}

std::string describe_libpcap_error(const std::string& msg) {
  if (msg.find("header bytes") != std::string::npos)
    return "truncated (file ends inside the record header) [libpcap: " + msg + "]";
  if (msg.find("captured bytes") != std::string::npos)
    return "truncated (file ends inside the packet data) [libpcap: " + msg + "]";
  if (msg.find("truncated") != std::string::npos)
    return "truncated (file ends inside a block) [libpcap: " + msg + "]";
  return msg;
}

}  // namespace

// ---- Reader ----

Reader::Reader(const std::string& path) : path_(path == "-" ? "stdin" : path) {
  // Opened here rather than by libpcap so the magic can be inspected and errors name the file
  // once; pcap_fopen_offline takes ownership of the stream on success.
  FILE* f = nullptr;
  std::unique_ptr<StdinReplay> in;
  PeekAt peek;
  bool empty = false;
  if (path == "-") {
    in = std::make_unique<StdinReplay>();
    peek = [&in](long off, uint8_t* buf, size_t n) { return in->peek(off, buf, n); };
  } else {
    f = std::fopen(path.c_str(), "rb");
    if (!f) throw PcapError(path + ": cannot open: " + std::strerror(errno));
    // libpcap reads record by record through stdio: a large buffer saves a read() per 4 KiB
    // of a long trace.
    constexpr size_t kIoBuf = size_t(1) << 20;
    iobuf_ = std::make_unique<char[]>(kIoBuf);
    std::setvbuf(f, iobuf_.get(), _IOFBF, kIoBuf);
    peek = [f](long off, uint8_t* buf, size_t n) { return read_at(f, off, buf, n); };
    struct stat st {};
    empty = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
  }
  uint8_t m[4];
  const bool have_magic = peek(0, m, 4);
  if (in) empty = in->peeked() == 0;  // a pipe has no size to ask
  const auto fail = [&](const std::string& what) {
    if (f) std::fclose(f);
    return PcapError(path_ + ": " + what);
  };
  if (empty) throw fail("empty file, not a pcap or pcapng capture");
  const uint32_t magic = have_magic ? ld_le32(m) : 0;
  const uint32_t magic_be = have_magic ? ld_be32(m) : 0;
  if (magic == kMagicKuznetzov || magic_be == kMagicKuznetzov)
    throw fail("modified (Kuznetzov) pcap format is not supported");
  nano_ = magic == kMagicNsec || magic_be == kMagicNsec;
  pcapng_ = magic == kPcapngShb;
  if (pcapng_) nano_ = pcapng_first_if_is_nano(peek);
  if (in) {
    f = StdinReplay::open(std::move(in));
    if (!f) throw PcapError(path_ + ": cannot read: " + std::strerror(errno));
  } else {
    std::rewind(f);
  }

  char errbuf[PCAP_ERRBUF_SIZE] = "";
  p_ = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!p_) throw fail(std::string("not a readable pcap or pcapng capture (") + errbuf + ")");
  if (pcap_datalink(p_) != DLT_EN10MB) {
    const int dlt = pcap_datalink(p_);
    const char* name = pcap_datalink_val_to_name(dlt);
    pcap_close(p_);
    p_ = nullptr;
    throw PcapError(path_ + ": link type " + std::to_string(dlt) + " (" +
                    (name ? name : "unknown") + ") is not Ethernet");
  }
  snaplen_ = uint32_t(pcap_snapshot(p_));
}

Reader::~Reader() {
  if (p_) pcap_close(p_);
}

bool Reader::next(Packet& out) {
  std::string error;
  if (try_next(out, error)) return true;
  if (!error.empty()) throw PcapError(error);
  return false;
}

bool Reader::try_next(Packet& out, std::string& error) {
  const uint64_t rec = count_ + 1;
  auto fail = [&](const std::string& what) {
    error = path_ + ": record " + std::to_string(rec) + ": " + what;
    truncated_ = what.rfind("truncated", 0) == 0;
    return false;
  };
  FILE* f = pcap_file(p_);
  // Where the previous record ended, unless it failed (libpcap alone reads the stream); asking
  // the stream costs a call per record.
  const long before = next_pos_ >= 0 ? next_pos_ : std::ftell(f);
  next_pos_ = -1;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(p_, &h, &data);
  if (rc == PCAP_ERROR_BREAK) {
    // libpcap reports a partial record header as an error, but a clean end must also be
    // exactly at the end of the file; pcapng is exempt because trailing non-packet blocks
    // are consumed in the same call.
    struct stat st {};
    if (!pcapng_ && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && before != st.st_size)
      return fail("truncated (file ends inside the record header)");
    return false;
  }
  if (rc != 1) return fail(describe_libpcap_error(pcap_geterr(p_)));
  if (!pcapng_) {
    // libpcap silently cuts a record longer than the snap length down to it and skips the
    // rest, so the bytes it consumed are the only evidence of the length in the file.
    const long after = std::ftell(f);
    const long in_file = after - before - kPcapRecordHeaderLen;
    if (before >= 0 && in_file != long(h->caplen))
      return fail("captured length " + std::to_string(in_file) + " exceeds snap length " +
                 std::to_string(snaplen_));
    next_pos_ = after;
    good_end_ = after;
  }
  if (h->caplen > snaplen_)
    return fail("captured length " + std::to_string(h->caplen) + " exceeds snap length " +
               std::to_string(snaplen_));
  if (h->caplen > h->len)
    return fail("captured length " + std::to_string(h->caplen) + " exceeds original length " +
               std::to_string(h->len));
  // Classic pcap seconds are an unsigned 32-bit field that libpcap sign-extends.
  const uint64_t sec = pcapng_ ? uint64_t(h->ts.tv_sec) : uint32_t(h->ts.tv_sec);
  out.ts_ns = sec * 1000000000ull + uint64_t(h->ts.tv_usec);
  out.orig_len = h->len;
  out.data.assign(data, data + h->caplen);
  out.index = rec;
  count_ = rec;
  return true;
}

int64_t Reader::bytes_lost() const {
  struct stat st {};
  if (!truncated_ || pcapng_ || fstat(fileno(pcap_file(p_)), &st) != 0 ||
      !S_ISREG(st.st_mode))
    return -1;
  return int64_t(st.st_size) - good_end_;
}

// ---- Writer ----

Writer::Writer(const std::string& path, uint32_t snaplen)
    : path_(path == "-" ? "stdout" : path), snaplen_(snaplen) {
  if (snaplen == 0 || snaplen > kMaxSnaplen)
    throw PcapError(path + ": snap length " + std::to_string(snaplen) + " outside 1.." +
                    std::to_string(kMaxSnaplen));
  dead_ = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, int(snaplen),
                                               PCAP_TSTAMP_PRECISION_NANO);
  if (!dead_) throw PcapError(path + ": pcap_open_dead failed");
  // Opened here so the error text is ours; "-" is standard output (for a pipe).
  FILE* f = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
  if (f == stdout) std::setvbuf(f, nullptr, _IOFBF, 1 << 16);  // before any output
  if (!f) {
    const int err = errno;
    pcap_close(dead_);
    dead_ = nullptr;
    throw PcapError(path + ": cannot create: " + std::strerror(err));
  }
  d_ = pcap_dump_fopen(dead_, f);
  if (!d_) {
    const std::string msg = pcap_geterr(dead_);
    std::fclose(f);
    pcap_close(dead_);
    dead_ = nullptr;
    throw PcapError(path + ": cannot write header: " + msg);
  }
}

Writer::~Writer() {
  if (d_) pcap_dump_close(d_);
  if (dead_) pcap_close(dead_);
}

void Writer::write(uint64_t ts_ns, ByteView frame) {
  if (!d_) throw PcapError(path_ + ": write after close");
  const uint64_t sec = ts_ns / 1000000000ull;
  if (sec > UINT32_MAX) throw PcapError(path_ + ": timestamp beyond the pcap 32-bit seconds range");
  pcap_pkthdr h{};
  h.ts.tv_sec = time_t(sec);
  h.ts.tv_usec = suseconds_t(ts_ns % 1000000000ull);  // nanoseconds: the dumper is NANO
  h.len = uint32_t(frame.size);
  h.caplen = std::min(h.len, snaplen_);
  pcap_dump(reinterpret_cast<u_char*>(d_), &h, frame.data);
  ++count_;
  // pcap_dump() ignores fwrite failures; catch them at the record that hit them.
  if (std::ferror(pcap_dump_file(d_)))
    throw PcapError(path_ + ": record " + std::to_string(count_) + ": write failed");
}

void Writer::close() {
  if (!d_) return;
  const bool ok = pcap_dump_flush(d_) == 0 && !std::ferror(pcap_dump_file(d_));
  const int err = errno;
  pcap_dump_close(d_);
  pcap_close(dead_);
  d_ = nullptr;
  dead_ = nullptr;
  if (!ok) throw PcapError(path_ + ": write failed: " + std::strerror(err));
}

}  // namespace nic::pcap
