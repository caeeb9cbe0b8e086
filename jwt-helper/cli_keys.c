/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int cli_keys_placeholder;
