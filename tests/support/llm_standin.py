#!/usr/bin/env python3
"""A stand-in for the LLM provider APIs Docrunch calls, for tests.

Each route speaks its provider's public wire format:
  POST /v1/chat/completions        OpenAI (also xAI, OpenAI-compatible): Bearer key;
                                   stream -> SSE "data: {chunk}" ... "data: [DONE]"
  POST /v1/embeddings              OpenAI embeddings
  POST /v1/messages                Anthropic: x-api-key + anthropic-version required;
                                   stream -> SSE message_start .. message_stop
  POST /v1beta/models/M:generateContent, :streamGenerateContent?alt=sse,
       :batchEmbedContents         Google Gemini API: x-goog-api-key
  POST /api/chat, /api/embed       Ollama (NDJSON stream when "stream" is not false)
  POST /execute                    the Docrunch CLI Bridge proxy: X-API-Key

The reply to a prompt is "pong: <last user message>", streamed word by word;
usage counts words. Errors use each format's error body.

  llm_standin.py [--key KEY]   prints "PORT" on its first line, then serves.
POST /control {"script": [ITEM, ...]} queues scripted answers for the next
requests (any route but /control, /last, /stats), each ITEM one of
  {"status": 429, "retry_after": "1"}       an error in the route's format
  {"mode": "html"}                          502 with an HTML page
  {"mode": "garbage"}                       200 with a body that is not JSON
  {"mode": "huge", "bytes": N}              200 with N bytes of JSON-ish text
  {"mode": "slow", "seconds": S}            waits S seconds, then answers normally
  {"mode": "truncate"}                      a stream cut after two events (clean EOF)
  {"mode": "echo_key"}                      401 whose message repeats the key presented
  {"mode": "reply", "text": T}              (OpenAI route) answers T instead of "pong: ..."
  {"mode": "cite", "expect": [S, ...],      (OpenAI route) a chat answer: 400 unless every S
   "extra": T}                              occurs in the request's last user message; else
                                            one sentence per passage of that message (lines
                                            "[label] title") citing its label, then T if given
GET /last -> the last request {path, headers, body}; GET /stats -> {"requests": n}.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = sys.argv[sys.argv.index("--key") + 1] if "--key" in sys.argv else None
LOCK = threading.Lock()
STATE = {"script": [], "requests": 0, "last": None}


def words(text):
    return len(text.split())


def vector(text, dims=8):
    v = [0.0] * dims
    for i, ch in enumerate(text.encode()):
        v[i % dims] += (ch % 7) - 3
    return v


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # close-delimited bodies: a cut stream ends cleanly

    def log_message(self, *args):
        pass

    # ---- plumbing ----
    def send_json(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def write(self, text):
        self.wfile.write(text.encode())
        self.wfile.flush()

    def kind(self):
        p = self.path
        if p.startswith("/v1/chat/") or p.startswith("/v1/embeddings"):
            return "openai"
        if p.startswith("/v1/messages"):
            return "anthropic"
        if p.startswith("/v1beta/"):
            return "google"
        if p.startswith("/api/"):
            return "ollama"
        if p.startswith("/execute"):
            return "bridge"
        return "openai"

    def error(self, status, message, headers=None):
        k = self.kind()
        if k == "openai":
            body = {"error": {"message": message, "type": "invalid_request_error",
                              "param": None, "code": None}}
        elif k == "anthropic":
            kinds = {400: "invalid_request_error", 401: "authentication_error",
                     429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}
            body = {"type": "error", "error": {"type": kinds.get(status, "api_error"),
                                               "message": message}}
        elif k == "google":
            statuses = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                        429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
            body = {"error": {"code": status, "message": message,
                              "status": statuses.get(status, "UNKNOWN")}}
        elif k == "ollama":
            body = {"error": message}
        else:
            body = {"detail": message} if status in (401, 403) else {"error": message}
        self.send_json(status, body, headers)

    # ---- routes ----
    def do_GET(self):
        if self.path == "/stats":
            return self.send_json(200, {"requests": STATE["requests"]})
        if self.path == "/last":
            return self.send_json(200, STATE["last"] or {})
        self.error(404, "not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.error(400, "body is not JSON")
        if self.path == "/control":
            with LOCK:
                STATE["script"] = list(body.get("script", []))
            return self.send_json(200, {"queued": len(STATE["script"])})
        with LOCK:
            STATE["requests"] += 1
            STATE["last"] = {"path": self.path, "headers": {k.lower(): v for k, v in
                                                             self.headers.items()},
                             "body": body}
            item = STATE["script"].pop(0) if STATE["script"] else None
        presented = (self.headers.get("Authorization", "")[7:]
                     or self.headers.get("x-api-key", "")
                     or self.headers.get("x-goog-api-key", "")
                     or self.headers.get("X-API-Key", ""))
        if item:
            mode = item.get("mode")
            if "status" in item:
                headers = {"Retry-After": item["retry_after"]} if "retry_after" in item else None
                return self.error(item["status"], item.get("message", "scripted error"), headers)
            if mode == "html":
                data = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
                self.send_response(502)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if mode == "garbage":
                data = b"this is {not json at all"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if mode == "huge":
                n = int(item.get("bytes", 16 << 20))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(n))
                self.end_headers()
                chunk = b"x" * 65536
                try:
                    while n > 0:
                        self.wfile.write(chunk[:min(n, len(chunk))])
                        n -= len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                return
            if mode == "slow":
                time.sleep(float(item.get("seconds", 5)))
            if mode == "echo_key":
                return self.error(401, "Incorrect API key provided: " + presented)
        self.truncate = bool(item and item.get("mode") == "truncate")
        self.reply = None
        if item and item.get("mode") == "reply":
            self.reply = item.get("text", "")
        if item and item.get("mode") == "cite":
            prompt = self.prompt_of(body.get("messages") or [])
            missing = [s for s in item.get("expect", []) if s not in prompt]
            if missing:
                return self.error(400, "passage missing from the prompt: " + missing[0])
            sentences = []
            for line in prompt.split("\n"):
                if line.startswith("[") and "] " in line:
                    label, _, title = line[1:].partition("] ")
                    sentences.append("The knowledge base has " + title + " [" + label + "].")
            if item.get("extra"):
                sentences.append(item["extra"])
            self.reply = " ".join(sentences) or "The passages do not say."
        k = self.kind()
        if KEY is not None and k != "ollama" and presented != KEY:
            return self.error(401, "invalid key")
        return getattr(self, "route_" + k)(body)

    def prompt_of(self, messages):
        users = [m for m in messages if m.get("role") == "user"]
        if not users:
            return ""
        c = users[-1].get("content", "")
        return c if isinstance(c, str) else " ".join(p.get("text", "") for p in c)

    def pieces(self, reply):
        out = []
        for i, w in enumerate(reply.split(" ")):
            out.append(w if i == 0 else " " + w)
        return out

    def route_openai(self, body):
        if self.path.startswith("/v1/embeddings"):
            inputs = body.get("input")
            if isinstance(inputs, str):
                inputs = [inputs]
            if not isinstance(inputs, list):
                return self.error(400, "input is required")
            data = [{"object": "embedding", "index": i, "embedding": vector(t)}
                    for i, t in enumerate(inputs)]
            return self.send_json(200, {"object": "list", "data": data, "model": body.get("model"),
                                        "usage": {"prompt_tokens": sum(map(words, inputs)),
                                                  "total_tokens": sum(map(words, inputs))}})
        if not isinstance(body.get("messages"), list) or not body.get("model"):
            return self.error(400, "model and messages are required")
        prompt = self.prompt_of(body["messages"])
        reply = "pong: " + prompt if self.reply is None else self.reply
        usage = {"prompt_tokens": sum(words(m.get("content", "")) for m in body["messages"]),
                 "completion_tokens": words(reply)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if not body.get("stream"):
            return self.send_json(200, {
                "id": "chatcmpl-standin", "object": "chat.completion", "created": 1,
                "model": body["model"] + "-0001",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": usage})
        self.start_stream("text/event-stream")
        base = {"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1,
                "model": body["model"] + "-0001"}
        first = dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                     "finish_reason": None}])
        self.write("data: " + json.dumps(first) + "\n\n")
        for n, piece in enumerate(self.pieces(reply)):
            if self.truncate and n == 1:
                return
            chunk = dict(base, choices=[{"index": 0, "delta": {"content": piece},
                                         "finish_reason": None}])
            self.write("data: " + json.dumps(chunk) + "\n\n")
        self.write("data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": {},
                                                             "finish_reason": "stop"}])) + "\n\n")
        if body.get("stream_options", {}).get("include_usage"):
            self.write("data: " + json.dumps(dict(base, choices=[], usage=usage)) + "\n\n")
        self.write("data: [DONE]\n\n")

    def route_anthropic(self, body):
        if self.headers.get("anthropic-version") is None:
            return self.error(400, "anthropic-version: header is required")
        if not isinstance(body.get("messages"), list) or not body.get("model") or \
                not isinstance(body.get("max_tokens"), int):
            return self.error(400, "model, messages and max_tokens are required")
        prompt = self.prompt_of(body["messages"])
        reply = "pong: " + prompt
        in_tokens = sum(words(m.get("content", "")) for m in body["messages"])
        in_tokens += words(body.get("system", ""))
        message = {"id": "msg_standin", "type": "message", "role": "assistant",
                   "model": body["model"], "stop_sequence": None}
        if not body.get("stream"):
            return self.send_json(200, dict(message, content=[{"type": "text", "text": reply}],
                                            stop_reason="end_turn",
                                            usage={"input_tokens": in_tokens,
                                                   "output_tokens": words(reply)}))
        self.start_stream("text/event-stream")

        def event(name, data):
            self.write("event: " + name + "\ndata: " + json.dumps(data) + "\n\n")
        event("message_start", {"type": "message_start", "message": dict(
            message, content=[], stop_reason=None,
            usage={"input_tokens": in_tokens, "output_tokens": 1})})
        event("content_block_start", {"type": "content_block_start", "index": 0,
                                      "content_block": {"type": "text", "text": ""}})
        event("ping", {"type": "ping"})
        for n, piece in enumerate(self.pieces(reply)):
            if self.truncate and n == 1:
                return
            event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "text_delta", "text": piece}})
        event("content_block_stop", {"type": "content_block_stop", "index": 0})
        event("message_delta", {"type": "message_delta",
                                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                "usage": {"output_tokens": words(reply)}})
        event("message_stop", {"type": "message_stop"})

    def route_google(self, body):
        path, _, query = self.path.partition("?")
        model, _, method = path[len("/v1beta/models/"):].partition(":")
        if method == "batchEmbedContents":
            reqs = body.get("requests")
            if not isinstance(reqs, list):
                return self.error(400, "requests is required")
            return self.send_json(200, {"embeddings": [
                {"values": vector(" ".join(p.get("text", "") for p in r["content"]["parts"]))}
                for r in reqs]})
        if method not in ("generateContent", "streamGenerateContent"):
            return self.error(404, "method not found")
        contents = body.get("contents")
        if not isinstance(contents, list):
            return self.error(400, "contents is required")
        users = [c for c in contents if c.get("role", "user") == "user"]
        prompt = " ".join(p.get("text", "") for p in users[-1]["parts"]) if users else ""
        reply = "pong: " + prompt
        usage = {"promptTokenCount": words(prompt), "candidatesTokenCount": words(reply),
                 "totalTokenCount": words(prompt) + words(reply)}

        def response(text, finish):
            cand = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
            if finish:
                cand["finishReason"] = "STOP"
            return {"candidates": [cand], "usageMetadata": usage, "modelVersion": model + "-001"}
        if method == "generateContent":
            return self.send_json(200, response(reply, True))
        if query != "alt=sse":
            return self.error(400, "this stand-in streams only with alt=sse")
        self.start_stream("text/event-stream")
        parts = self.pieces(reply)
        for n, piece in enumerate(parts):
            if self.truncate and n == 1:
                return
            self.write("data: " + json.dumps(response(piece, n == len(parts) - 1)) + "\r\n\r\n")

    def route_ollama(self, body):
        if self.path.startswith("/api/embed"):
            inputs = body.get("input")
            if isinstance(inputs, str):
                inputs = [inputs]
            if not body.get("model"):
                return self.error(400, "model is required")
            return self.send_json(200, {"model": body["model"],
                                        "embeddings": [vector(t) for t in inputs],
                                        "prompt_eval_count": sum(map(words, inputs))})
        if not body.get("model"):
            return self.error(400, "model is required")
        if body["model"] == "missing-model":
            return self.error(404, "model \"missing-model\" not found, try pulling it first")
        prompt = self.prompt_of(body.get("messages", []))
        reply = "pong: " + prompt
        final = {"model": body["model"], "created_at": "2026-12-06T00:00:00Z",
                 "message": {"role": "assistant", "content": ""}, "done": True,
                 "done_reason": "stop", "total_duration": 1000, "prompt_eval_count": words(prompt),
                 "eval_count": words(reply)}
        if body.get("stream") is False:
            final["message"]["content"] = reply
            return self.send_json(200, final)
        self.start_stream("application/x-ndjson")
        for n, piece in enumerate(self.pieces(reply)):
            if self.truncate and n == 1:
                return
            self.write(json.dumps({"model": body["model"], "created_at": "2026-12-06T00:00:00Z",
                                   "message": {"role": "assistant", "content": piece},
                                   "done": False}) + "\n")
        self.write(json.dumps(final) + "\n")

    def route_bridge(self, body):
        for field in ("cli_type", "prompt", "model", "timeout"):
            if field not in body:
                return self.error(422, field + " is required")
        if body["cli_type"] not in ("gemini", "claude", "codex"):
            return self.send_json(200, {"success": False, "content": "",
                                        "error": "unknown cli_type " + str(body["cli_type"]),
                                        "cli_type": body["cli_type"], "model": body["model"],
                                        "execution_time_ms": 0})
        if body["model"] == "fail":
            return self.send_json(200, {"success": False, "content": "",
                                        "error": "CLI exited with code 1",
                                        "cli_type": body["cli_type"], "model": body["model"],
                                        "execution_time_ms": 12})
        return self.send_json(200, {"success": True, "content": "pong: " + body["prompt"],
                                    "error": None, "cli_type": body["cli_type"],
                                    "model": body["model"], "execution_time_ms": 42})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
