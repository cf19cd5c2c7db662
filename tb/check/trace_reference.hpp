// An independent software decode of an NVMe/TCP or iSCSI trace: what every read command's
// buffer must hold at the end, worked out from the captured frames alone (TCP reassembly of
// both directions, PDU decode, data placed by DATAO or Buffer Offset). `nicsim replay` compares the modelled NIC +
// driver against it, so it shares no code with the NIC or driver models beyond the
// wire-format library.
//
// It decodes as the frames come, one pass, and keeps only what is still open: the reassembly
// of each direction up to its first hole and the buffers of reads the trace has not finished.
// Each read is handed on once, as soon as its outcome is known, and then forgotten, so memory
// does not grow with the length of the trace.
//
// A connection is followed from its TCP handshake or, in a capture that starts after it, from
// the segments that open its streams with ICReq and ICResp (iSCSI: a Login Request and a
// Login Response; the login's keys give the digests, so iSCSI needs the whole login). What it cannot follow (a
// mid-stream join, a port not listed, checksums, records cut by the snap length, frames too
// long for the receiver) it names at
// the end, with the reads the trace holds there, so that a replay never passes unchecked.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/bytes.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"
#include "util/byte_pool.hpp"

namespace nic::check {

struct ReferenceCommand {
  std::string flow;       // host side "IP:port" ("[addr]:port" for IPv6)
  uint32_t tag = 0;       // NVMe/TCP: the CID; iSCSI: the ITT
  uint32_t order = 0;     // index among the connection's read commands in wire order
  uint32_t length = 0;    // iSCSI: the Expected Data Transfer Length
  bool iscsi = false;     // an iSCSI read (a SCSI Command with R), else NVMe/TCP
  Bytes data;             // what the buffer must hold (bytes never received stay zero)
  uint64_t bytes_received = 0;
  uint64_t bytes_covered = 0;  // distinct buffer bytes some C2HData wrote
  std::map<uint32_t, uint32_t> got;  // buffer ranges some C2HData wrote: start -> end
  bool digest_error = false;  // a C2HData (Data-In) PDU of this command had a wrong data digest
  bool completed = false;     // CapsuleResp or SUCCESS seen (iSCSI: Data-In with S, SCSI Response)
  // 0 = success. NVMe/TCP: the status from the CapsuleResp. iSCSI: the SCSI status byte; a
  // SCSI Response whose iSCSI response is not "command completed" puts it in the high byte.
  uint16_t status = 0;
  std::string problem;        // framing or protocol trouble, empty when none
  // Data for an earlier, finished read with this tag arrived before this read was sent: a
  // host that had already issued it (submission precedes the wire) takes that data for this
  // read, and may fail it when the data does not fit.
  bool after_late_data = false;
  std::string sha256() const;
};

// A connection carrying NVMe/TCP or iSCSI whose reads the decode could not follow, or not all
// of them.
struct NotFollowed {
  enum class Why : uint8_t {
    Port,       // its controller port is not among the ports followed
    MidStream,  // the capture holds neither its handshake nor its ICReq/ICResp (iSCSI: login)
    Checksum,   // segments the receiver drops for bad checksums
    Snaplen,    // records cut short by the capture's snap length
    Oversize,   // controller frames longer than the receiving MAC takes (TSO/GRO super-frames)
    Other,      // the stream could not be followed (see the read problems)
  } why = Why::Other;
  std::string flow;         // host side "IP:port"
  uint16_t port = 0;        // controller (target) port
  bool iscsi = false;       // an iSCSI connection, else NVMe/TCP
  uint64_t reads = 0;       // the trace's reads on it that were not followed
  bool reads_known = true;  // false for MidStream: without framing its reads cannot be counted
  uint64_t frames = 0, bad_checksum = 0, cut = 0;  // its frames, and those failing / cut
  uint64_t oversize = 0;  // its controller frames longer than the receiver's max frame
};
const char* to_string(NotFollowed::Why w);

class ReferenceDecoder {
 public:
  // Gets every read command exactly once: when the trace completes it, when it can no longer
  // complete (its connection's controller stream broke), or from finish(). The command is
  // the decoder's no more once handed on: the callee may move its members out (the judge
  // takes `data` without copying it), and a buffer it leaves in `data` serves a later read.
  using Done = std::function<void(ReferenceCommand&)>;
  // Out-of-order bytes one direction may hold above its first hole (a hole the capture never
  // fills would otherwise hold everything after it); past that the connection's reads are
  // given up as unjudgeable.
  static constexpr size_t kMaxHeldBytes = 64u << 20;

  explicit ReferenceDecoder(Done done, net::PortList nvme_ports = {{nvme::kDefaultPort}});
  // Target ports of the iSCSI connections to follow (none unless set; 3260 is iSCSI's). Set
  // before the first frame.
  void set_iscsi_ports(net::PortList ports) { iscsi_ports_ = std::move(ports); }
  // Told of C2HData (Data-In) for a tag that followed the completion of that tag's read
  // `order` (flow and order as in ReferenceCommand) and is not that tag's next read's own
  // data: no read is open for the tag, or the bytes repeat ones its open read already has. A NIC that did not
  // see the completion in time may place such bytes into the completed read's buffer, so
  // failing that read is as right as completing it.
  using LateData = std::function<void(const std::string& flow, uint32_t order)>;
  void set_late_data_hook(LateData hook) { late_ = std::move(hook); }
  // Controller frames longer than this never reach the host (its MAC drops them); 0: no limit.
  void set_max_frame(size_t bytes) { max_frame_ = bytes; }
  ~ReferenceDecoder();
  ReferenceDecoder(const ReferenceDecoder&) = delete;
  ReferenceDecoder& operator=(const ReferenceDecoder&) = delete;

  // The next captured frame (Ethernet), in capture order; `wire_len` its length on the wire
  // when the record is shorter (snap length), else 0.
  void add(ByteView frame, size_t wire_len = 0);
  // End of the trace: hands on every read still open, in (connection, order) order.
  void finish();
  // After finish(): the NVMe/TCP and iSCSI connections (on any port: a host stream that opens
  // with an ICReq is NVMe/TCP, one that opens with a Login Request iSCSI) not followed, or not wholly, in (flow) order; and the connections where
  // most frames fail their checksum.
  const std::vector<NotFollowed>& not_followed() const { return not_followed_; }
  const std::vector<NotFollowed>& checksum_failures() const { return checksum_failures_; }
  uint64_t cut_records() const { return cut_records_; }  // records shorter than their frame

  size_t open_commands() const { return open_; }  // reads started and not yet handed on
  size_t open_commands_max() const { return open_max_; }
  size_t held_bytes() const;  // out-of-order and not yet decodable bytes, all connections

 private:
  class Connection;
  class NvmeConnection;
  class IscsiConnection;
  class Census;
  Connection& connection(const net::FiveTuple& key, bool iscsi);
  Census& census(const net::FiveTuple& key, uint16_t port, bool iscsi);
  void judge_census();
  bool listed(uint16_t port) const;      // a port of either list
  bool iscsi_port(uint16_t port) const;  // a port followed as iSCSI

  Done done_;
  LateData late_;
  net::PortList ports_;
  net::PortList iscsi_ports_{{}};
  uint64_t cut_records_ = 0;
  size_t max_frame_ = 0;
  // Every NVMe/TCP and iSCSI connection's frames, checksum failures, cuts and read commands, counted
  // whether or not the decode follows it (by host->controller tuple).
  std::unordered_map<net::FiveTuple, std::unique_ptr<Census>> census_;
  net::FiveTuple last_census_key_;
  Census* last_census_ = nullptr;
  std::vector<NotFollowed> not_followed_, checksum_failures_;
  size_t open_ = 0, open_max_ = 0;
  BytePool spare_;  // read buffers handed back, for the next reads
  // By host->controller tuple; finish() hands on in tuple order.
  std::unordered_map<net::FiveTuple, std::unique_ptr<Connection>> conns_;
  // The connection of the previous frame: most frames continue the same connection's burst.
  net::FiveTuple last_key_;
  Connection* last_ = nullptr;
};

}  // namespace nic::check
