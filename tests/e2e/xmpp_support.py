"""XMPP clients for end-to-end tests: slixmpp (a real third-party client) for
what users and devices do, and a raw stream over a socket (plain, STARTTLS or
direct TLS) for what a broken or hostile client does. Every wait is bounded."""

import asyncio
import base64
import ssl
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import StanzaPath

IRSP = "urn:irsp:0"
STREAMS = "http://etherx.jabber.org/streams"
STREAM_ERRORS = "urn:ietf:params:xml:ns:xmpp-streams"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
TLS = "urn:ietf:params:xml:ns:xmpp-tls"
BIND = "urn:ietf:params:xml:ns:xmpp-bind"
STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
DOMAIN = "localhost"
WAIT = 20  # seconds any single expected event may take

__all__ = ["IqError", "IqTimeout"]


def no_verify_context():
    """The node's certificate is self-signed: accept it (tests only)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def q(ns, name):
    return "{%s}%s" % (ns, name)


class Client(slixmpp.ClientXMPP):
    """A slixmpp client that records what arrives, so a test can await it."""

    def __init__(self, jid, password, register=None):
        super().__init__(jid, password)
        # slixmpp's defaults, but for trusting the node's self-signed certificate.
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.inbox = asyncio.Queue()
        self.presences = asyncio.Queue()
        self.outcome = asyncio.get_event_loop().create_future()
        self.ended = asyncio.get_event_loop().create_future()
        self.registration = None
        self.add_event_handler("session_start", self._started)
        self.add_event_handler("failed_auth", self._failed)
        self.add_event_handler("disconnected", self._disconnected)
        # Every message, pushes (no <body/>) and errors included.
        self.register_handler(Callback("every message", StanzaPath("message"),
                                       lambda m: self.inbox.put_nowait(m)))
        self.add_event_handler("presence_available", lambda p: self.presences.put_nowait(p))
        self.add_event_handler("presence_unavailable", lambda p: self.presences.put_nowait(p))
        # Available with a <show/> comes as presence_SHOW (a suspect peer is 'xa').
        for show in ("away", "chat", "dnd", "xa"):
            self.add_event_handler("presence_" + show, lambda p: self.presences.put_nowait(p))
        self._registration_query = register
        if register is not None:
            # slixmpp 1.8 holds back every IQ until the session starts,
            # in-band registration included; let the registration through.
            self._always_send_everything = True
            self.register_plugin("xep_0077")
            self.add_event_handler("register", self._register)

    async def _register(self, _form):
        iq = self.Iq(stype="set")
        iq.append(self._registration_query)
        try:
            self.registration = await iq.send(timeout=WAIT)
        except IqError as e:
            self.registration = e.iq

    def _started(self, _):
        self._always_send_everything = False
        if not self.outcome.done():
            self.outcome.set_result("session")

    def _failed(self, _):
        if not self.outcome.done():
            self.outcome.set_result("failed_auth")

    def _disconnected(self, _):
        if not self.ended.done():
            self.ended.set_result(True)
        if not self.outcome.done():
            self.outcome.set_result("disconnected")

    async def start(self, node, direct_tls=False):
        """Connects (STARTTLS, or direct TLS) and returns "session",
        "failed_auth" or "disconnected"."""
        if direct_tls:
            self.connect(("127.0.0.1", node.c2s_tls_port), use_ssl=True)
        else:
            self.connect(("127.0.0.1", node.c2s_port))
        return await asyncio.wait_for(self.outcome, WAIT)

    async def next_message(self, timeout=WAIT):
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def next_push(self, timeout=WAIT):
        """The payload of the next IRSP push."""
        while True:
            m = await self.next_message(timeout)
            push = m.xml.find(q(IRSP, "push"))
            if push is not None:
                return m, push.text or ""

    async def next_presence(self, timeout=WAIT):
        return await asyncio.wait_for(self.presences.get(), timeout)

    async def presence_of(self, bare, kind, timeout=WAIT):
        """The next presence from `bare` (others' are passed over), which must
        be of type `kind`."""
        while True:
            p = await self.next_presence(timeout)
            if p["from"].bare == bare:
                if p["type"] != kind:
                    raise AssertionError("%s sent %s presence, not %s: %s"
                                         % (bare, p["type"], kind, p))
                return p

    async def irsp_iq(self, payload, to=None, stype="set"):
        """Sends an IQ with one payload element (an ET element or XML text);
        returns the result stanza, or the error stanza (no exception)."""
        if isinstance(payload, str):
            payload = ET.fromstring(payload)
        iq = self.Iq(stype=stype)
        if to:
            iq["to"] = to
        iq.append(payload)
        try:
            return await iq.send(timeout=WAIT)
        except IqError as e:
            return e.iq

    async def wait_disconnected(self, timeout=WAIT):
        """Waits until the server has ended the connection."""
        await asyncio.wait_for(asyncio.shield(self.ended), timeout)

    async def close(self):
        if self.ended.done():
            return
        if self.outcome.done() and self.outcome.result() == "session":
            self.disconnect()
        try:
            # A failed login is being closed by slixmpp itself already.
            await self.wait_disconnected(WAIT if self.outcome.done() else 0.1)
        except asyncio.TimeoutError:
            try:
                self.abort()
            except (AttributeError, OSError):
                pass  # the transport went away in the meantime


def registration_query(name, password, device=None):
    """XEP-0077 registration with IRSP's extension fields."""
    query = ET.Element(q("jabber:iq:register", "query"))
    ET.SubElement(query, q("jabber:iq:register", "username")).text = name
    ET.SubElement(query, q("jabber:iq:register", "password")).text = password
    if device is not None:
        ET.SubElement(query, q(IRSP, "kind")).text = "device"
        ET.SubElement(query, q(IRSP, "device"), model=device[0], manufacturer=device[1],
                      serial=device[2])
    return query


def status_of(stanza):
    """The IRSP status code in a reply (result or error)."""
    status = stanza.xml.find(".//" + q(IRSP, "status"))
    return None if status is None else status.get("code")


def error_condition(stanza):
    """The defined condition of an error stanza, or None."""
    error = stanza.xml.find(q("jabber:client", "error"))
    if error is None:
        return None
    for child in error:
        if child.tag.startswith("{%s}" % STANZAS) and not child.tag.endswith("}text"):
            return child.tag.split("}")[1]
    return None


async def register(node, name, password, device=None, direct_tls=False):
    """Registers in-band and logs in; returns (client, registration reply)."""
    client = Client("%s@%s" % (name, DOMAIN), password,
                    register=registration_query(name, password, device))
    outcome = await client.start(node, direct_tls)
    if outcome != "session":
        await client.close()
        raise AssertionError("registration of %s ended in %s" % (name, outcome))
    return client, client.registration


async def login(node, name, password, direct_tls=False, resource=None):
    """Logs in; returns (client, outcome)."""
    jid = "%s@%s" % (name, DOMAIN) + ("/" + resource if resource else "")
    client = Client(jid, password)
    return client, await client.start(node, direct_tls)


class RawStream:
    """A client stream by hand: bytes out, parsed elements in."""

    def __init__(self):
        self.reader = None
        self.writer = None
        self.parser = None
        self.depth = 0
        self.pending = []
        self.header = None
        self.closed = False

    async def open(self, port, direct_tls=False, sock=None):
        """Connects to `port`, or over the connected socket `sock`."""
        ctx = no_verify_context() if direct_tls else None
        where = {"sock": sock} if sock is not None else {"host": "127.0.0.1", "port": port}
        if sock is not None and ctx is not None:
            where["server_hostname"] = DOMAIN
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(ssl=ctx, **where), WAIT)
        self.local_port = self.writer.get_extra_info("sockname")[1]
        self.restart()
        return self

    def restart(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.header = None

    def send(self, data):
        self.writer.write(data.encode() if isinstance(data, str) else data)

    def send_header(self, to=DOMAIN):
        self.send("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                  "xmlns:stream='%s' to='%s' version='1.0'>" % (STREAMS, to))

    async def starttls(self):
        """Negotiates STARTTLS (after the first features) and restarts."""
        self.send("<starttls xmlns='%s'/>" % TLS)
        proceed = await self.element()
        assert proceed.tag == q(TLS, "proceed"), proceed.tag
        await self.writer.start_tls(no_verify_context())
        self.restart()

    async def element(self, timeout=WAIT):
        """The next depth-1 element; raises EOFError when the stream ends."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.pending:
                return self.pending.pop(0)
            if self.closed:
                raise EOFError("stream closed")
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError("no element in %s s" % timeout)
            try:
                data = await asyncio.wait_for(self.reader.read(65536), left)
            except (ConnectionError, ssl.SSLError):
                data = b""
            if not data:
                self.closed = True
                continue
            self.parser.feed(data)
            for event, elem in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                    if self.depth == 1:
                        self.header = elem
                elif event == "end":
                    self.depth -= 1
                    if self.depth == 1:
                        self.pending.append(elem)

    async def features(self):
        e = await self.element()
        assert e.tag == q(STREAMS, "features"), e.tag
        return e

    async def stream_error(self):
        """Reads until the stream error; returns its condition and checks the
        server closes the stream and the connection afterwards."""
        while True:
            e = await self.element()
            if e.tag == q(STREAMS, "error"):
                break
        condition = [c.tag.split("}")[1] for c in e
                     if c.tag.startswith("{%s}" % STREAM_ERRORS) and not c.tag.endswith("}text")]
        await self.wait_closed()
        return condition[0] if condition else None

    async def wait_closed(self, timeout=WAIT):
        """Waits until the server closes the connection."""
        try:
            while True:
                await self.element(timeout)
        except EOFError:
            return

    async def plain_login(self, name, password):
        """SASL PLAIN (over TLS), then the restart and bind; returns the full JID."""
        await self.features()
        token = base64.b64encode(b"\0" + name.encode() + b"\0" + password.encode()).decode()
        self.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (SASL, token))
        success = await self.element()
        assert success.tag == q(SASL, "success"), ET.tostring(success)
        self.restart()
        self.send_header()
        await self.features()
        self.send("<iq type='set' id='bind'><bind xmlns='%s'/></iq>" % BIND)
        result = await self.element()
        return result.find(".//" + q(BIND, "jid")).text

    def close(self):
        if self.writer is not None:
            self.writer.close()
