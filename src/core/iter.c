/* iter.c: being written */
