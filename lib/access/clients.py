"""Which address a request comes from: the connection's own peer, or — only when that peer is a
proxy the town configured (trusted_proxies) — the address that proxy wrote into X-Forwarded-For.

The web server underneath Streamlit (uvicorn) already replaces the peer with an X-Forwarded-For
entry when the peer is one of the hosts it trusts (FORWARDED_ALLOW_IPS, default 127.0.0.1 and ::1),
so a request made on the server itself could choose its own address. `client_address` undoes that:
when the address it is handed is the one uvicorn would have taken from the header, the peer was a
host uvicorn trusts, and the header counts only if the town trusts every such host too.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# What uvicorn trusts when FORWARDED_ALLOW_IPS is not set:
SERVER_DEFAULT_TRUST = "127.0.0.1,::1"
LOOPBACK = "127.0.0.1"


class Trust:
    """A set of addresses and networks written as "127.0.0.1, 10.0.0.0/8" ("*": every address)."""

    def __init__(self, text: str):
        parts = [p.strip() for p in (text or "").split(",") if p.strip()]
        self.everyone = "*" in parts
        self.networks, self.literals = [], set()
        for part in parts:
            try:
                self.networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                self.literals.add(part)
        if any(n.network_address.is_loopback for n in self.networks):
            # "this machine" whether the proxy connects over IPv4 or IPv6:
            self.networks += [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
        self.written = parts

    def __contains__(self, host: str | None) -> bool:
        if self.everyone:
            return True
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.literals
        return any(address in n for n in self.networks)

    def covers(self, other: "Trust") -> bool:
        """Whether every host `other` trusts is trusted here too."""
        if self.everyone:
            return True
        if other.everyone:
            return False
        return all(any(n.subnet_of(m) for m in self.networks if n.version == m.version) for n in other.networks) \
            and other.literals <= self.literals

    def first_untrusted(self, chain: list[str]) -> str:
        """The client in an X-Forwarded-For chain: the last entry (proxies append) not trusted here."""
        if self.everyone:
            return chain[0]
        return next((h for h in reversed(chain) if h not in self), chain[0])


def _host(entry: str) -> str:
    """An X-Forwarded-For entry without its port ("[::1]:80", "10.0.0.1:5000")."""
    entry = entry.strip()
    if entry.startswith("["):
        return entry[1:entry.find("]")] if "]" in entry else entry
    if entry.count(":") == 1:
        return entry.rsplit(":", 1)[0]
    return entry


def forwarded_chain(headers: Iterable[tuple[str, str]]) -> list[str]:
    """Every X-Forwarded-For entry of a request's headers, in order."""
    return [_host(part) for name, value in headers if name.lower() == "x-forwarded-for"
            for part in value.split(",") if part.strip()]


def client_address(remote: str | None, headers: Iterable[tuple[str, str]], trusted_proxies: str,
                   server_trust: str = SERVER_DEFAULT_TRUST) -> str:
    """The address to count a sign-in attempt (and audit it) under. `remote` is the address the web
    server reports (None or a loopback address for this machine), `trusted_proxies` the setting,
    `server_trust` uvicorn's FORWARDED_ALLOW_IPS."""
    ours, servers = Trust(trusted_proxies), Trust(server_trust)
    remote = remote or LOOPBACK
    chain = forwarded_chain(headers)
    if not chain:
        return remote
    if remote == servers.first_untrusted(chain):
        # uvicorn took this address from the header: the real peer is a host it trusts.
        if not ours.covers(servers):
            return servers.written[0] if servers.written else LOOPBACK
        return ours.first_untrusted(chain)
    return ours.first_untrusted(chain) if remote in ours else remote
