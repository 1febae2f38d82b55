// The §8.3/§8.4 exchanges, presence and deliveries as their Cap'n Proto
// structs, for what crosses between nodes (schema/wire_form.hpp).
#include "actors/message/exchanges.hpp"

#include "schema/flat_message.hpp"

namespace irsp::message {

std::string to_wire(const upload_request& x) {
  return schema::build_flat<schema::Upload>([&](auto m) {
    m.setFrom(x.from);
    m.setApplication(x.application);
    m.setPayload(schema::data_of(x.payload));
  });
}

bool from_wire(std::string_view bytes, upload_request& x) {
  return schema::read_flat<schema::Upload>(bytes, [&](auto m) {
    x.from = schema::text_of(m.getFrom());
    x.application = schema::text_of(m.getApplication());
    x.payload = schema::bytes_of(m.getPayload());
  });
}

std::string to_wire(const upload_response& x) {
  return schema::build_flat<schema::UploadResponse>([&](auto m) {
    m.setStatus(x.status);
    m.setReply(schema::data_of(x.reply));
  });
}

bool from_wire(std::string_view bytes, upload_response& x) {
  return schema::read_flat<schema::UploadResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.reply = schema::bytes_of(m.getReply());
  });
}

std::string to_wire(const push_request& x) {
  return schema::build_flat<schema::Push>([&](auto m) {
    m.setApplication(x.application);
    m.setTo(x.to);
    m.setPayload(schema::data_of(x.payload));
  });
}

bool from_wire(std::string_view bytes, push_request& x) {
  return schema::read_flat<schema::Push>(bytes, [&](auto m) {
    x.application = schema::text_of(m.getApplication());
    x.to = schema::text_of(m.getTo());
    x.payload = schema::bytes_of(m.getPayload());
  });
}

std::string to_wire(const push_response& x) {
  return schema::build_flat<schema::PushResponse>([&](auto m) {
    m.setStatus(x.status);
    m.setSessions(x.sessions);
  });
}

bool from_wire(std::string_view bytes, push_response& x) {
  return schema::read_flat<schema::PushResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.sessions = m.getSessions();
  });
}

std::string to_wire(const app_message_request& x) {
  return schema::build_flat<schema::AppMessage>([&](auto m) {
    m.setFrom(x.from);
    m.setTo(x.to);
    m.setPayload(schema::data_of(x.payload));
  });
}

bool from_wire(std::string_view bytes, app_message_request& x) {
  return schema::read_flat<schema::AppMessage>(bytes, [&](auto m) {
    x.from = schema::text_of(m.getFrom());
    x.to = schema::text_of(m.getTo());
    x.payload = schema::bytes_of(m.getPayload());
  });
}

std::string to_wire(const app_message_response& x) {
  return schema::build_flat<schema::AppMessageResponse>([&](auto m) {
    m.setStatus(x.status);
    m.setReply(schema::data_of(x.reply));
  });
}

bool from_wire(std::string_view bytes, app_message_response& x) {
  return schema::read_flat<schema::AppMessageResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.reply = schema::bytes_of(m.getReply());
  });
}

std::string to_wire(const direct_request& x) {
  return schema::build_flat<schema::DirectMessage>([&](auto m) {
    m.setFrom(x.from);
    m.setTo(x.to);
    m.setPayload(schema::data_of(x.payload));
    m.setResource(x.resource);
    m.setIfAbsent(x.if_absent);
  });
}

bool from_wire(std::string_view bytes, direct_request& x) {
  return schema::read_flat<schema::DirectMessage>(bytes, [&](auto m) {
    x.from = schema::text_of(m.getFrom());
    x.to = schema::text_of(m.getTo());
    x.payload = schema::bytes_of(m.getPayload());
    x.resource = schema::text_of(m.getResource());
    x.if_absent = m.getIfAbsent();
  });
}

std::string to_wire(const direct_response& x) {
  return schema::build_flat<schema::DirectResponse>([&](auto m) {
    m.setStatus(x.status);
    m.setSessions(x.sessions);
  });
}

bool from_wire(std::string_view bytes, direct_response& x) {
  return schema::read_flat<schema::DirectResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.sessions = m.getSessions();
  });
}

std::string to_wire(const presence_event& x) {
  return schema::build_flat<schema::LifecycleEvent>([&](auto m) {
    m.setAddress(x.address);
    m.setKind(x.kind);
    m.setState(x.state);
    m.setEpoch(x.epoch);
    m.setSequence(x.sequence);
    m.setAtMs(x.at_ms);
    m.setCursor(x.cursor);
    auto bound = m.initBound(static_cast<unsigned>(x.bound.size()));
    for (unsigned i = 0; i < bound.size(); ++i)
      bound.set(i, x.bound[i]);
  });
}

bool from_wire(std::string_view bytes, presence_event& x) {
  return schema::read_flat<schema::LifecycleEvent>(bytes, [&](auto m) {
    x.address = schema::text_of(m.getAddress());
    x.kind = m.getKind();
    x.state = m.getState();
    x.epoch = m.getEpoch();
    x.sequence = m.getSequence();
    x.at_ms = m.getAtMs();
    x.cursor = m.getCursor();
    x.bound.clear();
    for (auto b : m.getBound())
      x.bound.push_back(schema::text_of(b));
  });
}

std::string to_wire(const delivery& x) {
  return schema::build_flat<schema::OfflineMessage>([&](auto m) {
    m.setKind(x.kind);
    m.setFrom(x.from);
    m.setPayload(schema::data_of(x.payload));
    m.setStoredMs(x.stored_ms);
  });
}

bool from_wire(std::string_view bytes, delivery& x) {
  return schema::read_flat<schema::OfflineMessage>(bytes, [&](auto m) {
    x.kind = m.getKind();
    x.from = schema::text_of(m.getFrom());
    x.payload = schema::bytes_of(m.getPayload());
    x.stored_ms = m.getStoredMs();
  });
}

} // namespace irsp::message
