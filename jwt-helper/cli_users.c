/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int cli_users_placeholder;
