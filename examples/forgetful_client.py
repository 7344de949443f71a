#!/usr/bin/env python3
"""The socket leak most people meet: a client that forgets close().

It fetches a greeting from a server again and again.  Each time it reads the
whole reply, up to the server's EOF, and then keeps the socket "for later" in
a cache it never cleans up.  The server has closed its side, so every cached
socket sits in CLOSE_WAIT until this process exits.

    python3 examples/forgetful_client.py PORT

socklife flags it (close_wait_stale, close_wait_growth) and says the EOF was
read but close() never called.  The fix is one line, `with`:

    with socket.create_connection(("127.0.0.1", port)) as conn:
        data = read_all(conn)
"""
import socket
import sys
import time

connections = []  # "kept for reuse" -- and never closed


def fetch(port):
    conn = socket.create_connection(("127.0.0.1", port))
    data = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:  # EOF: the server closed its side
            break
        data += chunk
    connections.append(conn)  # the bug: should have been conn.close()
    return data


def main():
    port = int(sys.argv[1])
    print("ready", flush=True)
    while True:
        fetch(port)
        time.sleep(0.25)


if __name__ == "__main__":
    main()
