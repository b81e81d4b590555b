#ifndef PCX_CLIBEDIT_H
#define PCX_CLIBEDIT_H
/* libedit (BSD licence) through its readline-compatible interface. */
#include <stdio.h>
#include <editline/readline.h>
#endif
