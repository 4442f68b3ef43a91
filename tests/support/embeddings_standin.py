#!/usr/bin/env python3
"""A stand-in for an OpenAI-compatible embeddings endpoint, for tests.

Speaks the real wire format: POST /v1/embeddings {"model", "input": [..],
"encoding_format"?, "dimensions"?} -> {"object": "list", "data": [{"object":
"embedding", "index", "embedding"}], "model", "usage"}; errors as
{"error": {"message", "type"}}. Vectors are deterministic: hashed character
trigrams of the lower-cased words (so "normalise" lands near "normalize").

  embeddings_standin.py [--key KEY]   prints "PORT" on its first line, then serves.
GET /stats -> {"requests", "inputs"}; POST /control {"fail": bool} makes
embeddings requests answer 503 while set.
"""
import hashlib
import json
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"requests": 0, "inputs": 0, "fail": False}
KEY = sys.argv[sys.argv.index("--key") + 1] if "--key" in sys.argv else None


def embed(text, dims):
    v = [0.0] * dims
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        padded = "#" + word + "#"
        for i in range(len(padded) - 2):
            h = hashlib.md5(padded[i:i + 3].encode()).digest()
            v[int.from_bytes(h[:4], "little") % dims] += 1.0 if h[4] & 1 else -1.0
    return v


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message, kind="invalid_request_error"):
        self.send(status, {"error": {"message": message, "type": kind}})

    def do_GET(self):
        if self.path == "/stats":
            return self.send(200, {"requests": STATE["requests"], "inputs": STATE["inputs"]})
        self.error(404, "not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.error(400, "body is not JSON")
        if self.path == "/control":
            STATE["fail"] = bool(body.get("fail"))
            return self.send(200, {"fail": STATE["fail"]})
        if self.path != "/v1/embeddings":
            return self.error(404, "not found")
        if KEY is not None and self.headers.get("Authorization") != "Bearer " + KEY:
            return self.error(401, "Incorrect API key provided", "invalid_api_key")
        if STATE["fail"]:
            return self.error(503, "the stand-in is failing on purpose", "server_error")
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(body.get("model"), str) or not isinstance(inputs, list) or not all(
                isinstance(i, str) for i in inputs):
            return self.error(400, "model (string) and input (string or list of strings) required")
        dims = body.get("dimensions", 64)
        STATE["requests"] += 1
        STATE["inputs"] += len(inputs)
        data = [{"object": "embedding", "index": i, "embedding": embed(t, dims)}
                for i, t in enumerate(inputs)]
        self.send(200, {"object": "list", "data": data, "model": body["model"],
                        "usage": {"prompt_tokens": 0, "total_tokens": 0}})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
