// IRSP §8.5–8.7 between ASs: LinkRequest/LinkReply bytes and the source rule.
#include "cluster/as_link_codec.hpp"

#include <capnp/message.h>

#include "actors/account/name_rules.hpp"
#include "irsp/schema/federation.capnp.h"
#include "schema/flat_message.hpp"

namespace irsp::cluster {

namespace {

kj::ArrayPtr<const kj::byte> bytes_of(const std::string& s) {
  return {reinterpret_cast<const kj::byte*>(s.data()), s.size()};
}

std::string text(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

std::string data(capnp::Data::Reader d) {
  return {reinterpret_cast<const char*>(d.begin()), d.size()};
}

// The part after '@'; empty when there is none.
std::string host_of(const std::string& address) {
  auto parts = account::split_address(address);
  return parts ? parts->second : std::string{};
}

bool is_app_of(const std::string& address, const std::string& domain) {
  return host_of(address) == "apps." + domain;
}

bool is_account_of(const std::string& address, const std::string& domain) {
  return host_of(address) == domain;
}

} // namespace

std::string encode_request(const link_request& request) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::LinkRequest>();
  if (auto* u = std::get_if<message::upload_request>(&request)) {
    auto b = root.initUpload();
    b.setFrom(u->from);
    b.setApplication(u->application);
    b.setPayload(bytes_of(u->payload));
  } else if (auto* p = std::get_if<message::push_request>(&request)) {
    auto b = root.initPush();
    b.setApplication(p->application);
    b.setTo(p->to);
    b.setPayload(bytes_of(p->payload));
  } else if (auto* a = std::get_if<message::app_message_request>(&request)) {
    auto b = root.initAppMessage();
    b.setFrom(a->from);
    b.setTo(a->to);
    b.setPayload(bytes_of(a->payload));
  } else if (auto* k = std::get_if<account::bind_request>(&request)) {
    auto b = root.initBind();
    b.setUser(k->user);
    b.setDevice(k->device);
    b.setCode(k->code);
  } else if (auto* d = std::get_if<message::direct_request>(&request)) {
    auto b = root.initDirect();
    b.setFrom(d->from);
    b.setTo(d->to);
    b.setPayload(bytes_of(d->payload));
    b.setResource(d->resource);
    b.setIfAbsent(d->if_absent);
  } else if (auto* p = std::get_if<link_presence>(&request)) {
    auto b = root.initPresence();
    b.setTarget(p->target);
    auto e = b.initEvent();
    e.setAddress(p->event.address);
    e.setKind(p->event.kind);
    e.setState(p->event.state);
    e.setEpoch(p->event.epoch);
    e.setSequence(p->event.sequence);
    e.setAtMs(p->event.at_ms);
    e.setCursor(p->event.cursor);
  } else if (auto* q = std::get_if<link_probe>(&request)) {
    auto b = root.initProbe();
    b.setRequester(q->requester);
    b.setTarget(q->target);
  } else if (auto* u = std::get_if<account::unbind_request>(&request)) {
    auto b = root.initUnbind();
    b.setAccount(u->account);
    b.setPeer(u->peer);
  }
  return schema::to_flat(message);
}

std::optional<link_request> decode_request(std::string_view bytes) {
  std::optional<link_request> out;
  bool ok = schema::read_flat<schema::LinkRequest>(bytes, [&](schema::LinkRequest::Reader r) {
    switch (r.which()) {
      case schema::LinkRequest::UPLOAD: {
        auto u = r.getUpload();
        out = message::upload_request{text(u.getFrom()), text(u.getApplication()),
                                      data(u.getPayload())};
        break;
      }
      case schema::LinkRequest::PUSH: {
        auto p = r.getPush();
        out = message::push_request{text(p.getApplication()), text(p.getTo()),
                                    data(p.getPayload())};
        break;
      }
      case schema::LinkRequest::APP_MESSAGE: {
        auto a = r.getAppMessage();
        out = message::app_message_request{text(a.getFrom()), text(a.getTo()),
                                           data(a.getPayload())};
        break;
      }
      case schema::LinkRequest::BIND: {
        auto b = r.getBind();
        out = account::bind_request{text(b.getUser()), text(b.getDevice()), text(b.getCode())};
        break;
      }
      case schema::LinkRequest::PRESENCE: {
        auto p = r.getPresence();
        auto e = p.getEvent();
        link_presence x;
        x.event.address = text(e.getAddress());
        x.event.kind = e.getKind();
        x.event.state = e.getState();
        x.event.epoch = e.getEpoch();
        x.event.sequence = e.getSequence();
        x.event.at_ms = e.getAtMs();
        x.event.cursor = e.getCursor();
        x.target = text(p.getTarget());
        out = std::move(x);
        break;
      }
      case schema::LinkRequest::PROBE: {
        auto q = r.getProbe();
        out = link_probe{text(q.getRequester()), text(q.getTarget())};
        break;
      }
      case schema::LinkRequest::UNBIND: {
        auto u = r.getUnbind();
        out = account::unbind_request{text(u.getAccount()), text(u.getPeer())};
        break;
      }
      case schema::LinkRequest::DIRECT: {
        auto d = r.getDirect();
        out = message::direct_request{text(d.getFrom()), text(d.getTo()), data(d.getPayload()),
                                      text(d.getResource()), d.getIfAbsent()};
        break;
      }
    }
  });
  if (!ok)
    return std::nullopt;
  return out;
}

std::string encode_reply(const message::upload_response& reply) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::LinkReply>().initUpload();
  b.setStatus(reply.status);
  b.setReply(bytes_of(reply.reply));
  return schema::to_flat(message);
}

std::string encode_reply(const message::push_response& reply) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::LinkReply>().initPush();
  b.setStatus(reply.status);
  b.setSessions(reply.sessions);
  return schema::to_flat(message);
}

std::string encode_reply(const message::app_message_response& reply) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::LinkReply>().initAppMessage();
  b.setStatus(reply.status);
  b.setReply(bytes_of(reply.reply));
  return schema::to_flat(message);
}

std::string encode_reply(message::bind_status reply) {
  capnp::MallocMessageBuilder message;
  message.initRoot<schema::LinkReply>().initBind().setStatus(reply);
  return schema::to_flat(message);
}

std::string encode_reply(const message::direct_response& reply) {
  capnp::MallocMessageBuilder message;
  auto b = message.initRoot<schema::LinkReply>().initDirect();
  b.setStatus(reply.status);
  b.setSessions(reply.sessions);
  return schema::to_flat(message);
}

std::string encode_reply(const link_ack&) {
  capnp::MallocMessageBuilder message;
  message.initRoot<schema::LinkReply>().setAck();
  return schema::to_flat(message);
}

std::string encode_reply(message::unbind_status reply) {
  capnp::MallocMessageBuilder message;
  message.initRoot<schema::LinkReply>().initUnbind().setStatus(reply);
  return schema::to_flat(message);
}

bool decode_reply(std::string_view bytes, message::unbind_status& out) {
  bool right = false;
  bool ok = schema::read_flat<schema::LinkReply>(bytes, [&](schema::LinkReply::Reader r) {
    if (!r.isUnbind())
      return;
    out = r.getUnbind().getStatus();
    right = true;
  });
  return ok && right;
}

bool decode_reply(std::string_view bytes, link_ack&) {
  bool right = false;
  bool ok = schema::read_flat<schema::LinkReply>(bytes, [&](schema::LinkReply::Reader r) {
    right = r.isAck();
  });
  return ok && right;
}

bool decode_reply(std::string_view bytes, message::bind_status& out) {
  bool right = false;
  bool ok = schema::read_flat<schema::LinkReply>(bytes, [&](schema::LinkReply::Reader r) {
    if (!r.isBind())
      return;
    out = r.getBind().getStatus();
    right = true;
  });
  return ok && right;
}

bool decode_reply(std::string_view bytes, message::direct_response& out) {
  bool right = false;
  bool ok = schema::read_flat<schema::LinkReply>(bytes, [&](schema::LinkReply::Reader r) {
    if (!r.isDirect())
      return;
    out = {r.getDirect().getStatus(), r.getDirect().getSessions()};
    right = true;
  });
  return ok && right;
}

bool decode_reply(std::string_view bytes, message::upload_response& out) {
  bool right = false;
  bool ok = schema::read_flat<schema::LinkReply>(bytes, [&](schema::LinkReply::Reader r) {
    if (!r.isUpload())
      return;
    out = {r.getUpload().getStatus(), data(r.getUpload().getReply())};
    right = true;
  });
  return ok && right;
}

bool decode_reply(std::string_view bytes, message::push_response& out) {
  bool right = false;
  bool ok = schema::read_flat<schema::LinkReply>(bytes, [&](schema::LinkReply::Reader r) {
    if (!r.isPush())
      return;
    out = {r.getPush().getStatus(), r.getPush().getSessions()};
    right = true;
  });
  return ok && right;
}

bool decode_reply(std::string_view bytes, message::app_message_response& out) {
  bool right = false;
  bool ok = schema::read_flat<schema::LinkReply>(bytes, [&](schema::LinkReply::Reader r) {
    if (!r.isAppMessage())
      return;
    out = {r.getAppMessage().getStatus(), data(r.getAppMessage().getReply())};
    right = true;
  });
  return ok && right;
}

std::string domain_of(const std::string& address) {
  auto host = host_of(address);
  return host.compare(0, 5, "apps.") == 0 ? host.substr(5) : host;
}

std::string check_source(const link_request& request, const std::string& peer_domain,
                         const std::string& own_domain) {
  auto refuse = [](const std::string& what, const std::string& address) {
    return what + " '" + address + "'";
  };
  if (auto* u = std::get_if<message::upload_request>(&request)) {
    if (!is_account_of(u->from, peer_domain))
      return refuse("upload from outside the peer's domain:", u->from);
    if (!is_app_of(u->application, own_domain))
      return refuse("upload for an application not of this AS:", u->application);
  } else if (auto* p = std::get_if<message::push_request>(&request)) {
    if (!is_app_of(p->application, peer_domain))
      return refuse("push from outside the peer's applications:", p->application);
    if (!is_account_of(p->to, own_domain))
      return refuse("push for an account not of this AS:", p->to);
  } else if (auto* a = std::get_if<message::app_message_request>(&request)) {
    if (!is_app_of(a->from, peer_domain))
      return refuse("app message from outside the peer's applications:", a->from);
    if (!is_app_of(a->to, own_domain))
      return refuse("app message for an application not of this AS:", a->to);
  } else if (auto* k = std::get_if<account::bind_request>(&request)) {
    if (!is_account_of(k->user, peer_domain))
      return refuse("bind by a user outside the peer's domain:", k->user);
    if (!is_account_of(k->device, own_domain))
      return refuse("bind of a device not of this AS:", k->device);
  } else if (auto* d = std::get_if<message::direct_request>(&request)) {
    if (!is_account_of(d->from, peer_domain))
      return refuse("message from outside the peer's domain:", d->from);
    if (!is_account_of(d->to, own_domain))
      return refuse("message for an account not of this AS:", d->to);
  } else if (auto* p = std::get_if<link_presence>(&request)) {
    if (!is_account_of(p->event.address, peer_domain))
      return refuse("presence of an account outside the peer's domain:", p->event.address);
    if (!is_account_of(p->target, own_domain))
      return refuse("presence for an account not of this AS:", p->target);
  } else if (auto* u = std::get_if<account::unbind_request>(&request)) {
    if (!is_account_of(u->account, peer_domain))
      return refuse("unbind by an account outside the peer's domain:", u->account);
    if (!is_account_of(u->peer, own_domain))
      return refuse("unbind of an account not of this AS:", u->peer);
  } else if (auto* q = std::get_if<link_probe>(&request)) {
    if (!is_account_of(q->requester, peer_domain))
      return refuse("probe by an account outside the peer's domain:", q->requester);
    if (!is_account_of(q->target, own_domain))
      return refuse("probe of an account not of this AS:", q->target);
  }
  return {};
}

} // namespace irsp::cluster
