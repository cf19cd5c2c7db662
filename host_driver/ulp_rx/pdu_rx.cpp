#include "host_driver/ulp_rx/pdu_rx.hpp"

#include <utility>

namespace nic::host {

const char* to_string(CmdStatus s) {
  switch (s) {
    case CmdStatus::Ok: return "ok";
    case CmdStatus::DigestError: return "digest_error";
    case CmdStatus::BadPdu: return "bad_pdu";
    case CmdStatus::NvmeError: return "nvme_error";
    case CmdStatus::ShortData: return "short_data";
    case CmdStatus::Terminated: return "terminated";
    case CmdStatus::Overlap: return "overlapping_data";
    case CmdStatus::Misplaced: return "misplaced_data";
    case CmdStatus::LatePlacement: return "late_placement";
    case CmdStatus::ScsiError: return "scsi_error";
  }
  return "?";
}

const char* to_string(CrcMode m) {
  switch (m) {
    case CrcMode::None: return "none";
    case CrcMode::Hw: return "hw";
    case CrcMode::Sw: return "sw";
  }
  return "?";
}

RxStats& RxStats::operator+=(const RxStats& o) {
  for (auto [mine, theirs] : {
           std::pair{&pdus, o.pdus}, {&data_pdus, o.data_pdus}, {&hw_crc_pdus, o.hw_crc_pdus},
           {&sw_crc_pdus, o.sw_crc_pdus}, {&sw_crc_bytes, o.sw_crc_bytes},
           {&digest_errors, o.digest_errors}, {&placed_bytes, o.placed_bytes},
           {&copied_bytes, o.copied_bytes}, {&misplaced_bytes, o.misplaced_bytes},
           {&unknown_tag_pdus, o.unknown_tag_pdus}, {&overrun_pdus, o.overrun_pdus},
           {&overlap_pdus, o.overlap_pdus}, {&rejected_pdus, o.rejected_pdus}, {&misplaced_reads, o.misplaced_reads},
           {&late_reads, o.late_reads},
           {&framing_failures, o.framing_failures}, {&terminated, o.terminated},
           {&ignored_pdus, o.ignored_pdus}, {&resync_requests, o.resync_requests},
           {&resync_confirmed, o.resync_confirmed}, {&resync_dropped, o.resync_dropped}})
    *mine += theirs;
  return *this;
}

}  // namespace nic::host
