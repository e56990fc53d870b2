"""inject-prompt: an instruction appended to what a tool or a resource returns.

MCP results reach the client as one JSON-RPC message (application/json) or as SSE events whose
`data` is a JSON-RPC message (text/event-stream); tool results carry `result.content[]`, resource
reads `result.contents[]`. The text is appended to each text item (or added as one when none is).
"""

from __future__ import annotations

import json

from harness.probes.misuse.corpus import Injection, load_corpus


def corpus_text(ident: str | None) -> tuple[str, str]:
    """(id, text) of the bundled injection `ident`, or of the first one; ValueError if unknown."""
    corpus: tuple[Injection, ...] = load_corpus(None)
    for injection in corpus:
        if (ident is None or injection.id == ident) and injection.text:
            return injection.id, injection.text
    known = ", ".join(i.id for i in corpus)
    raise ValueError(f"no injection {ident!r} in scenarios/data/injections.toml; known: {known}")


def inject(body: bytes, content_type: str | None, text: str) -> bytes | None:
    """The body with `text` planted in every result it carries; None if it carries none."""
    kind = (content_type or "").lower()
    if "event-stream" in kind:
        return _inject_sse(body, text)
    if "json" in kind:
        return _inject_json(body, text)
    return None


def _inject_json(body: bytes, text: str) -> bytes | None:
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    messages = message if isinstance(message, list) else [message]
    if not any([_plant(m, text) for m in messages]):
        return None
    return json.dumps(message).encode()


def _inject_sse(body: bytes, text: str) -> bytes | None:
    changed = False
    lines = body.decode("utf-8", "replace").split("\n")
    for index, line in enumerate(lines):
        if not line.startswith("data:"):
            continue
        planted = _inject_json(line[5:].strip().encode(), text)
        if planted is not None:
            lines[index] = "data: " + planted.decode()
            changed = True
    return "\n".join(lines).encode() if changed else None


def _plant(message: object, text: str) -> bool:
    if not isinstance(message, dict) or not isinstance(message.get("result"), dict):
        return False
    result = message["result"]
    planted = False
    for key in ("content", "contents"):
        items = result.get(key)
        if not isinstance(items, list):
            continue
        texts = [i for i in items if isinstance(i, dict) and isinstance(i.get("text"), str)]
        for item in texts:
            item["text"] += "\n\n" + text
        if not texts and key == "content":
            items.append({"type": "text", "text": text})
        planted = True
    return planted
