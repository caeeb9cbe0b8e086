/* SPDX-License-Identifier: MIT */
/* placeholder: being written; every verb below is replaced by its owner */
#include "config.h"

#include "cli.h"

#define PLACEHOLDER(f) int f(int argc, char **argv) { (void)argc; (void)argv; return CLI_EXIT_USAGE; }
PLACEHOLDER(cli_login)
PLACEHOLDER(cli_token)
PLACEHOLDER(cli_logout)
PLACEHOLDER(cli_passwd)
PLACEHOLDER(cli_useradd)
PLACEHOLDER(cli_usermod)
PLACEHOLDER(cli_userdel)
PLACEHOLDER(cli_admin_passwd)
PLACEHOLDER(cli_revoke)
PLACEHOLDER(cli_askpass)
PLACEHOLDER(cli_keys)
