#include "host_driver/iscsi/iscsi_session.hpp"

#include "host_driver/iscsi/iscsi_rx.hpp"

namespace nic::host {

using iscsi::Opcode;

namespace {

// Adds a Login PDU's text to `keys` once its sequence (C bit) is complete.
void take_text(iscsi::TextAssembler& text, ByteView data, bool cont, iscsi::TextKeys& keys) {
  if (!text.add(data, cont)) return;
  iscsi::TextKeys got;
  if (text.parse(got) == iscsi::TextError::None) keys.insert(keys.end(), got.begin(), got.end());
  text = {};
}

}  // namespace

bool IscsiSession::opens_tx(ByteView payload) const {
  return iscsi::starts_with_login(payload, Opcode::LoginReq);
}

bool IscsiSession::opens_rx(ByteView payload) const {
  return iscsi::starts_with_login(payload, Opcode::LoginResp);
}

void IscsiSession::tx(ByteView bytes, const OnRead& read) {
  tx_dec_.feed(bytes);
  iscsi::Pdu pdu;
  iscsi::PduError err;
  // Past the final Login Request, only the target's answer says whether digests follow.
  while (!(tx_login_final_ && !ready_) && tx_dec_.next(pdu, err, false)) {
    if (err != iscsi::PduError::None) continue;
    if (const auto* req = std::get_if<iscsi::LoginReq>(&pdu.body)) {
      take_text(tx_text_, pdu.data, req->cont, initiator_keys_);
      tx_login_final_ = req->transit && req->nsg == iscsi::kFullFeaturePhase;
    } else if (const auto* cmd = std::get_if<iscsi::ScsiCommand>(&pdu.body)) {
      if (cmd->read && cmd->expected_length) read(cmd->itt, cmd->expected_length);
    }
  }
}

size_t IscsiSession::rx_setup(ByteView bytes) {
  const uint64_t before = rx_fed_;
  rx_dec_.feed(bytes);
  rx_fed_ += bytes.size;
  iscsi::Pdu pdu;
  iscsi::PduError err;
  while (!ready_ && !refused_ && rx_dec_.next(pdu, err)) {
    const auto* resp = std::get_if<iscsi::LoginResp>(&pdu.body);
    // Anything but a good Login Response: the login failed, the host reads nothing here.
    if (err != iscsi::PduError::None || !resp || resp->status_class != 0) {
      refused_ = true;
      break;
    }
    take_text(rx_text_, pdu.data, resp->cont, target_keys_);
    if (!resp->enters_full_feature()) continue;
    const iscsi::NegotiationResult n = iscsi::negotiate(initiator_keys_, target_keys_);
    if (n.error != iscsi::NegotiationError::None) {
      refused_ = true;
      break;
    }
    params_ = n.params;
    tx_dec_.set_full_feature_params(params_.from_initiator());
    ready_ = true;
    // Full-feature bytes start right after this response, maybe inside this chunk.
    return size_t(rx_dec_.consumed() - before);
  }
  return bytes.size;
}

std::unique_ptr<ReadRx> IscsiSession::make_rx(BufferIo& io, uint32_t seq,
                                              std::function<void(const CmdResult&)> done,
                                              std::function<void(uint32_t)> resync) const {
  return std::make_unique<IscsiRx>(params_.from_target(), io, seq, std::move(done),
                                   std::move(resync));
}

SkConfig IscsiSession::offload(uint32_t seq, uint32_t queue_size) const {
  SkConfig sk;
  sk.seq = seq;
  sk.flags = uint8_t((params_.header_digest ? 1 : 0) | (params_.data_digest ? 2 : 0));
  sk.queue_size = queue_size;
  sk.slot_rule = abi::iscsi_slot_rule(queue_size);
  sk.ulp = abi::Ulp::Iscsi;
  sk.max_data_seg = params_.initiator_max_recv;
  return sk;
}

std::string IscsiSession::failure(const ReadRx& rx) const {
  const iscsi::PduError e = static_cast<const IscsiRx&>(rx).failure_error();
  return e == iscsi::PduError::None ? std::string("Async Message: the target drops the connection")
                                    : std::string("framing lost: ") + iscsi::to_string(e);
}

}  // namespace nic::host
