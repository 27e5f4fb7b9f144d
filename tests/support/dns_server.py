"""A real DNS server on 127.0.0.1 (dnslib) serving a small zone, and a port that never answers."""

import socket

from dnslib import QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class _Zone(BaseResolver):
    def __init__(self):
        self.txt: dict[str, list[list[str]]] = {}
        self.other: set[str] = set()  # names that exist with an A record but no TXT

    def resolve(self, request, handler):
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        if request.q.qtype == QTYPE.TXT and qname in self.txt:
            for strings in self.txt[qname]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT([s.encode() for s in strings]), ttl=60))
        elif request.q.qtype == QTYPE.A and qname in self.other:
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A("192.0.2.1"), ttl=60))
        elif qname not in self.txt and qname not in self.other:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply  # a known name asked for a type it lacks: NOERROR with no answer


class LocalDNS:
    def __init__(self):
        self.zone = _Zone()
        self.server = DNSServer(self.zone, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda *args: None))
        self.server.start_thread()
        self.port = self.server.server.server_address[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_txt(self, name: str, *strings: str) -> None:
        """One TXT record; several strings make a multi-string record."""
        self.zone.txt.setdefault(name.lower(), []).append(list(strings))

    def clear(self, name: str) -> None:
        self.zone.txt.pop(name.lower(), None)
        self.zone.other.discard(name.lower())

    def add_name_without_txt(self, name: str) -> None:
        self.zone.other.add(name.lower())

    def close(self):
        self.server.stop()


class SilentPort:
    """A UDP port on 127.0.0.1 that receives queries and never answers them."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()
