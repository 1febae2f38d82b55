// RFC 7622 §3.3 localparts, on libidn's XMPP nodeprep profile (RFC 6122
// Appendix A). PRECIS UsernameCaseMapped has no Debian library; nodeprep is
// its predecessor, stricter in places, and we add RFC 7622's own exclusions.
#include "actors/account/name_rules.hpp"

#include <stringprep.h>

#include <cstring>
#include <vector>

namespace irsp::account {

namespace {

// Names made only of these are their own nodeprep form: case folding, NFKC
// and the prohibited tables leave them as they are. Most names are like
// this, and the router prepares a name for every message it routes.
bool already_prepared(std::string_view name) {
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

} // namespace

std::optional<std::string> prepare_localpart(std::string_view name) {
  if (name.empty() || name.size() > max_localpart_octets)
    return std::nullopt;
  if (already_prepared(name))
    return std::string(name);
  if (std::memchr(name.data(), '\0', name.size()) != nullptr)
    return std::nullopt;
  // nodeprep can grow the string (case folding, NFKC); leave it room.
  std::vector<char> buf(name.size() * 4 + 16);
  std::memcpy(buf.data(), name.data(), name.size());
  buf[name.size()] = '\0';
  if (stringprep(buf.data(), buf.size(), Stringprep_profile_flags{}, stringprep_xmpp_nodeprep)
      != STRINGPREP_OK)
    return std::nullopt;
  std::string out(buf.data());
  if (out.empty() || out.size() > max_localpart_octets)
    return std::nullopt;
  for (unsigned char c : out)
    if (c <= 0x20 || c == 0x7f || std::strchr("\"&'/:<>@", c) != nullptr)
      return std::nullopt;
  return out;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253)
    return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : domain) {
    if (c == '.') {
      if (label == 0 || prev == '-')
        return false;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      if (label == 0 && c == '-')
        return false;
      if (++label > 63)
        return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

std::optional<std::pair<std::string, std::string>> split_address(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size())
    return std::nullopt;
  return std::make_pair(std::string(address.substr(0, at)),
                        std::string(address.substr(at + 1)));
}

} // namespace irsp::account
