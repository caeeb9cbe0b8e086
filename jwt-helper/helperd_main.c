/* SPDX-License-Identifier: MIT */
/* placeholder: being written */
#include "config.h"
int main(void) { return 1; }
