// RFC 6120 §4.7, §4.8, §11: element tree, serializer and stream header
#include "xml_test_support.hpp"

using namespace irsp::xmpp;
using namespace xml_test;

namespace {

// Parses `xml` as the single stanza of a client stream.
element parse_one(const std::string& xml) {
  auto events = parse_whole(std::string{client_header} + xml);
  INFO(xml);
  REQUIRE(events.size() == 2);
  const auto* e = std::get_if<element>(&events[1]);
  REQUIRE(e);
  return *e;
}

} // namespace

TEST_CASE("element helpers", "[stanza]") {
  element msg{"message", "jabber:client"};
  msg.set_attr("to", "romeo@example.net").set_attr("type", "chat");
  SECTION("attributes keep their order and are replaced in place") {
    msg.set_attr("to", "juliet@example.com");
    REQUIRE(msg.attrs().size() == 2);
    CHECK(msg.attrs()[0].first == "to");
    CHECK(msg.attr("to") == "juliet@example.com");
    CHECK(msg.attr("id").empty());
    CHECK_FALSE(msg.has_attr("id"));
    msg.set_attr("id", "");
    CHECK(msg.has_attr("id"));
    msg.remove_attr("type");
    CHECK_FALSE(msg.has_attr("type"));
    CHECK(msg.attrs().size() == 2);
  }
  SECTION("child() defaults to the parent's namespace") {
    msg.add_child("body").add_text("hello");
    msg.add_child("body", "urn:other").add_text("other");
    REQUIRE(msg.child("body"));
    CHECK(msg.child("body")->xmlns() == "jabber:client");
    CHECK(msg.child("body")->text() == "hello");
    REQUIRE(msg.child("body", "urn:other"));
    CHECK(msg.child("body", "urn:other")->text() == "other");
    CHECK(msg.child("subject") == nullptr);
    CHECK(msg.child("body", "urn:none") == nullptr);
    msg.child("body")->set_attr("xml:lang", "en");
    CHECK(std::as_const(msg).child("body")->attr("xml:lang") == "en");
  }
  SECTION("text() joins only direct text, in order") {
    element body{"body", "jabber:client"};
    body.add_text("a").add_text("b");
    body.add_child("b").add_text("nested");
    body.add_text("c");
    CHECK(body.children().size() == 3); // "ab", <b/>, "c": adjacent text merged
    CHECK(body.text() == "abc");
    body.add_text("");
    CHECK(body.children().size() == 3);
  }
  SECTION("equality is structural") {
    element a{"x", "urn:a"}, b{"x", "urn:a"};
    CHECK(a == b);
    b.set_attr("k", "v");
    CHECK(a != b);
    a.set_attr("k", "v");
    CHECK(a == b);
    a.add_text("t");
    CHECK(a != b);
    CHECK(element{"x", "urn:a"} != element{"x", "urn:b"});
  }
}

TEST_CASE("to_xml writes compact XMPP", "[stanza][serializer]") {
  SECTION("a jabber:client stanza carries no xmlns; other namespaces do, once") {
    element iq{"iq", "jabber:client"};
    iq.set_attr("type", "result").set_attr("id", "b1");
    auto& bind = iq.add_child("bind", "urn:ietf:params:xml:ns:xmpp-bind");
    bind.add_child("jid").add_text("juliet@im.example.com/balcony");
    CHECK(to_xml(iq)
          == "<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
             "<jid>juliet@im.example.com/balcony</jid></bind></iq>");
  }
  SECTION("empty elements are self-closed") {
    CHECK(to_xml(element{"presence", "jabber:client"}) == "<presence/>");
    CHECK(to_xml(element{"r", "urn:xmpp:sm:3"}) == "<r xmlns='urn:xmpp:sm:3'/>");
  }
  SECTION("returning to jabber:client inside another namespace is declared") {
    element msg{"message", "jabber:client"};
    auto& fwd = msg.add_child("forwarded", "urn:xmpp:forward:0");
    fwd.add_child("message", "jabber:client").add_child("body").add_text("x");
    CHECK(to_xml(msg)
          == "<message><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'>"
             "<body>x</body></message></forwarded></message>");
  }
  SECTION("streams-namespace elements use the stream: prefix") {
    element features{"features", std::string{ns_streams}};
    features.add_child("bind", "urn:ietf:params:xml:ns:xmpp-bind");
    features.add_child("sm", "urn:xmpp:sm:3");
    CHECK(to_xml(features)
          == "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
             "<sm xmlns='urn:xmpp:sm:3'/></stream:features>");
    element error{"error", std::string{ns_streams}};
    error.add_child("policy-violation", "urn:ietf:params:xml:ns:xmpp-streams");
    error.add_child("text", "urn:ietf:params:xml:ns:xmpp-streams").add_text("too big");
    CHECK(to_xml(error)
          == "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
             "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>too big</text></stream:error>");
  }
  SECTION("text escapes & < >, attributes also quotes") {
    element body{"body", "jabber:client"};
    body.set_attr("a", "<'\"&>");
    body.add_text("<b>Tom & 'Jerry' \"]]>\"</b>");
    CHECK(to_xml(body)
          == "<body a='&lt;&apos;&quot;&amp;&gt;'>&lt;b&gt;Tom &amp; 'Jerry' "
             "\"]]&gt;\"&lt;/b&gt;</body>");
  }
  SECTION("whitespace that a reader would normalise is written as references") {
    element body{"body", "jabber:client"};
    body.set_attr("a", "x\ty\nz\r");
    body.add_text("l1\r\nl2\tend\n");
    CHECK(to_xml(body) == "<body a='x&#9;y&#10;z&#13;'>l1&#13;\nl2\tend\n</body>");
  }
  SECTION("characters XML cannot carry are dropped") {
    element body{"body", "jabber:client"};
    body.add_text(std::string{"a\x01" "b\x1F" "c\0d", 8});
    CHECK(to_xml(body) == "<body>abcd</body>");
  }
  SECTION("namespace declarations smuggled as attributes are not written") {
    element msg{"message", "jabber:client"};
    msg.set_attr("xmlns", "urn:evil").set_attr("xmlns:x", "urn:evil").set_attr("to", "a");
    CHECK(to_xml(msg) == "<message to='a'/>");
  }
  SECTION("append_xml appends") {
    std::string out = "<x>";
    append_xml(out, element{"presence", "jabber:client"});
    CHECK(out == "<x><presence/>");
  }
}

TEST_CASE("stream header and footer", "[stanza][serializer]") {
  CHECK(stream_header("c2s-42", "example.com")
        == "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' id='c2s-42' from='example.com' "
           "version='1.0' xml:lang='en'>");
  CHECK(stream_header("i", "example.com", "juliet@example.com/r")
        == "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams' id='i' from='example.com' "
           "to='juliet@example.com/r' version='1.0' xml:lang='en'>");
  CHECK(stream_footer() == "</stream:stream>");

  SECTION("our own header and footer parse as a stream") {
    auto events = parse_whole(stream_header("a'b", "example.com", "x@example.com")
                              + std::string{stream_footer()});
    REQUIRE(events.size() == 2);
    auto& open = std::get<stream_open>(events[0]);
    CHECK(open.id == "a'b");
    CHECK(open.from == "example.com");
    CHECK(open.to == "x@example.com");
    CHECK(open.version == "1.0");
    CHECK(open.lang == "en");
    CHECK(std::holds_alternative<stream_close>(events[1]));
  }
}

TEST_CASE("what to_xml writes parses back to the same tree", "[stanza][serializer]") {
  const std::string nasty = "& &amp; < > \" ' ]]> <![CDATA[x]]> <!-- c --> <?pi?> &#x41; "
                            "\t tab \n lf \r cr \r\n crlf \xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80 end";

  element msg{"message", "jabber:client"};
  msg.set_attr("to", nasty).set_attr("xml:lang", "en").set_attr("{urn:ext}flag", nasty);
  msg.set_attr("{urn:ext}second", "2").set_attr("{urn:other}third", "3");
  // Found by fuzz_xml_stream: a namespace URI may hold '}', a local name never.
  msg.set_attr("{}rn:x}fourth", "4");
  msg.add_child("body").add_text(nasty);
  auto& x = msg.add_child("x", "jabber:x:data");
  x.set_attr("type", "submit");
  auto& field = x.add_child("field");
  field.set_attr("var", nasty);
  field.add_child("value").add_text(nasty);
  field.add_child("inner", "jabber:client").add_text("back in client");
  field.add_child(element{"nons", ""}).add_text("no namespace");
  msg.add_text("tail text");
  msg.add_child("empty", "urn:e");
  // Found by fuzz_xml_stream: <xml:l/>, whose namespace cannot be a default.
  msg.add_child("l", std::string{ns_xml}).add_child("inside").add_text("client again");

  element features{"features", std::string{ns_streams}};
  features.add_child("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl")
    .add_child("mechanism")
    .add_text("SCRAM-SHA-256");
  auto& nested = features.add_child("x", "urn:x");
  nested.add_child("error", std::string{ns_streams}).add_child("y", "urn:x").add_text("default stays urn:x");

  for (const auto* original : {&msg, &features}) {
    const auto xml = to_xml(*original);
    INFO(xml);
    const auto parsed = parse_one(xml);
    CHECK(parsed == *original);
    // And the serializer is a fixed point on its own output.
    CHECK(to_xml(parsed) == xml);
  }
}

TEST_CASE("parsed stanzas serialize back to the wire form", "[stanza][serializer]") {
  const std::string wire
    = "<message to='romeo@example.net' type='chat'><body>1 &lt; 2 &amp; 3 &gt; 2</body>"
      "<active xmlns='http://jabber.org/protocol/chatstates'/></message>";
  CHECK(to_xml(parse_one(wire)) == wire);
}
