// What the offload engine asks of a storage protocol over TCP. The engine (framer with its
// recovery, digest engine, DDP table, placement) is protocol-neutral; a protocol is a class
// the framer takes as a template parameter (direct calls on the per-PDU path, no virtual call),
// written in its own folder (hw/offload/nvme_tcp/). Plain C++.
//
// A protocol class P provides:
//   using Conn                      what the connection negotiated (digests, alignment...)
//   static constexpr kPrefixLen     bytes from a PDU's start that give its layout
//   static constexpr kMaxHeaderLen  header bytes the framer keeps (fields() reads no further)
//   static constexpr kMaxSearchLen  the most bytes plausible() reads
//   static constexpr kBadHeaderDigest, kPduTooLarge   its codes for the framer's own errors
//   static uint8_t begin(prefix, conn, max_pdu_len, PduLayout&)
//       the layout from the prefix; a nonzero error code when the header cannot be trusted
//       (the layout then holds what was decoded, for the report). Called once per PDU.
//       Without an error, hlen >= kPrefixLen and the regions lie in order within plen.
//   static bool header_digest(conn)  whether headers carry a digest the framer can check
//   static abi::TagSlotRule slot_rule(queue_size)   which DDP slot an I/O tag uses
//   static void fields(hdr, layout, PduFields&)   from the whole header (kMaxHeaderLen bytes)
//   static uint8_t check(hdr, layout)     consistency of the whole header, after its digest
//   static uint32_t search_len(conn)      bytes plausible() needs
//   static bool plausible(h, conn, max_pdu_len, plen&)   could a header start here (search)?
#pragma once
#include <cstdint>

namespace nic::hw {

// Where a PDU's regions lie, as offsets from its first byte, in wire order: header
// [0, hlen), header digest [hlen, hlen + hdgst_len), pad up to data_off, data [data_off,
// data_off + data_len), pad up to plen - ddgst_len, data digest. The NVMe/TCP pad (PDO
// alignment) lies before the data and its data digest covers the data only; the iSCSI pad
// lies after the data and its data digest covers it too (ddgst_covers_pad).
// Narrow fields where the protocols allow: a flow context holds one of these.
struct PduLayout {
  uint8_t opcode = 0;  // the protocol's PDU type
  uint8_t flags = 0;   // the protocol's PDU flags
  uint16_t hlen = 0;   // NVMe/TCP: at most 255; iSCSI: 48 + AHS (at most 1068)
  uint8_t hdgst_len = 0, ddgst_len = 0;
  bool ddgst_covers_pad = false;
  uint32_t data_off = 0, data_len = 0;
  uint32_t plen = 0;   // the whole PDU, digests and pads included

  // Pad bytes after the data that the data digest covers too (iSCSI), else 0.
  uint32_t crc_pad() const {
    return ddgst_covers_pad ? plen - ddgst_len - data_off - data_len : 0;
  }
};

// What the whole header says about the PDU's data and its I/O.
struct PduFields {
  uint32_t io_tag = 0;     // the I/O the PDU names (NVMe/TCP: CID), 0 for none
  uint32_t buf_off = 0;    // where its data goes in the I/O's buffer (NVMe/TCP: DATAO)
  bool placeable = false;  // its data may be placed into the I/O's registered buffer
  bool ends_io = false;    // the PDU's last byte completes the I/O on the wire
};

}  // namespace nic::hw
