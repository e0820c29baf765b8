#!/bin/sh
# Before answering, posts a response for a made-up request id; its answer includes what the
# Runtime API said to that, and to answering the previous invocation a second time.
. "$LAMBDA_TASK_ROOT/runtime-lib.sh"
previous=""
again="null"
while true; do
    next
    bogus=$(post "invocation/00000000-0000-0000-0000-000000000000/response" '{"bogus":true}')
    bogus_reply=$(cat "$work/reply")
    if [ -n "$previous" ]; then
        again=$(post "invocation/$previous/response" '{"again":true}')
    fi
    extra=",\"bogusStatus\":$bogus,\"bogusReply\":$bogus_reply,\"againStatus\":$again"
    echo_event
    previous=$id
done
