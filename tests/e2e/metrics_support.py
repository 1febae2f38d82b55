"""A node's operator HTTP surface from the tests: one request, and one
/metrics answer parsed with Debian's python3-prometheus-client."""

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

import xmpp_support as xs


def http(port, path, method="GET"):
    """(status, headers, body) of one request to the node's operator port."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=b"x" if method in ("POST", "PUT") else None)
    try:
        with urllib.request.urlopen(req, timeout=xs.WAIT) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


class Scrape:
    """One /metrics answer, parsed: every family must have HELP and TYPE."""

    def __init__(self, port):
        status, headers, body = http(port, "/metrics")
        assert status == 200, status
        assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
        self.families = {f.name: f for f in text_string_to_metric_families(body)}
        for f in self.families.values():
            assert f.documentation, "no HELP for " + f.name
            assert f.type != "unknown", "no TYPE for " + f.name
            assert f.name.startswith("irsp_"), f.name
        self.samples = {}
        for f in self.families.values():
            for s in f.samples:
                self.samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def value(self, name, **labels):
        return self.samples[(name, tuple(sorted(labels.items())))]

    def get(self, name, **labels):
        """The value, or None when the node shows no such series."""
        return self.samples.get((name, tuple(sorted(labels.items()))))
