"""A real SMTP server for the tests (aiosmtpd): every message it receives is written to
DIR as <n>.eml (written to a temp name, then renamed, so a reader never sees half a
file). Prints "ready <port>" once it accepts connections; runs until killed.

    python3 tests/smtp/sink.py DIR [PORT]
"""

import asyncio
import itertools
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.counter = itertools.count(len(os.listdir(folder)) + 1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        tmp = os.path.join(self.folder, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.folder, f"{n:05}.eml"))
        return "250 Message accepted for delivery"


def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    os.makedirs(folder, exist_ok=True)
    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"ready {port}", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
