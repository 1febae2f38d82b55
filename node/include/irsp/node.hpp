// The embedding API: the one public header of IRSP. A hosting platform
// configures an IRSP node, starts it inside its own process and stops it,
// without seeing CAF, RocksDB or OpenSSL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "irsp/application.hpp"

namespace irsp {

/// Everything a node needs to start; the defaults make a one-node AS for
/// `localhost` with its data under `./irsp-data`.
struct node_options {
  /// The AS's domain: every address is `name@domain`. Empty: the domain the
  /// data dir was created with, or `localhost` for a new data dir. A data dir
  /// keeps its domain for life; another one is refused at start.
  std::string domain;
  /// Where accounts, queues and the node's certificate live.
  std::string data_dir = "irsp-data";
  /// PEM certificate and key; empty: `<data_dir>/tls/cert.pem` and
  /// `key.pem`, generated self-signed on first start.
  std::string cert_file;
  std::string key_file;
  /// Address and ports of the XMPP client listeners (STARTTLS; direct TLS).
  /// Port 0: any free port; once started, options() reports the ports in use.
  std::string c2s_address = "127.0.0.1";
  std::uint16_t c2s_port = 5222;
  std::uint16_t c2s_tls_port = 5223;
  /// Whether clients may register accounts in-band.
  bool open_registration = true;
  /// In-band registrations one remote address may make per hour (XEP-0077
  /// §14); 0: no limit. 127.0.0.1 and ::1, the node's own host, are exempt.
  std::uint32_t registrations_per_hour = 10;
  /// Log one line per successful client login, with its SASL mechanism.
  bool log_logins = false;
  /// Actor scheduler threads; 0: half the cores (at least one).
  unsigned threads = 0;
  /// Threads serving client connections (epoll loops); 0: one per core.
  unsigned io_threads = 0;
  /// Threads for TLS handshakes and password hashing; 0: one per core.
  unsigned work_threads = 0;
  /// Client connections at once between accept and a bound session; more
  /// are refused at once (admission control: a login admitted under
  /// overload still completes in bounded time).
  unsigned max_logins_in_progress = 512;
  /// Detached account-server workers (concurrent durable writes).
  unsigned account_workers = 4;
  /// PBKDF2 iterations for new SCRAM credentials (RFC 7677: at least 4096).
  std::uint32_t scram_iterations = 4096;
  /// Largest upload, push or message payload, in octets.
  std::uint32_t max_payload = 64 * 1024;
  /// Offline queue: messages kept per account (more are refused with
  /// queue-full) and how long each is kept.
  std::uint32_t offline_max_per_account = 100;
  std::uint32_t offline_ttl_seconds = 7 * 24 * 3600;
  /// Whether resetting a device's verification code also removes its
  /// existing bindings (default: they survive).
  bool reset_unbinds = false;
  /// Seconds an account's actor stays in memory with no session.
  std::uint32_t idle_seconds = 30;
  /// A client session silent this long is checked (XEP-0198 `<r/>` or
  /// XEP-0199 ping) and is suspect when it does not answer within as long
  /// again; 0: no checks (a dropped, resumable session is still suspect).
  std::uint32_t ping_interval_ms = 30000;
  /// A session suspect this long is ended (`connection-timeout`): offline,
  /// or, when resumable (XEP-0198), offline once its resumption window ends.
  std::uint32_t suspect_grace_ms = 60000;
  /// Issue 15: how much of the lifecycle stream is kept (transitions; hours).
  std::uint64_t lifecycle_max_events = 1'000'000;
  std::uint32_t lifecycle_max_age_hours = 7 * 24;
  /// §8.8.2 outbound delivery (send_external): the retry schedule, an
  /// exponential backoff with full jitter (each delay uniform in
  /// [0, min(max, base * 2^(failures - 1))]), and one attempt's time limit.
  std::uint32_t outbound_backoff_base_ms = 1000;
  std::uint32_t outbound_backoff_max_ms = 300000;
  std::uint32_t outbound_timeout_ms = 30000;
  /// Start the built-in applications `echo`, `last-seen` and `notify`.
  bool builtin_apps = true;
  /// §8.8.3 inbound HTTPS for external application servers, "HOST:PORT"
  /// (port 0: any free port, reported by options() once started); empty:
  /// off. Served with the node's certificate, TLS 1.2 or later; requests are
  /// signed with API keys made by `irsp-node key create` (docs/protocol.md).
  std::string https_listen;
  /// Issue 17: the operator's HTTP listener, `GET /metrics` (Prometheus)
  /// and `GET /health` (docs/operations.md): "host:port", or a port alone
  /// for 127.0.0.1; port 0: any free port, reported by options() once
  /// started. Empty (the default): no listener.
  std::string metrics_listen;

  // -- the cluster of this AS (docs/cluster.md); empty listen: a lone node --
  /// host:port the cluster listener binds (CAF's BASP over mutual TLS);
  /// port 0: any free port, reported by options() once started.
  std::string cluster_listen;
  /// Members to join, host:port each; none: this node starts the cluster.
  std::vector<std::string> cluster_seeds;
  /// This node's name in the cluster, unique; empty: its listen address.
  std::string node_name;
  /// ca.pem, node.pem and node-key.pem (`irsp-node cluster init` / `issue`);
  /// empty: `<data_dir>/cluster`.
  std::string cluster_dir;
  /// Members are pinged this often; one silent for `failure_ms` is dead.
  std::uint32_t heartbeat_ms = 500;
  std::uint32_t failure_ms = 3000;
  /// The nodes that serve the account store's shards, by name or listen
  /// address: shard k is served by the k-th (with etcd: first served; its
  /// backup takes over), and there are as many shards as names. Empty: the
  /// seeds (this node when it has none). Every member must be given the same
  /// list, and a cluster keeps its number of shards for life.
  std::vector<std::string> storage_nodes;
  /// One storage node (the former single-shard setting): used when
  /// `storage_nodes` is empty; after start, the first storage node.
  std::string storage_node;
  /// etcd's client URL (e.g. http://127.0.0.1:2379): who owns accounts is
  /// then fenced by etcd leases (docs/cluster.md); empty: by membership, and
  /// a change of owner that could split an account waits for the operator.
  std::string etcd;
  /// The etcd lease's time to live, seconds (etcd's minimum is 2): how long
  /// a stopped or cut-off node's accounts stay unavailable before moving.
  std::uint32_t lease_seconds = 5;

  // -- links to other ASs (docs/federation.md) --------------------------------
  /// One per peer AS: "domain=D,ca=PEM[,connect=HOST:PORT][,listen=HOST:PORT]"
  /// — its domain, the CA (or certificate) that authenticates it, where it
  /// listens for us and where we listen for it (port 0: any free port).
  std::vector<std::string> as_peers;
  /// This AS's link certificate and key, shown to every peer; empty:
  /// `<cluster_dir>/node.pem` and `node-key.pem` (`irsp-node cluster init`).
  std::string as_cert;
  std::string as_key;
};

/// A member of the cluster as this node sees it.
struct cluster_member {
  std::string name;
  std::string address;
  std::string state; ///< "self", "alive" or "dead"
};

/// What an account operation through the node came to. `status` is the
/// schema's status name (`ok`, `exists`, `bad-name`, ... see docs/protocol.md).
struct account_result {
  bool ok = false;
  std::string status;
  std::string address;
  /// For a newly registered device: its verification code, shown only now.
  std::string verification_code;
};

/// What to register.
struct account_spec {
  std::string name;
  bool device = false;
  std::string password;
  std::string display_name;
  std::string model;         ///< devices only
  std::string manufacturer;  ///< devices only
  std::string serial;        ///< devices only
};

/// One IRSP node: an actor system with the account server, message server
/// and applications, and the XMPP listeners. Not copyable; stop() or the
/// destructor shuts it down cleanly.
class node {
public:
  explicit node(node_options options = {});
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Starts the node; false on failure, with error() naming the problem.
  bool start();

  /// Stops every actor and listener and closes the stores; idempotent.
  void stop();

  /// Whether start() succeeded and stop() has not been called.
  bool running() const;

  /// One line saying why start() failed.
  const std::string& error() const;

  /// The options in force (the domain is the data dir's own once started).
  const node_options& options() const;

  /// Registers an account as the operator (§8.2.1).
  account_result register_account(const account_spec& spec);

  /// Deletes an account as the operator (§8.2.3).
  account_result delete_account(const std::string& address);

  /// Registers an application under `name` (reachable at name@apps.<domain>);
  /// false if the node is not running or the name is taken. The node calls
  /// the handler from its own threads, one call at a time.
  bool add_application(const std::string& name, std::shared_ptr<application> handler,
                       app_subscription subscription = {});

  /// §8.3.3 pushes to a user or device as application `app` (which must be
  /// registered); waits for and returns the status.
  send_result push(const std::string& app, const std::string& to, const std::string& payload);

  /// Issue 15: where `device` stands, from the lifecycle stream: its latest
  /// stored transition (state, epoch, sequence, cursor — the point it is as
  /// of); state offline with epoch 0 if it never had one. nullopt when the
  /// node is not running or the stream could not be read.
  std::optional<device_status> device_state(const std::string& device);

  /// §8.8.2 messages accepted for external endpoints and neither delivered
  /// nor dead-lettered yet (the outbox depth, for metrics); 0 when stopped.
  std::uint64_t outbox_depth() const;

  /// The cluster's members as this node sees them, itself first; empty for
  /// a lone node.
  std::vector<cluster_member> cluster_members();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace irsp
