// RFC 6120 §4: helpers shared by the XML stream codec tests
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "node/xmpp/xml/xml_stream.hpp"

namespace xml_test {

using irsp::xmpp::xml_event;

/// The header a client sends (RFC 6120 §4.7; as in the RFC's §9 examples).
inline constexpr std::string_view client_header
  = "<?xml version='1.0'?>"
    "<stream:stream from='juliet@im.example.com' to='im.example.com' version='1.0' "
    "xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

/// Feeds `chunks` in order to `s` and drains every event.
inline std::vector<xml_event> feed_chunks(irsp::xmpp::xml_stream& s,
                                          const std::vector<std::string_view>& chunks) {
  std::vector<xml_event> out;
  for (auto chunk : chunks) {
    s.feed(chunk);
    while (auto ev = s.next())
      out.push_back(std::move(*ev));
  }
  return out;
}

/// All events of `input` fed in one call to a fresh parser.
inline std::vector<xml_event> parse_whole(std::string_view input,
                                          irsp::xmpp::limits lim = {}) {
  irsp::xmpp::xml_stream s{lim};
  return feed_chunks(s, {input});
}

/// The events of `input` fed one byte per call.
inline std::vector<xml_event> parse_bytewise(std::string_view input,
                                             irsp::xmpp::limits lim = {}) {
  irsp::xmpp::xml_stream s{lim};
  std::vector<std::string_view> chunks;
  for (std::size_t i = 0; i < input.size(); ++i)
    chunks.push_back(input.substr(i, 1));
  return feed_chunks(s, chunks);
}

/// A readable form of an event for failure messages.
inline std::string describe(const xml_event& ev) {
  using namespace irsp::xmpp;
  if (auto* o = std::get_if<stream_open>(&ev))
    return "stream_open{to=" + o->to + " from=" + o->from + " version=" + o->version
           + " lang=" + o->lang + " id=" + o->id + "}";
  if (auto* e = std::get_if<element>(&ev))
    return "stanza{" + e->xmlns() + "} " + to_xml(*e);
  if (std::holds_alternative<stream_close>(ev))
    return "stream_close";
  auto& err = std::get<stream_error>(ev);
  return "error{" + err.condition + ": " + err.text + "}";
}

/// The condition of the last event, which must be an error.
inline std::string last_error(const std::vector<xml_event>& events) {
  if (events.empty())
    return "(no events)";
  if (auto* err = std::get_if<irsp::xmpp::stream_error>(&events.back()))
    return err->condition;
  return "(no error: last event is " + describe(events.back()) + ")";
}

} // namespace xml_test

namespace Catch {
template <>
struct StringMaker<irsp::xmpp::element> {
  static std::string convert(const irsp::xmpp::element& e) {
    return "{" + e.xmlns() + "} " + irsp::xmpp::to_xml(e);
  }
};

template <>
struct StringMaker<irsp::xmpp::xml_event> {
  static std::string convert(const irsp::xmpp::xml_event& ev) {
    return xml_test::describe(ev);
  }
};
} // namespace Catch
