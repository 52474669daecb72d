"""Plays a user at a terminal: runs a command on a pseudo-terminal and types
answers to its prompts, each only once the terminal's echo is off.

  python3 pty_user.py ARGV_JSON ANSWERS_JSON

ARGV_JSON is the command line; ANSWERS_JSON a list of [prompt, typed]:
wait until PROMPT appears, then type TYPED and a newline. Prints everything
the terminal showed and exits with the command's status.
"""
import json
import os
import pty
import sys
import termios
import time

argv = json.loads(sys.argv[1])
answers = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen = b""


def until(marker):
    global seen
    while marker not in seen:
        chunk = os.read(fd, 4096)
        if not chunk:
            raise SystemExit("EOF before " + marker.decode() + ": " + seen.decode(errors="replace"))
        seen += chunk


def echo_off():
    # The prompt is printed before echo is turned off: type only after.
    for _ in range(500):
        if not termios.tcgetattr(fd)[3] & termios.ECHO:
            return
        time.sleep(0.01)
    raise SystemExit("echo stayed on")


for prompt, typed in answers:
    until(prompt.encode())
    echo_off()
    os.write(fd, typed.encode() + b"\n")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
