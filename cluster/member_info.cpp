// Cluster membership: parsing listener addresses; what a member says of
// itself, as its schema struct.
#include "cluster/member_info.hpp"

#include <charconv>

#include "irsp/schema/cluster.capnp.h"
#include "schema/flat_message.hpp"

namespace irsp::cluster {

std::optional<endpoint> parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return std::nullopt;
  auto host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 3)
      return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt; // an IPv6 address needs its brackets
  }
  auto digits = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port > 65535)
    return std::nullopt;
  return endpoint{std::string{host}, static_cast<std::uint16_t>(port)};
}

namespace {

// The index of `a` once added to `handles`; -1 for none.
std::int32_t add(std::vector<caf::actor>& handles, const caf::actor& a) {
  if (!a)
    return -1;
  handles.push_back(a);
  return static_cast<std::int32_t>(handles.size() - 1);
}

template <class List>
void add_all(std::vector<caf::actor>& handles, const std::vector<caf::actor>& from, List list) {
  for (unsigned i = 0; i < from.size(); ++i)
    list.set(i, add(handles, from[i]));
}

// The handle at `i` (-1: none); false if there is no such handle.
bool pick(const std::vector<caf::actor>& handles, std::int32_t i, caf::actor& out) {
  if (i < 0) {
    out = nullptr;
    return true;
  }
  if (static_cast<std::size_t>(i) >= handles.size())
    return false;
  out = handles[static_cast<std::size_t>(i)];
  return true;
}

template <class List>
bool pick_all(const std::vector<caf::actor>& handles, List list, std::vector<caf::actor>& out) {
  out.resize(list.size());
  for (unsigned i = 0; i < list.size(); ++i)
    if (!pick(handles, list[i], out[i]))
      return false;
  return true;
}

} // namespace

std::string member_to_wire(const member_info& x, std::vector<caf::actor>& handles) {
  return schema::build_flat<schema::ClusterMember>([&](auto m) {
    m.setName(x.name);
    m.setHost(x.address.host);
    m.setPort(x.address.port);
    m.setIncarnation(x.incarnation);
    m.setMember(add(handles, x.member));
    m.setRouter(add(handles, x.router));
    m.setLifecycle(add(handles, x.lifecycle));
    m.setAuth(add(handles, x.auth));
    add_all(handles, x.accounts, m.initAccounts(static_cast<unsigned>(x.accounts.size())));
    add_all(handles, x.offline, m.initOffline(static_cast<unsigned>(x.offline.size())));
    add_all(handles, x.replicas, m.initReplicas(static_cast<unsigned>(x.replicas.size())));
  });
}

bool member_from_wire(std::string_view bytes, const std::vector<caf::actor>& handles,
                      member_info& x) {
  bool ok = false;
  bool read = schema::read_flat<schema::ClusterMember>(bytes, [&](auto m) {
    x.name = schema::text_of(m.getName());
    x.address = endpoint{schema::text_of(m.getHost()), m.getPort()};
    x.incarnation = m.getIncarnation();
    ok = pick(handles, m.getMember(), x.member) && pick(handles, m.getRouter(), x.router)
         && pick(handles, m.getLifecycle(), x.lifecycle) && pick(handles, m.getAuth(), x.auth)
         && pick_all(handles, m.getAccounts(), x.accounts)
         && pick_all(handles, m.getOffline(), x.offline)
         && pick_all(handles, m.getReplicas(), x.replicas);
  });
  return read && ok;
}

std::string to_wire(const member_status& x) {
  return schema::build_flat<schema::ClusterMemberStatus>([&](auto m) {
    m.setName(x.name);
    m.setAddress(x.address);
    m.setState(x.state);
    m.setIncarnation(x.incarnation);
    m.setSinceMs(x.since_ms);
  });
}

bool from_wire(std::string_view bytes, member_status& x) {
  return schema::read_flat<schema::ClusterMemberStatus>(bytes, [&](auto m) {
    x.name = schema::text_of(m.getName());
    x.address = schema::text_of(m.getAddress());
    x.state = schema::text_of(m.getState());
    x.incarnation = m.getIncarnation();
    x.since_ms = m.getSinceMs();
  });
}

} // namespace irsp::cluster
