"""Settings shared by the test suite and the doctests."""

import torch

# `pytest -n 2` runs two workers on a two-core machine; torch's default of one
# thread per core would put four busy threads on two cores, and spinning
# OpenMP threads then make small fits many times slower. The tests train tiny
# networks, for which one thread is also the fastest.
torch.set_num_threads(1)
