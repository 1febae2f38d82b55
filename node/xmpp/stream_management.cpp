// XEP-0198 stream management (v3): acks and resumption.
#include "node/xmpp/stream_management.hpp"

#include "node/xmpp/stanza_mapping.hpp"

namespace irsp::xmpp {

namespace {

// XEP-0198 §3: h is an unsigned 32-bit count that wraps.
bool parse_h(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 10)
    return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > UINT32_MAX)
    return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

// What build_delivery() made of a delivery, read back; nullopt for any
// other stanza.
std::optional<message::delivery> delivery_of(const std::string& xml) {
  xml_stream parser;
  parser.feed("<stream:stream xmlns='jabber:client' "
              "xmlns:stream='http://etherx.jabber.org/streams'>");
  parser.feed(xml);
  while (auto ev = parser.next()) {
    const auto* e = std::get_if<element>(&*ev);
    if (!e || e->name() != "message")
      continue;
    if (const auto* push = e->child("push", ns_irsp))
      return message::delivery{message::delivery_kind::PUSH, std::string{e->attr("from")},
                               push->text(), 0};
    if (const auto* body = e->child("body"); body && e->attr("type") == "chat")
      return message::delivery{message::delivery_kind::DIRECT, std::string{e->attr("from")},
                               body->text(), 0};
  }
  return std::nullopt;
}

element sm_element(std::string name) {
  return element{std::move(name), std::string{ns_sm}};
}

} // namespace

stream_management::stream_management(sm_transport transport, sm_limits limits)
  : transport_(std::move(transport)), limits_(limits) {
}

void stream_management::add_features(element& features) {
  features.add_child(sm_element("sm"));
}

bool stream_management::on_nonza(c2s_stream& stream, const element& e) {
  if (e.xmlns() != ns_sm)
    return false;
  const auto& name = e.name();
  if (name == "enable") {
    enable(stream, e);
  } else if (name == "r") {
    if (!enabled_) {
      failed(stream, "unexpected-request");
    } else {
      auto a = sm_element("a");
      a.set_attr("h", std::to_string(inbound_));
      stream.send_nonza(a);
    }
  } else if (name == "a") {
    std::uint32_t h = 0;
    if (!enabled_)
      failed(stream, "unexpected-request");
    else if (!parse_h(e.attr("h"), h))
      stream.fail("bad-format", "<a/> needs h, an unsigned 32-bit count");
    else
      ack(stream, h);
  } else if (name == "resume") {
    std::uint32_t h = 0;
    if (stream.address().empty() || stream.bound() || enabled_ || resuming_
        || !transport_.resume) {
      failed(stream, "unexpected-request");
    } else if (e.attr("previd").empty() || !parse_h(e.attr("h"), h)) {
      failed(stream, "bad-request");
    } else {
      resuming_ = true;
      transport_.resume(std::string{e.attr("previd")}, h);
    }
  } else {
    return false; // unknown here: the stream ends it as unsupported-stanza-type
  }
  return true;
}

void stream_management::enable(c2s_stream& stream, const element& e) {
  // XEP-0198 §3: after binding (resumption needs a resource), and once.
  if (!stream.bound() || enabled_)
    return failed(stream, "unexpected-request");
  enabled_ = true;
  auto enabled = sm_element("enabled");
  auto wants_resume = e.attr("resume");
  if ((wants_resume == "true" || wants_resume == "1") && transport_.make_resumable) {
    id_ = transport_.make_resumable();
    if (!id_.empty()) {
      resume_ = true;
      enabled.set_attr("id", id_);
      enabled.set_attr("resume", "true");
      enabled.set_attr("max", std::to_string(limits_.resume_timeout.count()));
    }
  }
  stream.send_nonza(enabled);
}

void stream_management::ack(c2s_stream& stream, std::uint32_t h) {
  // Unsigned arithmetic: both differences wrap the way the counters do.
  std::uint32_t newly = h - acked_;
  if (newly > queue_.size() && newly - queue_.size() <= before_enable_) {
    // XEP-0198 §4 starts both counts at <enable/>, but a client that read
    // stanzas we sent before it (a bound peer's presence follows the bind
    // at once) may count them: from now on its numbering runs ahead of ours
    // by that much. Only stanzas really sent can be acknowledged this way.
    auto ahead = static_cast<std::uint32_t>(newly - queue_.size());
    acked_ += ahead;
    before_enable_ -= ahead;
    newly -= ahead;
  }
  if (newly > queue_.size()) {
    stream.fail("undefined-condition",
                "handled-count-too-high: h=" + std::to_string(h) + ", sent "
                  + std::to_string(static_cast<std::uint32_t>(acked_ + queue_.size())));
    return;
  }
  queue_.erase(queue_.begin(), queue_.begin() + newly);
  acked_ = h;
  if (queue_.empty())
    std::deque<std::string>{}.swap(queue_); // an idle session keeps no blocks
}

void stream_management::failed(c2s_stream& stream, std::string_view condition) {
  auto f = sm_element("failed");
  if (enabled_)
    f.set_attr("h", std::to_string(inbound_));
  f.add_child(std::string{condition}, std::string{ns_stanzas});
  stream.send_nonza(f);
}

void stream_management::on_stanza_in(c2s_stream&) {
  if (enabled_)
    ++inbound_;
}

void stream_management::on_stanza_out(c2s_stream& stream, const element&,
                                      const std::string& xml) {
  if (handed_over_) {
    if (transport_.forward)
      transport_.forward(xml);
    return;
  }
  if (!enabled_) {
    if (stream.bound())
      ++before_enable_;
    return;
  }
  queue(stream, xml);
}

void stream_management::queue(c2s_stream& stream, std::string xml) {
  queue_.push_back(std::move(xml));
  if (queue_.size() > limits_.max_unacked) {
    stream.fail("resource-constraint",
                "more than " + std::to_string(limits_.max_unacked)
                  + " stanzas unacknowledged (XEP-0198)");
    return;
  }
  if (++since_request_ >= limits_.request_every) {
    since_request_ = 0;
    stream.send_nonza(sm_element("r"));
  }
}

bool stream_management::ask_alive(c2s_stream& stream) {
  if (!enabled_ || handed_over_)
    return false;
  stream.send_nonza(sm_element("r"));
  return true;
}

bool stream_management::hand_over(std::uint32_t client_h, sm_state& out) {
  std::uint32_t newly = client_h - acked_;
  if (newly > queue_.size())
    return false;
  out.inbound = inbound_;
  out.acked = client_h;
  out.unacked.assign(queue_.begin() + newly, queue_.end());
  queue_.clear();
  handed_over_ = true;
  return true;
}

void stream_management::adopt(c2s_stream& stream, std::string xml) {
  stream.resend_stanza(xml);
  if (enabled_)
    queue(stream, std::move(xml));
}

void stream_management::resumed(c2s_stream& stream, const std::string& previd,
                                sm_state state) {
  resuming_ = false;
  stream.attach(std::move(state.resource), std::move(state.peers));
  enabled_ = true;
  resume_ = true;
  id_ = previd;
  inbound_ = state.inbound;
  acked_ = state.acked;
  auto r = sm_element("resumed");
  r.set_attr("previd", previd);
  r.set_attr("h", std::to_string(inbound_));
  stream.send_nonza(r);
  // XEP-0198 §5: what the client did not acknowledge goes out again, as it
  // was, and counts as before.
  for (auto& xml : state.unacked) {
    stream.resend_stanza(xml);
    queue_.push_back(std::move(xml));
  }
  if (!queue_.empty())
    stream.send_nonza(sm_element("r"));
}

std::vector<message::delivery> stream_management::take_undelivered() {
  std::vector<message::delivery> out;
  for (const auto& xml : queue_)
    if (auto d = delivery_of(xml))
      out.push_back(std::move(*d));
  std::deque<std::string>{}.swap(queue_);
  return out;
}

void stream_management::resume_failed(c2s_stream& stream, std::string_view condition) {
  resuming_ = false;
  failed(stream, condition);
}

} // namespace irsp::xmpp
