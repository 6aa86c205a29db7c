"""Task kernels: module-level pure functions, pandas in, pandas out.

Tasks reference only these (and pandas' own functions), never lambdas or
expression nodes, so graphs pickle and run on any scheduler.
"""
