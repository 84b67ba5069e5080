/* errors.c: being written */
