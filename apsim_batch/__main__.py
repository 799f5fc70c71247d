"""`python -m apsim_batch`: the same command as `apsim-batch`."""

from .cli import main

main()
