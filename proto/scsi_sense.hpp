// SCSI sense data a target returns with CHECK CONDITION, as an iSCSI SCSI Response's data
// segment carries it (RFC 7143 11.4.7.2: a 2-byte SenseLength, then the sense bytes).
#pragma once
#include "util/bytes.hpp"

namespace nic::scsi {

// The UNIT ATTENTION of a new session (power on or reset, ASC/ASCQ 29h/00h), fixed format:
// what tgtd and istgt answer the first TEST UNIT READY of a session with.
inline Bytes unit_attention_sense() {
  return {0, 18, 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0, 0, 0, 0, 0};
}

}  // namespace nic::scsi
