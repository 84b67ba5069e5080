/* segment.c: being written */
