"""Forwards every request on 127.0.0.1:PORT to the Functions host on 127.0.0.1:INNER with the host's master key added
(x-functions-key, read from the host's secrets file once it exists), so that the real host, which always checks keys,
answers as a local `func start` does. Part of the quickstart test's stand-in for Core Tools; not used by the app."""
import http.client
import http.server
import json
import sys

port, inner, secrets = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"}


def master_key():
    try:
        with open(secrets, encoding="utf-8-sig") as f:
            return json.load(f)["masterKey"]["value"]
    except (OSError, ValueError, KeyError):
        return None


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        length = self.headers.get("Content-Length")
        if length is not None:
            body = self.rfile.read(int(length))
        elif self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "content-length"}
        key = master_key()
        if key:
            headers["x-functions-key"] = key
        try:
            conn = http.client.HTTPConnection("127.0.0.1", inner, timeout=300)
            conn.request(self.command, self.path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except OSError as e:
            self.send_error(502, f"the Functions host is not answering yet ({e})")
            return
        self.send_response(answer.status, answer.reason)
        for k, v in answer.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = forward

    def log_message(self, format, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Front).serve_forever()
