#!/bin/sh
# Posts /error for an event that contains "fail"; echoes every other event.
. "$LAMBDA_TASK_ROOT/runtime-lib.sh"
while true; do
    next
    case "$event" in
        *'"fail"'*)
            post "invocation/$id/error" '{"errorMessage":"asked to fail","errorType":"TestFailure","stackTrace":["error-bootstrap.sh:9"]}' \
                "Lambda-Runtime-Function-Error-Type: Function.TestFailure" > /dev/null ;;
        *) echo_event ;;
    esac
done
