/* view.c: being written */
