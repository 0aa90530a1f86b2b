#!/bin/sh
# IPython's simulator.py ran `./simulator TRIAL 2 4 > trial.TRIAL`: this one prints a
# deterministic "measurement" for its trial from its three arguments.
trial=$1; a=$2; b=$3
echo "trial $trial: $(( (trial * 7919 + a * 31 + b) % 1000 ))"
