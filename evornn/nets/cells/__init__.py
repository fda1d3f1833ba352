"""One module per cell: its equations, its layer builder and its Numba step kernel."""
