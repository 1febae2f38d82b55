// RFC 6120 §4.2, §4.8, §11: XML element tree for stanzas and its serializer
#include "node/xmpp/xml/stanza.hpp"

#include <algorithm>

namespace irsp::xmpp {

namespace {

// XML 1.0 §2.2 admits no C0 control except tab, LF and CR, not even as a
// character reference, so the only safe thing to do with one is to drop it.
bool is_forbidden_control(unsigned char c) {
  return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

// One pass over the bytes; runs of ordinary characters are copied in bulk.
void append_escaped(std::string& out, std::string_view s, bool in_attr) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char* rep = nullptr;
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      // Always escaped, not just after "]]", so no context check is needed.
      case '>': rep = "&gt;"; break;
      // A literal CR would come back as LF after end-of-line handling.
      case '\r': rep = "&#13;"; break;
      case '"': rep = in_attr ? "&quot;" : nullptr; break;
      case '\'': rep = in_attr ? "&apos;" : nullptr; break;
      // Attribute-value normalisation would turn these into spaces.
      case '\t': rep = in_attr ? "&#9;" : nullptr; break;
      case '\n': rep = in_attr ? "&#10;" : nullptr; break;
      default:
        if (!is_forbidden_control(c))
          continue;
        rep = "";
    }
    if (rep == nullptr)
      continue;
    out.append(s.data() + run, i - run);
    out.append(rep);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

void append_attr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out.append(name);
  out += "='";
  append_escaped(out, value, true);
  out += '\'';
}

// `{uri}local` names an attribute in a namespace other than `xml`.
bool is_clark(std::string_view name) {
  return name.size() > 2 && name.front() == '{' && name.find('}') != std::string_view::npos;
}

void write(std::string& out, const element& e, std::string_view default_ns) {
  // The streams namespace is bound to `stream:` by the stream header, and
  // peers expect that prefix there (RFC 6120 §4.8.5); it leaves the default
  // namespace untouched for the children.
  const bool stream_level = e.xmlns() == ns_streams;
  // The xml prefix is bound to its namespace in every document, and that
  // namespace may not be declared as a default (XML Namespaces §3): an
  // element such as <xml:l/> keeps its prefix (found by fuzz_xml_stream).
  const bool xml_level = e.xmlns() == ns_xml;
  const std::string_view prefix = stream_level ? "stream:" : xml_level ? "xml:" : "";
  out += '<';
  out += prefix;
  out += e.name();
  std::string_view inner_ns = default_ns;
  if (prefix.empty() && e.xmlns() != default_ns) {
    append_attr(out, "xmlns", e.xmlns());
    inner_ns = e.xmlns();
  }
  // Generated prefixes for Clark-named attributes: rare enough in XMPP that a
  // linear search over a handful of URIs beats anything clever.
  std::vector<std::string_view> prefixed_uris;
  for (const auto& [name, value] : e.attrs()) {
    // Namespaces live in xmlns(); a stray declaration would contradict it.
    if (name == "xmlns" || name.compare(0, 6, "xmlns:") == 0)
      continue;
    if (!is_clark(name)) {
      append_attr(out, name, value);
      continue;
    }
    // The URI may hold '}', a local name never does.
    const auto close = name.rfind('}');
    const auto uri = std::string_view{name}.substr(1, close - 1);
    auto it = std::find(prefixed_uris.begin(), prefixed_uris.end(), uri);
    const auto index = static_cast<std::size_t>(it - prefixed_uris.begin());
    const auto prefix = "ns" + std::to_string(index + 1);
    if (it == prefixed_uris.end()) {
      prefixed_uris.push_back(uri);
      append_attr(out, "xmlns:" + prefix, uri);
    }
    append_attr(out, prefix + ':' + name.substr(close + 1), value);
  }
  if (e.children().empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& child : e.children()) {
    if (const auto* text = std::get_if<std::string>(&child))
      append_escaped(out, *text, false);
    else
      write(out, std::get<element>(child), inner_ns);
  }
  out += "</";
  out += prefix;
  out += e.name();
  out += '>';
}

} // namespace

std::string_view element::attr(std::string_view name) const noexcept {
  for (const auto& [key, value] : attrs_)
    if (key == name)
      return value;
  return {};
}

bool element::has_attr(std::string_view name) const noexcept {
  return std::any_of(attrs_.begin(), attrs_.end(),
                     [&](const auto& kv) { return kv.first == name; });
}

element& element::set_attr(std::string_view name, std::string_view value) {
  for (auto& [key, old] : attrs_) {
    if (key == name) {
      old.assign(value);
      return *this;
    }
  }
  attrs_.emplace_back(std::string{name}, std::string{value});
  return *this;
}

void element::remove_attr(std::string_view name) {
  attrs_.erase(std::remove_if(attrs_.begin(), attrs_.end(),
                              [&](const auto& kv) { return kv.first == name; }),
               attrs_.end());
}

const element* element::child(std::string_view name, std::string_view xmlns) const noexcept {
  if (xmlns.empty())
    xmlns = xmlns_;
  for (const auto& node : children_) {
    const auto* e = std::get_if<element>(&node);
    if (e != nullptr && e->name_ == name && e->xmlns_ == xmlns)
      return e;
  }
  return nullptr;
}

element* element::child(std::string_view name, std::string_view xmlns) noexcept {
  return const_cast<element*>(std::as_const(*this).child(name, xmlns));
}

element& element::add_child(element e) {
  return std::get<element>(children_.emplace_back(std::move(e)));
}

element& element::add_child(std::string name, std::string xmlns) {
  if (xmlns.empty())
    xmlns = xmlns_;
  return add_child(element{std::move(name), std::move(xmlns)});
}

std::string element::text() const {
  std::string out;
  for (const auto& node : children_)
    if (const auto* s = std::get_if<std::string>(&node))
      out += *s;
  return out;
}

element& element::add_text(std::string_view text) {
  if (text.empty())
    return *this;
  if (!children_.empty())
    if (auto* last = std::get_if<std::string>(&children_.back())) {
      last->append(text);
      return *this;
    }
  children_.emplace_back(std::in_place_type<std::string>, text);
  return *this;
}

bool operator==(const element& x, const element& y) {
  return x.name_ == y.name_ && x.xmlns_ == y.xmlns_ && x.attrs_ == y.attrs_
         && x.children_ == y.children_;
}

void append_xml(std::string& out, const element& e) {
  write(out, e, ns_client);
}

std::string to_xml(const element& e) {
  std::string out;
  append_xml(out, e);
  return out;
}

std::string stream_header(std::string_view id, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(200 + id.size() + from.size() + to.size());
  out += "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
         "xmlns:stream='http://etherx.jabber.org/streams'";
  append_attr(out, "id", id);
  append_attr(out, "from", from);
  if (!to.empty())
    append_attr(out, "to", to);
  out += " version='1.0' xml:lang='en'>";
  return out;
}

std::string_view stream_footer() noexcept {
  return "</stream:stream>";
}

} // namespace irsp::xmpp
