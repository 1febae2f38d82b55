// IRSP §8.5–8.7 between ASs: one authenticated link to one peer AS
// (docs/federation.md; why it is built this way: cluster/README.md, "AS links").
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "cluster/member_info.hpp"

namespace irsp::cluster {

/// One peer AS as its operator agreed with ours.
struct as_peer {
  std::string domain;             ///< its accounts are name@domain
  std::string ca_file;            ///< PEM: the CA (or the certificate) that authenticates it
  std::optional<endpoint> connect; ///< where it listens for us; none: it dials us
  std::optional<endpoint> listen;  ///< where we listen for it (port 0: any); none: we dial only
};

/// Parses "domain=D,ca=FILE[,connect=HOST:PORT][,listen=HOST:PORT]" (at least
/// one of connect and listen); nullopt with `error` set when it is not one.
std::optional<as_peer> parse_as_peer(const std::string& spec, std::string& error);

/// What a link needs.
struct as_link_config {
  std::string own_domain;
  std::string cert_file; ///< this AS's link certificate (PEM), shown to every peer
  std::string key_file;
  as_peer peer;
  /// The main actor system's router: what the peer sends, once checked,
  /// goes there as (as_link_atom, request).
  caf::actor router;
  /// Redialling after a failure or a lost link: full backoff doubling from
  /// `backoff_base` up to `backoff_max`.
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_max{5000};
  /// A request over the link unanswered this long is peer-unreachable.
  std::chrono::milliseconds request_timeout{10000};
  /// Where pushes wait while the peer is down (RocksDB; empty: they are
  /// answered peer-unreachable instead), and how many may wait.
  std::string queue_dir;
  std::size_t max_queued = 1000;
};

/// A running link: its own CAF actor system (BASP over caf::openssl, whose
/// only CA is the peer's), the endpoint published to the peer, and the link
/// actor the router sends to.
///
/// The link actor handles upload_request -> upload_response, push_request ->
/// push_response and app_message_request -> app_message_response (full
/// addresses), sending each as a schema LinkRequest; while the peer is not
/// connected each is answered peer-unreachable at once — except pushes,
/// which (with a `queue_dir`) are stored durably and answered queued, or
/// queue-full past `max_queued`, and sent in order, each once, when the
/// peer is back; while any wait, new pushes queue behind them.
class as_link {
public:
  /// Starts it; null with `error` set when it cannot (files, listen port).
  static std::unique_ptr<as_link> start(as_link_config config, std::string& error);
  ~as_link();
  as_link(const as_link&) = delete;
  as_link& operator=(const as_link&) = delete;

  /// The link actor (for the router).
  caf::actor handle() const;
  /// The port it listens on for the peer; 0 when it only dials.
  std::uint16_t listen_port() const;
  const as_link_config& config() const;

  struct impl;

private:
  explicit as_link(std::unique_ptr<impl> d);
  std::unique_ptr<impl> d_;
};

} // namespace irsp::cluster
