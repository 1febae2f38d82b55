// XEP-0198 stream management (v3): acks and resumption, as a module of the
// client stream. CAF-free: finding and taking over the old session is the
// transport's business, asked for through sm_transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "node/xmpp/c2s_stream.hpp"

namespace irsp::xmpp {

/// Namespace of XEP-0198 v3.
inline constexpr std::string_view ns_sm = "urn:xmpp:sm:3";

/// What stream management asks of the transport below it.
struct sm_transport {
  /// The client enabled resumption: file this session where a later
  /// connection of the same account can find it; returns its id.
  std::function<std::string()> make_resumable;
  /// The client asks to resume session `previd`, having handled `h` of the
  /// stanzas it sent; answer with resumed() or resume_failed().
  std::function<void(const std::string& previd, std::uint32_t h)> resume;
  /// After hand_over(): a stanza this stream still sends (the answer to a
  /// request that was in flight) belongs to the successor; pass it on, to
  /// be adopt()ed there.
  std::function<void(const std::string& xml)> forward;
};

/// Bounds of stream management.
struct sm_limits {
  /// Unacknowledged stanzas kept for resending; one more ends the stream.
  std::size_t max_unacked = 500;
  /// Stanzas sent between two ack requests (`<r/>`).
  std::uint32_t request_every = 5;
  /// How long a dropped connection's session waits to be resumed.
  std::chrono::seconds resume_timeout{300};
};

/// What a session hands over to the connection that resumes it.
struct sm_state {
  /// The session's resource and its account's bound peers.
  std::string resource;
  std::vector<std::string> peers;
  /// Stanzas the server has handled from the client (the server's h).
  std::uint32_t inbound = 0;
  /// The count of stanzas sent that the client has acknowledged (its h).
  std::uint32_t acked = 0;
  /// Stanzas sent and not acknowledged, oldest first, as sent.
  std::vector<std::string> unacked;
};

/// CAF inspection of sm_state (it travels between connection actors).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sm_state& x) {
  return f(x.resource, x.peers, x.inbound, x.acked, x.unacked);
}

/// XEP-0198 on one stream: `<enable/>`, `<r/>`/`<a/>` both ways, a queue of
/// unacknowledged stanzas, and `<resume/>` of a session whose connection
/// dropped. Enabling needs a bound resource; resuming needs an
/// authenticated stream that has not bound one.
class stream_management : public c2s_module {
public:
  /// A module that asks `transport` for what needs other connections.
  explicit stream_management(sm_transport transport, sm_limits limits = {});

  /// Offers `<sm xmlns='urn:xmpp:sm:3'/>`.
  void add_features(element& features) override;

  /// Handles enable, r, a and resume.
  bool on_nonza(c2s_stream& stream, const element& e) override;

  /// Counts a handled stanza from the client.
  void on_stanza_in(c2s_stream& stream) override;

  /// Keeps a sent stanza until acknowledged; asks for acks now and then.
  void on_stanza_out(c2s_stream& stream, const element& stanza, const std::string& xml) override;

  /// Once enabled: asks for an ack (`<r/>`), which any live client answers.
  bool ask_alive(c2s_stream& stream) override;

  /// True once the client enabled stream management with resumption.
  bool resumable() const noexcept {
    return enabled_ && resume_;
  }

  /// The resumption id, or empty.
  const std::string& id() const noexcept {
    return id_;
  }

  /// Stanzas sent and not yet acknowledged.
  std::size_t unacked() const noexcept {
    return queue_.size();
  }

  /// The state a successor connection takes over, after applying the
  /// client's `h` from its `<resume/>`; false when that `h` acknowledges
  /// more than was sent (the successor then refuses the resumption).
  /// Afterwards every stanza this stream sends goes to sm_transport::forward.
  bool hand_over(std::uint32_t client_h, sm_state& out);

  /// The resumption succeeded: `<resumed/>`, then every stanza the client
  /// has not acknowledged, sent again; counting goes on from the old session.
  void resumed(c2s_stream& stream, const std::string& previd, sm_state state);

  /// A stanza the predecessor sent after handing over: sent and counted
  /// here as if this stream had sent it.
  void adopt(c2s_stream& stream, std::string xml);

  /// The session ends for good: the pushes and user<->device messages the
  /// client never acknowledged, to be stored offline and delivered at its
  /// next session (XEP-0198 §4: unacknowledged stanzas are not lost). The
  /// queue is emptied; other stanzas (IQ results, presence) are dropped.
  std::vector<message::delivery> take_undelivered();

  /// The resumption failed: `<failed/>` with `condition` (RFC 6120 stanza
  /// error condition, e.g. `item-not-found`); the client may bind instead.
  void resume_failed(c2s_stream& stream, std::string_view condition);

  /// The limits in force.
  const sm_limits& limits() const noexcept {
    return limits_;
  }

private:
  void enable(c2s_stream& stream, const element& e);
  void ack(c2s_stream& stream, std::uint32_t h);
  void failed(c2s_stream& stream, std::string_view condition);
  void queue(c2s_stream& stream, std::string xml);

  sm_transport transport_;
  sm_limits limits_;
  bool enabled_ = false;
  bool resume_ = false;
  bool resuming_ = false;
  bool handed_over_ = false;
  std::string id_;
  std::uint32_t inbound_ = 0;    // stanzas handled from the client
  std::uint32_t acked_ = 0;      // the client's last h
  std::uint32_t since_request_ = 0;
  // Stanzas sent after binding but before <enable/> arrived: a client that
  // counts what it processes after sending <enable/> (aioxmpp) counts them.
  std::uint32_t before_enable_ = 0;
  std::deque<std::string> queue_; // sent after acked_, oldest first
};

} // namespace irsp::xmpp
