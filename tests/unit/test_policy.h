/* SPDX-License-Identifier: MIT */
/* A test's token policy from the options' own defaults, read as pam_jwt reads them. */
#ifndef PAM_JWT_TEST_POLICY_H
#define PAM_JWT_TEST_POLICY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

/* Fills policy with conf_load's defaults (no file) through conf_policy, so
 * tests never restate a default: but with no issuers and no audiences
 * (any); callers set those. Issuer and audience are given as arguments
 * because their defaults name this host, and a host called localhost
 * refuses the audience default. The options stay loaded for the
 * process: policy points into them. */
static void
test_policy_defaults(struct jwt_policy *policy)
{
    static const char *argv[] = {"issuer=test", "audience=test"};
    static struct conf c;
    static int loaded;

    if (!loaded &&
        conf_load(&c, "/nonexistent/pam_jwt.conf", NULL, 2, argv, NULL, NULL) != CONF_OK) {
        printf("Bail out! the built-in option defaults do not load\n");
        exit(1);
    }
    loaded = 1;
    conf_policy(&c, policy);
    policy->n_issuers = 0;
    policy->n_audiences = 0;
}

#endif
