"""The official `openai` Python client against a BlueprintOS module's unix socket.

Run by test/clients/python-openai.test.ts with the venv scripts/setup-host.sh makes:
    python openai_client.py llm SOCKET TOKEN [BASE_URL]
    python openai_client.py rag SOCKET TOKEN BASE_URL QUESTION
    python openai_client.py embeddings SOCKET TOKEN BASE_URL TEXTS_AS_JSON
It prints one JSON object: what the client returned for each call (the test asserts on it). Any
failure to talk to the service raises, so the process exits non-zero with the client's traceback.
"""

import json
import sys

import openai

try:  # openai 3.x sends through httpx2; 1.x and 2.x through httpx (the same transport API)
    import httpx2 as httpx
except ImportError:
    import httpx


def client(socket: str, token: str, base_url: str) -> openai.OpenAI:
    # The socket is the connection; the URL's host is only the Host header the service ignores.
    transport = httpx.HTTPTransport(uds=socket)
    return openai.OpenAI(
        base_url=base_url,
        api_key=token,
        max_retries=0,
        timeout=120,
        http_client=openai.DefaultHttpxClient(transport=transport),
    )


def refused(call) -> dict:
    """The client's exception for a refused call: its class and what it read from our answer."""
    try:
        call()
    except openai.APIStatusError as e:
        return {
            "error": type(e).__name__,
            "status": e.status_code,
            "code": e.code,
            "param": e.param,
            "type": e.type,
            # The client's own words (its status and our error object), and our message as it parsed it.
            "client_message": e.message,
            "message": e.body.get("message") if isinstance(e.body, dict) else None,
        }
    return {"error": None}


def chat_twice(c: openai.OpenAI, model: str, messages: list, max_tokens: int, **extra) -> dict:
    """One chat answer whole, then the same asked with stream=True, read chunk by chunk."""
    ask = dict(model=model, messages=messages, temperature=0, max_tokens=max_tokens, **extra)
    whole = c.chat.completions.create(**ask)
    text, finish, chunks, first = "", None, 0, None
    for chunk in c.chat.completions.create(**ask, stream=True):
        chunks += 1
        first = first or chunk
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    return {
        "whole": {
            "object": whole.object,
            "text": whole.choices[0].message.content,
            "finish_reason": whole.choices[0].finish_reason,
            "completion_tokens": whole.usage.completion_tokens if whole.usage else None,
            # Fields beyond OpenAI's schema, kept by the client's pydantic models (rag's `sources`).
            "extra": whole.model_extra or {},
        },
        "stream": {
            "text": text,
            "finish_reason": finish,
            "chunks": chunks,
            "first_extra": (first.model_extra or {}) if first else {},
        },
    }


def llm(c: openai.OpenAI, bad: openai.OpenAI) -> dict:
    model = "tiny-llama"
    out = {"models": [m.id for m in c.models.list()]}
    out.update(chat_twice(c, model, [{"role": "user", "content": "Hello there"}], 8))
    emb = c.embeddings.create(model=model, input=["Hello world", "A sentence about cats"])
    out["embeddings"] = {
        "count": len(emb.data),
        "dimensions": [len(d.embedding) for d in emb.data],
        "norms": [round(sum(x * x for x in d.embedding) ** 0.5, 4) for d in emb.data],
        "prompt_tokens": emb.usage.prompt_tokens,
    }
    out["wrong_token"] = refused(lambda: bad.models.list())
    out["bad_request"] = refused(
        lambda: c.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "x"}], temperature=5
        )
    )
    return out


def rag(c: openai.OpenAI, bad: openai.OpenAI) -> dict:
    # rag's own fields (k: how many chunks to retrieve) go in the client's extra_body; its model is
    # the llm module's, so `model` is not read.
    question = [{"role": "user", "content": sys.argv[5]}]
    out = chat_twice(c, "rag", question, 8, extra_body={"k": 1})
    out["wrong_token"] = refused(lambda: bad.chat.completions.create(model="rag", messages=question))
    out["bad_request"] = refused(lambda: c.chat.completions.create(model="rag", messages=[]))
    return out


def embeddings(c: openai.OpenAI, bad: openai.OpenAI) -> dict:
    texts = json.loads(sys.argv[5])
    models = [m.id for m in c.models.list()]
    # The client's default asks base64 and decodes it; float asks JSON numbers: both the same vectors.
    b64 = c.embeddings.create(model=models[0], input=texts)
    floats = c.embeddings.create(model=models[0], input=texts, encoding_format="float")
    return {
        "models": models,
        "model": b64.model,
        "vectors": [d.embedding for d in b64.data],
        "float_vectors": [d.embedding for d in floats.data],
        "prompt_tokens": b64.usage.prompt_tokens,
        "wrong_token": refused(lambda: bad.embeddings.create(model=models[0], input=texts)),
        "bad_request": refused(lambda: c.embeddings.create(model=models[0], input=texts, dimensions=8)),
    }


def main() -> None:
    kind, socket, token = sys.argv[1:4]
    base_url = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else "http://localhost/v1"
    c = client(socket, token, base_url)
    bad = client(socket, token + "x", base_url)
    result = {"llm": llm, "rag": rag, "embeddings": embeddings}[kind](c, bad)
    result["client"] = {"openai": openai.__version__, "transport": httpx.__name__}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
