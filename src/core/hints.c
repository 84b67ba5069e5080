/* hints.c: being written */
