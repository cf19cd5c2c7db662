#include "hw/offload/pdu_tracker.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <utility>


namespace nic::hw {

TrackerStats& TrackerStats::operator+=(const TrackerStats& o) {
  for (auto [mine, theirs] : {
           std::pair{&holes, o.holes}, {&holes_in_data, o.holes_in_data},
           {&framing_lost, o.framing_lost}, {&stale, o.stale}, {&candidates, o.candidates},
           {&candidates_dropped, o.candidates_dropped}, {&resync_requests, o.resync_requests},
           {&resyncs_confirmed, o.resyncs_confirmed}, {&resyncs_ignored, o.resyncs_ignored},
           {&headers_recovered, o.headers_recovered}})
    *mine += theirs;
  return *this;
}

const char* to_string(TrackerState s) {
  switch (s) {
    case TrackerState::Offloading: return "Offloading";
    case TrackerState::Tracking: return "Tracking";
    case TrackerState::Searching: return "Searching";
    case TrackerState::ResyncPending: return "ResyncPending";
    case TrackerState::Disabled: return "Disabled";
  }
  return "?";
}

}  // namespace nic::hw
