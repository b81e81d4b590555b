#ifndef PCX_CLIBEDIT_H
#define PCX_CLIBEDIT_H
/* libedit (BSD licence) through its readline-compatible interface. */
#include <stdio.h>
#include <editline/readline.h>

/* pcx_rl_setup: installs the completion callback and the word-break characters.
   Call once from the REPL before the first readline(). Any thread, not concurrently. */
static inline void pcx_rl_setup(char *(*complete)(const char *, int), const char *word_breaks) {
    rl_completion_entry_function = (rl_compentry_func_t *)complete;
    rl_basic_word_break_characters = word_breaks;
    rl_completion_append_character = '\0';
}
#endif
