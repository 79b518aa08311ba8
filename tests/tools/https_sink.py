#!/usr/bin/env python3
"""An HTTPS server for the agent's TLS test: answers 200 `{}` to every POST and prints
one line per request (`POST <path>`) on stdout; prints `port N` first.

usage: https_sink.py CERT_PEM KEY_PEM
"""
import http.server
import ssl
import sys


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b"{}"
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        print("POST", self.path, flush=True)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
# A client that refuses the certificate fails the handshake in accept(); socketserver
# treats that OSError as a failed request and goes on serving.
server.socket = context.wrap_socket(server.socket, server_side=True)
print("port", server.server_address[1], flush=True)
server.serve_forever()
