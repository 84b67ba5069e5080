/* guard.c: being written */
