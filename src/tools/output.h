/*
 * output - print a verdict as text or as one JSON object
 */
#ifndef AM_OUTPUT_H
#define AM_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "engine/verdict.h"

void output_print(FILE *fp, bool json, const struct verdict *v);

#endif
