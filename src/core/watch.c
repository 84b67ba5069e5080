/* watch.c: being written */
