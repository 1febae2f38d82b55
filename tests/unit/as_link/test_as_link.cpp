// IRSP §8.5–8.7 between ASs: LinkRequest/LinkReply frames, the source rule,
// and two links over CAF's BASP with mutual TLS, each trusting only its
// peer's CA (cluster/as_link.hpp, docs/federation.md).
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include "cluster/as_link.hpp"
#include "cluster/as_link_atoms.hpp"
#include "cluster/as_link_codec.hpp"
#include "node/tls/cluster_ca.hpp"
#include "temp_dir.hpp"

using namespace irsp;
using namespace irsp::message;
using namespace std::chrono_literals;
using cluster::as_link_atom;

namespace {

constexpr auto hang_bound = 30s; // only detects a hang

// What a stub router was handed by a link's endpoint.
struct seen {
  std::mutex m;
  std::vector<std::string> requests;
  void add(std::string s) {
    std::lock_guard<std::mutex> g{m};
    requests.push_back(std::move(s));
  }
  std::vector<std::string> get() {
    std::lock_guard<std::mutex> g{m};
    return requests;
  }
};

caf::behavior stub_router(caf::event_based_actor*, std::shared_ptr<seen> log) {
  return {
    [log](as_link_atom, upload_request& r) {
      log->add("upload " + r.from + " " + r.application + " " + r.payload);
      return upload_response{upload_status::ACCEPTED, "re:" + r.payload};
    },
    [log](as_link_atom, push_request& r) {
      log->add("push " + r.application + " " + r.to + " " + r.payload);
      return push_response{push_status::DELIVERED, 1};
    },
    [log](as_link_atom, app_message_request& r) {
      log->add("app " + r.from + " " + r.to + " " + r.payload);
      return app_message_response{app_message_status::DELIVERED, "ok"};
    },
  };
}

// Two ASs' link certificates, each from its own CA, and a stranger's.
struct files {
  files() {
    for (const char* as : {"as1", "as2", "as3"}) {
      REQUIRE(tls::create_cluster_ca(root() / as / "ca", std::string("CA of ") + as) == "");
      REQUIRE(tls::issue_node_certificate(root() / as / "ca", root() / as / "link",
                                          std::string("link.") + as + ".example")
              == "");
    }
  }
  const std::filesystem::path& root() const { return dir.path(); }
  std::string ca(const char* as) const { return (root() / as / "ca" / "ca.pem").string(); }
  std::string cert(const char* as) const { return (root() / as / "link" / "node.pem").string(); }
  std::string key(const char* as) const { return (root() / as / "link" / "node-key.pem").string(); }
  test::temp_dir dir;
};

cluster::as_link_config link_config(const files& f, const char* own, const char* cert_of,
                                    const char* peer, const char* peer_ca,
                                    caf::actor router) {
  cluster::as_link_config c;
  c.own_domain = std::string(own) + ".example";
  c.cert_file = f.cert(cert_of);
  c.key_file = f.key(cert_of);
  c.peer.domain = std::string(peer) + ".example";
  c.peer.ca_file = f.ca(peer_ca);
  c.router = std::move(router);
  c.backoff_base = 50ms;
  c.backoff_max = 200ms;
  c.request_timeout = 5s;
  return c;
}

template <class Response, class Request>
Response ask(caf::actor_system& sys, const caf::actor& link, Request r) {
  caf::scoped_actor self{sys};
  Response out;
  self->request(link, hang_bound, std::move(r))
    .receive([&](Response& x) { out = std::move(x); },
             [&](caf::error& e) { FAIL("request failed: " << sys.render(e)); });
  return out;
}

// Asks until the link is up (it dials with backoff), bounded.
upload_response upload_when_up(caf::actor_system& sys, const caf::actor& link,
                               upload_request r) {
  auto until = std::chrono::steady_clock::now() + hang_bound;
  for (;;) {
    auto out = ask<upload_response>(sys, link, r);
    if (out.status != upload_status::PEER_UNREACHABLE
        || std::chrono::steady_clock::now() > until)
      return out;
    std::this_thread::sleep_for(50ms);
  }
}

struct main_system {
  main_system() : sys(cfg) {}
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

} // namespace

TEST_CASE("link frames round-trip as schema bytes", "[as_link]") {
  auto bytes = cluster::encode_request(upload_request{"u@as1.example", "echo@apps.as2.example",
                                                      std::string("p\0q", 3)});
  auto back = cluster::decode_request(bytes);
  REQUIRE(back);
  auto* u = std::get_if<upload_request>(&*back);
  REQUIRE(u);
  CHECK(u->from == "u@as1.example");
  CHECK(u->application == "echo@apps.as2.example");
  CHECK(u->payload == std::string("p\0q", 3));
  push_response pr;
  CHECK(cluster::decode_reply(cluster::encode_reply(push_response{push_status::QUEUED, 0}), pr));
  CHECK(pr.status == push_status::QUEUED);
  upload_response ur;
  CHECK_FALSE(cluster::decode_reply(cluster::encode_reply(push_response{}), ur)); // wrong kind
  presence_event ev;
  ev.address = "tv@as1.example";
  ev.kind = account::account_kind::DEVICE;
  ev.state = lifecycle_state::SUSPECT;
  ev.epoch = 7;
  ev.sequence = 9;
  auto pb = cluster::decode_request(cluster::encode_request(cluster::link_presence{ev, "u@x"}));
  REQUIRE(pb);
  auto* pp = std::get_if<cluster::link_presence>(&*pb);
  REQUIRE(pp);
  CHECK(pp->event.address == "tv@as1.example");
  CHECK(pp->event.state == lifecycle_state::SUSPECT);
  CHECK((pp->event.epoch == 7 && pp->event.sequence == 9));
  CHECK(pp->target == "u@x");
  CHECK_FALSE(cluster::decode_request("garbage!"));
  CHECK_FALSE(cluster::decode_request(""));
}

TEST_CASE("a link carries only its peer's traffic, for this AS", "[as_link]") {
  using cluster::check_source;
  const std::string p = "as1.example", me = "as2.example";
  CHECK(check_source(upload_request{"u@as1.example", "echo@apps.as2.example", ""}, p, me) == "");
  CHECK(check_source(push_request{"echo@apps.as1.example", "u@as2.example", ""}, p, me) == "");
  CHECK(check_source(app_message_request{"a@apps.as1.example", "b@apps.as2.example", ""}, p, me)
        == "");
  // A third AS, the receiving AS itself, an application posing as an account.
  CHECK(check_source(upload_request{"u@as3.example", "echo@apps.as2.example", ""}, p, me) != "");
  CHECK(check_source(upload_request{"u@as2.example", "echo@apps.as2.example", ""}, p, me) != "");
  CHECK(check_source(upload_request{"a@apps.as1.example", "echo@apps.as2.example", ""}, p, me)
        != "");
  CHECK(check_source(push_request{"echo@apps.as3.example", "u@as2.example", ""}, p, me) != "");
  CHECK(check_source(push_request{"u@as1.example", "u@as2.example", ""}, p, me) != "");
  CHECK(check_source(app_message_request{"a@apps.as2.example", "b@apps.as2.example", ""}, p, me)
        != "");
  // §8.5: a user of the peer binds and messages; never someone else's.
  CHECK(check_source(account::bind_request{"u@as1.example", "tv@as2.example", "c"}, p, me) == "");
  CHECK(check_source(account::bind_request{"u@as3.example", "tv@as2.example", "c"}, p, me) != "");
  CHECK(check_source(account::bind_request{"u@as1.example", "tv@as3.example", "c"}, p, me) != "");
  CHECK(check_source(direct_request{"u@as1.example", "tv@as2.example", "x"}, p, me) == "");
  CHECK(check_source(direct_request{"u@as2.example", "tv@as2.example", "x"}, p, me) != "");
  CHECK(check_source(direct_request{"a@apps.as1.example", "tv@as2.example", "x"}, p, me) != "");
  // Presence: of the peer's accounts, for ours.
  presence_event ev;
  ev.address = "tv@as1.example";
  CHECK(check_source(cluster::link_presence{ev, "u@as2.example"}, p, me) == "");
  CHECK(check_source(cluster::link_presence{ev, "u@as3.example"}, p, me) != "");
  ev.address = "tv@as3.example";
  CHECK(check_source(cluster::link_presence{ev, "u@as2.example"}, p, me) != "");
  CHECK(check_source(cluster::link_probe{"u@as1.example", "tv@as2.example"}, p, me) == "");
  CHECK(check_source(cluster::link_probe{"u@as2.example", "tv@as2.example"}, p, me) != "");
  CHECK(check_source(account::unbind_request{"u@as1.example", "tv@as2.example"}, p, me) == "");
  CHECK(check_source(account::unbind_request{"u@as3.example", "tv@as2.example"}, p, me) != "");
  CHECK(check_source(account::unbind_request{"u@as1.example", "tv@as3.example"}, p, me) != "");
  // Not for this AS: the link is no relay.
  CHECK(check_source(upload_request{"u@as1.example", "echo@apps.as3.example", ""}, p, me) != "");
  CHECK(check_source(push_request{"echo@apps.as1.example", "u@as3.example", ""}, p, me) != "");
}

TEST_CASE("peer specs parse, and bad ones say why", "[as_link]") {
  std::string error;
  auto p = cluster::parse_as_peer("domain=as2.example,ca=/x/ca.pem,connect=127.0.0.1:7001", error);
  REQUIRE(p);
  CHECK(p->domain == "as2.example");
  CHECK(p->connect->port == 7001);
  CHECK_FALSE(p->listen);
  CHECK_FALSE(cluster::parse_as_peer("domain=as2.example,ca=/x", error));
  CHECK(error.find("connect= or listen=") != std::string::npos);
  CHECK_FALSE(cluster::parse_as_peer("domain=as2.example,ca=/x,listen=nope", error));
  CHECK_FALSE(cluster::parse_as_peer("domain=as2.example,ca=/x,listen=127.0.0.1:1,colour=red", error));
  CHECK(error.find("unknown key") != std::string::npos);
}

TEST_CASE("two ASs' links: mutual TLS with each one's CA, traffic both ways, spoofing refused",
          "[as_link]") {
  files f;
  main_system as1, as2;
  auto seen1 = std::make_shared<seen>();
  auto seen2 = std::make_shared<seen>();
  auto router1 = as1.sys.spawn(stub_router, seen1);
  auto router2 = as2.sys.spawn(stub_router, seen2);
  std::string error;
  // as2 listens for as1 and trusts only as1's CA; as1 dials.
  auto c2 = link_config(f, "as2", "as2", "as1", "as1", router2);
  c2.peer.listen = cluster::endpoint{"127.0.0.1", 0};
  auto link2 = cluster::as_link::start(c2, error);
  REQUIRE(link2);
  REQUIRE(link2->listen_port() != 0);
  auto c1 = link_config(f, "as1", "as1", "as2", "as2", router1);
  c1.peer.connect = cluster::endpoint{"127.0.0.1", link2->listen_port()};
  auto link1 = cluster::as_link::start(c1, error);
  REQUIRE(link1);

  SECTION("an upload goes over, its reply comes back; a push comes the other way") {
    auto r = upload_when_up(as1.sys, link1->handle(),
                            upload_request{"u@as1.example", "echo@apps.as2.example", "hi"});
    CHECK(r.status == upload_status::ACCEPTED);
    CHECK(r.reply == "re:hi");
    CHECK(seen2->get() == std::vector<std::string>{"upload u@as1.example echo@apps.as2.example hi"});
    // as2 never dialled: it uses the endpoint as1 introduced.
    auto p = ask<push_response>(as2.sys, link2->handle(),
                                push_request{"echo@apps.as2.example", "u@as1.example", "back"});
    CHECK(p.status == push_status::DELIVERED);
    CHECK(seen1->get() == std::vector<std::string>{"push echo@apps.as2.example u@as1.example back"});
  }
  SECTION("a frame whose source is not the peer's domain is refused, and never routed") {
    REQUIRE(upload_when_up(as1.sys, link1->handle(),
                           upload_request{"u@as1.example", "echo@apps.as2.example", "1"})
              .status
            == upload_status::ACCEPTED);
    // as1's link speaking for a third AS, and for as2 itself.
    auto r = ask<upload_response>(as1.sys, link1->handle(),
                                  upload_request{"u@as3.example", "echo@apps.as2.example", "x"});
    CHECK(r.status == upload_status::NOT_ALLOWED);
    r = ask<upload_response>(as1.sys, link1->handle(),
                             upload_request{"u@as2.example", "echo@apps.as2.example", "x"});
    CHECK(r.status == upload_status::NOT_ALLOWED);
    auto a = ask<app_message_response>(
      as1.sys, link1->handle(), app_message_request{"a@apps.as3.example", "b@apps.as2.example", ""});
    CHECK(a.status == app_message_status::NOT_ALLOWED);
    CHECK(seen2->get().size() == 1);
  }
  SECTION("a peer with a certificate of another CA is refused at connect") {
    // as3's certificate presented as "as1": as2 trusts only as1's CA.
    auto c3 = link_config(f, "as1", "as3", "as2", "as2", router1);
    c3.peer.connect = cluster::endpoint{"127.0.0.1", link2->listen_port()};
    auto stranger = cluster::as_link::start(c3, error);
    REQUIRE(stranger);
    // Given time for several redials, it never gets through.
    auto until = std::chrono::steady_clock::now() + 2s;
    while (std::chrono::steady_clock::now() < until) {
      auto r = ask<upload_response>(as1.sys, stranger->handle(),
                                    upload_request{"u@as1.example", "echo@apps.as2.example", "s"});
      CHECK(r.status == upload_status::PEER_UNREACHABLE);
      std::this_thread::sleep_for(200ms);
    }
    CHECK(seen2->get().empty());
  }
  SECTION("a bare CAF system with the peer's certificate reaches only the endpoint's frames") {
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    cfg.load<caf::openssl::manager>();
    cfg.openssl_cafile = f.ca("as2");
    cfg.openssl_certificate = f.cert("as1");
    cfg.openssl_key = f.key("as1");
    caf::actor_system raw{cfg};
    auto endpoint = caf::openssl::remote_actor(raw, "127.0.0.1", link2->listen_port());
    REQUIRE(endpoint);
    caf::scoped_actor self{raw};
    // Anything but a frame gets no answer and reaches no router.
    bool answered = false;
    self->request(*endpoint, 2s, std::string{"hello"})
      .receive([&](caf::message&) { answered = true; }, [&](caf::error&) {});
    CHECK_FALSE(answered);
    // Bytes that are no LinkRequest: an error, nothing routed.
    self->request(*endpoint, hang_bound, cluster::as_frame_atom::value, std::string{"12345678"})
      .receive([&](std::string&) { FAIL("garbage answered as a frame"); }, [&](caf::error&) {});
    // A well-formed frame that speaks for a third AS: refused.
    std::string reply;
    self->request(*endpoint, hang_bound, cluster::as_frame_atom::value,
                  cluster::encode_request(
                    upload_request{"u@as3.example", "echo@apps.as2.example", "spoof"}))
      .receive([&](std::string& bytes) { reply = bytes; }, [&](caf::error&) {});
    upload_response out;
    REQUIRE(cluster::decode_reply(reply, out));
    CHECK(out.status == upload_status::NOT_ALLOWED);
    CHECK(seen2->get().empty());
    // An exit message does not stop it: the link still carries traffic.
    caf::anon_send_exit(*endpoint, caf::exit_reason::user_shutdown);
    self->request(*endpoint, hang_bound, cluster::as_frame_atom::value,
                  cluster::encode_request(
                    upload_request{"u@as1.example", "echo@apps.as2.example", "after"}))
      .receive([&](std::string& bytes) { reply = bytes; }, [&](caf::error&) { reply.clear(); });
    REQUIRE(cluster::decode_reply(reply, out));
    CHECK(out.status == upload_status::ACCEPTED);
    CHECK(seen2->get() == std::vector<std::string>{"upload u@as1.example echo@apps.as2.example after"});
  }
  link1.reset();
  link2.reset();
  caf::anon_send_exit(router1, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(router2, caf::exit_reason::user_shutdown);
}

TEST_CASE("pushes for a peer not connected wait durably, bounded, and go once in order",
          "[as_link]") {
  files f;
  main_system as1, as2;
  auto seen1 = std::make_shared<seen>();
  auto seen2 = std::make_shared<seen>();
  auto router1 = as1.sys.spawn(stub_router, seen1);
  auto router2 = as2.sys.spawn(stub_router, seen2);
  std::string error;
  auto c2 = link_config(f, "as2", "as2", "as1", "as1", router2);
  c2.peer.listen = cluster::endpoint{"127.0.0.1", 0};
  c2.queue_dir = (f.root() / "as2" / "queue").string();
  c2.max_queued = 3;
  std::vector<std::string> expected;
  {
    auto link2 = cluster::as_link::start(c2, error);
    REQUIRE(link2);
    for (int i = 1; i <= 3; ++i) {
      auto p = ask<push_response>(as2.sys, link2->handle(),
                                  push_request{"echo@apps.as2.example", "u@as1.example",
                                               "p" + std::to_string(i)});
      CHECK(p.status == push_status::QUEUED);
      expected.push_back("push echo@apps.as2.example u@as1.example p" + std::to_string(i));
    }
    auto p = ask<push_response>(as2.sys, link2->handle(),
                                push_request{"echo@apps.as2.example", "u@as1.example", "p4"});
    CHECK(p.status == push_status::QUEUE_FULL);
  }
  // Stopped and started again: what was queued is still there.
  auto link2 = cluster::as_link::start(c2, error);
  REQUIRE(link2);
  auto c1 = link_config(f, "as1", "as1", "as2", "as2", router1);
  c1.peer.connect = cluster::endpoint{"127.0.0.1", link2->listen_port()};
  auto link1 = cluster::as_link::start(c1, error);
  REQUIRE(link1);
  auto until = std::chrono::steady_clock::now() + hang_bound;
  while (seen1->get().size() < expected.size() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  CHECK(seen1->get() == expected);
  // A later push comes after them (straight over once the queue is empty).
  auto p = ask<push_response>(as2.sys, link2->handle(),
                              push_request{"echo@apps.as2.example", "u@as1.example", "p5"});
  CHECK((p.status == push_status::DELIVERED || p.status == push_status::QUEUED));
  expected.push_back("push echo@apps.as2.example u@as1.example p5");
  while (seen1->get().size() < expected.size() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  CHECK(seen1->get() == expected);
  link1.reset();
  link2.reset();
  caf::anon_send_exit(router1, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(router2, caf::exit_reason::user_shutdown);
}
