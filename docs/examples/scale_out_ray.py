"""Scale out: fan a batch of prompts over a Ray cluster, answers back in order.

Run it: `TOKENHOT_API_KEY=sk-... python docs/examples/scale_out_ray.py` (starts a local Ray
instance), or set `RAY_ADDRESS` to run on an existing cluster.
"""

from __future__ import annotations

import ray

from langchain_tokenhot import ChatTokenhotGemini

PROMPTS = [
    "Name a prime number above 100.",
    "Translate 'good morning' into French.",
    "What is the boiling point of water in Fahrenheit?",
    "Give a synonym for 'quick'.",
]


@ray.remote(max_retries=0)  # a worker that dies is reported below, not silently run again
def answer(llm: ChatTokenhotGemini, prompt: str) -> str:
    # `llm` arrived by pickle without any connection: this worker opens its own pool.
    return llm.invoke(prompt).text


def fan_out(llm: ChatTokenhotGemini, prompts: list[str]) -> list[str | Exception]:
    """One task per prompt; the results in the order of `prompts`, failures included."""
    model = ray.put(llm)  # pickled once, shared by every task
    tasks = [answer.remote(model, prompt) for prompt in prompts]
    return [result_of(task) for task in tasks]  # in submission order


def result_of(task: ray.ObjectRef) -> str | Exception:
    try:
        return ray.get(task)
    except ray.exceptions.RayError as exc:  # the call failed, or its worker crashed
        return exc


if __name__ == "__main__":
    ray.init(ignore_reinit_error=True)  # RAY_ADDRESS set: that cluster; else a local one
    llm = ChatTokenhotGemini(model="gemini-2.5-flash")  # TOKENHOT_API_KEY, TOKENHOT_BASE_URL
    for prompt, result in zip(PROMPTS, fan_out(llm, PROMPTS), strict=True):
        if isinstance(result, Exception):
            print(f"{prompt} -> FAILED: {type(result).__name__}")
        else:
            print(f"{prompt} -> {result}")
