// RFC 6120 §8.3.3: every IRSP status code maps to a defined stanza condition
#include "mapping_test_support.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "schema/enum_names.hpp"

using namespace irsp;
using irsp::xmpp::error_condition;
using irsp::xmpp::stanza_condition;

namespace {

// RFC 6120 §8.3.3, all 22 of them.
const std::set<std::string_view> defined_conditions = {
  "bad-request",          "conflict",         "feature-not-implemented",
  "forbidden",            "gone",             "internal-server-error",
  "item-not-found",       "jid-malformed",    "not-acceptable",
  "not-allowed",          "not-authorized",   "policy-violation",
  "recipient-unavailable", "redirect",        "registration-required",
  "remote-server-not-found", "remote-server-timeout", "resource-constraint",
  "service-unavailable",  "subscription-required", "undefined-condition",
  "unexpected-request"};

// RFC 6120 §8.3.2.
const std::set<std::string_view> error_types = {"auth", "cancel", "continue", "modify", "wait"};

// The codes that mean the exchange succeeded (answered with a result).
const std::set<std::string> success_codes = {"ok", "accepted", "delivered", "queued"};

std::string docs_text() {
  std::string all;
  for (const char* file : {"/xmpp.md", "/protocol.md"}) {
    std::ifstream in{std::string{IRSP_DOCS_DIR} + file};
    std::stringstream buf;
    buf << in.rdbuf();
    all += buf.str();
  }
  return all;
}

// The docs row for one code: `| exchange | `code` | type | condition |`.
std::string docs_row(std::string_view exchange, const std::string& code,
                     const std::optional<stanza_condition>& c) {
  std::string row = "| " + std::string{exchange} + " | `" + code + "` | ";
  if (!c)
    return row + "result | — |";
  return row + std::string{c->type} + " | `" + std::string{c->condition} + "` |";
}

template <class Status>
void check_every_enumerant(std::string_view exchange, const std::string& docs) {
  auto all = schema::all_enumerants<Status>();
  REQUIRE_FALSE(all.empty());
  for (const auto& [status, code] : all) {
    INFO(exchange << " status " << code);
    auto c = error_condition(status);
    CHECK(c.has_value() == (success_codes.count(code) == 0));
    if (c) {
      CHECK(defined_conditions.count(c->condition) == 1);
      CHECK(error_types.count(c->type) == 1);
      // undefined-condition is kept for values the schema does not know.
      CHECK(c->condition != "undefined-condition");
    }
    CHECK_THAT(docs, Catch::Contains(docs_row(exchange, code, c)));
  }
  // A newer peer's code still yields a valid error.
  auto beyond = static_cast<Status>(all.size() + 7);
  CHECK(error_condition(beyond) == stanza_condition{"cancel", "undefined-condition"});
}

} // namespace

TEST_CASE("every status of every exchange maps to a defined condition, as documented",
          "[xmpp_mapping][conditions]") {
  auto docs = docs_text();
  REQUIRE_FALSE(docs.empty());
  check_every_enumerant<account::register_status>("register", docs);
  check_every_enumerant<account::modify_status>("modify", docs);
  check_every_enumerant<account::delete_status>("delete", docs);
  check_every_enumerant<account::reset_code_status>("reset-code", docs);
  check_every_enumerant<message::upload_status>("upload", docs);
  check_every_enumerant<message::push_status>("push", docs);
  check_every_enumerant<message::app_message_status>("app-message", docs);
  check_every_enumerant<message::direct_status>("direct", docs);
  check_every_enumerant<message::bind_status>("bind", docs);
  check_every_enumerant<message::unbind_status>("unbind", docs);
}

TEST_CASE("conditions tell a client whether to retry, fix or give up",
          "[xmpp_mapping][conditions]") {
  using account::modify_status;
  using account::register_status;
  using message::bind_status;
  using message::upload_status;
  CHECK(error_condition(register_status::EXISTS) == stanza_condition{"cancel", "conflict"});
  CHECK(error_condition(register_status::BAD_NAME) == stanza_condition{"modify", "jid-malformed"});
  // Closed registration: XEP-0077's not-allowed, not forbidden.
  CHECK(error_condition(register_status::NOT_ALLOWED) == stanza_condition{"cancel", "not-allowed"});
  CHECK(error_condition(modify_status::NOT_ALLOWED) == stanza_condition{"auth", "forbidden"});
  CHECK(error_condition(modify_status::VERSION_CONFLICT) == stanza_condition{"cancel", "conflict"});
  CHECK(error_condition(bind_status::WRONG_CODE) == stanza_condition{"auth", "not-authorized"});
  CHECK(error_condition(bind_status::TOO_MANY_ATTEMPTS)
        == stanza_condition{"wait", "policy-violation"});
  CHECK(error_condition(upload_status::APPLICATION_BUSY)
        == stanza_condition{"wait", "resource-constraint"});
  CHECK(error_condition(upload_status::PAYLOAD_TOO_LARGE)
        == stanza_condition{"modify", "policy-violation"});
  CHECK(error_condition(message::direct_status::STORAGE_FAILURE)
        == stanza_condition{"wait", "internal-server-error"});
  // No live copy of the data (issue 14): retry later, not a server bug.
  CHECK(error_condition(register_status::STORAGE_UNAVAILABLE)
        == stanza_condition{"wait", "service-unavailable"});
  CHECK(error_condition(message::push_status::STORAGE_UNAVAILABLE)
        == stanza_condition{"wait", "service-unavailable"});
}
