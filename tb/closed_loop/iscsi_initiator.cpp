#include "tb/closed_loop/iscsi_initiator.hpp"

#include <string>

#include "proto/iscsi_login.hpp"

namespace nic::loop {

namespace {

constexpr uint64_t kIsidBase = 0x023d00000000ull;  // type 0 (OUI format), as open-iscsi
constexpr uint32_t kMaxBurst = 16776192;  // the largest allowed: one Data-In sequence per READ
constexpr uint32_t kBlock = 512;
// Login PDUs never carry digests, and their data stay within the login-phase limit.
const iscsi::ConnParams kLoginParams{false, false, iscsi::kLoginMaxDataSegment};

}  // namespace

IscsiInitiator::IscsiInitiator(const InitiatorParams& p)
    : p_(p),
      cp_{p.hdgst, p.ddgst, iscsi::kMaxDataSegmentLength},  // commands only: no data to bound
      rng_(gen::Rng::derive(p.seed, 0x15c5u, p.conn)),
      slots_(p.queue_depth, p.ios),
      cmdsn_(uint32_t(rng_.next())),
      exp_statsn_(uint32_t(rng_.next())) {}

void IscsiInitiator::open(const Write& write) {
  iscsi::LoginReq r;
  r.transit = true;
  r.csg = iscsi::kLoginOperationalNegotiation;
  r.nsg = iscsi::kFullFeaturePhase;
  r.isid = kIsidBase | p_.conn;
  r.itt = kLoginItt;
  r.cmdsn = cmdsn_;  // immediate: the first command reuses it
  r.expstatsn = exp_statsn_;
  const iscsi::TextKeys keys = {{"InitiatorName", "iqn.2024-01.org.nicsim:initiator"},
                                {"SessionType", "Normal"},
                                {"TargetName", "iqn.2024-01.org.nicsim:target"},
                                {"HeaderDigest", p_.hdgst ? "CRC32C" : "None"},
                                {"DataDigest", p_.ddgst ? "CRC32C" : "None"},
                                {"MaxRecvDataSegmentLength", std::to_string(p_.iscsi_max_recv)},
                                {"MaxBurstLength", std::to_string(kMaxBurst)},
                                {"ErrorRecoveryLevel", "0"}};
  write(iscsi::encode_pdu({true, r, {}, iscsi::write_text(keys)}, kLoginParams));
}

void IscsiInitiator::ready(uint64_t, const Write& write) {
  ++exp_statsn_;  // the Login Response's
  iscsi::ScsiCommand tur;  // an all-zero CDB: TEST UNIT READY
  tur.attr = 1;
  tur.itt = kProbeItt;
  tur.cmdsn = cmdsn_++;
  tur.expstatsn = exp_statsn_;
  write(iscsi::encode_pdu({false, tur, {}, {}}, cp_));
  probing_ = true;
  probe_from_ = received_;
}

void IscsiInitiator::received(uint32_t in_order, uint64_t now_ps, const Write& write) {
  received_ = in_order;
  if (!probing_ || received_ - probe_from_ < iscsi::kBhsLen + (cp_.hdgst ? iscsi::kDigestLen : 0))
    return;
  probing_ = false;
  ++exp_statsn_;  // the probe's answer
  ready_ = true;
  issue(now_ps, write);
}

void IscsiInitiator::completed(uint32_t itt, bool ok, uint64_t now_ps, const Write& write) {
  if (!slots_.complete(itt, ok, now_ps)) return;
  ++exp_statsn_;  // its status
  issue(now_ps, write);
}

void IscsiInitiator::issue(uint64_t now_ps, const Write& write) {
  while (ready_ && slots_.can_issue()) {
    iscsi::ScsiCommand c;
    c.read = true;
    c.attr = 1;  // simple
    c.expected_length = p_.io_size.draw(rng_);
    const uint64_t lba = rng_.below(uint64_t(1) << 31) * 8;  // 4 KiB-aligned, anywhere in 8 TiB
    const uint32_t blocks = c.expected_length / kBlock;
    // Both CDB sizes appear; READ(16) whenever READ(10) cannot say it.
    const bool read16 = rng_.chance(0.5) || lba > UINT32_MAX || blocks > UINT16_MAX;
    c.cdb = read16 ? iscsi::make_read16(lba, blocks) : iscsi::make_read10(uint32_t(lba), uint16_t(blocks));
    c.itt = slots_.take(now_ps, c.expected_length, itt_of);
    c.cmdsn = cmdsn_++;
    c.expstatsn = exp_statsn_;
    write(iscsi::encode_pdu({false, c, {}, {}}, cp_));
  }
}

}  // namespace nic::loop
