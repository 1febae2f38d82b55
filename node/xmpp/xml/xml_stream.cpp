// RFC 6120 §4, §11: XML stream codec on expat (bytes in, stream events out)
#include "node/xmpp/xml/xml_stream.hpp"

#include <expat.h>

#include <algorithm>
#include <new>

namespace irsp::xmpp {

namespace {

// Expat joins URI, local name and prefix with this character. U+0001 cannot
// occur in an XML 1.0 name or namespace URI, so the split is unambiguous.
constexpr char ns_separator = '\x01';

// Bytes handed to expat per call. Expat buffers a token until it is
// complete, so a peer sending one huge start tag in a single read could make
// it buffer that read whole; parsing in slices lets the size check below run
// between them, so a stream overshoots max_stanza_bytes by at most a slice.
constexpr std::size_t max_slice = 16 * 1024;

XML_Parser as_parser(void* p) {
  return static_cast<XML_Parser>(p);
}

// An expat name: "uri<sep>local<sep>prefix", "uri<sep>local" (default
// namespace) or "local" (no namespace).
struct qname {
  std::string_view uri;
  std::string_view local;
  std::string_view prefix;
};

qname split_name(const XML_Char* raw) {
  std::string_view s{raw};
  const auto first = s.find(ns_separator);
  if (first == std::string_view::npos)
    return {{}, s, {}};
  qname q;
  q.uri = s.substr(0, first);
  s.remove_prefix(first + 1);
  const auto second = s.find(ns_separator);
  q.local = s.substr(0, second);
  if (second != std::string_view::npos)
    q.prefix = s.substr(second + 1);
  return q;
}

// The attribute naming convention of `element` (see stanza.hpp).
std::string attr_name(const qname& q) {
  if (q.uri.empty())
    return std::string{q.local};
  if (q.uri == ns_xml)
    return "xml:" + std::string{q.local};
  std::string out;
  out.reserve(q.uri.size() + q.local.size() + 2);
  out += '{';
  out += q.uri;
  out += '}';
  out += q.local;
  return out;
}

bool is_xml_space(const XML_Char* s, int len) {
  return std::all_of(s, s + len,
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

bool iequals(std::string_view x, std::string_view y) {
  return x.size() == y.size()
         && std::equal(x.begin(), x.end(), y.begin(), [](char a, char b) {
              auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
              return lower(a) == lower(b);
            });
}

} // namespace

// Expat's C callbacks, kept out of the header so users need no expat.h.
struct xml_stream::callbacks {
  static xml_stream& self(void* user) {
    return *static_cast<xml_stream*>(user);
  }

  // Offset just past the token that triggered the current callback.
  static std::uint64_t event_end(xml_stream& s) {
    auto p = as_parser(s.parser_);
    return static_cast<std::uint64_t>(XML_GetCurrentByteIndex(p))
           + static_cast<std::uint64_t>(XML_GetCurrentByteCount(p));
  }

  static void on_ns_decl(void* user, const XML_Char* prefix, const XML_Char* uri) {
    auto& s = self(user);
    // Declarations cost expat memory like attributes do, so they count
    // against max_attributes of the element they sit on.
    ++s.ns_decls_;
    if (s.depth_ == 0 && prefix == nullptr)
      s.default_ns_ = uri != nullptr ? uri : "";
  }

  static void on_start(void* user, const XML_Char* name, const XML_Char** atts) {
    auto& s = self(user);
    if (s.failed_)
      return;
    const auto& lim = s.limits_;
    std::size_t n_attrs = s.ns_decls_;
    s.ns_decls_ = 0;
    for (auto a = atts; *a != nullptr; a += 2)
      ++n_attrs;
    const auto end = event_end(s);
    if (n_attrs > lim.max_attributes) {
      s.fail("policy-violation", "more than " + std::to_string(lim.max_attributes)
                                   + " attributes on one element");
      return;
    }
    const auto q = split_name(name);
    if (s.depth_ == 0) {
      open_stream(s, q, atts, end);
      return;
    }
    if (s.depth_ == 1) {
      s.stanza_start_ = static_cast<std::uint64_t>(XML_GetCurrentByteIndex(as_parser(s.parser_)));
      s.elements_ = 0;
    }
    ++s.depth_;
    if (s.depth_ - 1 > lim.max_depth) {
      s.fail("policy-violation",
             "stanza nested deeper than " + std::to_string(lim.max_depth) + " elements");
      return;
    }
    if (++s.elements_ > lim.max_elements) {
      s.fail("policy-violation",
             "more than " + std::to_string(lim.max_elements) + " elements in one stanza");
      return;
    }
    if (!s.check_size(end))
      return;
    element* e;
    if (s.depth_ == 2) {
      s.stanza_ = element{std::string{q.local}, std::string{q.uri}};
      e = &s.stanza_;
    } else {
      e = &s.open_.back()->add_child(element{std::string{q.local}, std::string{q.uri}});
    }
    // Pointers to open ancestors stay valid: only the innermost open
    // element's child vector ever grows.
    s.open_.push_back(e);
    for (auto a = atts; *a != nullptr; a += 2)
      e->set_attr(attr_name(split_name(a[0])), a[1]);
  }

  static void open_stream(xml_stream& s, const qname& q, const XML_Char** atts,
                          std::uint64_t end) {
    // The header never passes through check_size(): it completes in this
    // callback, possibly after arriving in one large read.
    if (end > s.limits_.max_stanza_bytes) {
      s.fail("policy-violation", "stanza exceeds " + std::to_string(s.limits_.max_stanza_bytes)
                                   + " bytes");
      return;
    }
    if (q.local != "stream" || q.uri != ns_streams) {
      s.fail("invalid-namespace",
             "the root element must be <stream> in http://etherx.jabber.org/streams");
      return;
    }
    if (s.default_ns_ != ns_client) {
      s.fail("invalid-namespace", "the default namespace must be jabber:client");
      return;
    }
    stream_open open;
    for (auto a = atts; *a != nullptr; a += 2) {
      const auto an = split_name(a[0]);
      if (an.uri == ns_xml && an.local == "lang")
        open.lang = a[1];
      else if (!an.uri.empty())
        continue;
      else if (an.local == "to")
        open.to = a[1];
      else if (an.local == "from")
        open.from = a[1];
      else if (an.local == "version")
        open.version = a[1];
      else if (an.local == "id")
        open.id = a[1];
    }
    s.depth_ = 1;
    s.idle_mark_ = end;
    s.events_.emplace_back(std::move(open));
  }

  static void on_end(void* user, const XML_Char*) {
    auto& s = self(user);
    if (s.failed_)
      return;
    const auto end = event_end(s);
    if (s.depth_ == 1) {
      s.depth_ = 0;
      s.closed_ = true;
      s.idle_mark_ = end;
      s.events_.emplace_back(stream_close{});
      return;
    }
    if (!s.check_size(end))
      return;
    --s.depth_;
    s.open_.pop_back();
    if (s.depth_ == 1) {
      s.events_.emplace_back(std::move(s.stanza_));
      // Release the moved-from tree's storage now, not at the next stanza.
      s.stanza_ = element{};
      s.idle_mark_ = end;
    }
  }

  static void on_text(void* user, const XML_Char* text, int len) {
    auto& s = self(user);
    if (s.failed_)
      return;
    const auto end = event_end(s);
    if (s.depth_ == 1) {
      // Whitespace between stanzas is a keepalive (RFC 6120 §4.6.1);
      // anything else has no place at stream level.
      if (!is_xml_space(text, len)) {
        s.fail("bad-format", "character data between stanzas");
        return;
      }
      // Whitespace inside a CDATA section is not idle until the section
      // ends: a new parser would read the rest of it as markup.
      if (!s.in_cdata_)
        s.idle_mark_ = end;
      return;
    }
    if (s.depth_ >= 2 && s.check_size(end))
      s.open_.back()->add_text(std::string_view{text, static_cast<std::size_t>(len)});
  }

  static void on_cdata_start(void* user) {
    self(user).in_cdata_ = true;
  }

  static void on_cdata_end(void* user) {
    auto& s = self(user);
    s.in_cdata_ = false;
    if (!s.failed_ && s.depth_ == 1)
      s.idle_mark_ = event_end(s);
  }

  static void on_xml_decl(void* user, const XML_Char*, const XML_Char* encoding, int) {
    // The parser is created for UTF-8 and so ignores a declared encoding; it
    // must not silently read e.g. Latin-1 as UTF-8 (RFC 6120 §11.6).
    if (encoding != nullptr && !iequals(encoding, "UTF-8"))
      self(user).fail("unsupported-encoding",
                      std::string{"encoding '"} + encoding + "' is not UTF-8");
  }

  // RFC 6120 §11.1: none of these may appear in an XML stream. Stopping at
  // the start of a DOCTYPE means no entity is ever declared, so a
  // billion-laughs document dies before anything could expand.
  static void on_doctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    self(user).fail("restricted-xml", "a document type declaration is not allowed");
  }

  static void on_entity_decl(void* user, const XML_Char*, int, const XML_Char*, int,
                             const XML_Char*, const XML_Char*, const XML_Char*,
                             const XML_Char*) {
    self(user).fail("restricted-xml", "an entity declaration is not allowed");
  }

  static void on_pi(void* user, const XML_Char*, const XML_Char*) {
    self(user).fail("restricted-xml", "a processing instruction is not allowed");
  }

  static void on_comment(void* user, const XML_Char*) {
    self(user).fail("restricted-xml", "a comment is not allowed");
  }
};

// Memory, measured with glibc's mallinfo2 on Debian 12 (expat 2.5): a bare
// expat parser is 3.0 KiB; reading the stream header grows it by 7 KiB (its
// 1 KiB input and data buffers, name pools, namespace bindings, hash tables);
// this object adds 360 bytes plus the event queue. An idle stream that has
// read a header and a few small stanzas holds about 13 KiB in all (the test
// "memory per stream" guards this). Expat never shrinks its input buffer, so
// a stream that once received a large token keeps a buffer that big until
// the stream is destroyed; restart() keeps it too.
xml_stream::xml_stream(limits lim) : limits_(lim) {
  parser_ = XML_ParserCreateNS("UTF-8", ns_separator);
  if (parser_ == nullptr)
    throw std::bad_alloc{};
  configure();
}

xml_stream::~xml_stream() {
  XML_ParserFree(as_parser(parser_));
}

void xml_stream::configure() {
  auto p = as_parser(parser_);
  XML_SetUserData(p, this);
  // Triplets tell us the prefix as well; we resolve by URI only, but the
  // prefix must not leak into the local name.
  XML_SetReturnNSTriplet(p, 1);
  XML_SetStartNamespaceDeclHandler(p, &callbacks::on_ns_decl);
  XML_SetElementHandler(p, &callbacks::on_start, &callbacks::on_end);
  XML_SetCharacterDataHandler(p, &callbacks::on_text);
  XML_SetCdataSectionHandler(p, &callbacks::on_cdata_start, &callbacks::on_cdata_end);
  XML_SetXmlDeclHandler(p, &callbacks::on_xml_decl);
  XML_SetStartDoctypeDeclHandler(p, &callbacks::on_doctype);
  XML_SetEntityDeclHandler(p, &callbacks::on_entity_decl);
  XML_SetProcessingInstructionHandler(p, &callbacks::on_pi);
  XML_SetCommentHandler(p, &callbacks::on_comment);
  XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
  // Reparse deferral (expat 2.6, backported to Debian's 2.5.0-1+deb12u2) may
  // hold back a completed token until more input arrives; a chat stanza cannot
  // wait for the next one. Older expat has no deferral to switch off.
#if IRSP_EXPAT_HAS_REPARSE_DEFERRAL
  XML_SetReparseDeferralEnabled(p, XML_FALSE);
#endif
}

void xml_stream::fail(std::string_view condition, std::string text) {
  if (failed_)
    return;
  failed_ = true;
  error_.condition = std::string{condition};
  error_.text = std::move(text);
  events_.emplace_back(error_);
  // Drop the half-built stanza now; the stream is over.
  stanza_ = element{};
  open_.clear();
  // Outside XML_Parse this merely marks the parser finished, which is fine.
  XML_StopParser(as_parser(parser_), XML_FALSE);
}

void xml_stream::fail_from_expat() {
  auto p = as_parser(parser_);
  const auto code = XML_GetErrorCode(p);
  const char* condition = "not-well-formed";
  if (code == XML_ERROR_UNKNOWN_ENCODING || code == XML_ERROR_INCORRECT_ENCODING)
    condition = "unsupported-encoding";
  std::string text = XML_ErrorString(code);
  text += " at line ";
  text += std::to_string(XML_GetCurrentLineNumber(p));
  text += ", column ";
  text += std::to_string(XML_GetCurrentColumnNumber(p));
  fail(condition, std::move(text));
}

bool xml_stream::check_size(std::uint64_t end_offset) {
  if (end_offset - stanza_start_ <= limits_.max_stanza_bytes)
    return true;
  fail("policy-violation", "stanza exceeds " + std::to_string(limits_.max_stanza_bytes) + " bytes");
  return false;
}

feed_result xml_stream::result() const noexcept {
  return feed_result{error(), closed_};
}

feed_result xml_stream::feed(const char* data, std::size_t len) {
  if (failed_)
    return result();
  // The check below needs the first two bytes together. A first byte that
  // arrives alone waits for the second: expat could otherwise reject it (0x01,
  // say) before the NUL after it is seen, and the error would depend on how
  // the bytes happened to be split.
  if (fed_ == 0 && !holding_ && len == 1) {
    held_ = data[0];
    holding_ = true;
    return result();
  }
  if (holding_) {
    holding_ = false;
    std::string joined(1, held_);
    joined.append(data, len);
    return feed(joined.data(), joined.size());
  }
  // Expat, told the input is UTF-8, would call UTF-16 or UCS-4 merely
  // malformed; their first two bytes give them away (a BOM, or a NUL
  // beside '<'), and neither byte can start well-formed UTF-8 XML.
  for (std::size_t i = 0; fed_ + i < 2 && i < len; ++i) {
    const auto c = static_cast<unsigned char>(data[i]);
    if (c == 0x00 || (fed_ + i == 0 && (c == 0xFE || c == 0xFF))) {
      fail("unsupported-encoding", "the stream is not UTF-8");
      return result();
    }
  }
  auto p = as_parser(parser_);
  while (len > 0) {
    // Bytes past the last finished piece are a stanza or header still
    // arriving; expat holds them, so they count now, not when complete.
    // Never handing expat more than one byte beyond the limit makes the
    // outcome independent of how the input was split: expat cannot report a
    // malformation lying beyond the point where the limit is exceeded in one
    // case and not in another.
    auto mark = depth_ >= 2 ? stanza_start_ : idle_mark_;
    const auto budget = mark + limits_.max_stanza_bytes + 1 - fed_;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>({len, max_slice, budget}));
    fed_ += n;
    if (XML_Parse(p, data, static_cast<int>(n), XML_FALSE) != XML_STATUS_OK) {
      if (!failed_)
        fail_from_expat();
      break;
    }
    mark = depth_ >= 2 ? stanza_start_ : idle_mark_;
    if (fed_ - mark > limits_.max_stanza_bytes) {
      fail("policy-violation",
           "stanza exceeds " + std::to_string(limits_.max_stanza_bytes) + " bytes");
      break;
    }
    data += n;
    len -= n;
  }
  return result();
}

std::optional<xml_event> xml_stream::next() {
  if (head_ == events_.size())
    return std::nullopt;
  std::optional<xml_event> ev{std::move(events_[head_++])};
  if (head_ == events_.size()) {
    events_.clear();
    head_ = 0;
  }
  return ev;
}

void xml_stream::restart() {
  // Reset keeps the parser's allocations (struct, buffer, pools) but clears
  // handlers and options, hence configure() again.
  XML_ParserReset(as_parser(parser_), "UTF-8");
  configure();
  fed_ = 0;
  holding_ = false;
  in_cdata_ = false;
  stanza_start_ = 0;
  idle_mark_ = 0;
  depth_ = 0;
  elements_ = 0;
  ns_decls_ = 0;
  default_ns_.clear();
  stanza_ = element{};
  open_.clear();
  events_.clear();
  head_ = 0;
  error_ = stream_error{};
  failed_ = false;
  closed_ = false;
}

} // namespace irsp::xmpp
