/*
 * version - authmilter's version and those of the libraries it runs on
 */
#ifndef AM_VERSION_H
#define AM_VERSION_H

#include <stdio.h>

void version_print(FILE *fp);

#endif
