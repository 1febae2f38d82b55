// IRSP §8.5–8.7 between ASs: the bytes of an AS link (schema/federation.capnp)
// and the rule on whose traffic a link may carry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "actors/message/exchanges.hpp"
#include "cluster/as_link_types.hpp"

namespace irsp::cluster {

/// What one AS may ask of another: an upload to one of its applications
/// (§8.7), a push back to one of its accounts (§8.7), a message to one of its
/// applications (§8.6). Addresses are full (name@domain, name@apps.domain).
/// And §8.5: a user of the sender binds a device of the receiver (the
/// receiver checks the code); a message between a user and a device bound so.
using link_request = std::variant<message::upload_request, message::push_request,
                                  message::app_message_request, account::bind_request,
                                  message::direct_request, link_presence, link_probe,
                                  account::unbind_request>;

/// A LinkRequest's bytes.
std::string encode_request(const link_request& request);
/// nullopt when `bytes` are not a LinkRequest this version knows.
std::optional<link_request> decode_request(std::string_view bytes);

/// A LinkReply's bytes, one overload per kind of request.
std::string encode_reply(const message::upload_response& reply);
std::string encode_reply(const message::push_response& reply);
std::string encode_reply(const message::app_message_response& reply);
std::string encode_reply(message::bind_status reply);
std::string encode_reply(const message::direct_response& reply);
std::string encode_reply(const link_ack& reply);
std::string encode_reply(message::unbind_status reply);
/// False when `bytes` are not a reply of that kind.
bool decode_reply(std::string_view bytes, message::upload_response& out);
bool decode_reply(std::string_view bytes, message::push_response& out);
bool decode_reply(std::string_view bytes, message::app_message_response& out);
bool decode_reply(std::string_view bytes, message::bind_status& out);
bool decode_reply(std::string_view bytes, message::direct_response& out);
bool decode_reply(std::string_view bytes, link_ack& out);
bool decode_reply(std::string_view bytes, message::unbind_status& out);

/// The domain an address belongs to: `d` for name@d and for name@apps.d;
/// empty when it is no address.
std::string domain_of(const std::string& address);

/// Trust (docs/federation.md): a request that came over the link of peer
/// `peer_domain` into the AS `own_domain` must come from that peer's domain
/// (an account of it, or one of its applications) and be for this AS. Empty
/// when it does; else one line saying why not, for the log.
std::string check_source(const link_request& request, const std::string& peer_domain,
                         const std::string& own_domain);

} // namespace irsp::cluster
