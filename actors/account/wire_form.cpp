// The §8.2 exchanges and bindings as their Cap'n Proto structs, for what
// crosses between nodes (schema/wire_form.hpp).
#include "actors/account/exchanges.hpp"

#include "schema/flat_message.hpp"

namespace irsp::account {

namespace {

template <class List>
void put_list(List list, const std::vector<std::string>& xs) {
  for (unsigned i = 0; i < list.size(); ++i)
    list.set(i, xs[i]);
}

template <class List>
std::vector<std::string> get_list(List list) {
  std::vector<std::string> out;
  for (auto x : list)
    out.push_back(schema::text_of(x));
  return out;
}

} // namespace

std::string to_wire(const register_request& x) {
  return schema::build_flat<schema::RegisterRequest>([&](auto m) {
    m.setName(x.name);
    m.setKind(x.kind);
    m.setPassword(x.password);
    m.setDisplayName(x.display_name);
    auto d = m.initDevice();
    d.setModel(x.device.model);
    d.setManufacturer(x.device.manufacturer);
    d.setSerial(x.device.serial);
    m.setRequester(x.requester);
  });
}

bool from_wire(std::string_view bytes, register_request& x) {
  return schema::read_flat<schema::RegisterRequest>(bytes, [&](auto m) {
    x.name = schema::text_of(m.getName());
    x.kind = m.getKind();
    x.password = schema::text_of(m.getPassword());
    x.display_name = schema::text_of(m.getDisplayName());
    auto d = m.getDevice();
    x.device = {schema::text_of(d.getModel()), schema::text_of(d.getManufacturer()), schema::text_of(d.getSerial())};
    x.requester = schema::text_of(m.getRequester());
  });
}

std::string to_wire(const register_response& x) {
  return schema::build_flat<schema::RegisterResponse>([&](auto m) {
    m.setStatus(x.status);
    m.setAddress(x.address);
    m.setVerificationCode(x.verification_code);
  });
}

bool from_wire(std::string_view bytes, register_response& x) {
  return schema::read_flat<schema::RegisterResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.address = schema::text_of(m.getAddress());
    x.verification_code = schema::text_of(m.getVerificationCode());
  });
}

std::string to_wire(const modify_request& x) {
  return schema::build_flat<schema::ModifyRequest>([&](auto m) {
    m.setAddress(x.address);
    auto changes = m.initChanges(static_cast<unsigned>(x.changes.size()));
    for (unsigned i = 0; i < changes.size(); ++i) {
      changes[i].setKey(x.changes[i].first);
      changes[i].setValue(x.changes[i].second);
    }
    m.setExpectedVersion(x.expected_version);
    m.setRequester(x.requester);
  });
}

bool from_wire(std::string_view bytes, modify_request& x) {
  return schema::read_flat<schema::ModifyRequest>(bytes, [&](auto m) {
    x.address = schema::text_of(m.getAddress());
    x.changes.clear();
    for (auto c : m.getChanges())
      x.changes.emplace_back(schema::text_of(c.getKey()), schema::text_of(c.getValue()));
    x.expected_version = m.getExpectedVersion();
    x.requester = schema::text_of(m.getRequester());
  });
}

std::string to_wire(const modify_response& x) {
  return schema::build_flat<schema::ModifyResponse>([&](auto m) {
    m.setStatus(x.status);
    m.setVersion(x.version);
  });
}

bool from_wire(std::string_view bytes, modify_response& x) {
  return schema::read_flat<schema::ModifyResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.version = m.getVersion();
  });
}

std::string to_wire(const delete_request& x) {
  return schema::build_flat<schema::DeleteRequest>([&](auto m) {
    m.setAddress(x.address);
    m.setRequester(x.requester);
  });
}

bool from_wire(std::string_view bytes, delete_request& x) {
  return schema::read_flat<schema::DeleteRequest>(bytes, [&](auto m) {
    x.address = schema::text_of(m.getAddress());
    x.requester = schema::text_of(m.getRequester());
  });
}

std::string to_wire(const delete_response& x) {
  return schema::build_flat<schema::DeleteResponse>([&](auto m) {
    m.setStatus(x.status);
    put_list(m.initUnbound(static_cast<unsigned>(x.unbound.size())), x.unbound);
  });
}

bool from_wire(std::string_view bytes, delete_response& x) {
  return schema::read_flat<schema::DeleteResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.unbound = get_list(m.getUnbound());
  });
}

std::string to_wire(const reset_code_request& x) {
  return schema::build_flat<schema::ResetCodeRequest>([&](auto m) {
    m.setAddress(x.address);
    m.setRequester(x.requester);
  });
}

bool from_wire(std::string_view bytes, reset_code_request& x) {
  return schema::read_flat<schema::ResetCodeRequest>(bytes, [&](auto m) {
    x.address = schema::text_of(m.getAddress());
    x.requester = schema::text_of(m.getRequester());
  });
}

std::string to_wire(const reset_code_response& x) {
  return schema::build_flat<schema::ResetCodeResponse>([&](auto m) {
    m.setStatus(x.status);
    m.setVerificationCode(x.verification_code);
    put_list(m.initUnbound(static_cast<unsigned>(x.unbound.size())), x.unbound);
  });
}

bool from_wire(std::string_view bytes, reset_code_response& x) {
  return schema::read_flat<schema::ResetCodeResponse>(bytes, [&](auto m) {
    x.status = m.getStatus();
    x.verification_code = schema::text_of(m.getVerificationCode());
    x.unbound = get_list(m.getUnbound());
  });
}

std::string to_wire(const bind_request& x) {
  return schema::build_flat<schema::Bind>([&](auto m) {
    m.setUser(x.user);
    m.setDevice(x.device);
    m.setCode(x.code);
  });
}

bool from_wire(std::string_view bytes, bind_request& x) {
  return schema::read_flat<schema::Bind>(bytes, [&](auto m) {
    x.user = schema::text_of(m.getUser());
    x.device = schema::text_of(m.getDevice());
    x.code = schema::text_of(m.getCode());
  });
}

std::string to_wire(const unbind_request& x) {
  return schema::build_flat<schema::Unbind>([&](auto m) {
    m.setAccount(x.account);
    m.setPeer(x.peer);
  });
}

bool from_wire(std::string_view bytes, unbind_request& x) {
  return schema::read_flat<schema::Unbind>(bytes, [&](auto m) {
    x.account = schema::text_of(m.getAccount());
    x.peer = schema::text_of(m.getPeer());
  });
}

} // namespace irsp::account
