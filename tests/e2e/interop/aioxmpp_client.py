"""RFC 6120/6121 interop: aioxmpp (python3-aioxmpp) as an IRSP client, with its
defaults; the only setting is a pin of the node's self-signed certificate.

aioxmpp_client.py PORT CERT JID PEER TEXT, password on stdin: logs in over
STARTTLS, binds, sends a chat message TEXT to PEER and waits for a message
from PEER. Prints "bound JID" and "from PEER: BODY"; exits 0 once the reply
came, 1 on failure or after 20 s."""

import asyncio
import base64
import ssl
import sys

import aioxmpp
import aioxmpp.dispatcher


async def main(port, cert_file, jid, peer, text, password):
    with open(cert_file) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    jid = aioxmpp.JID.fromstr(jid)
    peer = aioxmpp.JID.fromstr(peer)
    security = aioxmpp.make_security_layer(
        password,
        pin_store={jid.domain: [base64.b64encode(der).decode()]},
        pin_type=aioxmpp.security_layer.PinType.CERTIFICATE)
    client = aioxmpp.PresenceManagedClient(
        jid, security, override_peer=[("127.0.0.1", port, aioxmpp.connector.STARTTLSConnector())])
    reply = asyncio.get_running_loop().create_future()

    def on_message(message):
        if message.from_.bare() == peer and message.body and not reply.done():
            reply.set_result(message.body.any())

    dispatcher = client.summon(aioxmpp.dispatcher.SimpleMessageDispatcher)
    dispatcher.register_callback(aioxmpp.MessageType.CHAT, None, on_message)
    async with client.connected() as stream:
        print("bound", client.local_jid, flush=True)
        message = aioxmpp.Message(to=peer, type_=aioxmpp.MessageType.CHAT)
        message.body[None] = text
        await stream.send(message)
        body = await asyncio.wait_for(reply, 20)
        print("from %s: %s" % (peer, body), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: aioxmpp_client.py PORT CERT JID PEER TEXT < password")
    password = sys.stdin.readline().rstrip("\n")
    try:
        asyncio.run(asyncio.wait_for(
            main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], password),
            30))
    except Exception as e:  # any failure is the test's to report
        print("aioxmpp client failed: %r" % (e,), file=sys.stderr)
        sys.exit(1)
