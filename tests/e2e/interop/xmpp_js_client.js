// RFC 6120/6121 interop: @xmpp/client (xmpp.js, npm) as an IRSP client, with its
// defaults; the node's self-signed certificate is trusted through
// NODE_EXTRA_CA_CERTS, Node's own setting for an extra trust anchor.
//
// node xmpp_js_client.js PORT JID PEER TEXT, password on stdin: logs in over
// STARTTLS, binds, sends a chat message TEXT to PEER and waits for a message
// from PEER. Prints "bound JID" and "from PEER: BODY"; exits 0 once the reply
// came, 1 on failure or after 20 s.
"use strict";

const { client, xml } = require("@xmpp/client");

async function main() {
  const [port, jid, peer, text] = process.argv.slice(2);
  if (!text) {
    console.error("usage: node xmpp_js_client.js PORT JID PEER TEXT < password");
    process.exit(2);
  }
  const password = require("fs").readFileSync(0, "utf8").split("\n")[0];
  const [username, domain] = jid.split("@");
  const xmpp = client({ service: `xmpp://127.0.0.1:${port}`, domain, username, password });
  xmpp.on("error", (err) => {
    console.error("@xmpp/client error:", err.message || err);
    process.exit(1);
  });
  const replied = new Promise((resolve) => {
    xmpp.on("stanza", (stanza) => {
      if (!stanza.is("message") || stanza.attrs.type === "error") return;
      const from = stanza.attrs.from || "";
      const body = stanza.getChildText("body");
      if (body !== null && from.split("/")[0] === peer) resolve(body);
    });
  });
  xmpp.on("online", async (address) => {
    console.log("bound", address.toString());
    await xmpp.send(xml("message", { type: "chat", to: peer }, xml("body", {}, text)));
  });
  const timer = setTimeout(() => {
    console.error("no reply from", peer);
    process.exit(1);
  }, 20000);
  await xmpp.start();
  const body = await replied;
  console.log(`from ${peer}: ${body}`);
  clearTimeout(timer);
  await xmpp.stop();
}

main().catch((err) => {
  console.error("@xmpp/client failed:", err.message || err);
  process.exit(1);
});
