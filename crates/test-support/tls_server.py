"""An HTTPS server on 127.0.0.1:PORT with CERT and KEY (PEM) that answers
every GET with 200 "tls ok" (plus " client=CN" when the client showed a
certificate); with a fourth argument CLIENT_CA it requires a client
certificate signed by that CA. Prints "ready" once listening and stops when
stdin closes."""
import http.server
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"tls ok"
        peer = self.connection.getpeercert()
        if peer:
            cn = [v for rdn in peer["subject"] for (k, v) in rdn if k == "commonName"]
            body += (" client=" + ",".join(cn)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
if len(sys.argv) > 4:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(sys.argv[4])
server.socket = ctx.wrap_socket(server.socket, server_side=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
