/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int helperd_delay_placeholder;
