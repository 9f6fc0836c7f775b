#!/usr/bin/env python3
"""`folio-cli serve` against a client nobody here wrote: the official `openai` Python package.

Starts the server on a free loopback port with the demo model (tiny random weights) and an API
key, then completes a non-streamed and a streamed request (thinking mode, so reasoning_content
arrives too), checks the usage and finish reasons, a wrong key (AuthenticationError), malformed
JSON (BadRequestError with OpenAI's error body), and that SIGTERM stops the server cleanly and
removes its discovery file.

usage: test_openai_client.py FOLIO_CLI MODEL_DIR
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import openai

failures = 0
passes = 0


def check(cond, what):
    global failures, passes
    if cond:
        passes += 1
        print("PASS  ", what)
    else:
        failures += 1
        print("FAIL  ", what)


def main():
    cli, model_dir = sys.argv[1], sys.argv[2]
    data_dir = tempfile.mkdtemp(prefix="folio-openai-test-")
    env = dict(os.environ, FOLIO_DATA_DIR=data_dir, FOLIO_API_KEY="test-key-123")
    proc = subprocess.Popen([cli, "serve", "--model", model_dir, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        url = proc.stdout.readline().strip()
        check(url.startswith("http://127.0.0.1:") and url.endswith("/v1"), "serve prints its URL: " + url)
        discovery = os.path.join(data_dir, "server.json")
        check(os.path.exists(discovery), "discovery file written")
        with open(discovery) as f:
            info = json.load(f)
        check(info["url"] == url and info["pid"] == proc.pid and info["needs_key"], "discovery file content")
        check("test-key-123" not in open(discovery).read(), "the key is not in the discovery file")

        client = openai.OpenAI(base_url=url, api_key="test-key-123", max_retries=0, timeout=300)
        models = client.models.list()
        ids = [m.id for m in models.data]
        check(ids == ["demo-model"], "models.list() names the loaded model: %s" % ids)

        r = client.chat.completions.create(
            model="any-name", max_tokens=6, temperature=0, seed=1,
            messages=[{"role": "system", "content": "Be brief."},
                      {"role": "user", "content": "Hello"}])
        check(r.object == "chat.completion", "non-streamed: object")
        check(r.model == "demo-model", "non-streamed: answered by the loaded model")
        check(isinstance(r.choices[0].message.content, str), "non-streamed: content is text")
        check(r.choices[0].finish_reason in ("stop", "length"), "non-streamed: finish_reason " + str(r.choices[0].finish_reason))
        check(r.usage is not None and r.usage.prompt_tokens > 0 and 0 < r.usage.completion_tokens <= 6,
              "non-streamed: usage %s" % r.usage)

        stream = client.chat.completions.create(
            model="demo-model", max_tokens=6, temperature=0, stream=True,
            extra_body={"thinking": {"type": "enabled"}},
            messages=[{"role": "system", "content": "Be brief."},
                      {"role": "user", "content": "Hello again"}])
        chunks = list(stream)
        check(len(chunks) >= 2, "streamed: %d chunks" % len(chunks))
        check(chunks[0].choices[0].delta.role == "assistant", "streamed: first chunk has the role")
        text = "".join((c.choices[0].delta.content or "") for c in chunks if c.choices)
        reasoning = "".join((getattr(c.choices[0].delta, "reasoning_content", None) or "")
                            for c in chunks if c.choices)
        check(len(text) + len(reasoning) > 0, "streamed: text arrived (%d + %d chars)" % (len(reasoning), len(text)))
        finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
        check(len(finals) == 1 and finals[0].usage is not None and finals[0].usage.completion_tokens > 0,
              "streamed: one final chunk with usage")
        check(finals and finals[0].usage.prompt_tokens_details.cached_tokens > 0,
              "streamed: the shared system prefix was reused (cached_tokens > 0)")

        bad = openai.OpenAI(base_url=url, api_key="wrong", max_retries=0)
        try:
            bad.models.list()
            check(False, "wrong key is refused")
        except openai.AuthenticationError as e:
            check(e.status_code == 401, "wrong key: AuthenticationError 401")

        req = urllib.request.Request(url + "/chat/completions", data=b'{"messages": [',
                                     headers={"Authorization": "Bearer test-key-123",
                                              "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req)
            check(False, "malformed JSON is refused")
        except urllib.error.HTTPError as e:
            body = json.loads(e.read())
            check(e.code == 400 and "message" in body["error"], "malformed JSON: 400 with an error body")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = -1
        check(rc == 0, "SIGTERM: clean exit (rc %s)" % rc)
        check(not os.path.exists(os.path.join(data_dir, "server.json")), "discovery file removed")
    print("%d passed, %d failed" % (passes, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
