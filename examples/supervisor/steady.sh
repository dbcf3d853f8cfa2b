#!/bin/sh
# A steady worker in plain shell: one byte on the inherited heartbeat fd per beat is all it takes.
# When the supervisor dies, the next write fails (EPIPE) and the shell exits.
echo "steady: started pid=$$"
while :; do
  printf . >&"$UNIBUS_HEARTBEAT_FD" || exit 1
  sleep 0.2
done
