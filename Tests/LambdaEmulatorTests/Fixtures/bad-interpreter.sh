#!/nonexistent/interpreter
# A bootstrap whose interpreter does not exist: the process cannot start at all.
exit 0
