#!/bin/sh
# For an event with "kill" it kills itself with SIGKILL mid-invocation; with "exit" it exits 3;
# with "term" it sends itself SIGTERM (which only works if its signal mask is clean: it then
# never reaches "exit 4"). Each says something on stderr first. With "mask" it answers with its
# blocked and ignored signal masks from /proc. Other events are echoed.
. "$LAMBDA_TASK_ROOT/runtime-lib.sh"
while true; do
    next
    case "$event" in
        *'"kill"'*)
            echo "crash-bootstrap: about to die" >&2
            echo "crash-bootstrap: last words" >&2
            kill -9 $$ ;;
        *'"term"'*)
            echo "crash-bootstrap: terminating myself" >&2
            kill -TERM $$
            echo "crash-bootstrap: SIGTERM was blocked" >&2
            exit 4 ;;
        *'"mask"'*)
            blocked=$(grep '^SigBlk:' /proc/$$/status | cut -f2)
            ignored=$(grep '^SigIgn:' /proc/$$/status | cut -f2)
            post "invocation/$id/response" "{\"SigBlk\":\"$blocked\",\"SigIgn\":\"$ignored\"}" > /dev/null ;;
        *'"exit"'*)
            echo "crash-bootstrap: giving up" >&2
            exit 3 ;;
        *) echo_event ;;
    esac
done
