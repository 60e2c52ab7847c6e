"""A department worker for Redress in Python, with nats-py (pip install nats-py).

Takes the department's tasks from JetStream, decides an answer, posts it on the results
subject and only then acknowledges the task, so a crash between the two leaves the task to
be delivered again (the answer's message id makes a second copy harmless).

    NATS_URL=nats://127.0.0.1:4222 REDRESS_PREFIX=redress python3 dept_worker.py fraud

MAX_TASKS=n stops after n answers (scripts, tests).

Subjects, schemas and limits: docs/departments.md.
"""

import asyncio
import json
import os
import sys

import nats
from nats.errors import TimeoutError as NatsTimeout

TASK_SCHEMA = ("redress.task", 1)
RESULT_SCHEMA = ("redress.task-result", 1)
TRACE_HEADERS = ("traceparent", "tracestate")


def decide(task):
    """The department's own logic goes here."""
    return f"Reviewed by the {task['department']} team: no further action.", {"reviewed": True}


async def main(department):
    prefix = os.environ.get("REDRESS_PREFIX", "redress")
    stream = prefix.upper().replace("-", "_") + "_TASKS"
    nc = await nats.connect(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    js = nc.jetstream()
    # The core creates this durable consumer for departments listed in its settings;
    # binding to it means each task goes to one worker of the department.
    tasks = await js.pull_subscribe(
        f"{prefix}.tasks.*.{department}", durable=f"dept_{department}", stream=stream
    )
    print(f"waiting for {department} tasks", flush=True)
    max_tasks = int(os.environ.get("MAX_TASKS", "0"))
    answered = 0
    while not max_tasks or answered < max_tasks:
        try:
            messages = await tasks.fetch(1, timeout=5)
        except NatsTimeout:
            continue
        for msg in messages:
            try:
                task = json.loads(msg.data)
            except ValueError:
                await msg.term()
                continue
            if (task.get("schema"), task.get("version")) != TASK_SCHEMA:
                await msg.term()
                continue
            answer, data = decide(task)
            result = {
                "schema": RESULT_SCHEMA[0],
                "version": RESULT_SCHEMA[1],
                "task_id": task["task_id"],
                "department": department,
                "answer": answer,
                "data": data,
                "answered_by": "python-worker",
            }
            headers = {"Nats-Msg-Id": f"result-{task['task_id']}"}
            # Pass the trace on, so the answer shows in the same trace as the task.
            for name in TRACE_HEADERS:
                if msg.headers and name in msg.headers:
                    headers[name] = msg.headers[name]
            await js.publish(
                f"{prefix}.task-results.{task['region']}.{department}",
                json.dumps(result).encode(),
                headers=headers,
            )
            await msg.ack_sync()
            answered += 1
            print(f"answered task {task['task_id']} ({task['reference']})", flush=True)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "fraud"))
