/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int cli_client_placeholder;
