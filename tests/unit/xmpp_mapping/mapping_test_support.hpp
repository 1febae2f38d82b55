// RFC 6120 §8: helpers for the stanza <-> exchange mapping tests
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/xmpp/stanza_mapping.hpp"
#include "node/xmpp/xml/xml_stream.hpp"

namespace mapping_test {

using irsp::xmpp::element;

/// The stanza `xml` as the server's parser hands it over: the single element
/// of a client stream (default namespace jabber:client).
inline element parse(std::string_view xml) {
  irsp::xmpp::xml_stream stream;
  stream.feed("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' "
              "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
  stream.feed(xml);
  std::vector<element> out;
  while (auto ev = stream.next())
    if (auto* e = std::get_if<element>(&*ev))
      out.push_back(std::move(*e));
  INFO(xml);
  REQUIRE(stream.error() == nullptr);
  REQUIRE(out.size() == 1);
  return out.front();
}

/// `e` with the attributes of every element sorted by name: attribute order
/// carries no meaning in XML, so comparisons should not depend on it.
inline element canonical(const element& e) {
  element out{e.name(), e.xmlns()};
  auto attrs = e.attrs();
  std::sort(attrs.begin(), attrs.end());
  for (const auto& [name, value] : attrs)
    out.set_attr(name, value);
  for (const auto& node : e.children()) {
    if (const auto* child = std::get_if<element>(&node))
      out.add_child(canonical(*child));
    else
      out.add_text(std::get<std::string>(node));
  }
  return out;
}

/// `actual` is the tree `expected_xml` parses to; and, since a stanza only
/// counts once it is on the wire, serializing `actual` and parsing it back
/// gives the same tree.
inline void check_xml(const element& actual, std::string_view expected_xml) {
  INFO("expected: " << expected_xml);
  INFO("actual:   " << irsp::xmpp::to_xml(actual));
  CHECK(canonical(actual) == canonical(parse(expected_xml)));
  CHECK(canonical(parse(irsp::xmpp::to_xml(actual))) == canonical(actual));
}

} // namespace mapping_test
