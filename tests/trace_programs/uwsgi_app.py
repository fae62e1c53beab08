"""A WSGI app that connects to its database at import, as many do: with uWSGI loading the app in the
master (the default), every worker it forks shares this one connection."""
import os
import socket

db = socket.create_connection(("127.0.0.1", int(os.environ["DB_PORT"])))  # CONNECT


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
