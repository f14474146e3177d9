"""An SMTP server (aiosmtpd) that refuses every recipient at refused.example with a permanent
550, as a mail system refuses an address that does not exist, and takes the others (dropped).
Usage: python3 refusing_smtp.py PORT; prints `ready` once it listens."""

import sys
import threading

from aiosmtpd.controller import Controller


class Refusing:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@refused.example"):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 Message accepted"


controller = Controller(Refusing(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
threading.Event().wait()
