// etcd v3 JSON gateway codec (cluster/etcd_codec.hpp): the shapes etcd 3.4 sends.
#include <catch2/catch.hpp>

#include "cluster/etcd_codec.hpp"

using namespace irsp::cluster;

TEST_CASE("base64 round-trips every length and binary bytes") {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto encoded = base64_encode(bytes);
    INFO(i);
    CHECK(base64_decode(encoded) == bytes);
    bytes.push_back(static_cast<char>(i * 37 - 5)); // includes '\0' and bytes >= 0x80
  }
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("k1") == "azE=");
  CHECK(base64_decode("azE=") == std::string("k1"));
  CHECK_FALSE(base64_decode("a"));
  CHECK_FALSE(base64_decode("!!!!"));
}

TEST_CASE("prefix_end is the first key past the prefix") {
  CHECK(prefix_end("a/") == "a0");
  CHECK(prefix_end("foo") == "fop");
  CHECK(prefix_end(std::string("a\xff", 2)) == "b");
  CHECK(prefix_end(std::string("\xff\xff", 2)) == std::string(1, '\0'));
  CHECK(prefix_end("") == std::string(1, '\0'));
}

TEST_CASE("a range answer decodes, with absent fields as protobuf's defaults") {
  // As etcd 3.4.23 answered; the second key has no value and no lease.
  auto answer = nlohmann::json::parse(R"({"header":{"cluster_id":"1","member_id":"2",
    "revision":"6","raft_term":"2"},"kvs":[{"key":"azE=","create_revision":"2",
    "mod_revision":"2","version":"1","value":"djE=","lease":"4111120311354083847"},
    {"key":"azk=","create_revision":"4","mod_revision":"6","version":"3"}],"count":"2"})");
  CHECK(header_revision(answer) == 6);
  auto kvs = decode_kvs(answer);
  REQUIRE(kvs);
  REQUIRE(kvs->size() == 2);
  CHECK((*kvs)[0].key == "k1");
  CHECK((*kvs)[0].value == "v1");
  CHECK((*kvs)[0].lease == 4111120311354083847);
  CHECK((*kvs)[1].value.empty());
  CHECK((*kvs)[1].lease == 0);
  CHECK((*kvs)[1].create_revision == 4);
  CHECK((*kvs)[1].mod_revision == 6);

  auto empty = nlohmann::json::parse(R"({"header":{"revision":"2"}})");
  REQUIRE(decode_kvs(empty));
  CHECK(decode_kvs(empty)->empty());
}

TEST_CASE("malformed answers are refused, not guessed") {
  CHECK_FALSE(decode_kvs(nlohmann::json::parse(R"({"kvs":[{"key":"!!"}]})")));
  CHECK_FALSE(decode_kvs(nlohmann::json::parse(R"({"kvs":{}})")));
  CHECK_FALSE(int64_field(nlohmann::json::parse(R"({"ID":"12x"})"), "ID"));
  CHECK_FALSE(int64_field(nlohmann::json::parse(R"({"ID":"99999999999999999999"})"), "ID"));
  CHECK_FALSE(header_revision(nlohmann::json::parse(R"({"kvs":[]})")));
}

TEST_CASE("a gateway error becomes one line without etcd's prefix") {
  auto body = nlohmann::json::parse(R"({"error":"etcdserver: requested lease not found",
    "message":"etcdserver: requested lease not found","code":5})");
  CHECK(gateway_error(body) == std::string("requested lease not found"));
  CHECK_FALSE(gateway_error(nlohmann::json::parse(R"({"header":{}})")));
}
