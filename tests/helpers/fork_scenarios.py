"""Processes in the states inspect has to judge, each of which then really forks.

Usage: fork_scenarios.py SCENARIO [DSN]

The process sets itself up, prints one JSON line {"ready": true, ...} and waits for a line on
stdin. "fork" makes it fork for real: the child does the work a forked worker would do, and the
parent reports {"outcome": "fine" | "hung" | "failed", "detail": ...} once the child has exited
or a timeout has passed (the child is then killed). "quit" ends it.

Prefork scenarios fork their workers during setup (as a server does) and report the outcome in
the ready line: "shared" when the workers ended up on the master's database session.
"""

import json
import os
import signal
import socket
import sys
import threading
import time

CHILD_TIMEOUT = float(os.environ.get("FORK_SCENARIO_TIMEOUT", "8"))


def say(**fields):
    print(json.dumps(fields), flush=True)


def fork_and_watch(child_work):
    """Forks; the child runs child_work and exits 0, or 3 on an exception."""
    pid = os.fork()
    if pid == 0:
        try:
            child_work()
            os._exit(0)
        except BaseException:  # the child must never return into the parent's code
            os._exit(3)
    deadline = time.monotonic() + CHILD_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return ("fine", "exit 0") if code == 0 else ("failed", f"exit {code}")
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "hung", f"no exit within {CHILD_TIMEOUT}s"


def serve(child_work, **ready):
    say(ready=True, pid=os.getpid(), **ready)
    for line in sys.stdin:
        if line.strip() == "fork":
            outcome, detail = fork_and_watch(child_work)
            say(outcome=outcome, detail=detail)
        elif line.strip() == "quit":
            break


# --- scenarios -------------------------------------------------------------------------------


def asyncio_loop():
    import asyncio

    loop = asyncio.new_event_loop()  # opens its self-pipe socketpair
    loop.run_until_complete(asyncio.sleep(0))

    def child():
        asyncio.run(asyncio.sleep(0.01))

    serve(child)


def tokenizers_batch():
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {w: i for i, w in enumerate(["[UNK]", "fork", "safe", "child", "parent"])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    batch = ["fork safe child parent " * 20] * 2000
    tok.encode_batch(batch)  # starts the rayon pool

    def child():
        tok.encode_batch(batch)

    serve(child)


def numpy_matmul():
    import numpy as np

    a = np.ones((600, 600))
    (a @ a).sum()  # starts OpenBLAS's pool

    def child():
        (a @ a).sum()

    serve(child)


def pymongo_client():
    import pymongo
    from pymongo.errors import ServerSelectionTimeoutError

    # Nothing listens on port 9: the monitors keep trying, as they do while a server is down.
    client = pymongo.MongoClient("mongodb://127.0.0.1:9/", serverSelectionTimeoutMS=300)
    time.sleep(0.2)  # the monitor threads are running

    def child():
        # Takes the client's locks; a lock left held by a monitor thread would hang here.
        try:
            client.admin.command("ping")
        except ServerSelectionTimeoutError:
            pass

    serve(child)


def thread_then_multiprocessing():
    import multiprocessing

    lock = threading.Lock()

    def worker():
        while True:
            with lock:  # held most of the time, as a busy worker holds its lock
                time.sleep(0.2)
            time.sleep(0.001)

    threading.Thread(target=worker, daemon=True).start()
    time.sleep(0.1)
    ctx = multiprocessing.get_context("fork")

    def child_target():
        with lock:
            pass

    # The real fork is multiprocessing's; its outcome is what the watched child reports.
    say(ready=True, pid=os.getpid())
    for line in sys.stdin:
        if line.strip() == "fork":
            p = ctx.Process(target=child_target)
            p.start()
            p.join(CHILD_TIMEOUT)
            if p.is_alive():
                p.kill()
                p.join()
                say(outcome="hung", detail="the child waited for the lock forever")
            else:
                say(outcome="fine", detail=f"exit {p.exitcode}")
        elif line.strip() == "quit":
            break


def prefork(dsn, preload):
    """A prefork master like uWSGI: socketpairs to its workers; with preload (uWSGI without
    lazy-apps, gunicorn --preload) the app's database connection is opened before the fork."""
    import psycopg2

    def backend(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            return cur.fetchone()[0]

    app_conn = psycopg2.connect(dsn) if preload else None
    master_backend = backend(app_conn) if app_conn else None
    channels, workers, backends = [], [], []
    for _ in range(2):
        mine, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            mine.close()
            conn = app_conn if preload else psycopg2.connect(dsn)
            theirs.sendall(f"{backend(conn)}\n".encode())
            while theirs.recv(64):
                pass
            os._exit(0)
        theirs.close()
        channels.append(mine)
        workers.append(pid)
        # One worker at a time on the connection, so the answer is the backend's, not a race.
        backends.append(int(mine.makefile().readline()))
    shared = master_backend is not None and master_backend in backends
    outcome = "shared" if shared else "fine"
    say(
        ready=True,
        pid=os.getpid(),
        workers=workers,
        outcome=outcome,
        detail=f"master backend {master_backend}, worker backends {backends}",
    )
    for line in sys.stdin:
        if line.strip() == "quit":
            break
    for c in channels:
        c.close()
    for w in workers:
        os.waitpid(w, 0)


def main():
    name = sys.argv[1]
    if name == "asyncio":
        asyncio_loop()
    elif name == "tokenizers":
        tokenizers_batch()
    elif name == "numpy":
        numpy_matmul()
    elif name == "pymongo":
        pymongo_client()
    elif name == "thread-then-multiprocessing":
        thread_then_multiprocessing()
    elif name == "prefork-preload":
        prefork(sys.argv[2], preload=True)
    elif name == "prefork-lazy":
        prefork(sys.argv[2], preload=False)
    else:
        sys.exit(f"unknown scenario {name}")


if __name__ == "__main__":
    main()
