// RFC 6120 §4.2, §4.8, §11: XML element tree for stanzas and its serializer
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace irsp::xmpp {

/// Namespace of the XMPP client content (the stream's default namespace).
inline constexpr std::string_view ns_client = "jabber:client";

/// Namespace of stream-level elements (`<stream:stream>`, `<stream:features>`,
/// `<stream:error>`).
inline constexpr std::string_view ns_streams = "http://etherx.jabber.org/streams";

/// The namespace bound to the reserved `xml:` prefix.
inline constexpr std::string_view ns_xml = "http://www.w3.org/XML/1998/namespace";

class element;

/// One child of an element: a nested element or a run of character data.
/// Adjacent runs of text are always merged into one, so a tree has a single
/// shape however its bytes were split on the way in.
using xml_node = std::variant<element, std::string>;

/// A namespace-resolved XML element: what a stanza (or any depth-1 element of
/// a stream) is once parsed. Prefixes are not kept; the serializer chooses
/// them.
///
/// Attribute names are the plain local name for unprefixed attributes,
/// `xml:lang`-style for the reserved `xml` prefix, and Clark notation
/// (`{uri}local`) for attributes in any other namespace.
class element {
public:
  /// An element with no name; only useful as a target to assign to.
  element() = default;

  /// An element `name` in namespace `xmlns` (empty: no namespace).
  element(std::string name, std::string xmlns)
    : name_(std::move(name)), xmlns_(std::move(xmlns)) {
  }

  /// The local name.
  const std::string& name() const noexcept {
    return name_;
  }

  /// The namespace name (resolved URI, never a prefix).
  const std::string& xmlns() const noexcept {
    return xmlns_;
  }

  /// Attributes in document order.
  const std::vector<std::pair<std::string, std::string>>& attrs() const noexcept {
    return attrs_;
  }

  /// Children (elements and text) in document order.
  const std::vector<xml_node>& children() const noexcept {
    return children_;
  }

  /// The value of attribute `name`, or empty if absent.
  std::string_view attr(std::string_view name) const noexcept;

  /// True if attribute `name` is present (even with an empty value).
  bool has_attr(std::string_view name) const noexcept;

  /// Sets attribute `name`, replacing an existing value in place.
  element& set_attr(std::string_view name, std::string_view value);

  /// Removes attribute `name` if present.
  void remove_attr(std::string_view name);

  /// The first child element called `name` in namespace `xmlns`; an empty
  /// `xmlns` means this element's own namespace (as Prosody's get_child), so
  /// `msg.child("body")` finds `<body/>` of a jabber:client message and not a
  /// `<body xmlns='urn:other'/>`. Null if there is none.
  const element* child(std::string_view name, std::string_view xmlns = {}) const noexcept;

  /// Mutable variant of child().
  element* child(std::string_view name, std::string_view xmlns = {}) noexcept;

  /// Appends `e` as the last child and returns it.
  element& add_child(element e);

  /// Appends a new child `name` in `xmlns` (empty: this element's namespace)
  /// and returns it.
  element& add_child(std::string name, std::string xmlns = {});

  /// The concatenated text of the direct text children.
  std::string text() const;

  /// Appends character data, merging it with a trailing text child.
  element& add_text(std::string_view text);

  /// Trees are equal when names, namespaces, attributes (in order) and
  /// children (in order) are equal.
  friend bool operator==(const element& x, const element& y);

  /// Negation of operator==.
  friend bool operator!=(const element& x, const element& y) {
    return !(x == y);
  }

private:
  std::string name_;
  std::string xmlns_;
  std::vector<std::pair<std::string, std::string>> attrs_;
  std::vector<xml_node> children_;
};

/// Appends `e` as XML to `out`, as it would appear as a child of the stream
/// (whose default namespace is jabber:client). Text escapes `& < >`,
/// attribute values `& < > " '`; `\r` (and `\t`, `\n` in attributes) become
/// character references so that a reader gets back exactly these strings.
/// `xmlns` is written only where the namespace differs from the enclosing
/// default namespace; elements in the streams namespace are written with the
/// `stream:` prefix the stream header declares. Characters XML 1.0 cannot
/// carry at all (C0 controls other than tab, LF, CR) are dropped rather than
/// poisoning the peer's stream. Strings are assumed to be valid UTF-8.
void append_xml(std::string& out, const element& e);

/// append_xml() into a fresh string.
std::string to_xml(const element& e);

/// The server's stream header (RFC 6120 §4.7), XML declaration included:
/// `<?xml version='1.0'?><stream:stream xmlns='jabber:client'
/// xmlns:stream='http://etherx.jabber.org/streams' id='..' from='..'
/// [to='..'] version='1.0' xml:lang='en'>`. An empty `to` is omitted.
std::string stream_header(std::string_view id, std::string_view from,
                          std::string_view to = {});

/// The closing tag of a stream (RFC 6120 §4.4).
std::string_view stream_footer() noexcept;

} // namespace irsp::xmpp
