// The embedding API: the one public header of IRSP. A hosting platform
// configures an IRSP node, starts it inside its own process and stops it,
// without seeing CAF, RocksDB or OpenSSL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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
  /// Address and ports of the XMPP client listener (STARTTLS; direct TLS).
  std::string c2s_address = "127.0.0.1";
  std::uint16_t c2s_port = 5222;
  std::uint16_t c2s_tls_port = 5223;
  /// Whether clients may register accounts in-band.
  bool open_registration = true;
  /// Actor scheduler threads; 0: one per core.
  unsigned threads = 0;
  /// Detached account-server workers (concurrent durable writes).
  unsigned account_workers = 4;
  /// PBKDF2 iterations for new SCRAM credentials (RFC 7677: at least 4096).
  std::uint32_t scram_iterations = 4096;
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

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace irsp
