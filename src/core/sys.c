/* sys.c: being written */
