/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the input as a protocol line, decoded as a request and as every answer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "proto.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What decodes must encode again (unless escapes grew it past the cap)
 * and decode to the same shape: the two directions share one table. */
static void
request_check(const char *line, size_t len)
{
    struct proto_request req, again;
    char *out = NULL;
    size_t out_len = 0;
    proto_result r;

    if (proto_request_decode(line, len, &req) != PROTO_OK)
        return;
    r = proto_request_encode(&req, &out, &out_len);
    if (r != PROTO_OK && r != PROTO_ERR_TOO_LONG)
        abort();
    if (r == PROTO_OK) {
        if (proto_request_decode(out, out_len, &again) != PROTO_OK || again.op != req.op)
            abort();
        proto_request_clear(&again);
    }
    secret_free(out, out_len);
    proto_request_clear(&req);
}

static void
response_check(const char *line, size_t len, enum proto_op op)
{
    struct proto_response resp, again;
    char *out = NULL;
    size_t out_len = 0;
    proto_result r;

    if (proto_response_decode(line, len, op, &resp) != PROTO_OK)
        return;
    r = proto_response_encode(&resp, op, &out, &out_len);
    if (r != PROTO_OK && r != PROTO_ERR_TOO_LONG)
        abort();
    if (r == PROTO_OK) {
        if (proto_response_decode(out, out_len, op, &again) != PROTO_OK || again.ok != resp.ok)
            abort();
        proto_response_clear(&again);
    }
    secret_free(out, out_len);
    proto_response_clear(&resp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;

    request_check(line, size);
    for (int op = 0; op < PROTO_OP_COUNT; op++)
        response_check(line, size, (enum proto_op)op);
    return 0;
}
