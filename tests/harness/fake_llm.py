#!/usr/bin/python3
"""fake_llm: a TEST DOUBLE for an OpenAI-compatible chat-completions
endpoint (llama.cpp's llama-server, ollama), for the AI drafting tests.

No model can run on the test machines (no weights, no network), so this
is not a model and says nothing about any model's behaviour: it is a
stand-in that checks vea's side of the protocol (OUTGOING.md 6.3). It
listens on 127.0.0.1 only, on a free port, serves
POST /v1/chat/completions, records each request (path, headers, the
JSON body) in .requests, and answers as its mode says:

  answer   200, a chat completion whose choices[0].message.content is
           .content (finish_reason "stop");
  slow     sleeps .delay seconds (bounded; ended early by stop()), then
           answers as `answer` would: for vea's timeout;
  500      HTTP 500 with an error JSON, as a server whose model failed;
  garbage  200 with a body that is not JSON.

    with FakeLLM() as llm:
        llm.mode, llm.content = "answer", "Thanks, Thursday works."
        ... llm.url ... llm.requests[-1]["json"]["messages"]
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_DELAY = 30  # a slow answer never keeps a thread longer than this


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # quiet: TAP output only
        pass

    def _send(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # vea gave up (its timeout): as a real client would

    def do_GET(self):
        if self.path == "/health":
            self._send(200, '{"status":"ok"}')
        else:
            self._send(404, '{"error":"not found"}')

    def do_POST(self):
        llm = self.server.llm
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = None
        with llm.lock:
            llm.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                 "raw": raw, "json": body, "at": time.time()})
            mode, content, delay = llm.mode, llm.content, llm.delay
        if self.path != "/v1/chat/completions":
            self._send(404, '{"error":"not found"}')
            return
        if mode == "slow":
            llm.stopping.wait(min(delay, MAX_DELAY))
        if mode == "500":
            self._send(500, '{"error":{"message":"model failed to load","code":500}}')
        elif mode == "garbage":
            self._send(200, "<html>this is not {json at all", "text/html")
        else:
            self._send(200, json.dumps({
                "id": "chatcmpl-test", "object": "chat.completion",
                "created": int(time.time()), "model": (body or {}).get("model", ""),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}))


class FakeLLM:
    def __init__(self):
        self.mode = "answer"
        self.content = "Thank you, that works for me."
        self.delay = 10
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.llm = self
        self.port = self.server.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self.url = self.base + "/v1/chat/completions"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
