/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int helperd_privdrop_placeholder;
