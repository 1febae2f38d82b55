"""A device that logs in with slixmpp's defaults and stays, in a process of
its own, so that a test can freeze it with SIGSTOP (no FIN, no RST: to the
server it just falls silent) and thaw it with SIGCONT.

    device_process.py PORT JID PASSWORD

Prints `session` once its session has started and `disconnected` when the
connection ends; runs until killed."""

import asyncio
import sys

import xmpp_support as xs


class Port:
    def __init__(self, port):
        self.c2s_port = port


async def main(port, jid, password):
    client = xs.Client(jid, password)
    print(await client.start(Port(port)), flush=True)
    await client.ended
    print("disconnected", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
