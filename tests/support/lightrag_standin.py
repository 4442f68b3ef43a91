#!/usr/bin/env python3
"""A stand-in for the LightRAG API server (HKUDS/LightRAG lightrag/api), for tests.

It speaks the wire format of the real routes Docrunch uses:
  POST   /documents/text            InsertTextRequest {text, file_source} -> InsertResponse
                                    {status: success|duplicated, message, track_id}
  DELETE /documents/delete_document DeleteDocRequest {doc_ids, delete_file} ->
                                    {status: deletion_started|busy, message, doc_id}
  POST   /query                     QueryRequest {query, mode, top_k, ...} -> {response, references}
  GET    /health                    {status: healthy, ...}
Documents are named like LightRAG names them: "doc-" + md5 of the sanitized text.
Invalid bodies get 422 with a FastAPI-style {"detail": [...]}; a wrong or missing
X-API-Key (when --api-key is set) gets 403 {"detail": "API Key required"}.

Test controls (not part of LightRAG):
  GET  /_standin/state   {"documents": {id: {content, file_path}}, "requests": [...]}
  POST /_standin/control {"fail_next": N, "busy": bool, "clear_requests": bool}
                         (N requests answer 500; busy makes deletes answer "busy")
The documents survive a restart when --state FILE is given (a test stops the
process to simulate an outage and starts it again on the same port).
Prints "port N" on stdout once listening. Not clang-format's business: Python.
"""

import argparse
import hashlib
import html
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sanitize(text):
    # As lightrag.utils.sanitize_text_for_encoding: strip, unescape HTML, drop
    # surrogates and control characters, strip.
    text = html.unescape(text.strip())
    text = re.sub(r"[\ud800-\udfff]", "", text)
    return CONTROL.sub("", text).strip()


def doc_id(text):
    return "doc-" + hashlib.md5(sanitize(text).encode("utf-8")).hexdigest()


class State:
    def __init__(self, path, api_key):
        self.lock = threading.Lock()
        self.path = path
        self.api_key = api_key
        self.documents = {}
        self.requests = []
        self.fail_next = 0
        self.busy = False
        self.tracks = 0
        if path:
            try:
                with open(path, encoding="utf-8") as f:
                    self.documents = json.load(f)
            except FileNotFoundError:
                pass

    def save(self):
        if self.path:
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.documents, f)
            os.replace(tmp, self.path)


def unprocessable(field, message):
    return 422, {"detail": [{"type": "value_error", "loc": ["body", field], "msg": message}]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            return "invalid"

    def handle_any(self, method):
        st = self.state
        body = self.body()
        path = self.path.split("?")[0]
        if path == "/_standin/state":
            with st.lock:
                return self.reply(200, {"documents": st.documents, "requests": st.requests})
        if path == "/_standin/control":
            with st.lock:
                if isinstance(body, dict):
                    st.fail_next = int(body.get("fail_next", st.fail_next))
                    st.busy = bool(body.get("busy", st.busy))
                    if body.get("clear_requests"):
                        st.requests = []
            return self.reply(200, {"ok": True})
        with st.lock:
            st.requests.append(
                {
                    "method": method,
                    "path": path,
                    "body": body,
                    "api_key_ok": not st.api_key or self.headers.get("X-API-Key") == st.api_key,
                }
            )
            if st.api_key and self.headers.get("X-API-Key") != st.api_key:
                return self.reply(403, {"detail": "API Key required"})
            if st.fail_next > 0:
                st.fail_next -= 1
                return self.reply(500, {"detail": "stand-in told to fail"})
            return self.route(method, path, body)

    def route(self, method, path, body):
        st = self.state
        if method == "GET" and path == "/health":
            return self.reply(200, {"status": "healthy", "core_version": "standin",
                                    "api_version": "standin", "pipeline_busy": st.busy})
        if body == "invalid":
            return self.reply(*unprocessable("body", "JSON decode error"))
        if method == "POST" and path == "/documents/text":
            if not isinstance(body, dict) or not isinstance(body.get("text"), str):
                return self.reply(*unprocessable("text", "Field required"))
            text = body["text"].strip()
            if not text:
                return self.reply(*unprocessable("text", "String should have at least 1 character"))
            source = (body.get("file_source") or "").strip()
            if source:
                for existing in st.documents.values():
                    if existing["file_path"] == source:
                        return self.reply(200, {
                            "status": "duplicated",
                            "message": f"File source '{source}' already exists in document storage (Status: processed).",
                            "track_id": ""})
            ident = doc_id(text)
            if ident in st.documents:
                return self.reply(200, {
                    "status": "duplicated",
                    "message": f"Identical content already exists in document storage (doc_id: {ident}, Status: processed).",
                    "track_id": ""})
            st.tracks += 1
            st.documents[ident] = {"content": sanitize(text), "file_path": source or "unknown_source"}
            st.save()
            return self.reply(200, {
                "status": "success",
                "message": "Text successfully received. Processing will continue in background.",
                "track_id": "insert_%d" % st.tracks})
        if method == "DELETE" and path == "/documents/delete_document":
            ids = body.get("doc_ids") if isinstance(body, dict) else None
            if not isinstance(ids, list) or not ids:
                return self.reply(*unprocessable("doc_ids", "Document IDs list cannot be empty"))
            if len(set(ids)) != len(ids):
                return self.reply(*unprocessable("doc_ids", "Document IDs must be unique"))
            if st.busy:
                return self.reply(200, {
                    "status": "busy",
                    "message": "Cannot delete documents while pipeline is busy",
                    "doc_id": ", ".join(ids)})
            for ident in ids:
                st.documents.pop(ident, None)
            st.save()
            return self.reply(200, {
                "status": "deletion_started",
                "message": f"Document deletion for {len(ids)} documents has been initiated. Processing will continue in background.",
                "doc_id": ", ".join(ids)})
        if method == "POST" and path == "/query":
            query = body.get("query") if isinstance(body, dict) else None
            if not isinstance(query, str) or len(query) < 3:
                return self.reply(*unprocessable("query", "String should have at least 3 characters"))
            words = [w.lower() for w in re.findall(r"\w+", query)]
            hits = [d for d in st.documents.values()
                    if any(w in d["content"].lower() for w in words)]
            hits = hits[:int(body.get("top_k") or 10)]
            return self.reply(200, {
                "response": "\n\n".join(h["content"] for h in hits),
                "references": [{"reference_id": str(i + 1), "file_path": h["file_path"]}
                               for i, h in enumerate(hits)]})
        return self.reply(404, {"detail": "Not Found"})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="")
    parser.add_argument("--state", default="")
    args = parser.parse_args()
    Handler.state = State(args.state, args.api_key)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("port %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
