// irsp::node: assembles the servers of one IRSP node (DESIGN.md §2).
#include "irsp/node.hpp"

#include <thread>
#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>

#include <cstdio>
#include <filesystem>

#include "actors/account/account_server.hpp"
#include "actors/account/account_store.hpp"
#include "actors/account/replica_applier.hpp"
#include "actors/account/replication.hpp"
#include "actors/account/messages.hpp"
#include "actors/app/app_host.hpp"
#include "actors/app/echo_app.hpp"
#include "actors/app/notify_app.hpp"
#include "actors/app/last_seen_app.hpp"
#include "actors/lifecycle/lifecycle_atoms.hpp"
#include "actors/lifecycle/lifecycle_store.hpp"
#include "actors/lifecycle/lifecycle_writer.hpp"
#include "actors/atoms.hpp"
#include "actors/message/exchanges.hpp"
#include "actors/message/router.hpp"
#include "actors/offline/legacy_offline_import.hpp"
#include "actors/offline/offline_module.hpp"
#include "actors/offline/offline_queue.hpp"
#include "actors/offline/offline_store.hpp"
#include "actors/outbox/outbox_actor.hpp"
#include "actors/outbox/outbox_store.hpp"
#include "cluster/as_link.hpp"
#include "cluster/as_link_atoms.hpp"
#include "cluster/auth_news.hpp"
#include "cluster/cluster_atoms.hpp"
#include "cluster/cluster_view.hpp"
#include "cluster/member_info.hpp"
#include "cluster/lease_keeper.hpp"
#include "cluster/membership.hpp"
#include "cluster/openssl_error_queue.hpp"
#include "cluster/shard_proxy.hpp"
#include "cluster/storage_proxy.hpp"
#include "cluster/store_primary.hpp"
#include "cluster/wire_types.hpp"
#include "node/outbound/https_delivery.hpp"
#include "node/http/api_keys.hpp"
#include "node/http/inbound_server.hpp"
#include "node/http/nonce_store.hpp"
#include "node/http/secret_box.hpp"
#include "node/http/operator_listener.hpp"
#include "node/metrics/registry.hpp"
#include "node/node_local_store.hpp"
#include "node/node_metrics.hpp"
#include "node/tls/self_signed.hpp"
#include "node/xmpp/c2s_metrics.hpp"
#include "node/xmpp/auth_throttle.hpp"
#include "node/xmpp/c2s_server.hpp"
#include "node/xmpp/stream_management.hpp"

namespace irsp {

struct node::impl {
  node_options options;
  std::string error;
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<account::account_store> accounts;
  // The node's own data (outbox, API keys, nonces): node_local_store.hpp.
  std::shared_ptr<account::account_store> local;
  std::shared_ptr<offline::offline_store> offline_store;
  caf::actor account_server;
  caf::actor offline_queue;
  caf::actor router;
  // The cluster (null on a lone node); the proxies stand for the account
  // store wherever it is served.
  caf::actor membership;
  caf::actor view;
  // Password-check counts shared by every connection, and in a cluster with
  // the other nodes (cluster/auth_news.hpp).
  std::shared_ptr<xmpp::auth_throttle> throttle = std::make_shared<xmpp::auth_throttle>();
  caf::actor auth_news;
  caf::actor accounts_proxy;
  caf::actor offline_proxy;
  caf::actor lifecycle_writer;
  caf::actor lifecycle_proxy;
  // Shards 1.. of the account store (shard 0 is `accounts` and the actors
  // above, which also hold the lifecycle stream); in a cluster only.
  struct extra_shard {
    std::shared_ptr<account::account_store> store;
    std::shared_ptr<offline::offline_store> offline;
    caf::actor account_server;
    caf::actor offline_queue;
  };
  std::vector<extra_shard> extra_shards;
  // Per shard: the applier, for when this node holds the shard's backup,
  // and the primary end (null where this node cannot serve it).
  std::vector<caf::actor> replicas;
  std::vector<std::shared_ptr<account::replication_source>> replications;
  std::shared_ptr<cluster::serving_fence> fence; // fenced by etcd: may we serve?
  std::unique_ptr<cluster::lease_keeper> lease;
  std::vector<caf::actor> apps;
  std::vector<std::unique_ptr<cluster::as_link>> as_links; // one per peer AS
  std::unique_ptr<xmpp::c2s_server> c2s;
  // §8.8.2: the outbox (beside the accounts), the actor applications reach
  // it through, and the thread that delivers over HTTPS.
  std::shared_ptr<outbox::outbox_store> outbox_store;
  caf::actor outbox;
  std::unique_ptr<outbound::https_delivery> delivery;

  bool start_outbound() {
    auto& o = options;
    outbox_store = std::make_shared<outbox::outbox_store>(local);
    outbound::delivery_options dopt;
    dopt.backoff.base = std::chrono::milliseconds(o.outbound_backoff_base_ms);
    dopt.backoff.max = std::chrono::milliseconds(o.outbound_backoff_max_ms);
    dopt.timeout = std::chrono::milliseconds(std::max(1u, o.outbound_timeout_ms));
    delivery = outbound::https_delivery::start(outbox_store, dopt, error);
    if (!delivery)
      return false;
    outbox = outbox::spawn_outbox_actor(*sys, outbox_store, o.max_payload,
                                        [d = delivery.get()] { d->wake(); });
    return true;
  }
  std::unique_ptr<http::nonce_window> nonces;
  std::unique_ptr<http::inbound_server> https;
  // Issue 17 part 3: what /metrics shows (a module adds its own metrics
  // here where it is made) and the listener serving it; a new registry per
  // start, since a metric is registered once.
  std::shared_ptr<metrics::registry> metrics;
  std::shared_ptr<lifecycle::lifecycle_store> stream;
  std::optional<cluster::endpoint> operator_address;
  std::unique_ptr<http::operator_listener> operator_http;

  template <class Response, class... Ts>
  Response ask(const caf::actor& dest, Ts&&... xs) {
    caf::scoped_actor self{*sys};
    Response out{};
    self->request(dest, caf::infinite, std::forward<Ts>(xs)...)
      .receive([&](Response& r) { out = std::move(r); }, [&](caf::error&) {});
    return out;
  }

  // RFC 6120 client listeners (STARTTLS and direct TLS) over the router.
  bool start_c2s() {
    auto& o = options;
    xmpp::c2s_config c;
    c.settings.domain = o.domain;
    c.settings.throttle = throttle;
    xmpp::registration_limits rl;
    rl.per_address = o.registrations_per_hour;
    c.settings.registrations = std::make_shared<xmpp::registration_limit>(rl);
    c.settings.log_logins = o.log_logins;
    c.io_threads = o.io_threads;
    c.work_threads = o.work_threads;
    c.max_logins_in_progress = o.max_logins_in_progress;
    c.account_idle = std::chrono::seconds(o.idle_seconds);
    c.liveness.ping_interval = std::chrono::milliseconds(o.ping_interval_ms);
    c.liveness.suspect_grace = std::chrono::milliseconds(o.suspect_grace_ms);
    c.settings.fake_iterations = o.scram_iterations;
    c.router = router;
    c.accounts = accounts_proxy ? accounts_proxy : account_server;
    c.unacknowledged = offline::keep_unacknowledged(offline_proxy ? offline_proxy : offline_queue);
    c.metrics = xmpp::c2s_metrics::make(*metrics);
    xmpp::c2s_start_options so;
    so.address = o.c2s_address;
    so.port = o.c2s_port;
    so.tls_port = o.c2s_tls_port;
    so.cert_file = o.cert_file;
    so.key_file = o.key_file;
    c2s = xmpp::c2s_server::start(*sys, std::move(c), so, error);
    if (!c2s)
      return false;
    // Port 0 asked for any free port: report the ones the listeners got.
    o.c2s_port = c2s->port();
    o.c2s_tls_port = c2s->tls_port();
    return true;
  }

  // §8.8.3 inbound HTTPS: the API keys in force now (the operator changes
  // them on a stopped node) and a listener on its own thread pool.
  bool start_https() {
    auto& o = options;
    auto where = http::parse_listen(o.https_listen);
    if (!where) {
      error = "--https-listen " + o.https_listen + ": not host:port";
      return false;
    }
    std::shared_ptr<http::secret_box> box;
    auto key_file = http::api_key_file(o.data_dir);
    if (std::filesystem::exists(key_file)) {
      box = http::secret_box::open(key_file, false, error);
      if (!box)
        return false;
    }
    auto keys = http::api_keys{*local, box}.load_active(error);
    if (!keys)
      return false;
    http::inbound_limits limits;
    // The body is JSON around the payload: room for the escaping of a
    // payload the router would still take, which refuses it if larger.
    limits.max_body = 2 * std::size_t{o.max_payload} + 1024;
    nonces = std::make_unique<http::nonce_window>(limits.window_seconds, 1u << 20);
    http::keep_nonces(*nonces, local,
                      std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
    http::inbound_server_config c;
    c.host = where->first;
    c.port = where->second;
    c.cert_file = o.cert_file;
    c.key_file = o.key_file;
    c.router = router;
    c.checker = std::make_shared<http::inbound_checker>(std::move(*keys), *nonces, limits);
    https = http::inbound_server::start(*sys, std::move(c), error);
    if (!https)
      return false;
    o.https_listen = where->first + ":" + std::to_string(https->port());
    return true;
  }

  bool clustered() const { return !options.cluster_listen.empty(); }

  // --metrics-listen: "host:port", or a bare port on loopback.
  bool parse_operator_address() {
    const auto& text = options.metrics_listen;
    if (text.empty())
      return true;
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
      operator_address = cluster::parse_endpoint("127.0.0.1:" + text);
    else
      operator_address = cluster::parse_endpoint(text);
    if (!operator_address) {
      error = "--metrics-listen " + text + ": not host:port or port (e.g. 127.0.0.1:9464)";
      return false;
    }
    return true;
  }

  // Issue 17 part 3: /metrics and /health on the operator's listener.
  bool start_operator_http() {
    node_metric_sources src;
    src.connections = [this] { return c2s->connections(); };
    src.logins_in_progress = [this] { return c2s->logins_in_progress(); };
    src.store = accounts;
    src.stream = stream;
    if (membership)
      src.member_states = [this]() -> std::optional<std::vector<std::string>> {
        caf::scoped_actor self{*sys};
        std::optional<std::vector<std::string>> out;
        self->request(membership, std::chrono::seconds(2), cluster::status_atom::value)
          .receive(
            [&](std::vector<cluster::member_status>& ms) {
              out.emplace();
              for (auto& m : ms)
                out->push_back(m.state);
            },
            [](caf::error&) {});
        return out;
      };
    register_node_metrics(*metrics, std::move(src));
    // Only where the store is served: another member's copy is not it.
    if (offline_store)
      metrics->add_gauge_callback(
        "irsp_offline_queued",
        "Messages waiting in offline queues, all accounts of the shards this node serves.",
        [this]() -> std::vector<metrics::sample> {
          // Only shards served here (a lone node's; in a cluster, the ones
          // with a live backup attached by this node): a backup's copy is
          // not it.
          double sum = 0;
          bool any = false;
          for (std::size_t k = 0; k < shard_count(); ++k) {
            if (clustered()
                && (k >= replications.size() || !replications[k] || !replications[k]->live()))
              continue;
            auto total = k == 0 ? offline_store->total() : extra_shards[k - 1].offline->total();
            if (!total)
              return {};
            sum += static_cast<double>(*total);
            any = true;
          }
          if (!any)
            return {};
          return {{{}, sum}};
        });
    if (outbox_store)
      metrics->add_gauge_callback(
        "irsp_outbox_depth", "Messages in the outbox not yet delivered nor dead-lettered (§8.8.2).",
        [store = outbox_store] {
          return std::vector<metrics::sample>{{{}, static_cast<double>(store->depth())}};
        });
    std::vector<http::health_check> checks;
    checks.push_back({"c2s", [this]() -> std::optional<std::string> {
                        if (!c2s || c2s->port() == 0)
                          return "the client listeners are not open";
                        return std::nullopt;
                      }});
    checks.push_back({"store", [this]() -> std::optional<std::string> {
                        if (accounts->write_faulted())
                          return "the account store refuses writes since a failed write "
                                 "(recovering)";
                        return std::nullopt;
                      }});
    if (fence)
      checks.push_back({"fence", [this]() -> std::optional<std::string> {
                          if (!fence->valid())
                            return "no valid etcd lease agreed by every member: this node "
                                   "may not serve its accounts";
                          return std::nullopt;
                        }});
    auto health = [checks = std::move(checks)] { return http::evaluate(checks); };
    operator_http = http::operator_listener::start(operator_address->host, operator_address->port,
                                                   metrics, std::move(health), error);
    if (!operator_http) {
      error = "--metrics-listen: " + error;
      return false;
    }
    operator_address->port = operator_http->port();
    options.metrics_listen = operator_address->to_string();
    return true;
  }

  // One link per peer AS (docs/federation.md), each told to the router.
  bool start_as_links() {
    namespace fs = std::filesystem;
    auto& o = options;
    auto dir = o.cluster_dir.empty() ? (fs::path(o.data_dir) / "cluster").string() : o.cluster_dir;
    if (o.as_cert.empty())
      o.as_cert = (fs::path(dir) / "node.pem").string();
    if (o.as_key.empty())
      o.as_key = (fs::path(dir) / "node-key.pem").string();
    for (auto& spec : o.as_peers) {
      auto peer = cluster::parse_as_peer(spec, error);
      if (!peer)
        return false;
      if (peer->domain == o.domain) {
        error = "--as-peer " + spec + ": that is this AS's own domain";
        return false;
      }
      cluster::as_link_config lc;
      lc.own_domain = o.domain;
      lc.cert_file = o.as_cert;
      lc.key_file = o.as_key;
      lc.peer = *peer;
      lc.router = router;
      // Beside the accounts; one queue per peer (pushes while it is down).
      lc.queue_dir = (fs::path(o.data_dir) / "as-links" / peer->domain).string();
      auto link = cluster::as_link::start(std::move(lc), error);
      if (!link)
        return false;
      if (peer->listen)
        std::fprintf(stderr, "irsp-node: as-link %s: listening on %s:%u\n", peer->domain.c_str(),
                     peer->listen->host.c_str(), unsigned{link->listen_port()});
      caf::anon_send(router, cluster::as_link_atom::value, peer->domain, link->handle());
      as_links.push_back(std::move(link));
    }
    return true;
  }

  // How many shards the account store has: one per storage node (cluster).
  std::size_t shard_count() const { return 1 + extra_shards.size(); }
  std::shared_ptr<account::account_store> shard_store(std::size_t k) const {
    return k == 0 ? accounts : extra_shards[k - 1].store;
  }

  // A cluster's storage nodes: --storage-node (each), else the one of the
  // embedding API's storage_node, else the seeds; none: this node alone.
  void resolve_storage_nodes() {
    auto& o = options;
    if (o.storage_nodes.empty() && !o.storage_node.empty())
      o.storage_nodes.push_back(o.storage_node);
    if (o.storage_nodes.empty())
      o.storage_nodes = o.cluster_seeds;
    o.storage_node = o.storage_nodes.empty() ? std::string{} : o.storage_nodes.front();
  }

  // Shards 1.. in <data_dir>/shards/<k>; and the number of shards is the
  // store's for life: a store made with another number would lose accounts
  // to the wrong shard, so it is refused by name.
  bool open_extra_shards(const account::store_options& base, const offline::offline_options& oo) {
    namespace fs = std::filesystem;
    auto wanted = std::max<std::size_t>(1, options.storage_nodes.size());
    auto made = accounts->shard_count();
    if (!made) {
      error = "cannot read the account store's number of shards in " + options.data_dir;
      return false;
    }
    if (*made != 0 && *made != wanted) {
      error = "the account store in " + options.data_dir + " has " + std::to_string(*made)
              + " shard(s), but " + std::to_string(wanted)
              + " storage node(s) are named (--storage-node, or the seeds): name exactly "
              + std::to_string(*made);
      return false;
    }
    if (*made == 0 && !accounts->set_shard_count(wanted)) {
      error = "cannot record the account store's number of shards in " + options.data_dir;
      return false;
    }
    for (std::size_t k = 1; k < wanted; ++k) {
      auto so = base;
      so.path = (fs::path(options.data_dir) / "shards" / std::to_string(k)).string();
      fs::create_directories(so.path);
      extra_shard shard;
      shard.store = account::account_store::open(so, error);
      if (!shard.store) {
        error = "shard " + std::to_string(k) + ": " + error;
        return false;
      }
      shard.offline = std::make_shared<offline::offline_store>(shard.store, oo);
      extra_shards.push_back(std::move(shard));
    }
    return true;
  }

  // Who serves the lifecycle stream: the account server, wherever it is.
  caf::actor stream_server() const { return accounts_proxy ? accounts_proxy : account_server; }

  // TLS between nodes: every node presents a certificate of the cluster CA
  // and accepts only peers that do (caf::openssl).
  bool configure_cluster() {
    namespace fs = std::filesystem;
    auto& o = options;
    if (!cluster::parse_endpoint(o.cluster_listen)) {
      error = "--cluster-listen " + o.cluster_listen + ": not host:port";
      return false;
    }
    for (auto& seed : o.cluster_seeds)
      if (!cluster::parse_endpoint(seed)) {
        error = "--seed " + seed + ": not host:port";
        return false;
      }
    if (o.cluster_dir.empty())
      o.cluster_dir = (fs::path(o.data_dir) / "cluster").string();
    for (auto* f : {"ca.pem", "node.pem", "node-key.pem"})
      if (!fs::exists(fs::path(o.cluster_dir) / f)) {
        error = "no " + (fs::path(o.cluster_dir) / f).string()
                + ": make the cluster's certificates with `irsp-node cluster init` on the first "
                  "node and `irsp-node cluster issue` for the others";
        return false;
      }
    cfg->openssl_certificate = (fs::path(o.cluster_dir) / "node.pem").string();
    cfg->openssl_key = (fs::path(o.cluster_dir) / "node-key.pem").string();
    cfg->openssl_cafile = (fs::path(o.cluster_dir) / "ca.pem").string();
    // BASP's own heartbeats: a member that stops answering (SIGSTOP, a cut
    // cable) has its connection closed, and its proxies fail, after this.
    cfg->set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(o.heartbeat_ms)});
    cfg->set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds(o.failure_ms)});
    if (!o.etcd.empty())
      fence = std::make_shared<cluster::serving_fence>();
    if (!cluster::openssl_error_queue_guarded()) // links the guard in
      return false;
    cfg->load<caf::openssl::manager>();
    cluster::announce_cluster_types(*cfg);
    // A session resumed on another node (XEP-0198) comes over from its holder.
    cfg->add_message_type<xmpp::sm_state>("irsp.sm_state");
    return true;
  }

  // The guessing limits are the AS's: this node's failures and successes go
  // to the other nodes, theirs count here.
  caf::actor start_auth_news() {
    auto help = "Password checks seen by other nodes of the cluster, counted here too.";
    auto& failures = metrics->add_counter("irsp_auth_news_heard_total", help, {{"kind", "failure"}});
    auto& successes = metrics->add_counter("irsp_auth_news_heard_total", help, {{"kind", "success"}});
    cluster::auth_news_config an;
    an.apply = [t = throttle, m = metrics, f = &failures, s = &successes](
                 bool failed, const std::string& address, const std::string& account) {
      t->heard(failed, address, account, xmpp::auth_throttle::clock::now());
      (failed ? f : s)->add();
    };
    auth_news = cluster::spawn_auth_news(*sys, std::move(an));
    throttle->share_with([news = caf::actor_cast<caf::actor_addr>(auth_news)](
                           bool failed, std::string_view address, std::string_view account) {
      if (auto n = caf::actor_cast<caf::actor>(news))
        caf::anon_send(n, cluster::auth_news_atom::value, failed, std::string{address},
                       std::string{account});
    });
    return auth_news;
  }

  // Membership over a published TLS listener, and the view that places
  // accounts and finds the store.
  bool start_cluster() {
    auto& o = options;
    auto listen = *cluster::parse_endpoint(o.cluster_listen);
    cluster::membership_config mc;
    mc.self.name = o.node_name;
    mc.self.address = listen;
    mc.self.incarnation = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count());
    mc.self.router = router;
    mc.self.lifecycle = lifecycle_writer;
    mc.self.auth = start_auth_news();
    for (std::size_t k = 0; k < shard_count(); ++k) {
      mc.self.accounts.push_back(k == 0 ? account_server : extra_shards[k - 1].account_server);
      mc.self.offline.push_back(k == 0 ? offline_queue : extra_shards[k - 1].offline_queue);
      replicas.push_back(account::spawn_replica_applier(*sys, shard_store(k), 0));
    }
    mc.self.replicas = replicas;
    for (auto& seed : o.cluster_seeds)
      mc.seeds.push_back(*cluster::parse_endpoint(seed));
    mc.heartbeat = std::chrono::milliseconds(o.heartbeat_ms);
    mc.failure_after = std::chrono::milliseconds(o.failure_ms);
    mc.connector = caf::actor_cast<caf::actor>(sys->openssl_manager().actor_handle());
    auto self_info = mc.self;
    membership = cluster::spawn_membership(*sys, std::move(mc));
    caf::anon_send(membership, cluster::subscribe_atom::value, auth_news);
    auto port = caf::openssl::publish(membership, listen.port, listen.host.c_str(), true);
    if (!port) {
      error = "cannot listen for the cluster on " + o.cluster_listen + ": "
              + sys->render(port.error());
      return false;
    }
    caf::anon_send(membership, caf::publish_atom::value, *port);
    self_info.address.port = *port;
    if (self_info.name.empty())
      self_info.name = self_info.address.to_string();
    self_info.member = membership;
    o.cluster_listen = self_info.address.to_string();
    o.node_name = self_info.name;
    if (o.storage_nodes.empty()) // no seeds: this node alone serves the store
      o.storage_nodes = {self_info.name};
    o.storage_node = o.storage_nodes.front();
    cluster::view_config vc;
    vc.self = self_info;
    vc.membership = membership;
    vc.router = router;
    vc.accounts_proxy = accounts_proxy;
    vc.offline_proxy = offline_proxy;
    vc.lifecycle_proxy = lifecycle_proxy;
    auto is_self = [&self_info](const std::string& n) {
      return n == self_info.name || n == self_info.address.to_string();
    };
    std::vector<std::shared_ptr<cluster::store_primary_watch>> store_watches;
    vc.etcd = o.etcd;
    vc.domain = o.domain;
    replications.resize(shard_count());
    for (std::size_t k = 0; k < shard_count(); ++k) {
      cluster::shard_role role;
      role.first_primary = o.storage_nodes.empty() ? self_info.name : o.storage_nodes[k];
      auto store = shard_store(k);
      if (fence) {
        // Who serves a shard is what etcd says; --storage-node only names
        // its first primary. Any node may take a shard over, so each has a
        // primary end ready, made the store's replicator on promotion.
        auto source = std::make_shared<account::replication_source>(
          *sys, *store, account::replication_options{});
        replications[k] = source;
        role.replication = source;
        role.promote = [store, source, lifecycle = k == 0 ? stream : nullptr] {
          store->set_replicator(source);
          if (lifecycle)
            lifecycle->forget_bounds(); // the stream came by snapshot
        };
        cluster::store_primary_config sp;
        sp.shard = static_cast<std::uint32_t>(k);
        sp.keys = cluster::store_keys::of(o.domain, k);
        sp.name = self_info.name;
        sp.named_by_operator = is_self(role.first_primary);
        sp.complete = [store] { return !store->partial_replica(); };
        store_watches.push_back(std::make_shared<cluster::store_primary_watch>(std::move(sp)));
      } else if (is_self(role.first_primary)) {
        if (store->partial_replica()) {
          error = "shard " + std::to_string(k) + " of the account store in " + o.data_dir
                  + " is a half-received copy: this node cannot serve it (start the node "
                    "holding the complete copy as its --storage-node)";
          return false;
        }
        replications[k] = account::replication_source::make(*sys, *store);
        role.replication = replications[k];
      }
      vc.shards.push_back(std::move(role));
    }
    vc.fenced = fence != nullptr;
    view = cluster::spawn_cluster_view(*sys, std::move(vc));
    for (auto& w : store_watches)
      w->set_view(view);
    if (fence) {
      cluster::lease_keeper_config lk;
      lk.endpoint = o.etcd;
      lk.prefix = "/irsp/" + o.domain + "/members/";
      lk.name = self_info.name;
      lk.address = self_info.address.to_string();
      lk.ttl = std::chrono::seconds(std::max(2u, o.lease_seconds));
      lk.view = view;
      lk.fence = fence;
      lk.store = std::move(store_watches);
      lease = std::make_unique<cluster::lease_keeper>(std::move(lk));
    }
    return true;
  }
};

node::node(node_options options) : impl_(std::make_unique<impl>()) {
  impl_->options = std::move(options);
}

node::~node() {
  stop();
}

bool node::start() {
  auto& d = *impl_;
  if (d.sys)
    return true;
  auto& o = d.options;
  namespace fs = std::filesystem;
  if (!d.parse_operator_address())
    return false;
  d.metrics = std::make_shared<metrics::registry>();
  std::error_code ec;
  fs::create_directories(o.data_dir, ec);
  if (ec || !fs::is_directory(o.data_dir)) {
    d.error = "cannot use data dir " + o.data_dir + ": "
              + (ec ? ec.message() : std::string{"not a directory"});
    return false;
  }
  account::store_options so;
  so.path = (fs::path(o.data_dir) / "accounts").string();
  so.domain = o.domain;
  so.open_registration = o.open_registration;
  so.scram_iterations = o.scram_iterations;
  so.reset_unbinds = o.reset_unbinds;
  // A member's copy may be a snapshot that died half-way; it is refilled
  // before it is used, and never served (start_cluster checks).
  so.accept_partial_replica = !o.cluster_listen.empty();
  d.accounts = account::account_store::open(so, d.error);
  if (!d.accounts)
    return false;
  // Offline queues live in the account store; a data dir of an earlier
  // version has them in a RocksDB of their own, imported here once.
  if (!offline::import_legacy_offline(*d.accounts, (fs::path(o.data_dir) / "offline").string(),
                                      d.error)) {
    d.accounts.reset();
    return false;
  }
  d.local = open_node_local_store(o.data_dir, d.accounts->options().domain, d.accounts.get(),
                                  d.error);
  if (!d.local) {
    d.accounts.reset();
    return false;
  }
  offline::offline_options oo;
  oo.max_per_account = o.offline_max_per_account;
  oo.ttl_ms = static_cast<std::int64_t>(o.offline_ttl_seconds) * 1000;
  d.offline_store = std::make_shared<offline::offline_store>(d.accounts, oo);
  o.domain = d.accounts->options().domain;
  if (d.clustered()) {
    d.resolve_storage_nodes();
    so.domain = o.domain;
    if (!d.open_extra_shards(so, oo)) {
      d.extra_shards.clear();
      d.offline_store.reset();
      d.accounts.reset();
      d.local.reset();
      return false;
    }
  }
  if (o.cert_file.empty())
    o.cert_file = (fs::path(o.data_dir) / "tls" / "cert.pem").string();
  if (o.key_file.empty())
    o.key_file = (fs::path(o.data_dir) / "tls" / "key.pem").string();
  auto cert = tls::ensure_certificate(o.cert_file, o.key_file, o.domain);
  if (!cert) {
    d.error = cert.error;
    d.accounts.reset();
    d.local.reset();
    d.offline_store.reset();
    return false;
  }
  d.cfg = std::make_unique<caf::actor_system_config>();
  d.cfg->load<caf::io::middleman>(); // CAF's networking, for the cluster
  // The I/O threads do a session's heavy work (TLS, XML); the actors route
  // between them. Every hop to another thread is a futex wake-up, dear on a
  // VM: with 4 scheduler threads on 2 cores a self-message round trip cost
  // 63 us of CPU, with 1 thread 44 us (bench/RESULTS.md). So half the cores,
  // not CAF's max(4, cores).
  auto cores = std::max(1u, std::thread::hardware_concurrency());
  d.cfg->set("scheduler.max-threads",
             static_cast<size_t>(o.threads > 0 ? o.threads : std::max(1u, cores / 2)));
  // Idle means idle: work stealing polls for jobs (a worker wakes every
  // 10 ms and spins ~25 ms after each job), work sharing sleeps on a
  // condition variable until one comes.
  d.cfg->set("scheduler.policy", caf::atom("sharing"));
  if (d.clustered() && !d.configure_cluster()) {
    d.cfg.reset();
    d.accounts.reset();
    d.local.reset();
    d.offline_store.reset();
    return false;
  }
  d.sys = std::make_unique<caf::actor_system>(*d.cfg);
  lifecycle::lifecycle_options lo;
  lo.max_events = std::max<std::uint64_t>(1, o.lifecycle_max_events);
  lo.max_age_ms = static_cast<std::int64_t>(o.lifecycle_max_age_hours) * 3600 * 1000;
  if (!d.clustered()) {
    // The sessions of the last run ended with it; in a cluster the member
    // that takes an account over says so (cluster/README.md).
    using namespace std::chrono;
    auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    auto closed = lifecycle::lifecycle_store{d.accounts, lo}.close_open(now);
    if (closed > 0)
      std::fprintf(stderr, "irsp-node: lifecycle: %ld accounts were online when the node last "
                           "stopped: recorded offline\n", closed);
    else if (closed < 0)
      std::fprintf(stderr, "irsp-node: lifecycle: could not record the last run's sessions "
                           "offline (storage failure)\n");
  }
  // One stream store for both: the writer appends, the account server reads.
  auto stream = std::make_shared<lifecycle::lifecycle_store>(d.accounts, lo);
  d.stream = stream;
  d.account_server = account::spawn_account_server(*d.sys, d.accounts,
                                                   std::max(1u, o.account_workers), stream);
  d.lifecycle_writer = lifecycle::spawn_lifecycle_writer(*d.sys, stream);
  d.offline_queue = offline::spawn_offline_queue(*d.sys, d.offline_store);
  for (auto& shard : d.extra_shards) {
    shard.account_server = account::spawn_account_server(*d.sys, shard.store,
                                                         std::max(1u, o.account_workers));
    shard.offline_queue = offline::spawn_offline_queue(*d.sys, shard.offline);
  }
  message::router_config rc;
  rc.domain = o.domain;
  if (d.clustered()) {
    d.accounts_proxy = cluster::spawn_account_shards(*d.sys, o.domain, d.shard_count());
    d.offline_proxy = cluster::spawn_offline_shards(*d.sys, o.domain, d.shard_count());
    d.lifecycle_proxy = cluster::spawn_storage_proxy(*d.sys, "lifecycle stream");
  }
  rc.accounts = d.accounts_proxy ? d.accounts_proxy : d.account_server;
  rc.modules = {offline::make_offline_module(d.offline_proxy ? d.offline_proxy : d.offline_queue)};
  rc.lifecycle = d.lifecycle_proxy ? d.lifecycle_proxy : d.lifecycle_writer;
  if (d.fence)
    rc.serving = [fence = d.fence] { return fence->valid(); };
  rc.max_payload = o.max_payload;
  rc.idle_timeout = std::chrono::seconds(o.idle_seconds);
  // Moved: a handle left in this scope would keep the account server and
  // the offline queue alive, and the stop() below (c2s failed) would wait
  // for them for ever.
  d.router = message::spawn_router(*d.sys, std::move(rc));
  if (!d.start_outbound()) {
    stop();
    return false;
  }
  if (o.builtin_apps) {
    add_application("echo", std::make_shared<app::echo_app>());
    add_application("notify", std::make_shared<app::notify_app>());
    auto last_seen = app::spawn_last_seen(*d.sys, d.stream_server());
    if (d.ask<bool>(d.router, app_atom::value, std::string{"last-seen"}, last_seen,
                    message::subscription{}))
      d.apps.push_back(last_seen);
  }
  if (d.clustered() && !d.start_cluster()) {
    stop();
    return false;
  }
  if (!o.as_peers.empty() && !d.start_as_links()) {
    stop();
    return false;
  }
  if (!d.start_c2s()) {
    stop();
    return false;
  }
  if (!o.https_listen.empty() && !d.start_https()) {
    stop();
    return false;
  }
  if (d.operator_address && !d.start_operator_http()) {
    stop();
    return false;
  }
  return true;
}

bool node::add_application(const std::string& name, std::shared_ptr<application> handler,
                           app_subscription subscription) {
  auto& d = *impl_;
  if (!d.sys)
    return false;
  app::durable_feed feed;
  if (subscription.durable) {
    feed.accounts = d.stream_server();
    // One cursor per application per node: an application of the same
    // name on another member is another subscriber.
    feed.subscriber = d.clustered() ? d.options.node_name + "/" + name : name;
    feed.from_cursor = subscription.from_cursor;
    feed.all_devices = subscription.all_devices;
    feed.devices = subscription.devices;
  }
  auto host = app::spawn_app_host(*d.sys, name, std::move(handler), d.router,
                                  app::default_max_backlog, std::move(feed), d.outbox);
  auto registered = d.ask<bool>(d.router, app_atom::value, name, host,
                                message::subscription{subscription.all_devices,
                                                      std::move(subscription.devices)});
  if (!registered) {
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
    return false;
  }
  d.apps.push_back(host);
  return true;
}

send_result node::push(const std::string& app, const std::string& to, const std::string& payload) {
  auto& d = *impl_;
  if (!d.sys)
    return {false, "not-running", 0, {}};
  auto r = d.ask<message::push_response>(d.router, message::push_request{app, to, payload});
  return {r.status == message::push_status::DELIVERED || r.status == message::push_status::QUEUED,
          message::status_name(r.status), r.sessions, {}};
}

std::optional<device_status> node::device_state(const std::string& device) {
  auto& d = *impl_;
  if (!d.sys)
    return std::nullopt;
  caf::scoped_actor self{*d.sys};
  std::optional<device_status> out;
  self->request(d.stream_server(), std::chrono::seconds(10), lifecycle::state_atom::value, device)
    .receive([&](message::presence_event& ev) { out = app::device_status_of(ev); },
             [](caf::error&) {});
  return out;
}

void node::stop() {
  auto& d = *impl_;
  if (!d.sys)
    return;
  if (d.https) // its requests in progress wait for the router: before it goes
    d.https->stop();
  d.https.reset();
  d.nonces.reset();
  if (d.operator_http) // its callbacks read what is stopped below
    d.operator_http->stop();
  d.operator_http.reset();
  if (d.c2s) // first, so sessions end with system-shutdown
    d.c2s->stop();
  d.c2s.reset();
  d.as_links.clear(); // each waits for its own actors
  d.lease.reset(); // gives up the lease: the others take our accounts over at once
  for (auto& a : d.apps)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  d.apps.clear();
  std::vector<caf::actor*> actors{&d.outbox, &d.view, &d.membership, &d.router, &d.auth_news,
                                  &d.accounts_proxy, &d.offline_proxy, &d.lifecycle_proxy,
                                  &d.offline_queue, &d.lifecycle_writer, &d.account_server};
  for (auto& r : d.replicas)
    actors.push_back(&r);
  for (auto& shard : d.extra_shards) {
    actors.push_back(&shard.account_server);
    actors.push_back(&shard.offline_queue);
  }
  for (auto* a : actors) {
    if (!*a)
      continue;
    caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    *a = nullptr;
  }
  d.replicas.clear();
  for (std::size_t k = 0; k < d.replications.size(); ++k)
    if (d.replications[k] && d.shard_store(k))
      d.shard_store(k)->set_replicator(nullptr);
  d.replications.clear();
  d.sys.reset(); // waits for every actor, detached workers included
  d.cfg.reset();
  d.delivery.reset(); // before the store it writes to closes
  d.outbox_store.reset();
  d.offline_store.reset();
  d.stream.reset();
  d.extra_shards.clear();
  d.accounts.reset();
  d.local.reset();
}

std::vector<cluster_member> node::cluster_members() {
  auto& d = *impl_;
  std::vector<cluster_member> out;
  if (!d.sys || !d.membership)
    return out;
  for (auto& m : d.ask<std::vector<cluster::member_status>>(d.membership,
                                                            cluster::status_atom::value))
    out.push_back({m.name, m.address, m.state});
  return out;
}

std::uint64_t node::outbox_depth() const {
  return impl_->outbox_store ? impl_->outbox_store->depth() : 0;
}

bool node::running() const {
  return impl_->sys != nullptr;
}

const std::string& node::error() const {
  return impl_->error;
}

const node_options& node::options() const {
  return impl_->options;
}

account_result node::register_account(const account_spec& spec) {
  account_result out;
  if (!running()) {
    out.status = "not-running";
    return out;
  }
  account::register_request r;
  r.name = spec.name;
  r.kind = spec.device ? account::account_kind::DEVICE : account::account_kind::USER;
  r.password = spec.password;
  r.display_name = spec.display_name;
  r.device = {spec.model, spec.manufacturer, spec.serial};
  // In a cluster, the node that serves the store (through the proxy).
  auto& accounts = impl_->accounts_proxy ? impl_->accounts_proxy : impl_->account_server;
  auto resp = impl_->ask<account::register_response>(accounts, std::move(r));
  out.ok = resp.status == account::register_status::OK;
  out.status = account::status_name(resp.status);
  out.address = resp.address;
  out.verification_code = resp.verification_code;
  return out;
}

account_result node::delete_account(const std::string& address) {
  account_result out;
  if (!running()) {
    out.status = "not-running";
    return out;
  }
  auto resp = impl_->ask<account::delete_response>(impl_->router,
                                                   account::delete_request{address, ""});
  out.ok = resp.status == account::delete_status::OK;
  out.status = account::status_name(resp.status);
  out.address = address;
  return out;
}

} // namespace irsp
