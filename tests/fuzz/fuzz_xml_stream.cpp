// RFC 6120 §4, §11: libFuzzer target for the XML stream codec (node/xmpp/xml/). Arbitrary bytes
// are parsed whole, split at input-derived points, after a restart(), and (where the stream
// was idle between stanzas) on a fresh parser the way a hibernating connection resumes. Every
// run must give the same events, every element must respect the limits, and every element
// must parse back unchanged from its own serialization.
#include "fuzz_check.hpp"

#include "node/xmpp/xml/xml_stream.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace irsp::xmpp;
using irsp::fuzz::check;

namespace {

// Small enough that the fuzzer reaches every limit with short inputs.
limits fuzz_limits() {
  limits lim;
  lim.max_stanza_bytes = 1024;
  lim.max_depth = 5;
  lim.max_attributes = 5;
  lim.max_elements = 24;
  return lim;
}

// What c2s_stream feeds a fresh parser before the rest of a hibernated stream.
constexpr std::string_view resume_header
  = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

// Deterministic split points: the same input always splits the same way.
struct split_rng {
  std::uint64_t state;
  std::size_t next(std::size_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::size_t>(state % bound);
  }
};

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h | 1;
}

void drain(xml_stream& s, std::vector<xml_event>& out) {
  while (auto ev = s.next())
    out.push_back(std::move(*ev));
}

// The feed() result must agree with the events: an error is reported once it was queued.
void check_result(const feed_result& r, const xml_stream& s) {
  check((r.error != nullptr) == (s.error() != nullptr), "feed_result.error agrees with error()");
  check(r.closed == s.closed(), "feed_result.closed agrees with closed()");
}

std::vector<xml_event> parse_whole(std::string_view input, const limits& lim) {
  xml_stream s{lim};
  std::vector<xml_event> out;
  check_result(s.feed(input), s);
  drain(s, out);
  return out;
}

// Element count, deepest nesting, and content bytes (names, attribute values,
// text), each of which the limits bound.
struct tree_size {
  std::size_t elements = 0;
  std::size_t depth = 0;
  std::size_t content = 0;
};

void measure(const element& e, std::size_t depth, const limits& lim, tree_size& size) {
  ++size.elements;
  size.depth = std::max(size.depth, depth);
  size.content += e.name().size();
  check(e.attrs().size() <= lim.max_attributes, "attributes within max_attributes");
  for (const auto& [name, value] : e.attrs()) {
    // Clark notation adds the URI, which was declared elsewhere.
    const auto close = name[0] == '{' ? name.rfind('}') : std::string::npos;
    size.content += (close == std::string::npos ? name.size() : name.size() - close - 1);
    size.content += value.size();
  }
  bool last_was_text = false;
  for (const auto& child : e.children()) {
    if (const auto* text = std::get_if<std::string>(&child)) {
      check(!text->empty(), "no empty text node");
      check(!last_was_text, "adjacent text nodes are merged");
      size.content += text->size();
      last_was_text = true;
    } else {
      measure(std::get<element>(child), depth + 1, lim, size);
      last_was_text = false;
    }
  }
}

void check_events(const std::vector<xml_event>& events, const limits& lim) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& ev = events[i];
    if (std::holds_alternative<stream_open>(ev))
      check(i == 0, "the stream header is the first event");
    if (std::holds_alternative<stream_error>(ev))
      check(i + 1 == events.size(), "an error is the last event");
    if (std::holds_alternative<stream_close>(ev))
      check(i + 1 == events.size() || (i + 2 == events.size()
                                       && std::holds_alternative<stream_error>(events[i + 1])),
            "only an error follows the close");
    if (i > 0 && !std::holds_alternative<stream_error>(ev))
      check(std::holds_alternative<stream_open>(events[0]), "stanzas only inside a stream");
    if (const auto* e = std::get_if<element>(&ev)) {
      tree_size size;
      measure(*e, 1, lim, size);
      check(size.elements <= lim.max_elements, "elements within max_elements");
      check(size.depth <= lim.max_depth, "depth within max_depth");
      check(size.content <= lim.max_stanza_bytes, "content within max_stanza_bytes");
    }
  }
}

// An element serialized by the server must parse back to itself: what the
// server relays or answers is then exactly what it meant to send.
void check_round_trip(const element& e) {
  std::string doc{resume_header};
  append_xml(doc, e);
  auto events = parse_whole(doc, limits{});
  check(events.size() == 2, "a serialized element parses back to one element");
  const auto* back = std::get_if<element>(&events[1]);
  check(back != nullptr && *back == e, "a serialized element parses back unchanged");
}

// True if the header declares no prefix but `stream`: a resumed parser then
// resolves every later name exactly as the original one did.
bool header_is_plain(std::string_view header) {
  std::size_t count = 0;
  for (auto at = header.find("xmlns:"); at != std::string_view::npos;
       at = header.find("xmlns:", at + 1))
    ++count;
  return count <= 1 && (count == 0 || header.find("xmlns:stream=") != std::string_view::npos);
}

// Events that tell the peer the same. An error's text is expat's diagnosis
// with a line and column, which may differ with what expat had seen of the
// input when it gave up (junk after the close is "invalid token" whole, "junk
// after document element" byte by byte), so only conditions must match, with
// one exception of the same kind: text between stanzas that also holds "]]>"
// is bad-format when expat hands over the text before it reaches the "]]>",
// and not-well-formed when expat sees the whole run first.
bool same_event(const xml_event& x, const xml_event& y) {
  const auto* ex = std::get_if<stream_error>(&x);
  const auto* ey = std::get_if<stream_error>(&y);
  if (ex == nullptr && ey == nullptr)
    return x == y;
  if (ex == nullptr || ey == nullptr)
    return false;
  auto junk = [](const std::string& c) { return c == "bad-format" || c == "not-well-formed"; };
  return ex->condition == ey->condition || (junk(ex->condition) && junk(ey->condition));
}

bool same_events(const std::vector<xml_event>& x, const std::vector<xml_event>& y) {
  return std::equal(x.begin(), x.end(), y.begin(), y.end(), same_event);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  const auto lim = fuzz_limits();
  const auto whole = parse_whole(input, lim);
  check_events(whole, lim);

  // The same bytes in pieces of 1 to 64 bytes, mostly small.
  split_rng rng{fnv1a(input)};
  xml_stream split{lim};
  std::vector<xml_event> pieces;
  std::size_t resume_at = std::string_view::npos;
  std::size_t events_before_resume = 0;
  for (std::size_t at = 0; at < input.size();) {
    const auto n = std::min(input.size() - at, 1 + rng.next(rng.next(2) ? 4 : 64));
    check_result(split.feed(input.substr(at, n)), split);
    at += n;
    drain(split, pieces);
    if (resume_at == std::string_view::npos && split.between_stanzas()) {
      resume_at = at;
      events_before_resume = pieces.size();
    }
  }
  check(same_events(pieces, whole), "the same events whole and split");

  // restart() forgets everything: the input parses as on a new parser.
  split.restart();
  std::vector<xml_event> again;
  check_result(split.feed(input), split);
  drain(split, again);
  check(again == whole, "the same events after restart()");

  // A stream idle between stanzas may continue on a fresh parser (c2s_stream
  // drops idle parsers); nothing after that point may change.
  if (resume_at != std::string_view::npos && header_is_plain(input.substr(0, resume_at))) {
    xml_stream resumed{lim};
    resumed.feed(resume_header);
    resumed.next();
    std::vector<xml_event> rest;
    resumed.feed(input.substr(resume_at));
    drain(resumed, rest);
    const std::vector<xml_event> after(whole.begin() + events_before_resume, whole.end());
    check(same_events(rest, after), "a resumed stream gives the same events");
  }

  for (const auto& ev : whole)
    if (const auto* e = std::get_if<element>(&ev))
      check_round_trip(*e);
  return 0;
}
