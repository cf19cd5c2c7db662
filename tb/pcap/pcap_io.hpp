// pcap/pcapng reading (libpcap offline reader) and nanosecond pcap writing.
// Every error names the file and, where one is involved, the 1-based record number.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "util/bytes.hpp"

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace nic::pcap {

class PcapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Packet {
  uint64_t ts_ns = 0;     // capture time, nanoseconds since the epoch
  uint32_t orig_len = 0;  // length on the wire (without FCS)
  Bytes data;             // captured bytes (caplen)
  uint64_t index = 0;     // 1-based record number in the file
};

class Reader {
 public:
  // Opens pcap or pcapng, "-" for standard input (a pipe: read once, front to back); throws
  // PcapError for a missing/unreadable file, garbage, or a link type other than Ethernet.
  explicit Reader(const std::string& path);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  // Next record; false at a clean end of file. Throws PcapError for a truncated record or one
  // whose captured length exceeds the snap length.
  bool next(Packet& out);
  // The same without exceptions (for callers running on a SystemC coroutine stack, where a
  // throw confuses AddressSanitizer): false at the end, with `error` set if the record is bad.
  bool try_next(Packet& out, std::string& error);
  // The last try_next failed because the file ends inside a record (cut off, not garbled).
  bool truncated() const { return truncated_; }
  // After that: the bytes of the file past the last complete record; -1 when not known (a
  // pipe, or pcapng).
  int64_t bytes_lost() const;
  const std::string& path() const { return path_; }  // "stdin" for "-"
  uint32_t snaplen() const { return snaplen_; }
  bool nanosecond_file() const { return nano_; }  // the file itself stores nanoseconds

 private:
  std::string path_;
  // The stream's buffer (glibc ignores a size without one); outlives the stream, which
  // pcap_close closes in the destructor.
  std::unique_ptr<char[]> iobuf_;
  pcap_t* p_ = nullptr;
  uint32_t snaplen_ = 0;
  bool nano_ = false;
  bool pcapng_ = false;  // classic pcap records get extra framing checks in next()
  uint64_t count_ = 0;
  long next_pos_ = -1;  // classic pcap: where the next record starts, -1 if not known
  long good_end_ = 24;  // classic pcap: where the last complete record (or the header) ends
  bool truncated_ = false;
};

class Writer {
 public:
  // Writes a classic pcap with the nanosecond magic, Ethernet link type; "-" is standard
  // output.
  explicit Writer(const std::string& path, uint32_t snaplen = 262144);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  void write(uint64_t ts_ns, ByteView frame);
  void close();  // flushes; throws PcapError if the file could not be written
  uint64_t count() const { return count_; }

 private:
  std::string path_;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* d_ = nullptr;
  uint32_t snaplen_;
  uint64_t count_ = 0;
};

}  // namespace nic::pcap
