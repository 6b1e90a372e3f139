"""A stand-in for Have I Been Pwned's range API (api.pwnedpasswords.com) on loopback.

    python server.py LOG_FILE PASSWORD:COUNT...

Answers `GET /range/<5 hex digits>` as the real API does: every known SHA-1 suffix under that
prefix as `SUFFIX:COUNT` lines, upper-case hex, CRLF, with padding lines of count 0 so the
answer's size says nothing either. Each request's path is appended to LOG_FILE, so a test can
see what left the server under test. Prints its origin (`http://127.0.0.1:PORT`) on the first
line of stdout once it listens. Standard library only.
"""

import hashlib
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = re.compile(r"^/range/([0-9A-Fa-f]{5})$")
PADDING_LINES = 20


def breached(args):
    known = {}
    for arg in args:
        password, _, count = arg.rpartition(":")
        known[hashlib.sha1(password.encode()).hexdigest().upper()] = int(count)
    return known


class RangeHandler(BaseHTTPRequestHandler):
    known = {}
    log_file = None

    def do_GET(self):
        with open(self.log_file, "a", encoding="utf-8") as log:
            log.write(self.path + "\n")
        match = PREFIX.match(self.path)
        if not match:
            self.send_error(400, "The hash prefix was not in a valid format")
            return
        prefix = match.group(1).upper()
        lines = [
            f"{full[5:]}:{count}"
            for full, count in sorted(self.known.items())
            if full.startswith(prefix)
        ]
        for n in range(PADDING_LINES):
            pad = hashlib.sha1(f"{prefix}{n}".encode()).hexdigest().upper()[5:]
            lines.append(f"{pad}:0")
        body = "".join(line + "\r\n" for line in sorted(lines)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


def main():
    RangeHandler.log_file = sys.argv[1]
    RangeHandler.known = breached(sys.argv[2:])
    server = ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
