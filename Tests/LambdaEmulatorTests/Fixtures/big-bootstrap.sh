#!/bin/sh
# For an event with "big" it answers with a 7 MB JSON string, then reports the status the Runtime
# API gave it by posting /error. Other events are echoed. BIG_UPLOAD picks how curl sends it:
# "expect" (default: Content-Length and Expect: 100-continue), "plain" (no Expect) or "chunked".
# With BIG_THEN=next it does not report the refusal and goes straight back to /next.
. "$LAMBDA_TASK_ROOT/runtime-lib.sh"
while true; do
    next
    case "$event" in
        *'"big"'*)
            { printf '"'; head -c 7340032 /dev/zero | tr '\0' 'a'; printf '"'; } > "$work/big"
            case "${BIG_UPLOAD:-expect}" in
                plain) how="Expect:" ;;
                chunked) how="Transfer-Encoding: chunked" ;;
                *) how="X-Upload: expect" ;;
            esac
            status=$(curl -sS -o "$work/reply" -w '%{http_code}' -H "$how" -X POST --data-binary @"$work/big" "$api/invocation/$id/response")
            if [ "${BIG_THEN:-report}" = report ]; then
                post "invocation/$id/error" "{\"errorType\":\"ResponseRefused\",\"errorMessage\":\"HTTP $status\",\"reply\":$(cat "$work/reply")}" > /dev/null
            fi ;;
        *) echo_event ;;
    esac
done
