"""An SMTP server on loopback that keeps what it receives, for the courier's tests.

    python server.py MAIL_FILE [--port N] [--tls plain|starttls|implicit] [--auth USER:PASSWORD]

Listens on 127.0.0.1 (a free port unless --port is given, so a test can restart it on the
port it had). `plain` offers no TLS; `starttls` offers STARTTLS and refuses mail before it;
`implicit` speaks TLS from the first byte (smtps). The certificate is self-signed, made at
start-up with the openssl command. With --auth, mail is refused until the client logs in with
that user and password (AUTH PLAIN or LOGIN). Every message received is appended to MAIL_FILE
as one JSON line: envelope sender and recipients, the From, To and Subject headers, every
header, and the text/plain part. Prints its port on the first line of stdout once it listens.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import subprocess
import sys
import tempfile

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def self_signed_context(directory):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", key, "-out", cert,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class Keeper:
    def __init__(self, mail_file):
        self.mail_file = mail_file

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "headers": {name: str(value) for name, value in message.items()},
            "text": plain.get_content() if plain is not None else None,
            "html": html.get_content() if html is not None else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
        }
        with open(self.mail_file, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 Message accepted for delivery"


def authenticator_for(credentials):
    user, _, password = credentials.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok)

    return authenticate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mail_file")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", choices=["plain", "starttls", "implicit"], default="plain")
    parser.add_argument("--auth")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp()
    context = self_signed_context(workdir) if args.tls != "plain" else None
    port = args.port
    if port == 0:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]

    server_kwargs = {}
    if args.auth:
        server_kwargs["authenticator"] = authenticator_for(args.auth)
        server_kwargs["auth_required"] = True
        # aiosmtpd counts only STARTTLS as encryption; implicit TLS is encrypted from the start.
        server_kwargs["auth_require_tls"] = args.tls == "starttls"
    controller = Controller(
        Keeper(args.mail_file),
        hostname="127.0.0.1",
        port=port,
        ssl_context=context if args.tls == "implicit" else None,
        tls_context=context if args.tls == "starttls" else None,
        require_starttls=args.tls == "starttls",
        server_hostname="localhost",
        ready_timeout=10,
        **server_kwargs,
    )
    controller.start()
    print(port, flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
