// RFC 6120 §4, §11: XML stream codec on expat (bytes in, stream events out)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "node/xmpp/xml/stanza.hpp"

namespace irsp::xmpp {

/// Bounds on what one peer may make the parser hold. Exceeding any of them
/// ends the stream with `policy-violation` (RFC 6120 §4.9.3.14).
struct limits {
  /// Bytes of one depth-1 element, from the `<` of its start tag to the `>`
  /// of its end tag; text and attribute values count through it. Also bounds
  /// a start tag (or the stream header) still arriving.
  std::size_t max_stanza_bytes = 256 * 1024;

  /// Nesting depth within a stanza; the stanza element itself is depth 1.
  std::size_t max_depth = 32;

  /// Attributes plus namespace declarations on one element.
  std::size_t max_attributes = 64;

  /// Elements in one stanza. The byte limit alone would let `<a/><a/>…`
  /// turn 256 KiB of input into megabytes of tree (each node costs ~120
  /// bytes against 4 bytes of input).
  std::size_t max_elements = 4096;
};

/// The attributes of the peer's `<stream:stream>` (RFC 6120 §4.7). Checking
/// `to`, `version` and the like is the caller's business.
struct stream_open {
  /// The `to` attribute (the domain the peer wants), or empty.
  std::string to;

  /// The `from` attribute, or empty.
  std::string from;

  /// The `version` attribute, or empty if absent (RFC 6120 §4.7.5).
  std::string version;

  /// The `xml:lang` attribute, or empty.
  std::string lang;

  /// The `id` attribute, or empty (a client normally sends none).
  std::string id;

  /// Memberwise equality.
  friend bool operator==(const stream_open& x, const stream_open& y) {
    return x.to == y.to && x.from == y.from && x.version == y.version && x.lang == y.lang
           && x.id == y.id;
  }
};

/// The peer closed its stream with `</stream:stream>` (RFC 6120 §4.4).
struct stream_close {
  /// All closes are alike.
  friend bool operator==(const stream_close&, const stream_close&) {
    return true;
  }
};

/// A stream error (RFC 6120 §4.9.3): the stream is dead after it.
struct stream_error {
  /// The defined condition, e.g. "not-well-formed", "restricted-xml".
  std::string condition;

  /// A human-readable explanation for logs and the `<text/>` element.
  std::string text;

  /// Memberwise equality.
  friend bool operator==(const stream_error& x, const stream_error& y) {
    return x.condition == y.condition && x.text == y.text;
  }
};

/// What the parser reports, in input order: the stream header, each complete
/// depth-1 element (message/presence/iq, but equally starttls, auth, enable,
/// r, a, stream:error … — the caller decides by name and namespace), the
/// close, or an error (always the last event of a stream).
using xml_event = std::variant<stream_open, element, stream_close, stream_error>;

/// What feed() says about the stream after consuming the bytes.
struct feed_result {
  /// Null while the stream is healthy; otherwise the error that ended it.
  const stream_error* error = nullptr;

  /// True once `</stream:stream>` has been read.
  bool closed = false;

  /// True if the stream has not failed.
  explicit operator bool() const noexcept {
    return error == nullptr;
  }
};

/// A streaming parser for one direction of an XMPP stream: feed it bytes as
/// they arrive, in chunks of any size split anywhere, then drain next(). It
/// holds only expat's state, the stanza being built and undrained events;
/// nothing of the input is kept once parsed.
///
/// Restricted XML (RFC 6120 §11.1) is refused as `restricted-xml` the moment
/// it starts: DOCTYPE, entity declarations, comments, processing
/// instructions other than the XML declaration. Anything but UTF-8 is
/// `unsupported-encoding`, malformed XML `not-well-formed`.
class xml_stream {
public:
  /// A parser waiting for a stream header.
  explicit xml_stream(limits lim = {});

  /// Frees the expat parser.
  ~xml_stream();

  xml_stream(const xml_stream&) = delete;
  xml_stream& operator=(const xml_stream&) = delete;

  /// Parses `len` more bytes of the stream and queues the events they
  /// complete. Once an error is reported the stream is dead: later calls
  /// parse nothing and return the same error.
  feed_result feed(const char* data, std::size_t len);

  /// Convenience overload of feed().
  feed_result feed(std::string_view data) {
    return feed(data.data(), data.size());
  }

  /// The next queued event, oldest first, or none.
  std::optional<xml_event> next();

  /// Number of queued events.
  std::size_t pending() const noexcept {
    return events_.size() - head_;
  }

  /// Starts over for a new stream on the same connection, as required after
  /// STARTTLS and after SASL success (RFC 6120 §4.3.3). Undrained events and
  /// any bytes already fed are dropped: after `<starttls/>` they must be
  /// (RFC 6120 §5.4.3.3, no plaintext injection into the TLS session), and
  /// after `<success/>` the peer may send nothing before the new header. The
  /// expat parser is reset and reused, not reallocated.
  void restart();

  /// The error that ended the stream, or null.
  const stream_error* error() const noexcept {
    return failed_ ? &error_ : nullptr;
  }

  /// True once `</stream:stream>` has been read.
  bool closed() const noexcept {
    return closed_;
  }

  /// True when the parser holds nothing of a stanza still arriving: inside
  /// the stream, with every byte fed so far part of a finished stanza or of
  /// whitespace between stanzas. A caller may then drop this parser and
  /// later continue the stream on a new one (fed a stream header first)
  /// without losing anything, which frees expat's buffers while a
  /// connection is idle.
  bool between_stanzas() const noexcept {
    return !failed_ && !closed_ && depth_ == 1 && fed_ == idle_mark_;
  }

  /// The limits in force.
  const limits& limits_in_force() const noexcept {
    return limits_;
  }

private:
  struct callbacks;

  void configure();
  void fail(std::string_view condition, std::string text);
  void fail_from_expat();
  bool check_size(std::uint64_t end_offset);
  feed_result result() const noexcept;

  limits limits_;
  void* parser_ = nullptr; // XML_Parser, kept opaque so users need no expat.h
  // Offsets are bytes since the stream (re)started, as expat counts them.
  std::uint64_t fed_ = 0;
  // The stream's first byte while it waits for the second (see feed()).
  char held_ = 0;
  bool holding_ = false;
  std::uint64_t stanza_start_ = 0;
  // End of the last thing fully handled at stream level; bytes beyond it are
  // a stanza (or header) still arriving and count against max_stanza_bytes.
  std::uint64_t idle_mark_ = 0;
  std::size_t depth_ = 0; // 0 outside the stream, 1 at stream level
  std::size_t elements_ = 0;
  std::size_t ns_decls_ = 0;       // declarations seen for the next start tag
  bool in_cdata_ = false;          // inside <![CDATA[ .. ]]>
  std::string default_ns_;         // declared on the stream element
  element stanza_;                 // the depth-1 element being built
  std::vector<element*> open_;     // path from stanza_ to the innermost open element
  std::vector<xml_event> events_;  // drained from head_; cleared when empty
  std::size_t head_ = 0;
  stream_error error_;
  bool failed_ = false;
  bool closed_ = false;
};

} // namespace irsp::xmpp
