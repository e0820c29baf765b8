#!/bin/sh
# Records its pid in $TEST_STATE_DIR/pids when it starts; for an event {"sleep": S} it sleeps S
# seconds, then echoes the event.
. "$LAMBDA_TASK_ROOT/runtime-lib.sh"
echo "$$" >> "$TEST_STATE_DIR/pids"
while true; do
    next
    seconds=$(printf '%s' "$event" | sed -n 's/.*"sleep": *\([0-9.]*\).*/\1/p')
    if [ -n "$seconds" ]; then
        echo "sleeping $seconds s" >&2
        sleep "$seconds"
    fi
    echo_event
done
