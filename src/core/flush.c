/* flush.c: being written */
