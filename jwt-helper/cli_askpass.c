/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int cli_askpass_placeholder;
