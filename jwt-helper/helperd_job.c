/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
typedef int helperd_job_placeholder;
