/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int module_passwd_placeholder;
