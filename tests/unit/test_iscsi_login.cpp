#include <catch2/catch.hpp>

#include <string>

#include "proto/iscsi_login.hpp"

using namespace nic;
using namespace nic::iscsi;

namespace {

Bytes raw(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("iscsi login: error names", "[iscsi]") {
  CHECK(std::string(to_string(TextError::MissingNul)) == "MissingNul");
  CHECK(std::string(to_string(TextError::BadKeyName)) == "BadKeyName");
  CHECK(std::string(to_string(NegotiationError::AnswerNotOffered)) == "AnswerNotOffered");
  CHECK(std::string(to_string(NegotiationError::FirstBurstAboveMaxBurst)) ==
        "FirstBurstAboveMaxBurst");
}

TEST_CASE("iscsi login: parse and write key=value text", "[iscsi]") {
  const Bytes golden = raw(std::string("HeaderDigest=CRC32C,None\0DataDigest=None\0"
                                       "MaxRecvDataSegmentLength=262144\0", 73));
  TextKeys keys;
  REQUIRE(parse_text(golden, keys) == TextError::None);
  REQUIRE(keys.size() == 3);
  CHECK(keys[0] == TextKey{"HeaderDigest", "CRC32C,None"});
  CHECK(keys[1] == TextKey{"DataDigest", "None"});
  CHECK(keys[2] == TextKey{"MaxRecvDataSegmentLength", "262144"});
  CHECK(write_text(keys) == golden);
  REQUIRE(find_key(keys, "DataDigest"));
  CHECK(*find_key(keys, "DataDigest") == "None");
  CHECK(find_key(keys, "ImmediateData") == nullptr);

  // An empty value, a value holding '=', and NUL padding after the last pair.
  REQUIRE(parse_text(raw(std::string("TargetAlias=\0X=a=b\0\0\0", 21)), keys) == TextError::None);
  CHECK(keys == TextKeys{{"TargetAlias", ""}, {"X", "a=b"}});
  CHECK(parse_text({}, keys) == TextError::None);
  CHECK(keys.empty());
}

TEST_CASE("iscsi login: malformed text", "[iscsi]") {
  TextKeys keys;
  CHECK(parse_text(raw("HeaderDigest=None"), keys) == TextError::MissingNul);
  CHECK(parse_text(raw(std::string("HeaderDigest\0", 13)), keys) == TextError::MissingEquals);
  CHECK(parse_text(raw(std::string("=None\0", 6)), keys) == TextError::BadKeyName);
  CHECK(parse_text(raw(std::string("Bad Key=1\0", 10)), keys) == TextError::BadKeyName);
  const std::string k63(63, 'K'), k64(64, 'K');
  CHECK(parse_text(raw(k63 + "=1" + std::string(1, '\0')), keys) == TextError::None);
  CHECK(parse_text(raw(k64 + "=1" + std::string(1, '\0')), keys) == TextError::BadKeyName);
  CHECK(parse_text(raw(std::string("X-com.example.Key_1@a+b=1\0", 26)), keys) == TextError::None);
}

TEST_CASE("iscsi login: text split across PDUs by the Continue bit", "[iscsi]") {
  const std::string full("InitiatorName=iqn.2004-10.com.ubuntu:01:abc\0SessionType=Normal\0", 63);
  TextAssembler a;
  // The split falls inside a pair, as the RFC allows.
  CHECK_FALSE(a.add(raw(full.substr(0, 20)), true));
  CHECK_FALSE(a.add(raw(full.substr(20, 30)), true));
  CHECK(a.add(raw(full.substr(50)), false));
  CHECK(a.text() == raw(full));
  TextKeys keys;
  REQUIRE(a.parse(keys) == TextError::None);
  CHECK(keys == TextKeys{{"InitiatorName", "iqn.2004-10.com.ubuntu:01:abc"},
                         {"SessionType", "Normal"}});
}

TEST_CASE("iscsi login: answering a list offer", "[iscsi]") {
  CHECK(answer_list("CRC32C,None", {"None", "CRC32C"}) == "CRC32C");  // the offer's order wins
  CHECK(answer_list("CRC32C,None", {"None"}) == "None");
  CHECK(answer_list("None,CRC32C", {"CRC32C", "None"}) == "None");
  CHECK(answer_list("CRC32C", {"None"}) == "Reject");
}

TEST_CASE("iscsi login: RFC defaults when no key is exchanged", "[iscsi]") {
  const NegotiationResult r = negotiate({}, {});
  REQUIRE(r.error == NegotiationError::None);
  const SessionParams& s = r.params;
  CHECK_FALSE(s.header_digest);
  CHECK_FALSE(s.data_digest);
  CHECK(s.initiator_max_recv == 8192);
  CHECK(s.target_max_recv == 8192);
  CHECK(s.max_burst == 262144);
  CHECK(s.first_burst == 65536);
  CHECK(s.initial_r2t);
  CHECK(s.immediate_data);
  CHECK(s.data_pdu_in_order);
  CHECK(s.data_sequence_in_order);
  const ConnParams rx = s.from_target();
  CHECK_FALSE(rx.hdgst);
  CHECK_FALSE(rx.ddgst);
  CHECK(rx.max_data_segment == 8192);
}

// libiscsi 1.19 against tgtd, header digest requested in the URL: the initiator declares
// 262144 and offers CRC32C; tgtd answers but never declares its own limit.
TEST_CASE("iscsi login: libiscsi against tgtd", "[iscsi]") {
  const TextKeys initiator = {{"HeaderDigest", "CRC32C"},
                              {"DataDigest", "None"},
                              {"MaxRecvDataSegmentLength", "262144"},
                              {"InitialR2T", "Yes"},
                              {"ImmediateData", "Yes"},
                              {"MaxBurstLength", "16776192"},
                              {"FirstBurstLength", "262144"}};
  const TextKeys target = {{"HeaderDigest", "CRC32C"},   {"DataDigest", "None"},
                           {"InitialR2T", "Yes"},        {"ImmediateData", "Yes"},
                           {"MaxBurstLength", "262144"}, {"FirstBurstLength", "65536"}};
  const NegotiationResult r = negotiate(initiator, target);
  REQUIRE(r.error == NegotiationError::None);
  CHECK(r.params.header_digest);
  CHECK_FALSE(r.params.data_digest);
  CHECK(r.params.initiator_max_recv == 262144);
  CHECK(r.params.target_max_recv == 8192);
  CHECK(r.params.max_burst == 262144);
  CHECK(r.params.first_burst == 65536);
  const ConnParams in = r.params.from_target();
  CHECK(in.hdgst);
  CHECK_FALSE(in.ddgst);
  CHECK(in.max_data_segment == 262144);  // the largest Data-In segment tgtd may send
  CHECK(r.params.from_initiator().max_data_segment == 8192);
}

TEST_CASE("iscsi login: digest lists", "[iscsi]") {
  auto digests = [](const char* i, const char* t) {
    return negotiate({{"HeaderDigest", i}, {"DataDigest", i}}, {{"HeaderDigest", t}, {"DataDigest", t}});
  };
  NegotiationResult r = digests("CRC32C,None", "CRC32C");
  CHECK(r.params.header_digest);
  CHECK(r.params.data_digest);
  r = digests("CRC32C,None", "None");
  CHECK(r.error == NegotiationError::None);
  CHECK_FALSE(r.params.header_digest);
  r = digests("CRC32C", "CRC32C,None");  // the target offered, the initiator answered
  CHECK(r.params.header_digest);
  r = digests("None", "CRC32C");
  CHECK(r.error == NegotiationError::AnswerNotOffered);
  CHECK(r.key == "HeaderDigest");
  CHECK(digests("CRC32C,None", "None,CRC32C").error == NegotiationError::AnswerNotOffered);
  CHECK(digests("MD5", "MD5").error == NegotiationError::BadDigest);
  r = digests("CRC32C,None", "Reject");
  CHECK(r.error == NegotiationError::None);
  CHECK_FALSE(r.params.header_digest);
  // Offered but not answered: not in effect.
  r = negotiate({{"HeaderDigest", "CRC32C"}}, {});
  CHECK_FALSE(r.params.header_digest);
}

TEST_CASE("iscsi login: numeric keys", "[iscsi]") {
  NegotiationResult r = negotiate({{"MaxBurstLength", "131072"}, {"FirstBurstLength", "0x2000"}},
                            {{"MaxBurstLength", "65536"}, {"FirstBurstLength", "16384"}});
  REQUIRE(r.error == NegotiationError::None);
  CHECK(r.params.max_burst == 65536);  // min
  CHECK(r.params.first_burst == 8192);  // min, hex accepted
  CHECK(negotiate({{"MaxRecvDataSegmentLength", "12k"}}, {}).error == NegotiationError::BadNumber);
  CHECK(negotiate({{"MaxRecvDataSegmentLength", ""}}, {}).error == NegotiationError::BadNumber);
  CHECK(negotiate({}, {{"MaxRecvDataSegmentLength", "511"}}).error == NegotiationError::OutOfRange);
  CHECK(negotiate({}, {{"MaxRecvDataSegmentLength", "0x1000000"}}).error ==
        NegotiationError::OutOfRange);
  r = negotiate({{"MaxRecvDataSegmentLength", "0xFFFFFF"}}, {{"MaxRecvDataSegmentLength", "512"}});
  CHECK(r.params.initiator_max_recv == 0xFFFFFF);
  CHECK(r.params.target_max_recv == 512);
  r = negotiate({{"MaxBurstLength", "8192"}, {"FirstBurstLength", "65536"}},
          {{"MaxBurstLength", "8192"}, {"FirstBurstLength", "65536"}});
  CHECK(r.error == NegotiationError::FirstBurstAboveMaxBurst);
  CHECK(r.key == "FirstBurstLength");
}

TEST_CASE("iscsi login: boolean keys with OR and AND", "[iscsi]") {
  auto both = [](const char* key, const char* i, const char* t) {
    return negotiate({{key, i}}, {{key, t}});
  };
  CHECK_FALSE(both("InitialR2T", "No", "No").params.initial_r2t);
  CHECK(both("InitialR2T", "No", "Yes").params.initial_r2t);  // OR
  CHECK_FALSE(both("ImmediateData", "Yes", "No").params.immediate_data);  // AND
  CHECK(both("ImmediateData", "Yes", "Yes").params.immediate_data);
  CHECK(both("DataPDUInOrder", "No", "Yes").params.data_pdu_in_order);  // OR
  CHECK_FALSE(both("DataPDUInOrder", "No", "No").params.data_pdu_in_order);
  CHECK(both("DataSequenceInOrder", "Yes", "No").params.data_sequence_in_order);  // OR
  CHECK_FALSE(both("DataSequenceInOrder", "No", "No").params.data_sequence_in_order);
  CHECK(both("ImmediateData", "yes", "Yes").error == NegotiationError::BadBoolean);
  // Offered No but declined: the default Yes stays.
  CHECK(both("InitialR2T", "No", "NotUnderstood").params.initial_r2t);
}
